/**
 * Method + path routing with `:name` parameters. Matching is synchronous and touches neither the
 * body nor the headers, so adapters can ask before they read a request that may not be ours.
 */

/** One route as the router stores it. */
export interface RouterEntry<T> {
  readonly method: string;
  /** Pattern such as `/notify-pay/:app`; segments starting with `:` capture one segment. */
  readonly path: string;
  readonly value: T;
}

/** A successful lookup. */
export interface RouteMatch<T> {
  readonly entry: RouterEntry<T>;
  readonly params: Readonly<Record<string, string>>;
}

/** What {@link Router.lookup} finds: a route, a path served under other methods, or nothing. */
export type RouteLookup<T> =
  | ({ readonly kind: 'found' } & RouteMatch<T>)
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

interface Compiled<T> {
  readonly entry: RouterEntry<T>;
  /** Literal segment, or `{ param }`. */
  readonly segments: readonly (string | { readonly param: string })[];
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a request path into segments: query string dropped, one trailing slash ignored. */
export function pathSegments(path: string): string[] | undefined {
  const q = path.indexOf('?');
  let p = q === -1 ? path : path.slice(0, q);
  if (!p.startsWith('/')) return undefined;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/' ? [] : p.slice(1).split('/');
}

function compile<T>(entry: RouterEntry<T>): Compiled<T> {
  const segments = pathSegments(entry.path);
  if (!segments || entry.path.includes('?')) {
    throw new TypeError(`@wxpay-kit/core: route path '${entry.path}' must start with '/' and carry no query`);
  }
  return {
    entry,
    segments: segments.map((s) => {
      if (!s.startsWith(':')) return s;
      const param = s.slice(1);
      if (!PARAM_NAME.test(param)) throw new TypeError(`@wxpay-kit/core: bad parameter '${s}' in route '${entry.path}'`);
      return { param };
    }),
  };
}

/** A small ordered route table. Routes are tried in insertion order; the first match wins. */
export class Router<T> {
  readonly #routes: Compiled<T>[] = [];

  /** Adds a route. Throws when the same method and pattern is already registered. */
  add(entry: RouterEntry<T>): void {
    const method = entry.method.toUpperCase();
    const compiled = compile({ ...entry, method });
    const shape = shapeOf(compiled);
    for (const existing of this.#routes) {
      if (existing.entry.method === method && shapeOf(existing) === shape) {
        throw new TypeError(`@wxpay-kit/core: route ${method} ${entry.path} is already registered`);
      }
    }
    this.#routes.push(compiled);
  }

  /** Every registered route, in order. */
  entries(): RouterEntry<T>[] {
    return this.#routes.map((r) => r.entry);
  }

  /** Finds the route for `method` + `path`. */
  lookup(method: string, path: string): RouteLookup<T> {
    const segments = pathSegments(path);
    if (!segments) return { kind: 'not-found' };
    const upper = method.toUpperCase();
    const allow: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.entry.method === upper) return { kind: 'found', entry: route.entry, params };
      if (!allow.includes(route.entry.method)) allow.push(route.entry.method);
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

function shapeOf(route: Compiled<unknown>): string {
  return route.segments.map((s) => (typeof s === 'string' ? s : ':')).join('/');
}

function matchSegments(pattern: Compiled<unknown>['segments'], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (typeof want === 'string') {
      if (want !== got) return undefined;
      continue;
    }
    if (got === '') return undefined;
    let value: string;
    try {
      value = decodeURIComponent(got);
    } catch {
      return undefined;
    }
    params ??= Object.create(null) as Record<string, string>;
    params[want.param] = value;
  }
  return params ?? (Object.create(null) as Record<string, string>);
}
