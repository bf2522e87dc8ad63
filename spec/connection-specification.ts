/**
 * The connection specification is the engine's (connector/config/specification.ts: it defines
 * what a config is); this folder holds the JSON generated from it for readers and tooling
 * outside the code. The direction is one way: the engine never imports from here.
 */
export { CONNECTION_SPECIFICATION } from '../connector/config/specification';
