import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { errorMessage } from '../../connector';
import { parseStandaloneConfig, versionOf, type StandaloneConfig } from '../config-file';
import type { ConfigStore } from '../config-store';
import type { ServeMetrics } from '../metrics';
import {
  applyEditorDraft,
  documentPipelines,
  readEditorDraft,
  removePipeline,
  type EditorDraft,
} from '../pipeline-draft';
import type { Warehouse } from '../warehouse';
import { renderDeletePage, renderRebuildPage } from './confirm-page';
import { changeRows, readEditorForm, type PostedEditor } from './editor-form';
import { renderEditor } from './editor-page';
import { SCRIPT_PATH } from './html';
import {
  ClientError,
  decodePathPart,
  readBody,
  redirect,
  sendHtml,
  sendJson,
  sendText,
  takeNotice,
} from './http';
import { renderPage } from './page';
import { PAGE_SCRIPT } from './page-script';
import { HISTORY_PAGE_SIZE, renderPipelinePage } from './pipeline-page';
import { pipelineLayout, previewPipeline } from './preview';
import type { PipelineView, RunNowOutcome, Scheduler } from './scheduler';

/** What the routes work with: the running server's parts. */
export interface ServeApp {
  scheduler: Scheduler;
  store: ConfigStore;
  warehouse: Warehouse;
  metrics: ServeMetrics;
  /** The destination as shown (secrets masked). */
  destination: string;
  /** Picks up a config file changed on disk. */
  refreshConfig(): Promise<void>;
  /** Runs a config from now on (schedules, alerts). */
  applyConfig(loaded: StandaloneConfig): void;
  /** Throws when serve cannot run the config (a schedule it cannot read). */
  checkConfig(loaded: StandaloneConfig): void;
}

interface Call {
  method: string;
  url: URL;
  request: IncomingMessage;
  response: ServerResponse;
}

/** Small bodies for the switches and buttons; an editor's form may hold code. */
const MAX_BODY = 16 * 1024;
const MAX_FORM = 512 * 1024;

/**
 * The routes:
 *   GET  /                                  the pipelines page
 *   GET  /add-pipeline, POST                the form for a new pipeline (Preview, Save, rows)
 *   GET  /pipelines/NAME                    its run history (?page=N) and log lines
 *   GET  /pipelines/NAME/edit, POST         its form
 *   GET  /pipelines/NAME/delete|rebuild     asks first; POST does it
 *   POST /pipelines/NAME/enable|run|cancel|follow-config   the page's buttons (redirect back)
 *   GET  /api/pipelines                     every pipeline, as the page shows it
 *   GET  /api/pipelines/NAME/runs?page=N    its run history, with log lines
 *   POST /api/pipelines/NAME/enable         {"enabled": true|false}
 *   POST /api/pipelines/NAME/run|rebuild    starts a run now (202), 409 when running or disabled
 *   POST /api/pipelines/NAME/cancel         asks a run under way to stop (202), 409 when none
 *   GET  /metrics                           Prometheus text format
 * Returns false for anything else.
 */
export async function route(app: ServeApp, call: Call): Promise<boolean> {
  const { method, url, response } = call;
  const path = url.pathname;
  if (method === 'GET' && path === '/') return listPage(app, call);
  if (method === 'GET' && path === SCRIPT_PATH) {
    sendText(response, 200, PAGE_SCRIPT, 'text/javascript; charset=utf-8');
    return true;
  }
  if (method === 'GET' && path === '/metrics') {
    sendText(response, 200, await app.metrics.text(), app.metrics.contentType);
    return true;
  }
  if (method === 'GET' && path === '/api/pipelines') {
    sendJson(response, 200, { pipelines: await app.scheduler.views() });
    return true;
  }
  if (path === '/add-pipeline') {
    if (method === 'GET') return editorPage(app, call, undefined);
    if (method === 'POST') return editorPost(app, call);
  }
  const api = /^\/api\/pipelines\/([^/]+)\/(runs|enable|run|rebuild|cancel)$/.exec(path);
  if (api) return apiAction(app, call, decodePathPart(api[1] as string), api[2] as string);
  const page =
    /^\/pipelines\/([^/]+)(?:\/(edit|delete|rebuild|enable|run|cancel|follow-config))?$/.exec(path);
  if (page) return pageAction(app, call, decodePathPart(page[1] as string), page[2]);
  return false;
}

async function listPage(app: ServeApp, call: Call): Promise<boolean> {
  const notice = takeNotice(call.request);
  const html = renderPage({
    pipelines: await app.scheduler.views(),
    destination: app.destination,
    timeZone: app.scheduler.timeZone,
    now: Date.now(),
    ...(notice ? { notice } : {}),
    ...warningOf(app),
  });
  sendHtml(call.response, 200, html, notice !== undefined);
  return true;
}

function warningOf(app: ServeApp): { warning?: string } {
  const rejected = app.store.rejectedChange;
  return rejected
    ? {
        warning: `${basename(app.store.path)} changed on disk but cannot be used, so the previous version keeps running: ${rejected.error}`,
      }
    : {};
}

async function view(app: ServeApp, name: string): Promise<PipelineView | undefined> {
  return (await app.scheduler.views()).find((pipeline) => pipeline.name === name);
}

async function pageAction(
  app: ServeApp,
  call: Call,
  name: string,
  verb: string | undefined,
): Promise<boolean> {
  const { method, response } = call;
  const frame = { destination: app.destination, timeZone: app.scheduler.timeZone };
  if (verb === 'edit') {
    if (method === 'GET') return editorPage(app, call, name);
    if (method === 'POST') return editorPost(app, call);
    return false;
  }
  if (method === 'GET' && (verb === undefined || verb === 'delete' || verb === 'rebuild')) {
    const pipeline = await view(app, name);
    if (!pipeline) return notFound(response, false, name);
    if (verb === 'delete') {
      const html = renderDeletePage(
        { name, table: pipeline.table, version: app.store.current.version },
        frame,
      );
      sendHtml(response, 200, html, false);
    } else if (verb === 'rebuild') {
      sendHtml(response, 200, renderRebuildPage({ name, table: pipeline.table }, frame), false);
    } else {
      await historyPage(app, call, pipeline);
    }
    return true;
  }
  if (method !== 'POST' || verb === undefined) return false;
  const body = await readBody(call.request, MAX_BODY);
  const fields = new URLSearchParams(body);
  switch (verb) {
    case 'enable': {
      const value = fields.get('enabled');
      if (value !== 'true' && value !== 'false') {
        sendText(response, 400, 'enabled must be true or false.\n');
        return true;
      }
      if (!(await app.scheduler.setEnabled(name, value === 'true'))) {
        return notFound(response, false, name);
      }
      redirect(response, '/', `${name} ${value === 'true' ? 'enabled' : 'disabled'}.`);
      return true;
    }
    case 'follow-config':
      if (!(await app.scheduler.followConfig(name))) return notFound(response, false, name);
      redirect(response, '/', `${name}: the config's enabled setting applies again.`);
      return true;
    case 'run':
    case 'rebuild': {
      const outcome = app.scheduler.runNow(name, 'run_now', verb === 'rebuild');
      if (outcome === 'unknown') return notFound(response, false, name);
      const what = verb === 'rebuild' ? 'rebuild started' : 'run started';
      redirect(
        response,
        backTo(call),
        outcome === 'started' ? `${name}: ${what}.` : `${name}: ${RUN_REFUSALS[outcome]}`,
      );
      return true;
    }
    case 'cancel': {
      const outcome = app.scheduler.cancel(name);
      if (outcome === 'unknown') return notFound(response, false, name);
      redirect(
        response,
        backTo(call),
        outcome === 'cancelling'
          ? `${name}: cancelling; the run stops at its next checkpoint.`
          : `${name}: no run under way.`,
      );
      return true;
    }
    case 'delete':
      return deletePipeline(app, call, name, fields);
    default:
      return false;
  }
}

/** Back where the button was: the pipeline's own page, or the list. */
function backTo(call: Call): string {
  const referer = call.request.headers.referer;
  try {
    const path = referer ? new URL(referer).pathname : '/';
    return path.startsWith('/pipelines/') ? path : '/';
  } catch {
    return '/';
  }
}

async function historyPage(app: ServeApp, call: Call, pipeline: PipelineView): Promise<void> {
  const page = pageNumber(call.url);
  const { runs, total } = await app.warehouse.bookkeeping.runHistory(pipeline.name, {
    limit: HISTORY_PAGE_SIZE,
    offset: (page - 1) * HISTORY_PAGE_SIZE,
  });
  const logs = await app.warehouse.bookkeeping.runLogs(runs.map((run) => run.runId));
  const notice = takeNotice(call.request);
  const html = renderPipelinePage({
    pipeline,
    runs,
    total,
    page,
    logs,
    liveLog: app.scheduler.liveLog(pipeline.name),
    destination: app.destination,
    timeZone: app.scheduler.timeZone,
    now: Date.now(),
    ...(notice ? { notice } : {}),
  });
  sendHtml(call.response, 200, html, notice !== undefined);
}

function pageNumber(url: URL): number {
  const raw = url.searchParams.get('page') ?? '1';
  const page = Number(raw);
  if (!Number.isInteger(page) || page < 1) {
    throw new ClientError(400, `page must be a whole number from 1, not "${raw}".`);
  }
  return page;
}

/** The index a pipeline has (or will have) in the config, for the form's field paths. */
function indexOf(document: Record<string, unknown>, name: string | undefined): number {
  const pipelines = documentPipelines(document);
  const index = name === undefined ? -1 : pipelines.findIndex((p) => p.name === name);
  return index >= 0 ? index : pipelines.length;
}

async function editorPage(app: ServeApp, call: Call, name: string | undefined): Promise<boolean> {
  const { document, version } = app.store.current;
  if (name !== undefined && !documentPipelines(document).some((p) => p.name === name)) {
    return notFound(call.response, false, name);
  }
  const draft = readEditorDraft(document, name);
  // The form shows the switch as the page applies it: saving writes that into the config.
  const current = name === undefined ? undefined : await view(app, name);
  if (current) draft.pipeline.enabled = current.enabled;
  sendEditor(app, call, 200, {
    draft,
    version,
    originalName: name,
    index: indexOf(document, name),
  });
  return true;
}

function sendEditor(
  app: ServeApp,
  call: Call,
  status: number,
  context: Omit<Parameters<typeof renderEditor>[0], 'destination' | 'timeZone'>,
): void {
  const html = renderEditor({
    ...context,
    destination: app.destination,
    timeZone: app.scheduler.timeZone,
  });
  sendHtml(call.response, status, html, false);
}

async function editorPost(app: ServeApp, call: Call): Promise<boolean> {
  const posted = readEditorForm(new URLSearchParams(await readBody(call.request, MAX_FORM)));
  const base = app.store.documentAt(posted.version) ?? app.store.current.document;
  const context = {
    draft: posted.draft,
    version: posted.version,
    originalName: posted.originalName,
    index: indexOf(base, posted.originalName),
  };
  switch (posted.op.kind) {
    case 'add':
    case 'remove':
      sendEditor(app, call, 200, { ...context, draft: changeRows(posted.draft, posted.op) });
      return true;
    case 'preview':
      await preview(app, call, posted, base, context);
      return true;
    case 'save':
      await save(app, call, posted, context);
      return true;
  }
}

type EditorState = {
  draft: EditorDraft;
  version: string;
  originalName: string | undefined;
  index: number;
};

/** Validates the form as the config it would make, then runs the pipeline on a sample. */
async function preview(
  app: ServeApp,
  call: Call,
  posted: PostedEditor,
  base: Record<string, unknown>,
  context: EditorState,
): Promise<void> {
  let candidate: StandaloneConfig;
  try {
    const document = applyEditorDraft(base, posted.draft, posted.originalName);
    candidate = parseStandaloneConfig(document, versionOf(JSON.stringify(document)), {
      path: app.store.path,
    });
    app.checkConfig(candidate);
  } catch (error) {
    sendEditor(app, call, 400, { ...context, ...errorFields(error) });
    return;
  }
  const result = await previewPipeline(candidate.config, posted.draft.pipeline.name, {
    stripe: app.scheduler.stripePort,
    allowsNul: app.warehouse.allowsNul,
  });
  sendEditor(app, call, 200, { ...context, preview: result });
}

/** Writes the form into the config file, if it is still the version the form was read at. */
async function save(
  app: ServeApp,
  call: Call,
  posted: PostedEditor,
  context: EditorState,
): Promise<void> {
  const outcome = await app.store.save(posted.version, (document) =>
    applyEditorDraft(document, posted.draft, posted.originalName),
  );
  if (outcome.kind === 'conflict') {
    sendEditor(app, call, 409, {
      ...context,
      version: outcome.version,
      conflict: outcome.changes,
    });
    return;
  }
  if (outcome.kind === 'invalid') {
    sendEditor(app, call, 400, { ...context, ...errorFields(outcome.error) });
    return;
  }
  app.applyConfig(outcome.loaded);
  const name = posted.draft.pipeline.name;
  // The form showed the switch as applied; now the config says it, so the page's switch goes.
  const overrides = await app.warehouse.bookkeeping.enabledOverrides();
  if (overrides.has(name)) await app.scheduler.followConfig(name);
  if (posted.originalName !== undefined && posted.originalName !== name) {
    if (overrides.has(posted.originalName)) {
      await app.warehouse.bookkeeping.clearEnabled(posted.originalName);
    }
  }
  const file = basename(app.store.path);
  redirect(
    call.response,
    '/',
    `${name} saved to ${file} (the previous version is in ${basename(outcome.backup)}); it applies now.`,
  );
}

/**
 * The engine's message, and where in the config it is when the error says so (`at`: the config
 * path as segments, which config errors are gaining), so the form can mark that field.
 */
function errorFields(error: unknown): { error: string; errorAt?: Array<string | number> } {
  const at = (error as { at?: unknown } | null)?.at;
  const path =
    Array.isArray(at) && at.every((part) => typeof part === 'string' || typeof part === 'number')
      ? (at as Array<string | number>)
      : undefined;
  return { error: errorMessage(error), ...(path ? { errorAt: path } : {}) };
}

async function deletePipeline(
  app: ServeApp,
  call: Call,
  name: string,
  fields: URLSearchParams,
): Promise<boolean> {
  const { response } = call;
  const before = app.store.current;
  if (!documentPipelines(before.document).some((p) => p.name === name)) {
    return notFound(response, false, name);
  }
  if (app.scheduler.isRunning(name)) {
    sendText(response, 409, `${name} is running: Cancel its run first, then delete it.\n`);
    return true;
  }
  if (documentPipelines(before.document).length === 1) {
    sendText(
      response,
      409,
      `${name} is the only pipeline: a config without pipelines imports every customer into "customers", so add the pipeline you want first, then delete this one.\n`,
    );
    return true;
  }
  const layout = pipelineLayout(before.config, name);
  const outcome = await app.store.save(fields.get('version') ?? '', (document) =>
    removePipeline(document, name),
  );
  if (outcome.kind === 'conflict') {
    sendText(
      response,
      409,
      `Nothing was deleted: the config file changed since the page was opened (${outcome.changes.join('; ')}). Go back, reload, and delete again.\n`,
    );
    return true;
  }
  if (outcome.kind === 'invalid') {
    sendText(response, 400, `${errorMessage(outcome.error)}\n`);
    return true;
  }
  app.applyConfig(outcome.loaded);
  await app.warehouse.bookkeeping.clearEnabled(name);
  let dropped = '';
  if (fields.get('drop_table') === 'yes') {
    const opened = await app.warehouse.openTable(layout, false);
    if (!opened) {
      dropped = ` Its table ${layout.table} was kept: another process is syncing it right now; drop it when that run ends.`;
    } else {
      try {
        await opened.table.rebuild();
        dropped = ` Its table ${layout.table} and its state were dropped.`;
      } finally {
        await opened.close();
      }
    }
  }
  redirect(
    response,
    '/',
    `${name} deleted from ${basename(app.store.path)} (the previous version is in ${basename(outcome.backup)}).${dropped}`,
  );
  return true;
}

const RUN_REFUSALS: Record<Exclude<RunNowOutcome, 'started' | 'unknown'>, string> = {
  already_running: 'it is already running; wait for that run to end.',
  disabled: 'it is disabled; enable it first.',
  stopping: 'the server is stopping.',
};

async function apiAction(app: ServeApp, call: Call, name: string, verb: string): Promise<boolean> {
  const { method, request, response } = call;
  if (verb === 'runs') {
    if (method !== 'GET') return false;
    if (!(await view(app, name))) return notFound(response, true, name);
    const page = pageNumber(call.url);
    const { runs, total } = await app.warehouse.bookkeeping.runHistory(name, {
      limit: HISTORY_PAGE_SIZE,
      offset: (page - 1) * HISTORY_PAGE_SIZE,
    });
    const logs = await app.warehouse.bookkeeping.runLogs(runs.map((run) => run.runId));
    sendJson(response, 200, {
      runs: runs.map((run) => ({ ...run, log: logs.get(run.runId) ?? [] })),
      total,
      page,
      pages: Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE)),
    });
    return true;
  }
  if (method !== 'POST') return false;
  if (verb === 'enable' && !/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    sendJson(response, 415, { error: 'Send the body as JSON: {"enabled": true}.' });
    return true;
  }
  const body = await readBody(request, MAX_BODY);
  if (verb === 'enable') {
    const enabled = jsonEnabled(body);
    if (typeof enabled !== 'boolean') {
      sendJson(response, 400, {
        error: 'The body must be {"enabled": true} or {"enabled": false}.',
      });
      return true;
    }
    if (!(await app.scheduler.setEnabled(name, enabled))) return notFound(response, true, name);
    sendJson(response, 200, { pipeline: await view(app, name) });
    return true;
  }
  if (verb === 'cancel') {
    const outcome = app.scheduler.cancel(name);
    if (outcome === 'unknown') return notFound(response, true, name);
    sendJson(
      response,
      outcome === 'cancelling' ? 202 : 409,
      outcome === 'cancelling' ? { outcome } : { outcome, error: 'No run of it is under way.' },
    );
    return true;
  }
  const outcome = app.scheduler.runNow(name, 'api', verb === 'rebuild');
  if (outcome === 'unknown') return notFound(response, true, name);
  sendJson(response, outcome === 'started' ? 202 : 409, {
    outcome,
    ...(outcome === 'started' ? {} : { error: RUN_REFUSALS[outcome] }),
  });
  return true;
}

function jsonEnabled(body: string): unknown {
  try {
    return (JSON.parse(body) as { enabled?: unknown })?.enabled;
  } catch {
    return undefined;
  }
}

function notFound(response: ServerResponse, api: boolean, name: string): true {
  const message = `No pipeline "${name}" in the config.`;
  if (api) sendJson(response, 404, { error: message });
  else sendText(response, 404, `${message}\n`);
  return true;
}
