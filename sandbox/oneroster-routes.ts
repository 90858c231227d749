// OneRoster 1.1 REST routes: the six collections and four views, paged, filtered, sorted, with
// X-Total-Count; faults are applied here, around the honest answer.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashString } from './prng.js';
import { failureBody, malformedKindAt } from './faults.js';
import { malform } from './malform.js';
import { FilterSyntaxError, SINGULAR, VIEWS, type QueryOptions, type ViewName } from './query.js';
import { unauthorized, type RequestAuthenticator } from './auth.js';
import type { SandboxTenant } from './tenant.js';

export const ONEROSTER_PREFIX = '/ims/oneroster/v1p1';
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a student (by sourcedId) is among the mass-dropped percentage. */
function massDropped(sourcedId: string, percent: number): boolean {
  return hashString(sourcedId, 0x0d20) / 4294967296 < percent / 100;
}

function intParam(value: unknown, fallback: number, name: string, min: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new FilterSyntaxError(`${name} must be an integer >= ${min}`);
  return n;
}

export function registerOneRosterRoutes(app: FastifyInstance, tenant: SandboxTenant, auth: RequestAuthenticator): void {
  /** Auth and the faults that replace a response; returns true when it already answered. */
  async function gate(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const refusal = auth.refusal(req);
    if (refusal) {
      unauthorized(reply, refusal, /^OAuth\s/i.test(req.headers.authorization ?? '') ? 'OAuth' : 'Bearer');
      return true;
    }
    if (tenant.faults.slowMs > 0) await sleep(tenant.faults.slowMs);
    const failure = tenant.faults.injectedFailure();
    if (failure) {
      reply.code(failure.status).headers(failure.headers).send(failure.body);
      return true;
    }
    return false;
  }

  for (const view of Object.keys(VIEWS) as ViewName[]) {
    const spec = VIEWS[view];
    const collection = spec.collection;

    app.get(`${ONEROSTER_PREFIX}/${view}`, async (req, reply) => {
      if (await gate(req, reply)) return reply;
      const q = req.query as Record<string, string | undefined>;
      let offset: number;
      let limit: number;
      const options: QueryOptions = {};
      try {
        offset = intParam(q.offset, 0, 'offset', 0);
        limit = Math.min(intParam(q.limit, DEFAULT_LIMIT, 'limit', 1), MAX_LIMIT);
        if (q.filter) options.filter = q.filter;
        if (q.sort) options.sort = q.sort;
        if (q.orderBy) {
          if (q.orderBy !== 'asc' && q.orderBy !== 'desc') throw new FilterSyntaxError("orderBy must be 'asc' or 'desc'");
          options.orderBy = q.orderBy;
        }
        const faults = tenant.faults.raw;
        const percent = faults.massDropStudentsPercent ?? 0;
        if (percent > 0 && (collection === 'users' || collection === 'enrollments')) {
          options.hide = {
            key: `massDrop:${percent}`,
            test: (r) =>
              r.role === 'student' &&
              massDropped(collection === 'users' ? (r.sourcedId as string) : (r.user as { sourcedId: string }).sourcedId, percent),
          };
        }
        const result = tenant.engine.run(view, offset, limit, options);
        let total = result.total;
        const records = result.records;
        let body: Record<string, unknown>[] = records as unknown as Record<string, unknown>[];

        if (faults.emptyUsers && collection === 'users') {
          total = 0;
          body = [];
        }
        if (faults.malformed?.collection === collection) {
          const kinds = faults.malformed.kinds;
          body = body.map((record, k) => {
            const kind = malformedKindAt(offset + k, kinds);
            if (!kind) return record;
            const previous = k > 0 ? body[k - 1] : tenant.engine.run(view, Math.max(0, offset + k - 1), 1, options).records[0];
            return malform(collection, record, kind, String((previous as { sourcedId?: unknown })?.sourcedId ?? record.sourcedId));
          });
        }
        if (faults.truncatePage?.collection === collection && faults.truncatePage.offset === offset && body.length > 0) {
          body = body.slice(0, Math.floor(body.length / 2));
        }
        if (faults.wrongTotalCount?.collection === collection) total = Math.max(0, total + faults.wrongTotalCount.delta);

        reply.header('x-total-count', String(total));
        if (faults.missingCollectionKey?.collection === collection) return reply.send({});
        return reply.send({ [spec.key]: body });
      } catch (err) {
        if (err instanceof FilterSyntaxError) return reply.code(400).send(failureBody(err.message));
        throw err;
      }
    });

    app.get(`${ONEROSTER_PREFIX}/${view}/:sourcedId`, async (req, reply) => {
      if (await gate(req, reply)) return reply;
      const { sourcedId } = req.params as { sourcedId: string };
      const record = tenant.generator.get(collection, sourcedId) as unknown as Record<string, unknown> | undefined;
      const where = 'where' in spec ? spec.where : undefined;
      if (!record || (where && !where(record)) || (tenant.faults.raw.emptyUsers && collection === 'users')) {
        return reply.code(404).send(failureBody(`${SINGULAR[collection]} ${sourcedId} not found`));
      }
      return reply.send({ [SINGULAR[collection]]: record });
    });
  }
}
