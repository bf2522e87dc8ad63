/**
 * The TypeScript type of a value that passed ajv (with `useDefaults`) against a JSON Schema
 * written `as const`, so the config's type is read off the spec instead of written beside it.
 *
 * It covers what the connection specification uses: `const`, `enum`, `oneOf` (a union),
 * objects (`required` and defaulted properties are present, the others optional; `additionalProperties:
 * true` adds an index signature), arrays with `items`, and string, integer, number and boolean.
 * A schema without a `type` (a field that takes several shapes) is `unknown`.
 *
 * Why not json-schema-to-ts: the Docker image compiles the engine with only TypeScript installed,
 * so a type-only devDependency would not resolve there, and this subset is all the spec needs.
 */

/** Names listed in `required`. */
type RequiredKeys<S> = S extends { required: readonly (infer K)[] } ? K : never;

/** Properties with a `default`: ajv's useDefaults fills them in, so they are always present. */
type DefaultedKeys<P> = {
  [K in keyof P]: P[K] extends { default: unknown } ? K : never;
}[keyof P];

type Present<S, P> = RequiredKeys<S> | DefaultedKeys<P>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<S> = S extends { properties: infer P }
  ? Flatten<
      { -readonly [K in keyof P as K extends Present<S, P> ? K : never]: FromSpec<P[K]> } & {
        -readonly [K in keyof P as K extends Present<S, P> ? never : K]?: FromSpec<P[K]>;
      } & (S extends { additionalProperties: true } ? { [key: string]: unknown } : unknown)
    >
  : Record<string, unknown>;

export type FromSpec<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { oneOf: readonly (infer V)[] }
      ? V extends unknown
        ? FromSpec<V>
        : never
      : S extends { type: 'object' }
        ? ObjectOf<S>
        : S extends { type: 'array'; items: infer I }
          ? FromSpec<I>[]
          : S extends { type: 'string' }
            ? string
            : S extends { type: 'integer' | 'number' }
              ? number
              : S extends { type: 'boolean' }
                ? boolean
                : unknown;
