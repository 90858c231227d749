// Liveness (/health: the process answers) and readiness (/ready: Postgres reachable with every
// migration applied, Temporal reachable). A balancer or orchestrator takes a replica out of rotation
// while /ready answers 503; each check has its own deadline so a hung dependency cannot hang the probe.
import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { migrationsPending } from '../../db/migrate.js';

const CHECK_TIMEOUT_MS = 3000;

const Checks = Type.Object(
  {
    postgres: Type.String({ description: '"ok", or why Postgres cannot be used' }),
    migrations: Type.String({ description: '"ok", or the migrations not yet applied (run `npm run migrate`)' }),
    temporal: Type.String({ description: '"ok", or why Temporal cannot be reached' }),
  },
  { additionalProperties: false },
);
const ReadyBody = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]), checks: Checks }, { additionalProperties: false });
const HealthBody = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

async function withDeadline<T>(what: string, work: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'unknown error';

export const healthRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/health',
    { schema: { summary: 'Liveness: the process is up', tags: ['operations'], security: [], response: { 200: HealthBody } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: Postgres (with migrations applied) and Temporal are reachable',
        tags: ['operations'],
        security: [],
        response: { 200: ReadyBody, 503: ReadyBody },
      },
    },
    async (_req, reply) => {
      const { db, temporal } = app.deps;
      const checks = { postgres: 'ok', migrations: 'ok', temporal: 'ok' };
      const postgres = (async () => {
        try {
          await withDeadline('Postgres', sql`select 1`.execute(db));
        } catch (err) {
          checks.postgres = `unreachable: ${reason(err)}`;
          checks.migrations = 'unknown: Postgres is unreachable';
          return;
        }
        try {
          const pending = await withDeadline('Postgres (migrations)', migrationsPending(db));
          if (pending.length) checks.migrations = `pending: ${pending.join(', ')}; run \`npm run migrate\``;
        } catch (err) {
          checks.migrations = `unknown: ${reason(err)}`;
        }
      })();
      const temporalCheck = withDeadline('Temporal', temporal.workflowService.getSystemInfo({})).then(
        () => undefined,
        (err: unknown) => {
          checks.temporal = `unreachable: ${reason(err)}`;
        },
      );
      await Promise.all([postgres, temporalCheck]);
      const ok = Object.values(checks).every((v) => v === 'ok');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
    },
  );
};
