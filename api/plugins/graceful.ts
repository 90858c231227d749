// Graceful close for kept-alive clients: once closing starts, every response still being written
// carries `Connection: close`, so its socket ends with it instead of idling until keepAliveTimeout
// (which would hold app.close() for over a minute behind a balancer that keeps connections open).
import type { FastifyPluginAsync } from 'fastify';

const plugin: FastifyPluginAsync = async (app) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
};

(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const gracefulClosePlugin = plugin;
