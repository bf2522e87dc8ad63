/**
 * A pipeline's name as a destination keys it: in lower case. Most warehouses fold the case of
 * identifiers, so two pipelines whose names differ only in case would land in one table: a
 * config's names are unique by this key, and the standalone tool names each pipeline's table by
 * it. The one place this rule is written.
 */
export function pipelineKey(name: string): string {
  return name.toLowerCase();
}
