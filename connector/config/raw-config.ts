/**
 * The config as it stands after validation against the connection specification (defaults
 * filled in), typed from the spec itself: a field is declared once, in
 * `specification.ts`.
 */
import type { CONNECTION_SPECIFICATION } from './specification';
import type { FromSpec } from './schema-type';

export type RawConfig = FromSpec<typeof CONNECTION_SPECIFICATION>;
export type RawPipeline = NonNullable<RawConfig['pipelines']>[number];
export type RawModelRow = NonNullable<RawConfig['customer_model']>[number];
export type RawCondition = NonNullable<RawPipeline['filter_conditions']>[number];
export type RawTransformation = NonNullable<RawPipeline['transformation']>;
