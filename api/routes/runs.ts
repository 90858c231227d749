// Sync runs of a district: history, detail with issues (and, later, held-run decisions).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getDistrict } from '../../roster/districts.js';
import { getRun, listRuns } from '../../roster/runs.js';
import { notFound } from '../errors.js';
import { DistrictIdParams, RunParams } from '../schemas.js';
import { runViewer } from '../views.js';

export const runRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config } = app.deps;
  const runView = runViewer(config);

  async function requireKnown(id: string) {
    if (!(await getDistrict(db, id))) throw notFound(`district "${id}"`);
  }

  app.get('/api/districts/:id/runs', { schema: { params: DistrictIdParams } }, async (req) => {
    await requireKnown(req.params.id);
    return { runs: (await listRuns(db, req.params.id)).map(runView) };
  });

  app.get('/api/districts/:id/runs/:runId', { schema: { params: RunParams } }, async (req) => {
    const run = await getRun(db, req.params.runId);
    if (!run || run.district_id !== req.params.id) throw notFound(`run "${req.params.runId}" of district "${req.params.id}"`);
    const issues = await db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule', 'severity', 'message']).where('run_id', '=', run.id).orderBy('id').limit(500).execute();
    return { ...runView(run), issues };
  });
};
