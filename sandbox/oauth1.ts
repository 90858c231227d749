// OAuth 1.0a request verification (RFC 5849, two-legged: consumer key/secret, empty token), as a
// district's Roster Server does it. Implemented from the RFC rather than by a client library so a
// client bug cannot be mirrored here and pass unnoticed.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256';

/** RFC 3986 unreserved-only percent-encoding (§3.6): stricter than encodeURIComponent. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parses `OAuth a="b", c="d"` into decoded pairs; returns undefined for any other scheme. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_\-.%]+)\s*=\s*"([^"]*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) params.set(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  return params;
}

/** §3.4.1.2: scheme and host lower case, default port dropped, no query. */
export function baseStringUri(protocol: string, host: string, path: string): string {
  const scheme = protocol.toLowerCase().replace(/:$/, '');
  let authority = host.toLowerCase();
  if ((scheme === 'http' && authority.endsWith(':80')) || (scheme === 'https' && authority.endsWith(':443'))) {
    authority = authority.replace(/:\d+$/, '');
  }
  return `${scheme}://${authority}${path}`;
}

/** §3.4.1: METHOD & uri & normalized parameters (query + oauth_* except signature and realm). */
export function signatureBaseString(method: string, uri: string, params: [string, string][]): string {
  const normalized = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [method.toUpperCase(), percentEncode(uri), percentEncode(normalized)].join('&');
}

export function sign(method: SignatureMethod, baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(baseString).digest('base64');
}

export interface OAuth1Request {
  method: string;
  protocol: string;
  host: string;
  /** Path without query. */
  path: string;
  /** Decoded query (and form body) pairs, repeats kept. */
  query: [string, string][];
  authorization: string | undefined;
}

export type OAuth1Result = { ok: true; consumerKey: string } | { ok: false; reason: string };

export interface OAuth1VerifierOptions {
  /** Consumer key → secret. */
  secretFor: (consumerKey: string) => string | undefined;
  /** Accepted clock skew either way, seconds. Default 300. */
  maxSkewSeconds?: number;
  now?: () => number;
}

/** Verifies signatures and remembers nonces for the skew window so a replay is refused. */
export class OAuth1Verifier {
  private readonly seen = new Map<string, number>();
  private readonly maxSkew: number;
  private readonly now: () => number;

  constructor(private readonly options: OAuth1VerifierOptions) {
    this.maxSkew = options.maxSkewSeconds ?? 300;
    this.now = options.now ?? Date.now;
  }

  verify(req: OAuth1Request): OAuth1Result {
    const oauth = parseOAuthHeader(req.authorization);
    if (!oauth) return { ok: false, reason: 'missing OAuth authorization header' };
    const consumerKey = oauth.get('oauth_consumer_key');
    const method = oauth.get('oauth_signature_method');
    const timestamp = oauth.get('oauth_timestamp');
    const nonce = oauth.get('oauth_nonce');
    const signature = oauth.get('oauth_signature');
    if (!consumerKey || !method || !timestamp || !nonce || !signature) return { ok: false, reason: 'incomplete OAuth parameters' };
    if (method !== 'HMAC-SHA1' && method !== 'HMAC-SHA256') return { ok: false, reason: `unsupported signature method ${method}` };
    const version = oauth.get('oauth_version');
    if (version !== undefined && version !== '1.0') return { ok: false, reason: `unsupported oauth_version ${version}` };
    const secret = this.options.secretFor(consumerKey);
    if (secret === undefined) return { ok: false, reason: 'unknown consumer key' };

    const nowSeconds = Math.floor(this.now() / 1000);
    const ts = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - ts) > this.maxSkew) return { ok: false, reason: 'stale or invalid timestamp' };

    const params: [string, string][] = [...req.query];
    for (const [k, v] of oauth) if (k !== 'oauth_signature' && k !== 'realm') params.push([k, v]);
    const base = signatureBaseString(req.method, baseStringUri(req.protocol, req.host, req.path), params);
    const expected = Buffer.from(sign(method, base, secret));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };

    // Only a correctly signed request consumes its nonce, so garbage cannot burn real nonces.
    this.forgetExpired(nowSeconds);
    const nonceKey = `${consumerKey}\n${timestamp}\n${nonce}`;
    if (this.seen.has(nonceKey)) return { ok: false, reason: 'nonce already used' };
    this.seen.set(nonceKey, ts);
    return { ok: true, consumerKey };
  }

  private forgetExpired(nowSeconds: number): void {
    if (this.seen.size < 10_000) return;
    for (const [k, ts] of this.seen) if (nowSeconds - ts > this.maxSkew) this.seen.delete(k);
  }
}
