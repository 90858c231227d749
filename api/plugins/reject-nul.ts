// Postgres text cannot hold a NUL character: a query parameter, path segment or JSON string with
// one would fail in SQL as a 500. Refuse it up front, for every route, as the bad input it is.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v, depth + 1));
}

export const rejectNulPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [['query', req.query], ['path', req.params], ['body', req.body]] as const) {
      if (hasNul(value)) throw new HttpError(400, 'nul_character', `the request ${part} contains a NUL character (\\u0000), which no field accepts: remove it and send the request again`);
    }
  });
});
