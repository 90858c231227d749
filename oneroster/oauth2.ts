// OAuth 2 client credentials (RFC 6749 §4.4) for ClassLink's OneRoster proxy. The token is cached
// and shared by concurrent requests; it is renewed shortly before it expires, and the client asks
// for a new one once when a request comes back 401 (a token revoked early looks exactly like that).

import { brokenResponse, errorForStatus, type ErrorContext } from './errors.js';
import { exchange } from './http.js';
import { percentEncode } from './oauth1.js';

export interface TokenSource {
  /** A valid access token, fetched (one attempt) when none is cached or it is about to expire. */
  token(): Promise<string>;
  /** Drop `token` (e.g. after a 401) so the next call fetches a new one. */
  invalidate(token: string): void;
}

export interface OAuth2Options {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scope?: string;
  districtId: string;
  fetch: typeof fetch;
  timeoutMs: number;
  now?: () => number;
  /** Renew this long before expiry. Default 60 s. */
  refreshMarginMs?: number;
}

interface Cached {
  token: string;
  /** Epoch ms after which the token is not handed out any more; null = until a 401. */
  renewAt: number | null;
}

export function createOAuth2TokenSource(options: OAuth2Options): TokenSource {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 60_000;
  const ctx: ErrorContext = {
    districtId: options.districtId,
    authKind: 'oauth2',
    target: { kind: 'token', tokenUrl: options.tokenUrl },
  };
  let cached: Cached | null = null;
  let inFlight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const issuedAt = now();
    // RFC 6749 §2.3.1: id and secret are form-encoded before they go into HTTP Basic.
    const basic = Buffer.from(`${percentEncode(options.clientId)}:${percentEncode(options.clientSecret)}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope) form.set('scope', options.scope);
    const answer = await exchange(
      options.fetch,
      {
        url: options.tokenUrl,
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
      },
      options.timeoutMs,
      ctx,
    );
    if (answer.status < 200 || answer.status >= 300) {
      throw errorForStatus(answer.status, ctx, { detail: oauthErrorCode(answer.body) });
    }
    const parsed = parseTokenResponse(answer.body);
    if (!parsed) {
      throw brokenResponse(ctx, 'the token response has no access_token', { status: answer.status });
    }
    cached = { token: parsed.token, renewAt: renewAt(issuedAt, parsed.expiresInS, margin) };
    return parsed.token;
  }

  return {
    token() {
      if (cached && (cached.renewAt === null || now() < cached.renewAt)) return Promise.resolve(cached.token);
      // One request for a new token, however many pages are waiting for it.
      inFlight ??= fetchToken().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    invalidate(token: string) {
      // Only the token that failed: a newer one fetched meanwhile stays.
      if (cached?.token === token) cached = null;
    },
  };
}

/**
 * When to stop using a token. The margin is capped at half the lifetime so a short-lived token
 * (expires_in 60) is still used rather than fetched anew for every request.
 */
function renewAt(issuedAt: number, expiresInS: number | null, marginMs: number): number | null {
  if (expiresInS === null) return null;
  const lifetimeMs = expiresInS * 1000;
  return issuedAt + lifetimeMs - Math.min(marginMs, lifetimeMs / 2);
}

function parseTokenResponse(body: string): { token: string; expiresInS: number | null } | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  if (!json || typeof json !== 'object') return null;
  const { access_token, expires_in } = json as { access_token?: unknown; expires_in?: unknown };
  if (typeof access_token !== 'string' || access_token === '') return null;
  // Some servers send expires_in as a string; a missing one means "until it stops working".
  const n = typeof expires_in === 'string' ? Number(expires_in) : expires_in;
  return { token: access_token, expiresInS: typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null };
}

/** RFC 6749 §5.2 `error` code only (a fixed ASCII vocabulary, safe to show); never the description. */
function oauthErrorCode(body: string): string | null {
  try {
    const err = (JSON.parse(body) as { error?: unknown }).error;
    return typeof err === 'string' && /^[\w.-]{1,64}$/.test(err) ? err : null;
  } catch {
    return null;
  }
}
