/**
 * A stateful Stripe API emulator for tests, demos and benchmarks: customers, events and
 * customer search as `stripe` (the official SDK) sees them, with faults on demand.
 */
export { startEmulator } from './server.js';
export type { EmulatorOptions, RunningEmulator } from './server.js';
export type { FaultSettings, ScriptedFault } from './faults.js';
export type { StatsSnapshot } from './stats.js';
export { STRAY_ENTRIES, UNICODE, UNKEYABLE_POSITIONS } from './garble.js';
