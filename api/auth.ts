// Authentication as one hook: support automation sends `Authorization: Bearer <support token>`.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Principal {
  kind: 'support';
  id: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests so neither length nor content leaks through timing.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function bearerAuth(supportToken: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && sameSecret(match[1]!.trim(), supportToken)) {
      request.principal = { kind: 'support', id: 'support-token' };
      return;
    }
    return reply.code(401).send({
      error: 'unauthorized',
      message: header ? 'the bearer token is not valid: use the support API token' : 'sign in, or send Authorization: Bearer <support API token>',
    });
  };
}
