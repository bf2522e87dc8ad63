import type { SyncMode } from '../../connector';
import type { WriterProgress } from './pipeline-writer';
import { describeMode } from './pipeline-run';
import type { SyncObserver } from './run';
import { describeStatus, written, type PipelineReport, type SyncReport } from './report';

const number = new Intl.NumberFormat('en');

/**
 * Progress on stderr while a sync runs: on a terminal, one live line per pipeline under way;
 * elsewhere (a log file, CI), a line when a pipeline starts, every few seconds, and when it ends.
 * Warnings and errors always; the engine's informational lines with `--verbose`.
 */
export class TerminalProgress implements SyncObserver {
  private live: string | undefined;
  private started = new Map<string, number>();
  private lastPrinted = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly verbose: boolean,
  ) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  pipelineStarted(pipeline: string, mode: SyncMode, slowPath: string | undefined): void {
    this.started.set(pipeline, Date.now());
    // Off a terminal, the first progress line comes after a while: short runs print none.
    this.lastPrinted = Date.now();
    const how = slowPath
      ? 'full refresh compared with the table (the key may not read events)'
      : mode === 'full_refresh'
        ? 'full refresh'
        : 'incremental';
    this.line(`${pipeline}: started (${how})`);
  }

  progress(pipeline: string, progress: WriterProgress, staging: boolean): void {
    const seconds = (Date.now() - (this.started.get(pipeline) ?? Date.now())) / 1000;
    const rate = seconds > 0 ? progress.received / seconds : 0;
    const text =
      `${pipeline}: ${number.format(progress.received)} received` +
      (staging
        ? ` · ${number.format(progress.staged)} staged (the table is updated when the import ends)`
        : ` · ${number.format(progress.inserted + progress.updated)} written · ${number.format(progress.deleted)} deleted`) +
      ` · ${number.format(Math.round(rate))}/s`;
    if (this.interactive) {
      this.live = text;
      this.stream.write(`\r\x1b[2K${text}`);
    } else if (Date.now() - this.lastPrinted >= 5_000) {
      this.lastPrinted = Date.now();
      this.stream.write(`${text}\n`);
    }
  }

  log(pipeline: string | undefined, level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    if (level === 'INFO' && !this.verbose) return;
    const named = pipeline && !message.includes(`"${pipeline}"`) ? `${pipeline}: ` : '';
    this.line(`${level === 'INFO' ? '' : `${level} `}${named}${message}`);
  }

  pipelineFinished(report: PipelineReport): void {
    this.live = undefined;
    this.line(
      `${report.pipeline}: ${describeStatus(report.status)}${report.mode ? `, ${describeMode(report.mode)}` : ''} in ${report.seconds.toFixed(1)} s`,
    );
  }

  /** A permanent line, above the live one. */
  private line(text: string): void {
    if (this.interactive) {
      this.stream.write(`\r\x1b[2K${text}\n`);
      if (this.live) this.stream.write(this.live);
    } else {
      this.stream.write(`${text}\n`);
    }
  }
}

/** The final summary, as a table for people. */
export function formatSummary(report: SyncReport, seconds: number): string {
  const lines: string[] = [];
  const failed = report.error !== undefined || report.pipelines.some((p) => p.status === 'failed');
  const skips = report.pipelines.some((p) => p.status === 'succeeded_with_skips');
  const accountsFailed = report.pipelines.some((p) => p.status === 'succeeded_with_failures');
  const outcome = failed
    ? 'Sync failed'
    : report.stopped
      ? 'Sync stopped'
      : accountsFailed
        ? 'Synced, with failed accounts'
        : skips
          ? 'Synced, with skips'
          : 'Synced';
  lines.push(`${outcome} (${report.destination}, ${seconds.toFixed(1)} s)`);
  if (report.error) lines.push(`failed: ${report.error}`);
  if (report.pipelines.length > 0) {
    const header = [
      'pipeline',
      'status',
      'mode',
      'read',
      'written',
      'deleted',
      'filtered out',
      'errors',
      'rate',
      'time',
    ];
    const rows = report.pipelines.map((p) => [
      p.pipeline,
      describeStatus(p.status),
      p.mode ? describeMode(p.mode) + (p.slowPath ? ' (slow path)' : '') : '-',
      number.format(p.read),
      number.format(written(p)),
      number.format(p.deleted),
      number.format(p.filteredOut),
      number.format(p.errors),
      // A rate over less than a second says more about start-up than about throughput.
      p.seconds >= 1 ? `${number.format(Math.round(p.read / p.seconds))}/s` : '-',
      `${p.seconds.toFixed(1)} s`,
    ]);
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
    );
    const render = (cells: string[]) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd();
    lines.push('', render(header), ...rows.map(render));
  }
  const details = report.pipelines.flatMap((p) => [
    // A failure of the whole sync is said once, above the table.
    ...(p.error && p.error !== report.error ? [`  ${p.pipeline}: ERROR ${p.error}`] : []),
    ...p.notes.map((note) => `  ${p.pipeline}: ${note}`),
  ]);
  if (details.length > 0) lines.push('', ...details);
  return `${lines.join('\n')}\n`;
}
