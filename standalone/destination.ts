import { resolve } from 'node:path';
import { ConfigError } from '../connector';

/** Where `sync` and `serve` write: an embedded DuckDB file, or a PostgreSQL database. */
export type Destination =
  | {
      kind: 'duckdb';
      path: string;
      schema: string;
      /** DuckDB settings from the URL (`?memory_limit=1GB&threads=2`), passed as they are. */
      settings: Record<string, string>;
      display: string;
    }
  | { kind: 'postgres'; connectionString: string; schema: string; display: string };

export const DEFAULT_DESTINATION = 'duckdb:./stripe_customers.duckdb';

const FORMS =
  'use duckdb:./stripe_customers.duckdb (a DuckDB file, created if missing) or postgres://user@host:5432/database (the password may come from PGPASSWORD); add ?schema=NAME to write into another schema';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads a destination URL:
 * - `duckdb:PATH[?schema=NAME&SETTING=VALUE…]`: PATH relative to the working directory; default
 *   schema `main`; other parameters are DuckDB settings (`memory_limit=1GB`, `threads=2`);
 * - `postgres://…` or `postgresql://…` (anything `pg` understands, e.g. `?sslmode=require`), plus
 *   our own `schema` parameter; default schema `public`.
 * `display` is the URL without its password, for logs and the pipelines page.
 */
export function parseDestination(url: string): Destination {
  const text = url.trim();
  if (/^duckdb:/i.test(text)) {
    const [target = '', query = ''] = text.slice('duckdb:'.length).split('?', 2);
    const path = target.replace(/^\/\/(?=\/)/, '');
    if (!path) throw new ConfigError(`--destination "${text}" names no file: ${FORMS}.`);
    const params = new URLSearchParams(query);
    const schema = schemaParameter(params, 'main', text);
    params.delete('schema');
    const settings = Object.fromEntries(params);
    return { kind: 'duckdb', path: resolve(path), schema, settings, display: text };
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
    const connectionString = parsed.toString();
    if (parsed.password) parsed.password = '***';
    return { kind: 'postgres', connectionString, schema, display: parsed.toString() };
  }
  throw new ConfigError(`--destination "${redactPassword(text)}" is not a destination: ${FORMS}.`);
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

/** `scheme://user:secret@host` → `scheme://user:***@host`, for text that failed to parse. */
export function redactPassword(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}
