/**
 * What the node files use, bundled once into dist/shared/index.js with the engine (the node
 * bundles keep `../../shared` as a runtime require of that file).
 */
export {
  CREDENTIAL_TYPE,
  configFromParameters,
  definitionFingerprint,
  type ParameterReader,
} from './config-from-parameters';
export { CREDENTIAL_TEST, testStripeCustomersCredential } from './credential-test';
export { toNodeError } from './errors';
export {
  filterProperties,
  optionsProperty,
  sharedOptions,
  transformationProperties,
} from './parameters';
export {
  ACTIVATION_BUDGET_MS,
  BUDGET_SHARE,
  DEFAULT_MAX_ITEMS_PER_POLL,
  TEST_EVENT_BUDGET_MS,
  claimPoll,
  isFirstPollOf,
  pollBudget,
  releasePoll,
  shortestPollIntervalMs,
} from './polling';
export { CHANGE_FIELD, CustomerImport, STATE_KEY, toItem, type LogFn } from './run-pipeline';
