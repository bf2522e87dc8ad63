/**
 * A stateful Stripe API emulator for tests, demos and benchmarks: customers, events and
 * customer search as `stripe` (the official SDK) sees them, with faults on demand and Stripe's
 * less friendly behaviours as knobs (all off by default): rate limits per account, mode and
 * endpoint (rate-limits.ts), `Stripe-Should-Retry` / `Retry-After` on scripted failures
 * (faults.ts), late-listed events (event-delay.ts), search lag (search-index.ts), `''` in
 * `previous_attributes` and event payloads in an older API version (behaviour.ts,
 * api-versions.ts), same-second events in either order (store.ts); connected accounts listed at
 * `GET /v1/accounts`, read with `Stripe-Account`, revocable (registry.ts); dense accounts: bulk
 * imports and bulk updates, thousands of customers or events in one second (dense.ts); signed webhook
 * deliveries with Stripe's retries, drops, duplicates and reordering (webhooks.ts).
 */
export { startEmulator } from './server.js';
export type { EmulatorOptions, RunningEmulator } from './server.js';
export type { FaultSettings, ScriptedFault, ScriptedFaultSpec } from './faults.js';
export type { BehaviourSettings, EmptyPreviousValue } from './behaviour.js';
export type { ConnectedAccountLimits, GlobalRateLimit } from './rate-limits.js';
export type { DeliveredEvent, DeliveryAttempt, WebhookLog, WebhookSettings } from './webhooks.js';
export { ATTEMPT_TIMEOUT_MS, DEFAULT_WEBHOOK_SECRET, RETRY_SCHEDULE } from './webhooks.js';
export { STRIPE_LIMITS } from './rate-limits.js';
export { DENSE_ACCOUNT, type DenseAccount } from './dense.js';
export type { EndpointStats, RateLimitedBy, StatsSnapshot } from './stats.js';
export { STRAY_ENTRIES, UNICODE, UNKEYABLE_POSITIONS } from './garble.js';
