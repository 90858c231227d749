// OAuth 1.0a request signing (RFC 5849 §3), as ClassLink's Roster Server verifies it: two-legged
// (consumer key and secret, no token), HMAC-SHA256 by default, HMAC-SHA1 where the integration asks.
// The pieces are exported separately so tests can pin each against the RFC's rules.

import { createHmac, randomBytes } from 'node:crypto';

export type OAuth1SignatureMethod = 'HMAC-SHA256' | 'HMAC-SHA1';

/**
 * RFC 5849 §3.6: every byte except ALPHA, DIGIT, '-', '.', '_', '~' is %XX (upper-case hex) of
 * its UTF-8 encoding. encodeURIComponent leaves !'()* alone, so those are fixed up.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1.2: lower-case scheme and host, default port dropped, path kept, no query or fragment. */
export function baseStringUri(url: string | URL): string {
  const u = new URL(url.toString());
  // WHATWG URL already lower-cases scheme/host and drops the scheme's default port.
  const port = u.port ? `:${u.port}` : '';
  return `${u.protocol}//${u.hostname}${port}${u.pathname || '/'}`;
}

/**
 * RFC 5849 §3.4.1.3.1: the query is read as application/x-www-form-urlencoded ('+' is a space),
 * giving decoded name/value pairs; repeated names are all kept.
 */
export function queryParameters(url: string | URL): [string, string][] {
  return [...new URL(url.toString()).searchParams.entries()];
}

/** RFC 5849 §3.4.1.3.2: encode each name and value, sort by name then value (byte order), join. */
export function normalizeParameters(params: readonly (readonly [string, string])[]): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * RFC 5849 §3.4.1: METHOD & encode(base URI) & encode(normalized parameters).
 * `params` are the protocol and body parameters; the URL's own query is added here.
 * oauth_signature and realm must not be among them.
 */
export function signatureBaseString(
  method: string,
  url: string | URL,
  params: readonly (readonly [string, string])[],
): string {
  const all = [...queryParameters(url), ...params];
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(all))].join('&');
}

/** RFC 5849 §3.4.2 (and its SHA-256 sibling): key = encode(consumer secret) & encode(token secret). */
export function hmacSignature(
  method: OAuth1SignatureMethod,
  baseString: string,
  consumerSecret: string,
  tokenSecret = '',
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  const algorithm = method === 'HMAC-SHA1' ? 'sha1' : 'sha256';
  return createHmac(algorithm, key).update(baseString, 'utf8').digest('base64');
}

export interface OAuth1SignInput {
  method: string;
  url: string | URL;
  consumerKey: string;
  consumerSecret: string;
  signatureMethod?: OAuth1SignatureMethod;
  /** Injected by tests; otherwise fresh per request (servers reject a reused nonce). */
  nonce?: string;
  /** Seconds since the epoch; injected by tests. */
  timestamp?: number;
}

/** The oauth_* protocol parameters for one request, without the signature. */
export function protocolParameters(input: OAuth1SignInput): [string, string][] {
  return [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_nonce', input.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_signature_method', input.signatureMethod ?? 'HMAC-SHA256'],
    ['oauth_timestamp', String(input.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_version', '1.0'],
  ];
}

/** The `Authorization: OAuth …` header value for one GET/POST without a form body (RFC 5849 §3.5.1). */
export function oauth1AuthorizationHeader(input: OAuth1SignInput): string {
  const protocol = protocolParameters(input);
  const baseString = signatureBaseString(input.method, input.url, protocol);
  const signature = hmacSignature(input.signatureMethod ?? 'HMAC-SHA256', baseString, input.consumerSecret);
  const fields = [...protocol, ['oauth_signature', signature] as [string, string]];
  return `OAuth ${fields.map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`).join(', ')}`;
}
