// Prometheus metrics of the API at GET /metrics: request counts and latency per route pattern (not
// per raw URL, so cardinality stays bounded) plus Node process metrics. One registry per app, so
// several apps in one process (tests) do not collide.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { Type } from '@sinclair/typebox';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

const started = Symbol('metricsStartedAt');
type Timed = FastifyRequest & { [started]?: bigint };

export const METRICS_PATH = '/metrics';

const plugin: FastifyPluginAsync<{ registry?: Registry }> = async (app, opts) => {
  const registry = opts.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'classlink_api_' });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('metrics', registry);

  app.addHook('onRequest', async (req: Timed) => {
    req[started] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (req: Timed, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    if (req[started] !== undefined) latency.observe(labels, Number(process.hrtime.bigint() - req[started]) / 1e9);
  });

  app.get(
    METRICS_PATH,
    {
      schema: {
        summary: 'Prometheus metrics of this API replica',
        tags: ['operations'],
        security: [],
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};

// Not encapsulated: the hooks must see every route of the app (what fastify-plugin does).
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const metricsPlugin = plugin;
