// Sandbox-only controls, unauthenticated on purpose: a test or a developer moves the district a
// night forward, rolls the year over, or sets the bad day the client must survive.

import type { FastifyInstance } from 'fastify';
import { FaultValidationError, type Faults } from './faults.js';
import type { SandboxTenant } from './tenant.js';

export function registerAdminRoutes(app: FastifyInstance, tenant: SandboxTenant): void {
  app.get('/admin/state', async () => tenant.state());

  app.post('/admin/advance-night', async () => {
    tenant.advanceNight();
    return tenant.state();
  });

  app.post('/admin/rollover', async () => {
    tenant.rollover();
    return tenant.state();
  });

  app.post('/admin/faults', async (req, reply) => {
    try {
      tenant.setFaults((req.body ?? {}) as Faults);
    } catch (err) {
      if (err instanceof FaultValidationError) return reply.code(400).send({ error: 'invalid_faults', message: err.message });
      throw err;
    }
    return { faults: tenant.faults.current };
  });

  app.delete('/admin/faults', async () => {
    tenant.clearFaults();
    return { faults: tenant.faults.current };
  });
}
