// One HTTP exchange with a deadline, and the retry loop around it. Knows nothing of OneRoster
// paging or auth: callers turn an answer into a result or a OneRosterError, and this module decides
// whether and when to try again.

import { networkError, timeoutError, type ErrorContext, OneRosterError } from './errors.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The whole body, already decompressed (gzip/deflate undone by fetch or by node-http.ts). */
  readonly body: string;
  /** The same body as bytes: a page recognised by its digest is never decoded (see Page.digest). */
  readonly bytes?: Uint8Array;
}

/** An answer whose text is decoded from its bytes only when read (as Response.text() decodes: UTF-8, BOM dropped). */
export function answerOf(status: number, headers: Headers, bytes: Uint8Array): HttpAnswer {
  let text: string | undefined;
  return {
    status,
    headers,
    bytes,
    get body() {
      return (text ??= new TextDecoder().decode(bytes));
    },
  };
}

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** The encodings every page request asks for, and all that a transport undoes. */
export const ACCEPT_ENCODING = 'gzip, deflate';

/**
 * Runs one exchange under a deadline that covers the body too: a server that sends headers and then
 * stalls mid-page is as stuck as one that never answers. Past the deadline the exchange is aborted
 * and reported as a timeout; any other failure as a network error naming the host of `url()`.
 */
export async function underDeadline(timeoutMs: number, ctx: ErrorContext, url: () => string, run: (signal: AbortSignal) => Promise<HttpAnswer>): Promise<HttpAnswer> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    return await run(controller.signal);
  } catch (err) {
    if (timedOut) throw timeoutError(ctx, timeoutMs);
    throw networkError(ctx, hostOf(url()), err);
  } finally {
    clearTimeout(timer);
  }
}

/** One request through `fetchImpl`, under the deadline. */
export async function exchange(
  fetchImpl: typeof fetch,
  request: HttpRequest,
  timeoutMs: number,
  ctx: ErrorContext,
): Promise<HttpAnswer> {
  return underDeadline(timeoutMs, ctx, () => request.url, async (signal) => {
    const res = await fetchImpl(request.url, {
      method: request.method,
      headers: { 'accept-encoding': ACCEPT_ENCODING, ...request.headers },
      body: request.body,
      signal,
      redirect: 'follow',
    });
    return answerOf(res.status, res.headers, new Uint8Array(await res.arrayBuffer()));
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the OneRoster server';
  }
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns ms to wait, or null when
 * absent or unreadable (then our own backoff applies).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export interface RetryPolicy {
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1); injected for tests. */
  random: () => number;
  /** First backoff step; doubles per attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A Retry-After longer than this is not waited out inside one activity: the error is thrown
   * (still retryable) so the sync is retried later instead of holding a worker slot for an hour.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'sleep' | 'maxAttempts'> = {
  random: Math.random,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so many workers
 * hit by the same 429 do not come back in lockstep, yet none retries immediately.
 */
export function backoffDelayMs(attempt: number, policy: Pick<RetryPolicy, 'random' | 'baseDelayMs' | 'maxDelayMs'>): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + policy.random() * (step / 2));
}

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or maxAttempts is reached.
 * A server's Retry-After wins over our backoff (it is what the server asked for).
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof OneRosterError) || !err.retryable) throw err;
      if (n >= policy.maxAttempts) throw err.afterAttempts(n);
      if (err.retryAfterMs != null && err.retryAfterMs > policy.maxRetryAfterMs) throw err.afterAttempts(n);
      await policy.sleep(err.retryAfterMs ?? backoffDelayMs(n, policy));
    }
  }
}
