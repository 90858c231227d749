// The OneRoster 1.1 REST client, composed: auth (auth.ts) signs or bears each attempt, http.ts
// sends it with a deadline and retries, this file reads one page, paging.ts walks a collection.

import { hash } from 'node:crypto';
import { createRequestAuth, type RequestAuth } from './auth.js';
import { brokenResponse, errorForStatus, serverReason, type ErrorContext, OneRosterError } from './errors.js';
import { DEFAULT_RETRY, exchange, parseRetryAfter, withRetries, type HttpAnswer, type RetryPolicy } from './http.js';
import { elementTexts } from './element-texts.js';
import { nodeExchange } from './node-http.js';
import { percentEncode } from './oauth1.js';
import { pageThrough } from './paging.js';
import {
  COLLECTIONS,
  type Collection,
  type CollectionCheck,
  type OneRosterClient,
  type OneRosterClientOptions,
  type KnownPage,
  type Page,
  type PageRequest,
  type PagesOptions,
} from './types.js';

const DEFAULTS = { pageSize: 1000, timeoutMs: 60_000, maxAttempts: 5 };

export function createOneRosterClient(options: OneRosterClientOptions): OneRosterClient {
  const baseUrl = checkedBaseUrl(options.baseUrl);
  const pageSize = positiveInt(options.pageSize ?? DEFAULTS.pageSize, 'pageSize');
  const timeoutMs = positiveInt(options.timeoutMs ?? DEFAULTS.timeoutMs, 'timeoutMs');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    maxAttempts: positiveInt(options.maxAttempts ?? DEFAULTS.maxAttempts, 'maxAttempts'),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? DEFAULT_RETRY.random,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs,
  };
  const auth: RequestAuth = createRequestAuth(options.auth, {
    baseUrl,
    districtId: options.districtId,
    fetch: fetchImpl,
    timeoutMs,
    now,
  });

  const pageContext = (collection: Collection, offset: number): ErrorContext => ({
    districtId: options.districtId,
    authKind: auth.kind,
    target: { kind: 'page', collection, offset },
  });

  /** One GET, with one fresh credential after a 401 when the scheme can renew (OAuth 2). */
  async function authorizedGet(url: string, ctx: ErrorContext): Promise<HttpAnswer> {
    const send = async () => {
      const authorization = await auth.header('GET', url);
      const request = { url, method: 'GET' as const, headers: { accept: 'application/json', authorization } };
      const answer = options.fetch ? await exchange(options.fetch, request, timeoutMs, ctx) : await nodeExchange(request, timeoutMs, ctx);
      return { answer, authorization };
    };
    const first = await send();
    if (first.answer.status !== 401 || !auth.renewAfter401(first.authorization)) return first.answer;
    return (await send()).answer;
  }

  async function getPage(collection: Collection, request: PageRequest): Promise<Page> {
    return getPageOrKnown(collection, request, undefined) as Promise<Page>;
  }

  /** One page; with `recognise`, a body it knows by its digest is not parsed but yielded as a KnownPage. */
  async function getPageOrKnown(collection: Collection, request: PageRequest, recognise: PagesOptions['recognise']): Promise<Page | KnownPage> {
    if (!COLLECTIONS.includes(collection)) throw new TypeError(`unknown OneRoster collection: ${String(collection)}`);
    const offset = nonNegativeInt(request.offset, 'offset');
    const limit = positiveInt(request.limit ?? pageSize, 'limit');
    const url = pageUrl(baseUrl, collection, { limit, offset, filter: request.filter });
    const ctx = pageContext(collection, offset);
    return withRetries(policy, async () => {
      const answer = await authorizedGet(url, ctx);
      if (!recognise || !answer.bytes || answer.status < 200 || answer.status >= 300) {
        return readPage(answer, collection, offset, limit, ctx, auth.secrets, now());
      }
      const digest = hash('sha256', answer.bytes, 'hex');
      const known = await recognise(collection, digest);
      const parse = (): Page => ({ ...readPage(answer, collection, offset, limit, ctx, auth.secrets, now()), digest });
      if (!known) return parse();
      return { collection, offset, limit, totalCount: parseCount(answer.headers.get('x-total-count')), digest, known, parse };
    });
  }

  async function checkCollection(collection: Collection): Promise<CollectionCheck | { failure: OneRosterError }> {
    try {
      const page = await getPage(collection, { offset: 0, limit: 1 });
      return { collection, ok: true, count: page.totalCount ?? page.records.length };
    } catch (err) {
      if (err instanceof OneRosterError) return { failure: err };
      return { collection, ok: false, error: `unexpected failure: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async function testConnection() {
    let auth_: { ok: boolean; error?: string } | null = null;
    if (auth.verify) {
      try {
        await withRetries(policy, () => auth.verify!());
        auth_ = { ok: true };
      } catch (err) {
        auth_ = { ok: false, error: messageOf(err) };
      }
    }
    const collections: CollectionCheck[] = [];
    let firstError: string | null = null;
    for (const collection of COLLECTIONS) {
      if (auth_ && !auth_.ok) {
        // Every request would fail the same way; say why instead of asking again.
        collections.push({ collection, ok: false, error: auth_.error });
        continue;
      }
      const result = await checkCollection(collection);
      if ('failure' in result) {
        const error = result.failure.message;
        firstError ??= error;
        collections.push({ collection, ok: false, error });
        if (result.failure.code === 'auth') auth_ = { ok: false, error };
      } else {
        collections.push(result);
        if (result.ok) auth_ ??= { ok: true };
      }
    }
    const authResult = auth_ ?? { ok: false, error: `could not verify the credentials: ${firstError ?? 'no collection answered'}` };
    return { ok: authResult.ok && collections.every((c) => c.ok), auth: authResult, collections };
  }

  return {
    getPage,
    pages: (collection, opts) =>
      pageThrough({ getPage, pageSize, policy, errorContext: pageContext }, collection, opts ?? {}),
    recognisingPages: (collection, opts) =>
      pageThrough(
        { getPage: (c: Collection, request: PageRequest) => getPageOrKnown(c, request, opts.recognise), pageSize, policy, errorContext: pageContext },
        collection,
        opts,
      ),
    testConnection,
  };
}

/** Turns one answer into a Page, or the error that says what went wrong. */
export function readPage(
  answer: HttpAnswer,
  collection: Collection,
  offset: number,
  limit: number,
  ctx: ErrorContext,
  secrets: readonly string[],
  nowMs: number,
): Page {
  if (answer.status < 200 || answer.status >= 300) {
    throw errorForStatus(answer.status, ctx, {
      detail: serverReason(answer.body, secrets),
      retryAfterMs: parseRetryAfter(answer.headers.get('retry-after'), nowMs),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    throw brokenResponse(ctx, `the ${answer.status} body is not JSON (${answer.body.length} bytes)`, { status: answer.status });
  }
  const records = json && typeof json === 'object' ? (json as Record<string, unknown>)[collection] : undefined;
  if (records === undefined) {
    throw brokenResponse(ctx, `the ${answer.status} body has no "${collection}" key`, { status: answer.status });
  }
  if (!Array.isArray(records)) {
    throw brokenResponse(ctx, `"${collection}" in the body is ${records === null ? 'null' : typeof records}, not an array`, { status: answer.status });
  }
  const texts = elementTexts(answer.body, collection, records.length);
  return { collection, offset, limit, totalCount: parseCount(answer.headers.get('x-total-count')), records, ...(texts ? { texts } : {}) };
}

function parseCount(value: string | null): number | null {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}

/**
 * Query values are encoded the RFC 3986 way (%20, %27), not as HTML forms (+): servers that
 * decode either way then read the same filter, and OAuth 1.0a signatures match on both sides.
 */
export function pageUrl(baseUrl: string, collection: Collection, q: { limit: number; offset: number; filter?: string }): string {
  const params: [string, string][] = [
    ['limit', String(q.limit)],
    ['offset', String(q.offset)],
  ];
  if (q.filter) params.push(['filter', q.filter]);
  return `${baseUrl}/${collection}?${params.map(([k, v]) => `${k}=${percentEncode(v)}`).join('&')}`;
}

function checkedBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TypeError(`OneRoster baseUrl is not a URL: ${raw}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`OneRoster baseUrl must be http(s): ${raw}`);
  if (u.search || u.hash) throw new TypeError(`OneRoster baseUrl must not carry a query or fragment: ${raw}`);
  return u.toString().replace(/\/+$/, '');
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
  return n;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
