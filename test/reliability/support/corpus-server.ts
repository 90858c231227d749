// A tiny OneRoster server for hand-made feeds: serves whatever records a test gives it (well
// formed or not) with limit/offset paging and X-Total-Count, behind the sandbox's OAuth 2
// client-credentials tokens. The feed can be swapped between runs.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { COLLECTIONS, type Collection } from '../../../oneroster/types.js';
import { clientCredentials, TokenStore, unauthorized } from '../../../sandbox/auth.js';

export type Feed = Record<Collection, unknown[]>;

export interface CorpusServer {
  onerosterBaseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  setFeed(feed: Feed): void;
  close(): Promise<void>;
}

export async function startCorpusServer(initial: Feed): Promise<CorpusServer> {
  const clientId = 'corpus-client';
  const clientSecret = 'corpus-secret-do-not-log';
  const tokens = new TokenStore();
  let feed = initial;
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  await app.register(formbody);
  app.post('/oauth/token', async (req, reply) => {
    const creds = clientCredentials(req);
    if (!creds || creds.id !== clientId || creds.secret !== clientSecret) return reply.code(401).send({ error: 'invalid_client' });
    return tokens.issue();
  });
  for (const collection of COLLECTIONS) {
    app.get(`/ims/oneroster/v1p1/${collection}`, async (req, reply) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      if (!tokens.valid(token)) return unauthorized(reply, 'invalid or expired bearer token');
      const q = req.query as Record<string, string | undefined>;
      const limit = Math.max(1, Math.min(10_000, Number(q.limit ?? 100) || 100));
      const offset = Math.max(0, Number(q.offset ?? 0) || 0);
      const all = feed[collection];
      // Serialized by hand: JSON.stringify keeps what Fastify's serializer might normalize (lone surrogates, odd keys).
      return reply
        .header('x-total-count', String(all.length))
        .type('application/json')
        .send(JSON.stringify({ [collection]: all.slice(offset, offset + limit) }));
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    onerosterBaseUrl: `${url}/ims/oneroster/v1p1`,
    tokenUrl: `${url}/oauth/token`,
    clientId,
    clientSecret,
    setFeed: (next) => {
      feed = next;
    },
    close: () => app.close(),
  };
}
