import type { RunLogLine, RunRecord } from '../warehouse';
import { describeAge } from './freshness';
import { escape, layout, number, pipelinePath, time } from './html';
import { deliveryLines, displayStatus } from './page';
import type { PipelineView } from './scheduler';

export const HISTORY_PAGE_SIZE = 20;

export interface HistoryContext {
  pipeline: PipelineView;
  runs: RunRecord[];
  total: number;
  /** 1-based. */
  page: number;
  logs: Map<string, RunLogLine[]>;
  /** The log lines of the run under way. */
  liveLog: RunLogLine[];
  destination: string;
  timeZone: string;
  now: number;
  notice?: string;
}

const TRIGGERS: Record<RunRecord['trigger'], string> = {
  schedule: 'schedule',
  run_now: 'Run now',
  api: 'API',
  sync: 'sync command',
};

/** One pipeline: its state, what it can do, and its run history, paged, with each run's log. */
export function renderPipelinePage(context: HistoryContext): string {
  const { pipeline, timeZone } = context;
  const name = escape(pipeline.name);
  const pages = Math.max(1, Math.ceil(context.total / HISTORY_PAGE_SIZE));
  const rows = context.runs.map((run) => historyRow(run, context)).join('\n');
  const pager = `<nav class="toolbar small" aria-label="Run history pages">${
    context.page > 1
      ? `<a href="${pipelinePath(pipeline.name)}?page=${context.page - 1}">← newer</a>`
      : ''
  }<span>page ${context.page} of ${pages} · ${number.format(context.total)} run(s)</span>${
    context.page < pages
      ? `<a href="${pipelinePath(pipeline.name)}?page=${context.page + 1}">older →</a>`
      : ''
  }</nav>`;
  const running = pipeline.running
    ? `<p class="running">Running since ${time(pipeline.running.startedAt, timeZone)}: ${number.format(pipeline.running.progress.received)} received</p>${logList(context.liveLog, timeZone)}`
    : '';
  const freshness =
    pipeline.lastSuccess === undefined
      ? 'no successful run yet'
      : `last success ${time(pipeline.lastSuccess, timeZone)} (${describeAge(context.now - pipeline.lastSuccess)} ago)`;
  return layout({
    title: `${pipeline.name} · Stripe customers`,
    ...(pipeline.running ? { refresh: 2 } : {}),
    destination: context.destination,
    timeZone,
    ...(context.notice ? { notice: context.notice } : {}),
    body: `<h2>${name}${pipeline.stale ? ' <span class="stale">stale</span>' : ''}</h2>
${pipeline.description ? `<p>${escape(pipeline.description)}</p>` : ''}
<p class="muted">table <code>${escape(pipeline.table)}</code> · ${pipeline.rows === undefined ? 'no table yet' : `${number.format(pipeline.rows)} rows`} · ${pipeline.incremental ? 'incremental' : 'full refresh'} · ${pipeline.schedule ? escape(pipeline.schedule) : 'on demand'} · ${pipeline.enabled ? 'enabled' : 'disabled'} · ${freshness}</p>
<p class="muted">Filter: ${escape(pipeline.filter)}</p>
${deliveryLines(pipeline, context.now, timeZone)}
<div class="toolbar">
  <a class="button" href="${pipelinePath(pipeline.name, 'edit')}">Edit</a>
  ${
    pipeline.running
      ? `<form class="inline" method="post" action="${pipelinePath(pipeline.name, 'cancel')}"><button type="submit">Cancel</button></form>`
      : pipeline.enabled
        ? `<form class="inline" method="post" action="${pipelinePath(pipeline.name, 'run')}"><button type="submit" class="run">Run now</button></form>`
        : ''
  }
  <a class="button" href="${pipelinePath(pipeline.name, 'rebuild')}">Rebuild</a>
  <a class="button" href="${pipelinePath(pipeline.name, 'delete')}">Delete</a>
</div>
${running}
<h3>Run history</h3>
${pager}
<div class="scroll"><table class="history">
<thead><tr><th>Status</th><th>Trigger</th><th>Started</th><th>Duration</th><th>Mode</th><th>Read</th><th>Inserted</th><th>Updated</th><th>Deleted</th><th>Filtered out</th><th>Skipped</th><th>Errors</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="12" class="muted">never run</td></tr>'}
</tbody>
</table></div>`,
  });
}

function historyRow(run: RunRecord, context: HistoryContext): string {
  const status = displayStatus(run);
  const cell = (value: number | undefined) => (value === undefined ? '–' : number.format(value));
  // Runs recorded by `sync` (or by earlier versions) have the written count only.
  const inserted = run.inserted ?? (run.updated === undefined ? undefined : 0);
  const log = context.logs.get(run.runId) ?? [];
  const details =
    run.error || log.length > 0
      ? `<tr class="run-details"><td colspan="12">${run.error ? `<div class="bad small">${escape(run.error)}</div>` : ''}${
          log.length > 0
            ? `<details><summary class="small">log (${log.length} line(s))</summary>${logList(log, context.timeZone)}</details>`
            : ''
        }</td></tr>`
      : '';
  return `<tr class="st-${status}" data-run="${escape(run.runId)}">
  <td><span class="status st-${status}">${escape(status.replace(/_/g, ' '))}</span></td>
  <td>${escape(TRIGGERS[run.trigger] ?? run.trigger)}</td>
  <td>${time(run.startedAt, context.timeZone)}</td>
  <td>${run.finishedAt === undefined ? '–' : `${((run.finishedAt - run.startedAt) / 1000).toFixed(1)} s`}</td>
  <td>${run.mode ? escape(run.mode) : '–'}${run.slowPath ? ' (slow path)' : ''}</td>
  <td>${cell(run.read)}</td>
  <td>${run.inserted === undefined && run.written !== undefined ? `<span title="written (inserted or updated)">${cell(run.written)}*</span>` : cell(inserted)}</td>
  <td>${cell(run.updated)}</td>
  <td>${cell(run.deleted)}</td>
  <td>${cell(run.filteredOut)}</td>
  <td>${cell(run.skipped)}</td>
  <td>${run.errors ? `<span class="bad">${number.format(run.errors)}</span>` : cell(run.errors)}</td>
</tr>${details}`;
}

function logList(lines: RunLogLine[], timeZone: string): string {
  return `<pre class="log">${lines
    .map(
      (line) =>
        `${time(line.at, timeZone)} <span class="${line.level === 'ERROR' ? 'bad' : line.level === 'WARN' ? 'warn' : ''}">${line.level}</span> ${escape(line.message)}`,
    )
    .join('\n')}</pre>`;
}
