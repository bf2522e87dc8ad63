/**
 * Airbyte's rules for connector specs and discovered catalogs, as its connector acceptance tests
 * (airbytehq/airbyte, airbyte-integrations/bases/connector-acceptance-test/
 * connector_acceptance_test/tests/test_core.py, TestSpec and TestDiscovery) and its spec reference
 * (docs/platform/connector-development/connector-specification-reference.md) state them. Each
 * rule returns its violations as readable lines; an empty list passes.
 *
 * Where the acceptance tests are looser than the issue asks, the stricter reading is used and
 * said so: `oneOf` discriminators carry neither `default` nor `enum` (newer test versions allow
 * ones equal to the `const`), and the forbidden keywords of specs are also forbidden in catalogs.
 */
import Ajv from 'ajv';

type Json = unknown;
type Node = Record<string, Json>;

export interface CatalogStream {
  name: string;
  json_schema: Node;
  supported_sync_modes?: string[];
  source_defined_primary_key?: string[][];
  default_cursor_field?: string[];
}

const isNode = (value: Json): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Visit {
  /** Keys from the root, e.g. ['properties', 'pipelines', 'items', 'type']. */
  path: string[];
  key: string;
  value: Json;
  parent: Node;
  /** The key is the name of a property (directly inside a `properties` map), not a keyword. */
  isPropertyName: boolean;
}

/** Every key of every object in the document, as dpath's `**` search walks them. */
function* walk(node: Json, path: string[] = []): Generator<Visit> {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* walk(item, [...path, String(index)]);
    return;
  }
  if (!isNode(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const isPropertyName = path.at(-1) === 'properties';
    yield { path: [...path, key], key, value, parent: node, isPropertyName };
    yield* walk(value, [...path, key]);
  }
}

/** Schema nodes only: the document itself and every value reached through a schema keyword. */
function* schemas(node: Json, path: string[] = []): Generator<{ path: string[]; schema: Node }> {
  if (!isNode(node)) return;
  yield { path, schema: node };
  for (const [name, sub] of Object.entries(isNode(node.properties) ? node.properties : {})) {
    yield* schemas(sub, [...path, 'properties', name]);
  }
  if (isNode(node.items)) yield* schemas(node.items, [...path, 'items']);
  if (isNode(node.additionalProperties)) {
    yield* schemas(node.additionalProperties, [...path, 'additionalProperties']);
  }
  for (const keyword of ['oneOf', 'anyOf', 'allOf']) {
    const variants = node[keyword];
    if (Array.isArray(variants)) {
      for (const [index, variant] of variants.entries()) {
        yield* schemas(variant, [...path, keyword, String(index)]);
      }
    }
  }
}

const at = (path: string[]) => path.join('/') || '(root)';
const typesOf = (schema: Node): string[] =>
  Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [String(schema.type)] : [];

// ---- spec rules (TestSpec) ------------------------------------------------------------------

/** test_object_not_empty: an object the form cannot draw (no properties, no oneOf). */
export function emptyObjects(spec: Node): string[] {
  return [...walk(spec)]
    .filter(({ key, value, path }) => key === 'type' && value === 'object' && path.length > 1)
    .filter(({ parent }) => {
      const properties = parent.properties;
      return !('oneOf' in parent) && !(isNode(properties) && Object.keys(properties).length > 0);
    })
    .map(({ path }) => `${at(path)} is an empty object the form cannot draw`);
}

/**
 * test_property_type_is_not_array: one type, or `[type, "null"]`. Applied to every schema node,
 * not only to those under `properties`.
 */
export function multiTypes(spec: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (!Array.isArray(schema.type)) continue;
    const types = schema.type as string[];
    if (types.length > 2 || (types.length === 2 && types[1] !== 'null')) {
      problems.push(
        `${at(path)} has type ${JSON.stringify(types)}: use one type or [type, "null"]`,
      );
    }
  }
  return problems;
}

/** test_array_type: items are one schema of type object, string, number or integer, or an enum. */
export function badArrayItems(spec: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (schema.type !== 'array' || schema.items === undefined) continue;
    const items = schema.items;
    if (!isNode(items)) problems.push(`${at(path)}.items is not a single schema`);
    else if (
      !['object', 'string', 'number', 'integer'].includes(String(items.type)) &&
      !items.enum
    ) {
      problems.push(`${at(path)}.items must be objects, strings, numbers or an enum`);
    }
  }
  return problems;
}

export const FORBIDDEN_KEYWORDS = [
  'not',
  'anyOf',
  'allOf',
  'patternProperties',
  'prefixItems',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependentRequired',
  '$ref',
];

/** test_forbidden_complex_types and test_defined_refs_exist_in_json_spec_file. */
export function forbiddenKeywords(document: Node): string[] {
  return [...walk(document)]
    .filter(({ key, isPropertyName }) => FORBIDDEN_KEYWORDS.includes(key) && !isPropertyName)
    .map(({ path, key }) => `${at(path)}: "${key}" is not allowed`);
}

/** test_oneof_usage, with no `default` or `enum` at all on the discriminator. */
export function badOneOfs(spec: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    const variants = schema.oneOf ?? schema.anyOf;
    if (!Array.isArray(variants)) continue;
    const where = at(path);
    if (schema.type !== 'object') problems.push(`${where}: a oneOf needs type "object" beside it`);
    if (!variants.every((v) => isNode(v) && isNode(v.properties))) {
      problems.push(`${where}: every oneOf variant needs properties`);
      continue;
    }
    const properties = variants.map((v) => (v as Node).properties as Record<string, Node>);
    const common = Object.keys(properties[0] ?? {}).filter((key) =>
      properties.every((p) => key in p),
    );
    const tags = common.filter((key) => properties.every((p) => p[key]?.const !== undefined));
    if (tags.length !== 1) {
      problems.push(`${where}: needs exactly one common property with const, has ${tags.length}`);
      continue;
    }
    const tag = tags[0] as string;
    properties.forEach((p, index) => {
      if ('default' in (p[tag] ?? {}) || 'enum' in (p[tag] ?? {})) {
        problems.push(`${where}/oneOf/${index}: the discriminator "${tag}" has default or enum`);
      }
    });
    const values = properties.map((p) => JSON.stringify(p[tag]?.const));
    if (new Set(values).size !== values.length) {
      problems.push(`${where}: the discriminator "${tag}" repeats a const`);
    }
  }
  return problems;
}

/** test_enum_usage: enum values are distinct. */
export function duplicateEnums(spec: Node): string[] {
  return [...walk(spec)]
    .filter(
      ({ key, value, isPropertyName }) => key === 'enum' && !isPropertyName && Array.isArray(value),
    )
    .filter(({ value }) => {
      const list = (value as Json[]).map((v) => JSON.stringify(v));
      return new Set(list).size !== list.length;
    })
    .map(({ path }) => `${at(path)} repeats a value`);
}

export const SECRET_NAMES = [
  'client_token',
  'access_token',
  'api_token',
  'token',
  'secret',
  'client_secret',
  'password',
  'key',
  'service_account_info',
  'service_account',
  'tenant_id',
  'certificate',
  'jwt',
  'credentials',
  'app_id',
  'appid',
  'refresh_token',
];
const RESERVED_PATH_PARTS = ['anyOf', 'oneOf', 'allOf', 'not', 'properties', 'items', 'type'];

/**
 * test_secret_is_properly_marked: a field whose name says secret and that can hold one (string,
 * integer or number, not a const) is marked `airbyte_secret`; nothing else is.
 */
export function unmarkedSecrets(spec: Node, extraSecretNames: readonly string[] = []): string[] {
  const names = [...SECRET_NAMES, ...extraSecretNames];
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (schema.type === undefined) continue;
    const name = [...path]
      .reverse()
      .find((part) => !/^\d+$/.test(part) && !RESERVED_PATH_PARTS.includes(part));
    if (!name || !names.includes(name.toLowerCase())) continue;
    const canHold =
      typesOf(schema).some((t) => ['string', 'integer', 'number'].includes(t)) && !schema.const;
    const marked = schema.airbyte_secret === true;
    if (canHold && !marked) problems.push(`${at(path)} holds a secret but is not airbyte_secret`);
    if (!canHold && marked) problems.push(`${at(path)} is airbyte_secret but cannot hold a secret`);
  }
  return problems;
}

/** test_additional_properties_is_true (specs and catalogs alike). */
export function closedObjects(document: Node): string[] {
  return [...walk(document)]
    .filter(
      ({ key, value, isPropertyName }) =>
        key === 'additionalProperties' && !isPropertyName && value !== true,
    )
    .map(({ path }) => `${at(path)} must be true where set`);
}

/** test_duplicate_order: `order` is unique among an object's properties, per group. */
export function duplicateOrders(spec: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (schema.type !== 'object' || !isNode(schema.properties)) continue;
    const used = new Map<string, Set<unknown>>();
    for (const property of Object.values(schema.properties)) {
      if (!isNode(property) || !('order' in property)) continue;
      const group = String(property.group ?? '');
      const orders = used.get(group) ?? new Set();
      if (orders.has(property.order)) {
        problems.push(`${at(path)}: order ${String(property.order)} twice in group "${group}"`);
      }
      orders.add(property.order);
      used.set(group, orders);
    }
  }
  return problems;
}

/** test_nested_group: `group` only on top-level fields (and every group listed in `groups`). */
export function misplacedGroups(spec: Node): string[] {
  const declared = new Set(
    (Array.isArray(spec.groups) ? spec.groups : []).map((g) => (isNode(g) ? g.id : undefined)),
  );
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (!('group' in schema)) continue;
    if (path.length !== 2 || path[0] !== 'properties') {
      problems.push(`${at(path)}: group is only allowed on top-level fields`);
    } else if (!declared.has(schema.group)) {
      problems.push(`${at(path)}: group "${String(schema.group)}" is not listed in groups`);
    }
  }
  return problems;
}

/** test_display_type: only beside a oneOf, and dropdown or radio. */
export function badDisplayTypes(spec: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema } of schemas(spec)) {
    if (!('display_type' in schema)) continue;
    if (!('oneOf' in schema)) problems.push(`${at(path)}: display_type without a oneOf`);
    if (schema.display_type !== 'dropdown' && schema.display_type !== 'radio') {
      problems.push(`${at(path)}: display_type must be dropdown or radio`);
    }
  }
  return problems;
}

/** Draft-07 meta-schema validity (jsonschema's check_schema, which test_config_match_spec and
 * test_streams_have_valid_json_schemas run). */
export function invalidDraft7(schema: Node): string[] {
  const ajv = new Ajv({ strict: false });
  return ajv.validateSchema(schema)
    ? []
    : (ajv.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

/** Every spec rule at once. */
export function specViolations(spec: Node): string[] {
  return [
    ...invalidDraft7(spec),
    ...emptyObjects(spec),
    ...multiTypes(spec),
    ...badArrayItems(spec),
    ...forbiddenKeywords(spec),
    ...badOneOfs(spec),
    ...duplicateEnums(spec),
    ...unmarkedSecrets(spec),
    ...closedObjects(spec),
    ...duplicateOrders(spec),
    ...misplacedGroups(spec),
    ...badDisplayTypes(spec),
  ];
}

// ---- catalog rules (TestDiscovery) ----------------------------------------------------------

const VALID_TYPES = ['null', 'string', 'number', 'integer', 'boolean', 'object', 'array'];

/** One type, or one type and null (either order), from JSON Schema's type names. */
export function catalogTypes(schema: Node): string[] {
  const problems: string[] = [];
  for (const { path, schema: node } of schemas(schema)) {
    const types = typesOf(node);
    const unknown = types.filter((t) => !VALID_TYPES.includes(t));
    if (unknown.length > 0) problems.push(`${at(path)}: unknown type ${unknown.join(', ')}`);
    if (types.filter((t) => t !== 'null').length > 1 || types.length > 2) {
      problems.push(`${at(path)}: type ${JSON.stringify(types)} is not one type (or one and null)`);
    }
  }
  return problems;
}

/** The schema at a field path (`["address", "city"]`), through `properties`. */
function fieldAt(schema: Node, path: readonly string[]): Node | undefined {
  let node: Json = schema;
  for (const part of path) {
    node = isNode(node) && isNode(node.properties) ? node.properties[part] : undefined;
  }
  return isNode(node) ? node : undefined;
}

export function catalogViolations(streams: readonly CatalogStream[]): string[] {
  const problems: string[] = [];
  if (streams.length === 0) problems.push('the catalog has no streams');
  const names = streams.map((s) => s.name);
  for (const name of new Set(names)) {
    if (names.filter((n) => n === name).length > 1) problems.push(`stream "${name}" twice`);
  }
  for (const stream of streams) {
    const schema = stream.json_schema;
    const prefix = (lines: string[]) => lines.map((line) => `${stream.name}: ${line}`);
    problems.push(
      ...prefix(invalidDraft7(schema)),
      ...prefix(forbiddenKeywords(schema)),
      ...prefix(closedObjects(schema)),
      ...prefix(catalogTypes(schema)),
    );
    if (schema.type !== 'object' || !isNode(schema.properties)) {
      problems.push(`${stream.name}: the schema must be an object with properties`);
    }
    if (!stream.supported_sync_modes?.length) {
      problems.push(`${stream.name}: supported_sync_modes is empty`);
    }
    if (stream.default_cursor_field && !fieldAt(schema, stream.default_cursor_field)) {
      problems.push(
        `${stream.name}: cursor ${stream.default_cursor_field.join('.')} is not in the schema`,
      );
    }
    for (const key of stream.source_defined_primary_key ?? []) {
      const field = fieldAt(schema, key);
      if (!field)
        problems.push(`${stream.name}: primary key ${key.join('.')} is not in the schema`);
      else if (typesOf(field).some((t) => t === 'object' || t === 'array')) {
        problems.push(`${stream.name}: primary key ${key.join('.')} is an object or array`);
      }
    }
  }
  return problems;
}

// ---- the form (what Airbyte's connector form draws and saves) -------------------------------

/**
 * What Airbyte's form saves of a config it loaded: only the keys the spec declares, at every
 * depth (hidden ones included), even where the spec allows additional properties; a `oneOf`
 * keeps the keys of the variant its discriminator picks. A field without a `type` (a value the
 * form cannot walk into) is kept as it is.
 */
export function savedByForm(spec: Node, value: Json): Json {
  if (Array.isArray(value)) {
    return isNode(spec.items) ? value.map((item) => savedByForm(spec.items as Node, item)) : value;
  }
  if (!isNode(value)) return value;
  const variant = Array.isArray(spec.oneOf) ? chosenVariant(spec.oneOf, value) : undefined;
  const properties = (variant ?? spec).properties;
  if (!isNode(properties)) return spec.type === undefined ? value : {};
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => isNode(properties[key]))
      .map(([key, item]) => [key, savedByForm(properties[key] as Node, item)]),
  );
}

function chosenVariant(variants: Json[], value: Node): Node | undefined {
  return variants.filter(isNode).find((variant) => {
    const properties = isNode(variant.properties) ? variant.properties : {};
    const tag = Object.entries(properties).find(([, p]) => isNode(p) && p.const !== undefined);
    return tag !== undefined && value[tag[0]] === (tag[1] as Node).const;
  });
}

/**
 * How the form lays out an object's fields: the required and `always_show` ones drawn in
 * `order`, the other optional ones collapsed under "Optional fields", hidden ones not at all.
 * Top-level fields are laid out per group.
 */
export function formLayout(
  schema: Node,
  group?: string,
): { shown: string[]; underOptionalFields: string[] } {
  const required = new Set((schema.required ?? []) as string[]);
  const fields = Object.entries(isNode(schema.properties) ? schema.properties : {})
    .filter((entry): entry is [string, Node] => isNode(entry[1]))
    .filter(([, field]) => field.airbyte_hidden !== true)
    .filter(([, field]) => group === undefined || field.group === group)
    .sort(([, a], [, b]) => Number(a.order ?? 0) - Number(b.order ?? 0));
  const drawn = ([name, field]: [string, Node]) => required.has(name) || field.always_show === true;
  return {
    shown: fields.filter(drawn).map(([name]) => name),
    underOptionalFields: fields.filter((field) => !drawn(field)).map(([name]) => name),
  };
}
