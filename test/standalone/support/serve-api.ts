import type { ServeProcess } from './standalone';

export interface RunView {
  status: string;
  trigger: string;
  startedAt: number;
  finishedAt?: number;
  written?: number;
  errors?: number;
  error?: string;
}

export interface PipelineViewJson {
  name: string;
  enabledBy: 'config' | 'page';
  lastRuns: RunView[];
  running?: { progress: { received: number } };
}

/** A request to a `serve` process; JSON bodies parsed, anything else as text. */
export async function api(server: ServeProcess, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

export async function pipelineView(server: ServeProcess, name: string) {
  const { body } = await api(server, '/api/pipelines');
  return (body.pipelines as PipelineViewJson[]).find((pipeline) => pipeline.name === name)!;
}

/** Polls until `check` holds (a server-side state the page or API will show). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts a run now and waits for it to end; returns it. */
export async function runNow(server: ServeProcess, name: string, ms = 60_000): Promise<RunView> {
  const before = (await pipelineView(server, name)).lastRuns[0]?.startedAt ?? 0;
  const started = await api(server, `/api/pipelines/${name}/run`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`run now answered ${started.status}`);
  return until(
    `the run of ${name} to end`,
    async () => {
      const view = await pipelineView(server, name);
      const latest = view.lastRuns[0];
      return !view.running && latest && latest.startedAt > before && latest.finishedAt
        ? latest
        : undefined;
    },
    ms,
  );
}
