import type { RunRecord } from '../warehouse';
import type { PipelineView } from './scheduler';

export interface PageContext {
  pipelines: PipelineView[];
  destination: string;
  timeZone: string;
  now: number;
  /** A line about the last action (after a form's redirect). */
  notice?: string;
}

const number = new Intl.NumberFormat('en');

/**
 * The pipelines page, rendered on the server: plain HTML forms (they work without JavaScript),
 * refreshed every few seconds while a run is under way so its progress moves.
 */
export function renderPage(context: PageContext): string {
  const anyRunning = context.pipelines.some((pipeline) => pipeline.running);
  const rows = context.pipelines.map((pipeline) => renderRow(pipeline, context)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${anyRunning ? 2 : 30}">
<title>Stripe customers · pipelines</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Stripe customers · pipelines</h1>
  <p class="muted">Writing to <code>${escape(context.destination)}</code> · times in ${escape(context.timeZone)}</p>
</header>
${context.notice ? `<p class="notice" role="status">${escape(context.notice)}</p>` : ''}
<table>
<thead><tr><th>Pipeline</th><th>Filter</th><th>Enabled</th><th>Run</th><th>Schedule</th><th>Last runs</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<footer class="muted">JSON API: <code>GET /api/pipelines</code>, <code>POST /api/pipelines/NAME/enable {"enabled": true}</code>, <code>POST /api/pipelines/NAME/run</code></footer>
</body>
</html>
`;
}

function renderRow(pipeline: PipelineView, context: PageContext): string {
  const name = escape(pipeline.name);
  const action = (verb: string) => `/pipelines/${encodeURIComponent(pipeline.name)}/${verb}`;
  const switchLabel = pipeline.enabled ? 'On' : 'Off';
  const enabledBy = pipeline.enabledBy === 'page' ? '<div class="muted small">set here</div>' : '';
  const run = pipeline.running
    ? `<span class="running">Running… ${number.format(pipeline.running.progress.received)} received</span><div class="muted small">since ${time(pipeline.running.startedAt, context)}</div>`
    : pipeline.enabled
      ? `<form method="post" action="${action('run')}"><button type="submit" class="run" aria-label="Run ${name} now">Run now</button></form>`
      : '<span class="muted">disabled</span>';
  const schedule = pipeline.schedule
    ? `${escape(pipeline.schedule)}${pipeline.nextRun ? `<div class="muted small">next ${time(pipeline.nextRun, context)} (${relative(pipeline.nextRun - context.now)})</div>` : pipeline.enabled ? '' : '<div class="muted small">not while disabled</div>'}`
    : '<span class="muted">on demand</span>';
  return `<tr data-pipeline="${name}">
  <td><strong>${name}</strong>${pipeline.description ? `<div>${escape(pipeline.description)}</div>` : ''}<div class="muted small">table <code>${escape(pipeline.table)}</code> · ${pipeline.incremental ? 'incremental' : 'full refresh'}</div></td>
  <td class="filter">${escape(pipeline.filter)}</td>
  <td><form method="post" action="${action('enable')}"><input type="hidden" name="enabled" value="${pipeline.enabled ? 'false' : 'true'}"><button type="submit" role="switch" aria-checked="${pipeline.enabled}" aria-label="Enabled: ${name}" class="switch ${pipeline.enabled ? 'on' : 'off'}"><span class="knob"></span>${switchLabel}</button></form>${enabledBy}</td>
  <td>${run}</td>
  <td>${schedule}</td>
  <td>${renderRuns(pipeline.lastRuns, context)}</td>
</tr>`;
}

function renderRuns(runs: RunRecord[], context: PageContext): string {
  if (runs.length === 0) return '<span class="muted">never run</span>';
  const items = runs.map((run) => {
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
    return `<li class="run ${run.status}"><span class="status">${escape(run.status.replace(/_/g, ' '))}</span> ${time(run.startedAt, context)}${duration}${mode}${counts}${errors}${message}${slow}</li>`;
  });
  return `<ul class="runs">${items.join('')}</ul>`;
}

function time(millis: number, context: PageContext): string {
  // Swedish formatting is ISO 8601's: 2026-11-25 14:03:00.
  const text = new Intl.DateTimeFormat('sv-SE', {
    timeZone: context.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(millis));
  return `<time datetime="${new Date(millis).toISOString()}">${escape(text)}</time>`;
}

function relative(millis: number): string {
  const seconds = Math.max(0, Math.round(millis / 1000));
  if (seconds < 90) return `in ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `in ${minutes} min`;
  return `in ${(minutes / 60).toFixed(1)} h`;
}

export function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        character
      ] as string,
  );
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
header h1 { font-size: 20px; margin: 0 0 4px; }
table { border-collapse: collapse; width: 100%; margin-top: 16px; }
th, td { text-align: left; vertical-align: top; padding: 10px 12px; border-bottom: 1px solid #d8dee4; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #59636e; }
td.filter { max-width: 260px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
.muted { color: #59636e; }
.small { font-size: 12px; }
.bad { color: #cf222e; }
.notice { background: #ddf4ff; border: 1px solid #54aeff; padding: 8px 12px; border-radius: 6px; }
form { margin: 0; }
button { font: inherit; cursor: pointer; }
button.run { background: #1f883d; color: #fff; border: 0; border-radius: 6px; padding: 5px 12px; white-space: nowrap; }
.switch { display: inline-flex; align-items: center; gap: 6px; border: 1px solid #d0d7de; border-radius: 999px; padding: 2px 10px 2px 2px; background: #f6f8fa; }
.switch .knob { width: 16px; height: 16px; border-radius: 50%; background: #8c959f; }
.switch.on { background: #dafbe1; border-color: #4ac26b; }
.switch.on .knob { background: #1f883d; }
.running { color: #9a6700; font-weight: 600; }
ul.runs { list-style: none; margin: 0; padding: 0; }
ul.runs li { margin-bottom: 4px; font-size: 12px; }
.run .status { display: inline-block; min-width: 64px; font-weight: 600; }
.run.succeeded .status { color: #1a7f37; }
.run.failed .status, .run.interrupted .status { color: #cf222e; }
.run.stopped .status, .run.running .status, .run.succeeded_with_skips .status { color: #9a6700; }
footer { margin-top: 16px; font-size: 12px; }
`;
