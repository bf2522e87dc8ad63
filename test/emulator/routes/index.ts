/** Maps `METHOD /path` to a route; literal segments win over `:params` by declaration order. */
import { customerRoutes } from './customers.js';
import { eventRoutes } from './events.js';
import { relatedRoutes } from './related.js';
import type { Route } from './types.js';

export type { Route, RouteContext } from './types.js';

const compiled = [...customerRoutes, ...relatedRoutes, ...eventRoutes].map((route) => ({
  route,
  regex: new RegExp(
    '^' + route.pattern.replace(/:(\w+)/g, (_m, name: string) => `(?<${name}>[^/]+)`) + '$',
  ),
}));

export function matchRoute(
  method: string,
  pathname: string,
): { route: Route; path: Record<string, string> } | undefined {
  for (const { route, regex } of compiled) {
    if (route.method !== method) continue;
    const m = regex.exec(pathname);
    if (!m) continue;
    const path: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) {
      try {
        path[k] = decodeURIComponent(v);
      } catch {
        path[k] = v;
      }
    }
    return { route, path };
  }
  return undefined;
}
