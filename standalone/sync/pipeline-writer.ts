import type {
  EmittedRecord,
  PipelineState,
  PipelineSummary,
  SkippedCustomer,
} from '../../connector';
import type { Alterations, PipelineTable, Row, WriteCounts } from '../warehouse';

/** When held rows are written: whichever comes first (a kill loses at most this much work). */
export interface CommitPolicy {
  rows: number;
  milliseconds: number;
}

export const DEFAULT_COMMIT_POLICY: CommitPolicy = { rows: 10_000, milliseconds: 1_000 };

/**
 * Where a pipeline's rows go:
 * - `table`: straight into its table (incremental changes);
 * - `staging-new`: a full import whose staging table must be created afresh by the first write;
 * - `staging`: a full import adding to its staging table (resumed, or already written to).
 */
type Target = 'table' | 'staging-new' | 'staging';

export interface WriterProgress {
  /** Records received from the engine (live and deletions). */
  received: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Rows written to the staging table, waiting for the full import to end. */
  staged: number;
}

/**
 * Writes one pipeline's records as the engine yields them. Records are held until a checkpoint
 * covers them; checkpoints are committed, with the rows they cover, in one transaction (several
 * checkpoints at once when they come fast: only the latest state matters). Rows are deduplicated
 * by key in memory, the latest winning, so a transaction never touches a row twice.
 *
 * A full import is staged, and its last checkpoint is only ever written together with the
 * replacement of the table: a staged state is never a final one, so a rerun either resumes the
 * import or finds it complete, never half-applied. That is why a staged checkpoint is committed
 * when the next records arrive (proof it was not the last), not when it comes.
 *
 * A skip never deletes: customers the engine skipped (their transformation returned null or
 * failed with `on_error: skip`) are held like rows, and a staged commit carries the table's row
 * for each of them into staging, so the end of the import keeps it. Outside a full import a
 * skip writes nothing, which keeps the row as it is.
 */
export class PipelineWriter {
  private target: Target;
  private covered = new Map<string, Row>();
  private pending = new Map<string, Row>();
  /** Keys of skipped customers, covered by the held checkpoint or not yet. */
  private coveredKept = new Set<string>();
  private pendingKept = new Set<string>();
  private held: { state: unknown } | undefined;
  private lastCommit = Date.now();
  /** The state the last finished run left in the warehouse. */
  private finalState: { state: unknown } | undefined;
  readonly progress: WriterProgress = {
    received: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    staged: 0,
  };
  readonly alterations: Alterations = { misfits: 0, replacedCharacters: 0 };

  constructor(
    private readonly table: PipelineTable,
    private readonly encode: (record: Record<string, unknown>, alterations: Alterations) => Row,
    private readonly fingerprint: string,
    resumingStagedImport: boolean,
    private readonly policy: CommitPolicy = DEFAULT_COMMIT_POLICY,
  ) {
    this.target = resumingStagedImport && !table.layout.accountColumn ? 'staging' : 'table';
  }

  /**
   * With connected accounts, nothing is staged: one run mixes accounts importing in full (new
   * ones) with accounts reading changes, so no run holds the whole table to replace it with. Every
   * record is written as a change (upsert, or delete), committed with the state covering it.
   */
  private get perAccount(): boolean {
    return this.table.layout.accountColumn !== undefined;
  }

  /** A full refresh replaces the table: it is staged from its first record. */
  started(syncMode: 'full_refresh' | 'incremental'): void {
    if (this.perAccount) return;
    if (syncMode === 'full_refresh' && this.target === 'table') this.target = 'staging-new';
  }

  get staging(): boolean {
    return this.target !== 'table';
  }

  /** A staged checkpoint waits to be written (see the class comment). */
  get holdsStagedCheckpoint(): boolean {
    return this.staging && this.held !== undefined;
  }

  async records(items: EmittedRecord[]): Promise<void> {
    if (this.held && this.staging && this.due()) await this.commitHeld();
    for (const item of items) {
      // Listed customers come from a full import: an incremental pipeline's first one, or one
      // after its definition changed or its cursor expired. It is staged like a full refresh.
      if (item.change === 'listed' && this.target === 'table' && !this.perAccount) {
        if (this.held) await this.commitHeld();
        this.target = 'staging-new';
      }
      const row = this.encode(item.record, this.alterations);
      this.pending.set(row.key, row);
      this.progress.received++;
    }
  }

  /**
   * A connected account no longer read, whose rows go (`on_account_removed: delete`): what came
   * before is committed, then its rows are deleted; the checkpoint that follows forgets it.
   */
  async accountRemoved(account: string): Promise<void> {
    await this.commitHeld();
    this.progress.deleted += await this.table.deleteAccountRows(account);
  }

  /** Customers selected but not emitted: whatever the table holds for them stays. */
  skipped(customers: SkippedCustomer[]): void {
    for (const customer of customers) this.pendingKept.add(customer.id);
  }

  async checkpoint(state: unknown, stopRequested: boolean): Promise<void> {
    // A checkpoint inside a full import (one whose first pages were all skipped or filtered out,
    // so no listed record said so yet) is staged too: its skips must reach staging.
    if (isFullImport(state) && this.target === 'table') {
      if (this.held) await this.commitHeld();
      this.target = 'staging-new';
    }
    this.cover();
    this.held = { state };
    if (!this.staging && (stopRequested || this.due())) await this.commitHeld();
  }

  /** Writes what the last checkpoint covers (staged or not): for a stop or a failure. */
  async commitHeld(): Promise<void> {
    const held = this.held;
    if (!held) return;
    const rows = [...this.covered.values()];
    if (this.staging) {
      const batch = { rows, kept: this.coveredKept };
      await this.table.stage(batch, held.state, this.fingerprint, this.target === 'staging-new');
      this.target = 'staging';
      this.progress.staged += rows.length;
    } else {
      this.add(await this.table.applyChanges(rows, held.state));
    }
    this.covered.clear();
    this.coveredKept.clear();
    this.held = undefined;
    this.lastCommit = Date.now();
  }

  /**
   * The pipeline ended: a full import replaces the table's content with what it read (an empty
   * import empties it), anything else is committed as changes.
   */
  async finished(summary: PipelineSummary): Promise<void> {
    const held = this.held;
    this.cover();
    if (!held) {
      // With connected accounts, an account that failed may leave records no checkpoint covers:
      // they are read again by the next run, from that account's last checkpoint.
      if (this.perAccount) this.covered.clear();
      if (this.covered.size > 0) throw new Error('the pipeline ended without a checkpoint');
      return;
    }
    const rows = [...this.covered.values()];
    if ((summary.mode === 'full_import' && !this.perAccount) || this.staging) {
      const fresh = this.target !== 'staging';
      const batch = { rows, kept: this.coveredKept };
      this.add(await this.table.replaceFromStaging(batch, held.state, fresh));
      this.progress.staged = 0;
    } else {
      this.add(await this.table.applyChanges(rows, held.state));
    }
    this.target = 'table';
    this.covered.clear();
    this.coveredKept.clear();
    this.held = undefined;
    this.finalState = held;
  }

  /** The state the pipeline's finished run committed, to read what changed after it. */
  get committedState(): { state: unknown } | undefined {
    return this.finalState;
  }

  /** What came since the last checkpoint is covered by the one arriving now. */
  private cover(): void {
    for (const [key, row] of this.pending) this.covered.set(key, row);
    this.pending.clear();
    for (const key of this.pendingKept) this.coveredKept.add(key);
    this.pendingKept.clear();
  }

  private due(): boolean {
    return (
      this.covered.size >= this.policy.rows ||
      Date.now() - this.lastCommit >= this.policy.milliseconds
    );
  }

  private add(counts: WriteCounts): void {
    this.progress.inserted += counts.inserted;
    this.progress.updated += counts.updated;
    this.progress.deleted += counts.deleted;
  }
}

/** A checkpoint of a full import under way (not its last one, which is an incremental state). */
function isFullImport(state: unknown): boolean {
  return (state as Partial<PipelineState> | null | undefined)?.phase === 'full_import';
}
