// Pages read and write through the JSON API, in-process with app.inject, as the signed-in person:
// the browser's cookie is forwarded (and the session's CSRF token on writes), so every page runs
// the same routes, validation and authorization as automation does. No page touches the database.
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface ApiResult<T = any> {
  status: number;
  ok: boolean;
  json: T;
  /** The API's `message` when it refused, for showing next to the form. */
  message: string | null;
}

export type Api = <T = any>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<ApiResult<T>>;

export function apiFor(app: FastifyInstance, req: FastifyRequest): Api {
  return async (method, url, body) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.headers.cookie) headers.cookie = req.headers.cookie;
    // A bearer caller (automation viewing a page) stays a bearer caller.
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const token = req.principal?.session?.csrfToken;
    if (method !== 'GET' && token) headers['x-csrf-token'] = token;
    const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
    let json: any = null;
    try {
      json = res.body ? JSON.parse(res.body) : null;
    } catch {
      json = null;
    }
    const ok = res.statusCode < 400;
    return { status: res.statusCode, ok, json, message: ok ? null : (json?.message ?? `the request failed (${res.statusCode})`) };
  };
}

/** Thrown by a page when an API read it needs failed: the page error handler shows it. */
export class PageError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a successful read, or a PageError with the API's own words. */
export function need<T>(r: ApiResult<T>, what: string): T {
  if (r.ok) return r.json;
  throw new PageError(r.status, `Could not load ${what}: ${r.message}`);
}
