// Sync runs of a district: history, detail with issues and progress, and support's decision on a
// held run (approve applies it as staged; discard applies nothing). Decisions go to the run's own
// workflow as Updates, so a refusal (e.g. "run is not held") comes back as a 409 with the reason.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { getDistrict } from '../../roster/districts.js';
import { getRun, issueCountsByRule, listRuns } from '../../roster/runs.js';
import { decideHeldRun } from '../held-run-decision.js';
import { HttpError, notFound } from '../errors.js';
import { Type } from '@sinclair/typebox';
import { AUTHED_ERRORS, DistrictIdParams, errorReplies, HeldRunDecisionBody, HeldRunDecisionReply, Nullable, RunBody, RunParams } from '../schemas.js';

const RunList = Type.Object({ runs: Type.Array(RunBody, { description: 'newest first' }) });
const RunIssue = Type.Object({ entity: Type.String(), sourced_id: Nullable(Type.String()), rule: Type.String(), severity: Type.String({ description: 'error (quarantined) or warning (applied)' }), message: Type.String() });
const RunDetail = Type.Composite([
  RunBody,
  Type.Object({
    issueCounts: Type.Record(Type.String(), Type.Integer(), { description: 'issues per rule, all of them' }),
    issues: Type.Array(RunIssue, { description: 'the first 500 issues' }),
  }),
]);
import { runViewer } from '../views.js';

export const runRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, config, temporal } = app.deps;
  const runView = runViewer(config);

  async function requireKnown(id: string) {
    if (!(await getDistrict(db, id))) throw notFound(`district "${id}"`);
  }

  async function requireRunOf(districtId: string, runId: string) {
    const run = await getRun(db, runId);
    if (!run || run.district_id !== districtId) throw notFound(`run "${runId}" of district "${districtId}"`);
    return run;
  }

  app.get('/api/districts/:id/runs', { schema: { params: DistrictIdParams, response: { 200: RunList, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    await requireKnown(req.params.id);
    return { runs: (await listRuns(db, req.params.id)).map(runView) };
  });

  app.get('/api/districts/:id/runs/:runId', { schema: { params: RunParams, response: { 200: RunDetail, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const run = await requireRunOf(req.params.id, req.params.runId);
    const issues = await db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule', 'severity', 'message']).where('run_id', '=', run.id).orderBy('id').limit(500).execute();
    return { ...runView(run), issueCounts: await issueCountsByRule(db, run.id), issues };
  });

  const decision = (path: 'approve' | 'discard') =>
    app.post(`/api/districts/:id/runs/:runId/${path}`, { schema: { params: RunParams, body: HeldRunDecisionBody, response: { 202: HeldRunDecisionReply, ...errorReplies(...AUTHED_ERRORS, 404, 409) } } }, async (req, reply) => {
      const { id, runId } = req.params;
      const run = await requireRunOf(id, runId);
      if (run.status !== 'held') {
        throw new HttpError(409, 'not_held', `run ${runId} is ${run.status}, not held: only a held run can be ${path === 'approve' ? 'approved' : 'discarded'}`);
      }
      if (!run.workflow_id) throw new HttpError(409, 'no_workflow', `run ${runId} has no workflow to decide it: start a new sync instead`);
      const actor = req.principal?.id ?? 'unknown';
      const note = req.body?.note;
      const handle = temporal.workflow.getHandle(run.workflow_id, run.temporal_run_id ?? undefined);
      try {
        await decideHeldRun(handle, path, { runId, actor, ...(note ? { note } : {}) });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'refused', err.cause?.message ?? err.message);
        if (err instanceof WorkflowNotFoundError) {
          throw new HttpError(409, 'workflow_gone', `the workflow of run ${runId} is no longer running, so the run cannot be decided: start a new sync instead`);
        }
        throw err;
      }
      await db
        .insertInto('audit_events')
        .values({ district_id: id, actor, action: path === 'approve' ? 'held run approved' : 'held run discarded', note: note ?? null, details: JSON.stringify({ runId }) })
        .execute();
      return reply.code(202).send({ runId, decision: path === 'approve' ? 'approved' : 'discarded', statusUrl: `/api/districts/${id}/runs/${runId}` });
    });
  decision('approve');
  decision('discard');
};
