// The three ways a district lets us in, behind one shape: an Authorization header per attempt,
// and what to do when the server answers 401.

import { oauth1AuthorizationHeader } from './oauth1.js';
import { createOAuth2TokenSource, type TokenSource } from './oauth2.js';
import type { OneRosterAuth } from './types.js';

export interface RequestAuth {
  kind: OneRosterAuth['kind'];
  /** Computed per attempt: OAuth 1.0a needs a fresh nonce and timestamp every time. */
  header(method: 'GET', url: string): Promise<string>;
  /** After a 401 with `header`: true when a fresh credential is worth one more try. */
  renewAfter401(header: string): boolean;
  /** OAuth 2 only: get a token now, to prove the credentials without reading data. */
  verify?: () => Promise<void>;
  /** Values that must never appear in an error message. */
  secrets: string[];
}

export interface AuthDeps {
  baseUrl: string;
  districtId: string;
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
}

export function createRequestAuth(auth: OneRosterAuth, deps: AuthDeps): RequestAuth {
  switch (auth.kind) {
    case 'oauth1':
      return {
        kind: 'oauth1',
        header: async (method, url) =>
          oauth1AuthorizationHeader({
            method,
            url,
            consumerKey: auth.clientId,
            consumerSecret: auth.clientSecret,
            signatureMethod: auth.signatureMethod ?? 'HMAC-SHA256',
            timestamp: Math.floor(deps.now() / 1000),
          }),
        // A rejected signature does not get better by signing again.
        renewAfter401: () => false,
        secrets: [auth.clientSecret],
      };
    case 'oauth2': {
      const source: TokenSource = createOAuth2TokenSource({
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        tokenUrl: auth.tokenUrl ?? defaultTokenUrl(deps.baseUrl),
        scope: auth.scope,
        districtId: deps.districtId,
        fetch: deps.fetch,
        timeoutMs: deps.timeoutMs,
        now: deps.now,
      });
      const issued = new Set<string>();
      return {
        kind: 'oauth2',
        header: async () => {
          const token = await source.token();
          issued.add(token);
          return `Bearer ${token}`;
        },
        renewAfter401: (header) => {
          source.invalidate(header.slice('Bearer '.length));
          return true;
        },
        verify: async () => {
          issued.add(await source.token());
        },
        // Tokens are secrets too; the set grows by one per token lifetime, which is small.
        get secrets() {
          return [auth.clientSecret, ...issued];
        },
      };
    }
    case 'bearer':
      return {
        kind: 'bearer',
        header: async () => `Bearer ${auth.token}`,
        renewAfter401: () => false,
        secrets: [auth.token],
      };
  }
}

/** ClassLink's proxy issues tokens at the host's /oauth/token unless the tenant says otherwise. */
export function defaultTokenUrl(baseUrl: string): string {
  return `${new URL(baseUrl).origin}/oauth/token`;
}
