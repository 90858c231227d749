// One error type for everything the OneRoster client can fail at. Callers (activities, the API's
// test-connection) branch on `code` and `retryable`; people read `message`, which always names the
// district and says what to do next. Secrets (client secret, tokens) never enter a message.

import type { Collection } from './types.js';

export type OneRosterErrorCode =
  | 'auth'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'broken_response'
  | 'bad_request';

/** Where a failure happened: a page of a collection, or the OAuth 2 token endpoint. */
export type ErrorTarget =
  | { kind: 'page'; collection: Collection; offset: number }
  | { kind: 'token'; tokenUrl: string };

export interface ErrorContext {
  districtId: string;
  /** Drives the hint on a 401: what to check differs per auth scheme. */
  authKind: 'oauth1' | 'oauth2' | 'bearer';
  target: ErrorTarget;
}

export interface OneRosterErrorInit {
  code: OneRosterErrorCode;
  message: string;
  status?: number | null;
  retryable: boolean;
  collection?: Collection | null;
  offset?: number | null;
  districtId: string;
  /** A server-requested wait (Retry-After), in ms. */
  retryAfterMs?: number | null;
  attempts?: number;
  cause?: unknown;
}

export class OneRosterError extends Error {
  // A stable name: Temporal reports non-ApplicationFailure errors by name.
  override readonly name = 'OneRosterError';
  readonly code: OneRosterErrorCode;
  readonly status: number | null;
  /** True when trying again later can succeed (429, 5xx, timeouts, network, broken responses). */
  readonly retryable: boolean;
  readonly collection: Collection | null;
  readonly offset: number | null;
  readonly districtId: string;
  readonly retryAfterMs: number | null;
  /** How many attempts were made before giving up (1 when not retried). */
  readonly attempts: number;

  constructor(init: OneRosterErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status ?? null;
    this.retryable = init.retryable;
    this.collection = init.collection ?? null;
    this.offset = init.offset ?? null;
    this.districtId = init.districtId;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.attempts = init.attempts ?? 1;
  }

  /** The same failure, reported after `attempts` tries. */
  afterAttempts(attempts: number): OneRosterError {
    if (attempts <= 1) return this;
    return new OneRosterError({
      ...this.fields(),
      message: `${this.message} (gave up after ${attempts} attempts)`,
      attempts,
      cause: this.cause,
    });
  }

  private fields(): Omit<OneRosterErrorInit, 'message'> {
    return {
      code: this.code,
      status: this.status,
      retryable: this.retryable,
      collection: this.collection,
      offset: this.offset,
      districtId: this.districtId,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
    };
  }
}

export function isOneRosterError(err: unknown): err is OneRosterError {
  return err instanceof OneRosterError;
}

/** "users at offset 2000" or "the token endpoint https://…/oauth/token". */
export function describeTarget(target: ErrorTarget): string {
  return target.kind === 'page'
    ? `${target.collection} at offset ${target.offset}`
    : `the token endpoint ${target.tokenUrl}`;
}

function base(ctx: ErrorContext) {
  return {
    districtId: ctx.districtId,
    collection: ctx.target.kind === 'page' ? ctx.target.collection : null,
    offset: ctx.target.kind === 'page' ? ctx.target.offset : null,
  };
}

function authHint(kind: ErrorContext['authKind']): string {
  switch (kind) {
    case 'oauth1':
      return "check the tenant's OneRoster key and secret, the signature method (HMAC-SHA256 or HMAC-SHA1), and that this server's clock is right (OAuth 1.0a timestamps)";
    case 'oauth2':
      return "check the tenant's OneRoster client id and secret and the token URL";
    case 'bearer':
      return 'the static bearer token is wrong or revoked: ask the district for a new one';
  }
}

/** Codes that a fresh attempt can fix. Everything else is a configuration or permission problem. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * Maps a non-2xx answer to an error. `detail` is a short, already-redacted server reason
 * (e.g. an OAuth `error` code) or null.
 */
export function errorForStatus(
  status: number,
  ctx: ErrorContext,
  opts: { detail?: string | null; retryAfterMs?: number | null } = {},
): OneRosterError {
  const where = describeTarget(ctx.target);
  const d = ctx.districtId;
  const reason = opts.detail ? `, "${opts.detail}"` : '';
  const common = { ...base(ctx), status, retryAfterMs: opts.retryAfterMs ?? null };
  if (status === 401) {
    return new OneRosterError({
      ...common,
      code: 'auth',
      retryable: false,
      message: `ClassLink rejected the OneRoster key/secret for district ${d} on ${where} (401${reason}): ${authHint(ctx.authKind)}`,
    });
  }
  if (ctx.target.kind === 'token' && status === 400) {
    // RFC 6749 §5.2: invalid_client / invalid_grant / unauthorized_client all come back as 400.
    return new OneRosterError({
      ...common,
      code: 'auth',
      retryable: false,
      message: `ClassLink's token endpoint refused the client credentials for district ${d} at ${ctx.target.tokenUrl} (400${reason}): ${authHint(ctx.authKind)}`,
    });
  }
  if (status === 403) {
    return new OneRosterError({
      ...common,
      code: 'forbidden',
      retryable: false,
      message: `ClassLink refused access to ${where} for district ${d} (403${reason}): the OneRoster application lacks permission for this data; ask the district to grant it in ClassLink Roster Server`,
    });
  }
  if (status === 404) {
    return new OneRosterError({
      ...common,
      code: 'not_found',
      retryable: false,
      message: `ClassLink has no ${where} for district ${d} (404${reason}): check the district's OneRoster base URL (it should end in /ims/oneroster/v1p1)`,
    });
  }
  if (status === 429) {
    return new OneRosterError({
      ...common,
      code: 'rate_limited',
      retryable: true,
      message: `ClassLink rate-limited district ${d} on ${where} (429${reason}${waitNote(opts.retryAfterMs)}): wait and run the sync again later`,
    });
  }
  if (status >= 500) {
    return new OneRosterError({
      ...common,
      code: 'server',
      retryable: isRetryableStatus(status),
      message: `ClassLink's server failed on ${where} for district ${d} (${status}${reason}${waitNote(opts.retryAfterMs)}): retry later; if it persists, check ClassLink's status and the tenant`,
    });
  }
  return new OneRosterError({
    ...common,
    code: 'bad_request',
    retryable: false,
    message: `ClassLink rejected the request for ${where} for district ${d} (${status}${reason}): check the filter and paging parameters this server accepts`,
  });
}

function waitNote(retryAfterMs: number | null | undefined): string {
  return retryAfterMs == null ? '' : `, asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
}

/** A deadline for a message: a 200 ms one reads "200 ms", not "0 s". */
function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}

export function timeoutError(ctx: ErrorContext, timeoutMs: number): OneRosterError {
  return new OneRosterError({
    ...base(ctx),
    code: 'timeout',
    retryable: true,
    message: `ClassLink did not answer ${describeTarget(ctx.target)} for district ${ctx.districtId} within ${duration(timeoutMs)}: retry later, or lower the page size if big pages are slow`,
  });
}

export function networkError(ctx: ErrorContext, host: string, cause: unknown): OneRosterError {
  const why = networkReason(cause);
  return new OneRosterError({
    ...base(ctx),
    code: 'network',
    retryable: true,
    cause,
    message: `Could not reach ${host} for ${describeTarget(ctx.target)} of district ${ctx.districtId}${why ? ` (${why})` : ''}: check the base URL and that the host is reachable from here`,
  });
}

export function brokenResponse(ctx: ErrorContext, what: string, opts: { status?: number | null } = {}): OneRosterError {
  return new OneRosterError({
    ...base(ctx),
    code: 'broken_response',
    status: opts.status ?? null,
    retryable: true,
    message: `ClassLink sent a broken response for ${describeTarget(ctx.target)} of district ${ctx.districtId}: ${what}. This is not "no records": retry later; if it persists, report it to ClassLink`,
  });
}

/** A system error code (ECONNREFUSED, ENOTFOUND…) from undici's `fetch failed` chain. */
function networkReason(cause: unknown): string | null {
  let e: unknown = cause;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return cause instanceof Error ? cause.message : null;
}

/** Removes known secret values from text that came from elsewhere (a server's error body). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}

/**
 * A short reason from a server's error body, for the message: OneRoster's imsx_description, or a
 * `message`/`error` string. Redacted, one line, at most 160 characters; null when there is none.
 */
export function serverReason(body: string, secrets: readonly string[]): string | null {
  let text: unknown = null;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const info = (json?.imsx_statusInfoSet as { imsx_description?: unknown }[] | undefined)?.[0];
    text = json?.imsx_description ?? info?.imsx_description ?? json?.message ?? json?.error;
  } catch {
    return null;
  }
  if (typeof text !== 'string' || text.trim() === '') return null;
  const line = redact(text, secrets).replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
