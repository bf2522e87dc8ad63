/**
 * Airbyte's form writes filters and Customer Model rows in a shape it can draw (flat condition
 * rows with text values, model rows with `element_type` / `nested_json`); configs written before
 * it, the n8n node and API users write the JSON shape (`filter` trees, rows with `items`,
 * `values`, `properties`). The form's shape is turned into the JSON shape (filter-shape.ts,
 * model-shape.ts, and the transformation here), so everything after it (filter compiler, model
 * parser, fingerprint) sees one shape; the problems found there are placed back at the fields the
 * user wrote (`filterFieldPath`, `modelFieldPath`):
 *
 * | form                                              | JSON shape                                   |
 * | ------------------------------------------------- | -------------------------------------------- |
 * | `filter_match` + `filter_conditions[]`            | `filter: {"logical", "conditions": [...]}`   |
 * |   row `operator: "is not"` (the label)            |   `"operator": "is_not"` (the id)            |
 * |   row `values: ["100"]` on a number property      |   `"values": [100]` (true/false likewise)    |
 * |   row `case_sensitive: false`                     |   left out (true is kept)                    |
 * | `filter_json` (text)                              | `filter`: the parsed JSON, as it is          |
 * | `transformation: {"type": "none"}`                | no `transformation`                          |
 * | row `element_type: "string"` (array / map)        | `items` / `values`: `{"type": "string"}`     |
 * | row `nested_json` (array / map / object)          | `items` / `values` / `properties`: its JSON  |
 *
 * Fingerprints (which tie saved states to a pipeline's definition) are taken over the JSON
 * shape, so a pipeline moved from one shape to the other keeps its saved state when the two say
 * the same thing. A config in the JSON shape only is fingerprinted exactly as written, as it
 * always was. A config using any of the form's fields is fingerprinted in the README's spelling,
 * whatever order the form writes keys in: conditions as property, operator, values,
 * case_sensitive; model rows as name, type, `nullable: false`, description, precision, scale,
 * nested type, and a default `nullable: true` last (where validation puts it when a row leaves
 * it out); mappings as to, from; code as type, source, timeout_ms, memory_limit_mb. Values the
 * form gives as text stay text unless they are exactly a number's or true/false's JSON for a
 * number or yes/no property: the filter reads them the same way either way.
 *
 * One place written in both shapes: the form's fields win, and a warning says the legacy key is
 * ignored and how to delete it (Airbyte's form hides legacy keys, so its user could not clear
 * them). Two of the form's own fields for one thing (`filter_conditions` and `filter_json`,
 * `element_type` and `nested_json`) are refused, naming both.
 */

import type { RawTransformation } from './raw-config';

const FORM_PIPELINE_KEYS = ['filter_match', 'filter_conditions', 'filter_json'];
const FORM_ROW_KEYS = ['element_type', 'nested_json'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the config (as given, before defaults are filled in) uses any of the form's fields;
 * such a config is fingerprinted in the README's spelling (see above).
 */
export function writtenByForm(raw: unknown): boolean {
  if (!isRecord(raw)) return false;
  const pipelines = Array.isArray(raw.pipelines) ? raw.pipelines.filter(isRecord) : [];
  const rows = Array.isArray(raw.customer_model) ? raw.customer_model.filter(isRecord) : [];
  return (
    pipelines.some(
      (pipeline) =>
        FORM_PIPELINE_KEYS.some((key) => key in pipeline) ||
        (isRecord(pipeline.transformation) && pipeline.transformation.type === 'none'),
    ) || rows.some((row) => FORM_ROW_KEYS.some((key) => key in row))
  );
}

/**
 * The transformation in the JSON shape: `{"type": "none"}` is the form's way of saying there is
 * none; with `inReadmeOrder`, keys are put in the README's order for the fingerprint.
 */
export function canonicalTransformation(
  transformation: RawTransformation | undefined,
  inReadmeOrder: boolean,
): RawTransformation | undefined {
  if (!transformation || transformation.type === 'none') return undefined;
  if (!inReadmeOrder) return transformation;
  if (transformation.type === 'mapping') {
    const { type, mappings, ...rest } = transformation;
    return {
      type,
      mappings: mappings.map(({ to, from, ...more }) => ({ to, from, ...more })),
      ...rest,
    };
  }
  const { type, source, timeout_ms, memory_limit_mb, ...rest } = transformation;
  return { type, source, timeout_ms, memory_limit_mb, ...rest };
}
