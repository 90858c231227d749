// The Fastify app factory: shared resources arrive as deps and are decorated onto the instance;
// the server entry (api/main.ts) owns ports, timeouts and shutdown.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../db/secrets.js';
import { authPlugin } from './auth.js';
import { HttpError } from './errors.js';
import { connectionRoutes } from './routes/connection.js';
import { gracefulClosePlugin } from './plugins/graceful.js';
import { fastifyLogging, type AppLoggerOption } from './plugins/logging.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { rejectNulPlugin } from './plugins/reject-nul.js';
import { districtRoutes } from './routes/districts.js';
import { adminModeRoutes } from './routes/admin-mode.js';
import { healthRoutes } from './routes/health.js';
import { notificationRoutes } from './routes/notifications.js';
import { pageRoutes } from './routes/pages.js';
import { runRoutes } from './routes/runs.js';
import { signInRoutes } from './routes/sign-in.js';

export interface AppDeps {
  db: Kysely<Database>;
  temporal: Client;
  config: Config;
  secrets: SecretBox;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

export async function buildApp(deps: AppDeps, options: { logger?: AppLoggerOption } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Never log secrets: our pino logger redacts credentials wherever they would be printed.
    ...fastifyLogging(options.logger),
    ajv: { customOptions: { allErrors: true, coerceTypes: false } },
    // While closing (SIGTERM), new requests get 503 so the balancer moves on; in-flight ones finish.
    return503OnClosing: true,
  });
  app.decorate('deps', deps);
  app.decorateRequest('principal', null);

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown[]; code?: string }, req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    if (err.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: `${err.message}: fix the request and send it again` });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code?.toLowerCase() ?? 'bad_request', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'something went wrong on our side; the error is logged, try again or tell the operators' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}: see /docs` }));

  // Before any route: OpenAPI must see every route, metrics must time every request.
  await app.register(openApiPlugin);
  await app.register(metricsPlugin);
  await app.register(gracefulClosePlugin);
  // Who is asking and what they may do, for every route (api/authz.ts holds the policy table).
  await app.register(authPlugin);
  await app.register(rejectNulPlugin);
  await app.register(healthRoutes);
  await app.register(async (api) => {
    await api.register(districtRoutes);
    await api.register(runRoutes);
    await api.register(connectionRoutes);
    await api.register(notificationRoutes);
    await api.register(adminModeRoutes);
  });
  await app.register(signInRoutes);
  await app.register(pageRoutes);
  return app;
}
