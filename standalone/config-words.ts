/**
 * The standalone tool names config fields as its config file writes them: the engine's config
 * paths, with the names of the pipelines and model rows they pass through
 * (`pipelines[1] ("eu_pro").filter.conditions[0].operator`). The pipelines page pins problems to
 * its own form fields by each issue's `at` instead.
 */
import { configWording, namesIn, type Wording } from '../connector';

/** The wording of problems in `config`, the config file as written. */
export function configFileWording(config: unknown): Wording {
  return configWording(namesIn(config));
}
