import { resolve } from 'node:path';
import { ConfigError } from '../connector';

/** Where `sync` and `serve` write: an embedded DuckDB file, or a PostgreSQL database. */
export type Destination = (
  | {
      kind: 'duckdb';
      path: string;
      schema: string;
      /** DuckDB settings from the URL (`?memory_limit=1GB&threads=2`), passed as they are. */
      settings: Record<string, string>;
    }
  | { kind: 'postgres'; connectionString: string; schema: string }
) & {
  /** The URL as written with every secret in it masked: for logs, summaries and the page. */
  display: string;
  /** The secret values the URL holds, as written and decoded: scrubbed from anything shown. */
  secrets: string[];
};

export const DEFAULT_DESTINATION = 'duckdb:./stripe_customers.duckdb';

const FORMS =
  'use duckdb:./stripe_customers.duckdb (a DuckDB file, created if missing) or postgres://user@host:5432/database (the password may come from PGPASSWORD); add ?schema=NAME to write into another schema';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The password of `scheme://user:password@host`. WHATWG URLs end the authority at the first `/`,
 * `?` or `#`, so a password may hold `:` and `@`: the greedy match runs to the last `@` before them.
 */
const USERINFO_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^/?#\s]*@/gi;
/** A query parameter whose name says it is a secret: `password`, `sslpassword`, `…token`, `…secret…`. */
const SECRET_PARAMETER = /([?&]([^=&#\s]*)=)([^&#\s]*)/gi;
const isSecretName = (name: string) => /pass|secret|token/i.test(name);

/**
 * Reads a destination URL:
 * - `duckdb:PATH[?schema=NAME&SETTING=VALUE…]`: PATH relative to the working directory; default
 *   schema `main`; other parameters are DuckDB settings (`memory_limit=1GB`, `threads=2`);
 * - `postgres://…` or `postgresql://…` (anything `pg` understands, e.g. `?sslmode=require`), plus
 *   our own `schema` parameter; default schema `public`.
 * `display` is the URL with its secrets masked (the password, `?password=`, `?sslpassword=`…);
 * `secrets` are those values, so that no message quoting them gets out either.
 */
export function parseDestination(url: string): Destination {
  const text = url.trim();
  const display = redactPassword(text);
  if (/^duckdb:/i.test(text)) {
    const [target = '', query = ''] = text.slice('duckdb:'.length).split('?', 2);
    const path = target.replace(/^\/\/(?=\/)/, '');
    if (!path) throw new ConfigError(`--destination "${display}" names no file: ${FORMS}.`);
    const params = new URLSearchParams(query);
    const schema = schemaParameter(params, 'main', display);
    params.delete('schema');
    const settings = Object.fromEntries(params);
    const secrets = secretParameters(query);
    return { kind: 'duckdb', path: resolve(path), schema, settings, display, secrets };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(`--destination is not a valid PostgreSQL URL: ${FORMS}.`);
    }
    const schema = schemaParameter(parsed.searchParams, 'public', 'the PostgreSQL URL');
    parsed.searchParams.delete('schema');
    const secrets = [
      ...bothForms(parsed.password),
      ...secretParameters(text.includes('?') ? text.slice(text.indexOf('?') + 1) : ''),
    ];
    return {
      kind: 'postgres',
      connectionString: parsed.toString(),
      schema,
      display: redactPassword(withoutSchema(text)),
      secrets,
    };
  }
  throw new ConfigError(`--destination "${display}" is not a destination: ${FORMS}.`);
}

function schemaParameter(params: URLSearchParams, fallback: string, where: string): string {
  const schema = params.get('schema') ?? fallback;
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `The schema "${schema}" in ${where} is not a plain name: use letters, digits and _ (at most 63), starting with a letter or _.`,
    );
  }
  return schema;
}

/** The URL as written, less its `schema` parameter (the summary names the schema elsewhere). */
function withoutSchema(text: string): string {
  return text.replace(/([?&])schema=[^&#]*(&|$)/i, (_match, before: string, after: string) =>
    after ? before : '',
  );
}

/** Values of the secret-named parameters of a query string, as written and decoded. */
function secretParameters(query: string): string[] {
  return query
    .split('&')
    .map((pair) => pair.split('='))
    .filter(([name = '', value]) => value !== undefined && isSecretName(safeDecode(name)))
    .flatMap(([, value = '']) => bothForms(value.replace(/\+/g, ' ')));
}

function bothForms(value: string): string[] {
  if (!value) return [];
  const decoded = safeDecode(value);
  return decoded === value ? [value] : [value, decoded];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Masks what looks like a secret in any URL within `text`: the password of `scheme://user:pw@`,
 * and parameters named like a secret (`?password=`, `&sslpassword=`). For text that may not parse.
 */
export function redactPassword(text: string): string {
  return text
    .replace(USERINFO_PASSWORD, '$1***@')
    .replace(SECRET_PARAMETER, (match, prefix: string, name: string) =>
      isSecretName(safeDecode(name)) ? `${prefix}***` : match,
    );
}
