/**
 * What the node files use, bundled once into dist/shared/index.js with the engine (the node
 * bundles keep `../../shared` as a runtime require of that file).
 */
export {
  CREDENTIAL_TYPE,
  configFromParameters,
  definitionFingerprint,
  type NodeConfig,
  type NodeParameters,
  type ParameterReader,
} from './config-from-parameters';
export {
  CREDENTIAL_TEST,
  CREDENTIAL_TEST_DEADLINE_MS,
  testStripeCustomersCredential,
} from './credential-test';
export * from './descriptions';
export { EditorWords } from './editor-words';
export { toNodeError } from './errors';
export {
  CHANGED_AT_FIELD,
  CHANGE_FIELD,
  DELETED_FIELD,
  STRIPE_EVENT_FIELD,
  toItems,
} from './items';
export { eventsPermissionMissing } from './permissions';
export {
  ACTIVATION_BUDGET_MS,
  BUDGET_SHARE,
  TEST_EVENT_BUDGET_MS,
  claimPoll,
  isFirstPollOf,
  pollBudget,
  releasePoll,
  shortestPollIntervalMs,
} from './polling';
export { CustomerImport, STATE_KEY, type LogFn } from './run-pipeline';
export { LISTED_SKIPS } from './engine';
