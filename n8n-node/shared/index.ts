/**
 * What the node files use, bundled once into dist/shared/index.js with the engine (the node
 * bundles keep `../../shared` as a runtime require of that file).
 */
export {
  CREDENTIAL_TYPE,
  configFromParameters,
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
export { CHANGE_FIELD, CustomerImport, STATE_KEY, toItem, type LogFn } from './run-pipeline';
