// The two ways ClassLink lets a consumer in: OAuth 2 client credentials (bearer tokens, as the
// OneRoster proxy does) and OAuth 1.0a signed requests (as a district's Roster Server does).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuth1Verifier } from './oauth1.js';
import type { SandboxTenant } from './tenant.js';
import { failureBody } from './faults.js';

export const TOKEN_TTL_SECONDS = 3600;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class TokenStore {
  private readonly tokens = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + TOKEN_TTL_SECONDS * 1000);
    return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS };
  }

  valid(token: string): boolean {
    const expires = this.tokens.get(token);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }
}

/** Client id/secret from HTTP Basic (RFC 6749 §2.3.1, form-encoded inside) or from the form body. */
export function clientCredentials(req: FastifyRequest): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (header && /^Basic\s/i.test(header)) {
    const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') return { id: body.client_id, secret: body.client_secret };
  return undefined;
}

export function unauthorized(reply: FastifyReply, reason: string, scheme = 'Bearer'): FastifyReply {
  return reply.code(401).header('www-authenticate', `${scheme} realm="oneroster"`).send(failureBody(`unauthorized: ${reason}`));
}

export class RequestAuthenticator {
  readonly tokens = new TokenStore();
  readonly oauth1: OAuth1Verifier;

  constructor(private readonly tenant: SandboxTenant) {
    this.oauth1 = new OAuth1Verifier({ secretFor: (key) => (key === tenant.clientId ? tenant.clientSecret : undefined) });
  }

  checkClient(creds: { id: string; secret: string }): boolean {
    return safeEqual(creds.id, this.tenant.clientId) && safeEqual(creds.secret, this.tenant.clientSecret);
  }

  /** undefined when the request may proceed, else the reason to refuse it. */
  refusal(req: FastifyRequest): string | undefined {
    if (this.tenant.faults.authFailure) return 'credentials rejected';
    const header = req.headers.authorization;
    if (!header) return 'missing Authorization header';
    if (/^Bearer\s/i.test(header)) {
      if (!this.tokens.valid(header.replace(/^Bearer\s+/i, '').trim())) return 'invalid or expired bearer token';
    } else if (/^OAuth\s/i.test(header)) {
      const url = req.raw.url ?? req.url;
      const q = url.indexOf('?');
      const result = this.oauth1.verify({
        method: req.method,
        protocol: req.protocol,
        host: req.host,
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))],
        authorization: header,
      });
      if (!result.ok) return result.reason;
    } else {
      return 'unsupported Authorization scheme';
    }
    if (this.tenant.faults.authRevoked()) return 'credentials revoked';
    return undefined;
  }
}
