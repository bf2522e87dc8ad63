import { randomBytes } from 'node:crypto';
import { copyFile, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage } from '../connector';
import {
  parseStandaloneConfig,
  readConfigDocument,
  versionOf,
  type StandaloneConfig,
} from './config-file';

/** What a save did: written, refused because the file changed, or refused by validation. */
export type SaveOutcome =
  | { kind: 'saved'; loaded: StandaloneConfig; backup: string }
  | { kind: 'conflict'; changes: string[]; version: string }
  | { kind: 'invalid'; error: unknown };

/** The file on disk changed to something that cannot be used: the previous version keeps running. */
export interface RejectedChange {
  version: string;
  error: string;
  at: number;
}

/** The older versions a form may have been read at, kept to say what changed since. */
const VERSIONS_KEPT = 20;

/**
 * The config file, as `serve` runs it and the pipelines page edits it. Edits are validated by
 * the engine before anything is written, checked against the version the form was read at (a
 * second browser's save over a newer file is refused with what changed), and written atomically
 * (a temporary file beside it, flushed, renamed over it) after a copy of the previous file is
 * kept beside it (`config.json.bak`). A file changed on disk by someone else is picked up by
 * `refresh` (called on every request and every few seconds).
 */
export class ConfigStore {
  private loaded: StandaloneConfig;
  private readonly documents = new Map<string, Record<string, unknown>>();
  private seen: string;
  private rejected: RejectedChange | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    initial: StandaloneConfig,
    private readonly options: {
      env?: NodeJS.ProcessEnv;
      /** Checks of the caller's (serve's schedules): what it throws refuses a version. */
      validate?: (loaded: StandaloneConfig) => void;
    } = {},
  ) {
    this.loaded = initial;
    this.seen = initial.version;
    this.remember(initial);
  }

  get current(): StandaloneConfig {
    return this.loaded;
  }

  /** Set while the file on disk holds a change that could not be used. */
  get rejectedChange(): RejectedChange | undefined {
    return this.rejected;
  }

  /** The document a form was read at, when still known. */
  documentAt(version: string): Record<string, unknown> | undefined {
    return this.documents.get(version);
  }

  /**
   * Reads the file again when it changed on disk. Returns the new config when it changed and is
   * valid; when it changed and is not, keeps the current one and remembers why (`rejectedChange`).
   */
  refresh(): Promise<StandaloneConfig | undefined> {
    return this.serialized(async () => {
      let found: { document: Record<string, unknown>; version: string };
      try {
        found = await readConfigDocument(this.path);
      } catch (error) {
        return this.reject(`stat:${(await statKey(this.path)) ?? 'missing'}`, error);
      }
      if (found.version === this.seen) return undefined;
      this.seen = found.version;
      if (found.version === this.loaded.version) {
        this.rejected = undefined;
        return undefined;
      }
      try {
        const next = parseStandaloneConfig(found.document, found.version, this.where());
        this.options.validate?.(next);
        this.use(next);
        return this.loaded;
      } catch (error) {
        return this.reject(found.version, error);
      }
    });
  }

  /**
   * Applies `edit` to the document of version `expected` and writes the result, if the file is
   * still at that version and the result is valid (by the engine, and the caller's `validate`).
   */
  save(
    expected: string,
    edit: (document: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<SaveOutcome> {
    return this.serialized(async (): Promise<SaveOutcome> => {
      const onDisk = await readConfigDocument(this.path);
      if (onDisk.version !== expected) {
        const before = this.documents.get(expected);
        this.documents.set(onDisk.version, onDisk.document);
        return {
          kind: 'conflict',
          version: onDisk.version,
          changes: before
            ? describeChanges(before, onDisk.document)
            : ['the file changed since this form was opened'],
        };
      }
      const document = edit(structuredClone(onDisk.document));
      const text = `${JSON.stringify(document, null, 2)}\n`;
      let next: StandaloneConfig;
      try {
        next = parseStandaloneConfig(document, versionOf(text), this.where());
        this.options.validate?.(next);
      } catch (error) {
        return { kind: 'invalid', error };
      }
      const backup = `${this.path}.bak`;
      await copyFile(this.path, backup);
      await writeAtomically(this.path, text);
      this.seen = next.version;
      this.use(next);
      return { kind: 'saved', loaded: next, backup };
    });
  }

  private use(loaded: StandaloneConfig): void {
    this.loaded = loaded;
    this.rejected = undefined;
    this.remember(loaded);
  }

  private remember(loaded: StandaloneConfig): void {
    this.documents.set(loaded.version, loaded.document);
    while (this.documents.size > VERSIONS_KEPT) {
      const oldest = this.documents.keys().next().value as string;
      this.documents.delete(oldest);
    }
  }

  private reject(version: string, error: unknown): undefined {
    if (this.rejected?.version !== version) {
      this.rejected = { version, error: errorMessage(error), at: Date.now() };
    }
    return undefined;
  }

  private where() {
    return { path: this.path, ...(this.options.env ? { env: this.options.env } : {}) };
  }

  /** One read or write of the file at a time: two saves cannot both pass the version check. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => {});
    return result;
  }
}

/**
 * Writes `text` to `path` so that a reader (or a crash) sees the old file or the new one, never
 * half of one: a temporary file in the same folder, flushed to disk, renamed over the file, and
 * the folder flushed so the rename itself survives a power cut. The file keeps its permissions.
 */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const mode = (await stat(path).catch(() => undefined))?.mode ?? 0o600;
  const file = await open(temporary, 'wx', mode & 0o777);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  const folder = await open(dirname(path), 'r').catch(() => undefined);
  if (folder) {
    await folder.sync().catch(() => {});
    await folder.close();
  }
}

async function statKey(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info ? `${info.mtimeMs}:${info.size}` : undefined;
}

/** What differs between two versions of the file, in words (never a value: it may be a secret). */
export function describeChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const changes: string[] = [];
  const pipelines = (document: Record<string, unknown>) =>
    new Map(
      (Array.isArray(document.pipelines) ? document.pipelines : []).map((pipeline: unknown) => [
        String((pipeline as { name?: unknown })?.name ?? ''),
        JSON.stringify(pipeline),
      ]),
    );
  const old = pipelines(before);
  const now = pipelines(after);
  for (const [name, text] of now) {
    if (!old.has(name)) changes.push(`pipeline "${name}" was added`);
    else if (old.get(name) !== text) changes.push(`pipeline "${name}" was changed`);
  }
  for (const name of old.keys()) {
    if (!now.has(name)) changes.push(`pipeline "${name}" was deleted`);
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  keys.delete('pipelines');
  for (const key of keys) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changes.push(`\`${key}\` was changed`);
    }
  }
  return changes.length > 0 ? changes : ['the file was rewritten (same content, other spacing)'];
}
