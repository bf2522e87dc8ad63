import { configNames, type ConnectorConfig, type PipelineConfig } from './config/config';
import type { PipelineDefinition } from './pipeline/definition';
import { createTransformer } from './transform';
import { layoutOf } from './streams';

/**
 * Makes a configured pipeline runnable: loads its transformation's sandbox (once per read, not per
 * record). The caller closes `transformer` when done. Syntax errors in user code surface here as
 * ConfigErrors naming the line, which is why `check` opens every pipeline too.
 */
export async function openPipeline(
  config: ConnectorConfig,
  pipeline: PipelineConfig,
): Promise<PipelineDefinition> {
  const names = configNames(config);
  const transformer = pipeline.transformation
    ? await createTransformer(pipeline.transformation, config.model, {
        at: [...pipeline.at, 'transformation'],
        names,
      })
    : undefined;
  return {
    name: pipeline.name,
    at: pipeline.at,
    names,
    selector: pipeline.filter,
    transformer,
    converter: transformer ? config.model : undefined,
    layout: layoutOf(pipeline),
    onError: pipeline.onError,
  };
}

export async function closePipeline(pipeline: PipelineDefinition): Promise<void> {
  await pipeline.transformer?.close();
}
