import { STYLE } from './style';

/** Where the page's one script is served from (same origin: the CSP allows only that). */
export const SCRIPT_PATH = '/assets/page.js';

export function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        character
      ] as string,
  );
}

export const number = new Intl.NumberFormat('en');

/** A time in the server's zone, ISO-like (2026-11-25 14:03:00), machine-readable in `datetime`. */
export function time(millis: number, timeZone: string): string {
  // Swedish formatting is ISO 8601's.
  const text = new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(millis));
  return `<time datetime="${new Date(millis).toISOString()}">${escape(text)}</time>`;
}

export function pipelinePath(name: string, verb?: string): string {
  return `/pipelines/${encodeURIComponent(name)}${verb ? `/${verb}` : ''}`;
}

export interface Layout {
  title: string;
  /** Seconds until the page reloads itself (while runs are under way). */
  refresh?: number;
  notice?: string;
  destination: string;
  timeZone: string;
  /** A line of trouble shown above everything (a config change on disk that cannot be used). */
  warning?: string;
  body: string;
}

/** Every page's frame: head, header with the destination, the notice of the last action. */
export function layout(page: Layout): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.refresh ? `<meta http-equiv="refresh" content="${page.refresh}">` : ''}
<title>${escape(page.title)}</title>
<style>${STYLE}</style>
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<header>
  <h1><a href="/">Stripe customers · pipelines</a></h1>
  <p class="muted">Writing to <code>${escape(page.destination)}</code> · times in ${escape(page.timeZone)}</p>
</header>
${page.warning ? `<p class="warning" role="alert">${escape(page.warning)}</p>` : ''}
${page.notice ? `<p class="notice" role="status">${escape(page.notice)}</p>` : ''}
<main>
${page.body}
</main>
</body>
</html>
`;
}
