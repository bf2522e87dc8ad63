import type { RunRecord } from '../warehouse';
import { describeAge } from './freshness';
import { escape, layout, number, pipelinePath, time } from './html';
import type { PipelineView } from './scheduler';

export interface PageContext {
  pipelines: PipelineView[];
  destination: string;
  timeZone: string;
  now: number;
  /** A line about the last action (after a form's redirect). */
  notice?: string;
  warning?: string;
}

/**
 * The pipelines page, rendered on the server: plain HTML forms (they work without JavaScript),
 * refreshed every few seconds while a run is under way so its progress moves.
 */
export function renderPage(context: PageContext): string {
  const anyRunning = context.pipelines.some((pipeline) => pipeline.running);
  const rows = context.pipelines.map((pipeline) => renderRow(pipeline, context)).join('\n');
  return layout({
    title: 'Stripe customers · pipelines',
    refresh: anyRunning ? 2 : 30,
    destination: context.destination,
    timeZone: context.timeZone,
    ...(context.notice ? { notice: context.notice } : {}),
    ...(context.warning ? { warning: context.warning } : {}),
    body: `<p class="health" role="note">${escape(healthLine(context.pipelines))}</p>
<div class="toolbar"><a class="button primary" href="/add-pipeline">Add pipeline</a></div>
<table class="pipelines">
<thead><tr><th>Pipeline</th><th>Filter</th><th>Enabled</th><th>Run</th><th>Schedule</th><th>Rows</th><th>Last runs</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<footer class="muted">JSON API: <code>GET /api/pipelines</code>, <code>GET /api/pipelines/NAME/runs</code>, <code>POST /api/pipelines/NAME/run</code>, <code>…/cancel</code>, <code>…/rebuild</code>, <code>…/enable {"enabled": true}</code>; metrics: <code>GET /metrics</code></footer>`,
  });
}

/** What state a pipeline is in, for the health line and its row. */
export type Health = 'running' | 'failing' | 'stale' | 'skips' | 'ok' | 'new' | 'disabled';

export function healthOf(pipeline: PipelineView): Health {
  if (pipeline.running) return 'running';
  if (!pipeline.enabled) return 'disabled';
  const last = pipeline.lastRuns.find((run) => run.status !== 'running');
  // An account that failed needs attention as much as a failed run (the others' rows are fresh).
  const failing = ['failed', 'interrupted', 'succeeded_with_failures'];
  if (last && failing.includes(last.status)) return 'failing';
  if (pipeline.stale) return 'stale';
  if (!last) return 'new';
  if (displayStatus(last) === 'succeeded_with_skips') return 'skips';
  return 'ok';
}

/** One line over every pipeline: how many are fine, failing, stale, running. */
export function healthLine(pipelines: PipelineView[]): string {
  const counts = new Map<Health, number>();
  for (const pipeline of pipelines) {
    const health = healthOf(pipeline);
    counts.set(health, (counts.get(health) ?? 0) + 1);
  }
  const bad = (counts.get('failing') ?? 0) + (counts.get('stale') ?? 0);
  const parts = [
    `${pipelines.length} pipeline(s)`,
    ...(
      [
        ['ok', 'healthy'],
        ['skips', 'with skips'],
        ['failing', 'failing'],
        ['stale', 'stale'],
        ['running', 'running'],
        ['new', 'not run yet'],
        ['disabled', 'disabled'],
      ] as const
    )
      .filter(([health]) => counts.has(health))
      .map(([health, words]) => `${counts.get(health)} ${words}`),
  ];
  return `${bad > 0 ? 'Needs attention' : 'All good'}: ${parts.join(' · ')}`;
}

/**
 * A run's status as shown: a run that ended with errors is never shown as plain success (runs
 * recorded before `succeeded_with_skips` existed said `succeeded` with their errors counted).
 */
export function displayStatus(run: RunRecord): RunRecord['status'] {
  return run.status === 'succeeded' && (run.errors ?? 0) > 0 ? 'succeeded_with_skips' : run.status;
}

function renderRow(pipeline: PipelineView, context: PageContext): string {
  const name = escape(pipeline.name);
  const action = (verb: string) => pipelinePath(pipeline.name, verb);
  const switchLabel = pipeline.enabled ? 'On' : 'Off';
  const enabledBy =
    pipeline.enabledBy === 'page'
      ? `<div class="muted small">set here · <form class="inline" method="post" action="${action('follow-config')}"><button type="submit" class="link" aria-label="Use the config's setting for ${name}">use the config's (${pipeline.configEnabled ? 'on' : 'off'})</button></form></div>`
      : '';
  const run = pipeline.running
    ? `<span class="running">Running… ${number.format(pipeline.running.progress.received)} received</span><div class="muted small">since ${time(pipeline.running.startedAt, context.timeZone)}</div>${
        pipeline.running.cancelling
          ? '<div class="muted small">cancelling: stops at its next checkpoint</div>'
          : `<form method="post" action="${action('cancel')}"><button type="submit" aria-label="Cancel the run of ${name}">Cancel</button></form>`
      }`
    : pipeline.enabled
      ? `<form method="post" action="${action('run')}"><button type="submit" class="run" aria-label="Run ${name} now">Run now</button></form>`
      : '<span class="muted">disabled</span>';
  const schedule = pipeline.schedule
    ? `${escape(pipeline.schedule)}${pipeline.nextRun ? `<div class="muted small">next ${time(pipeline.nextRun, context.timeZone)} (${relative(pipeline.nextRun - context.now)})</div>` : pipeline.enabled ? '' : '<div class="muted small">not while disabled</div>'}`
    : '<span class="muted">on demand</span>';
  const freshness =
    pipeline.lastSuccess === undefined
      ? '<div class="muted small">no successful run yet</div>'
      : `<div class="muted small">last success ${time(pipeline.lastSuccess, context.timeZone)} (${describeAge(context.now - pipeline.lastSuccess)} ago)</div>`;
  const rows = `${pipeline.rows === undefined ? '<span class="muted">no table yet</span>' : `${number.format(pipeline.rows)} rows`}${freshness}${pipeline.stale ? '<span class="stale" title="its last success is older than twice its schedule">stale</span>' : ''}${deliveryLines(pipeline, context.now, context.timeZone)}`;
  return `<tr data-pipeline="${name}" data-health="${healthOf(pipeline)}">
  <td data-label="Pipeline"><strong><a href="${pipelinePath(pipeline.name)}">${name}</a></strong>${pipeline.description ? `<div>${escape(pipeline.description)}</div>` : ''}<div class="muted small">table <code>${escape(pipeline.table)}</code> · ${pipeline.incremental ? 'incremental' : 'full refresh'}</div>
    <div class="actions"><a class="button" href="${action('edit')}" aria-label="Edit ${name}">Edit</a>${menu(pipeline)}</div></td>
  <td class="filter" data-label="Filter">${escape(pipeline.filter)}</td>
  <td data-label="Enabled"><form method="post" action="${action('enable')}"><input type="hidden" name="enabled" value="${pipeline.enabled ? 'false' : 'true'}"><button type="submit" role="switch" aria-checked="${pipeline.enabled}" aria-label="Enabled: ${name}" class="switch ${pipeline.enabled ? 'on' : 'off'}"><span class="knob"></span>${switchLabel}</button></form>${enabledBy}</td>
  <td data-label="Run">${run}</td>
  <td data-label="Schedule">${schedule}</td>
  <td data-label="Rows">${rows}</td>
  <td data-label="Last runs">${renderRuns(pipeline, context)}</td>
</tr>`;
}

/**
 * With webhook deliveries: when one was last applied to the pipeline, and its last reconcile (the
 * last run that read the event log), with what that run found the deliveries had missed.
 */
export function deliveryLines(pipeline: PipelineView, now: number, timeZone: string): string {
  const { webhooks, lastReconcile } = pipeline;
  if (!webhooks) return '';
  const applied =
    webhooks.lastApplied === undefined
      ? 'webhooks: none applied yet'
      : `webhooks: last applied ${time(webhooks.lastApplied, timeZone)} (${describeAge(now - webhooks.lastApplied)} ago) · ${number.format(webhooks.eventsApplied)} change(s) in all`;
  const problem = webhooks.problem
    ? `<div class="bad small">${escape(webhooks.problem.message)}</div>`
    : '';
  const reconcile = lastReconcile
    ? `last reconcile ${time(lastReconcile.at, timeZone)} (${describeAge(now - lastReconcile.at)} ago): found ${number.format(lastReconcile.written + lastReconcile.deleted)} change(s) the deliveries had missed`
    : 'no reconcile yet: the next incremental run reads the event log';
  return `<div class="muted small" data-webhooks>${applied}</div>${problem}<div class="muted small" data-reconcile>${reconcile}</div>`;
}

/** The ⋮ menu: what is rarely done and hard to undo. A <details>, so it needs no script. */
function menu(pipeline: PipelineView): string {
  const name = escape(pipeline.name);
  return `<details class="menu"><summary aria-label="More actions for ${name}">⋮</summary><div class="items"><a href="${pipelinePath(pipeline.name, 'rebuild')}">Rebuild</a><a href="${pipelinePath(pipeline.name, 'delete')}">Delete</a></div></details>`;
}

function renderRuns(pipeline: PipelineView, context: PageContext): string {
  const history = `<a class="small" href="${pipelinePath(pipeline.name)}">history and logs</a>`;
  if (pipeline.lastRuns.length === 0) return `<span class="muted">never run</span>`;
  const items = pipeline.lastRuns.map(
    (run) => `<li class="st-${displayStatus(run)}">${runLine(run, context.timeZone)}</li>`,
  );
  return `<ul class="runs">${items.join('')}</ul>${history}`;
}

/** A run in one line: status, start, duration, mode, counts, errors, the error message. */
export function runLine(run: RunRecord, timeZone: string): string {
  const duration =
    run.finishedAt === undefined
      ? ''
      : ` · ${((run.finishedAt - run.startedAt) / 1000).toFixed(1)} s`;
  const counts =
    run.status === 'running'
      ? ''
      : ` · ${number.format(run.written ?? 0)} written · ${number.format(run.deleted ?? 0)} deleted · ${number.format(run.filteredOut ?? 0)} filtered out`;
  const errors = run.errors
    ? ` · <span class="bad">${number.format(run.errors)} error(s)</span>`
    : '';
  const mode = run.mode ? ` · ${escape(run.mode)}${run.slowPath ? ' (slow path)' : ''}` : '';
  const message = run.error ? `<div class="bad small">${escape(run.error)}</div>` : '';
  const slow =
    run.slowPath && !run.error
      ? `<div class="muted small" title="${escape(run.slowPath)}">re-read every customer: the key may not read events</div>`
      : '';
  const status = displayStatus(run);
  return `<span class="status st-${status}">${escape(status.replace(/_/g, ' '))}</span> ${time(run.startedAt, timeZone)}${duration}${mode}${counts}${errors}${message}${slow}`;
}

function relative(millis: number): string {
  return `in ${describeAge(millis)}`;
}
