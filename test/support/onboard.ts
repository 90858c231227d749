// Drives a district through onboarding over the API until a sync has applied the roster.
import { waitFor, type TestSystem } from './system.js';

export async function runFinished(sys: TestSystem, districtId: string, runId: string, timeoutMs = 240_000) {
  return waitFor(
    `run ${runId} to finish`,
    async () => {
      const { json } = await sys.api('GET', `/api/districts/${districtId}/runs/${runId}`);
      return json?.status && json.status !== 'running' ? json : null;
    },
    timeoutMs,
    500,
  );
}

/** register → review → approve → start the sandbox's school year → sync now; returns the finished run. */
export async function syncToLive(sys: TestSystem, districtId: string) {
  const { sandbox } = sys;
  const reg = await sys.api('POST', '/api/districts', {
    id: districtId,
    name: `${districtId} ISD`,
    oneroster: { baseUrl: sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl } },
  });
  if (reg.status !== 201) throw new Error(`register failed: ${JSON.stringify(reg.json)}`);
  const review = await sys.api('POST', `/api/districts/${districtId}/review`, {});
  await runFinished(sys, districtId, review.json.runId);
  await waitFor('the review in the workflow state', async () => (await sys.api('GET', `/api/districts/${districtId}`)).json.review?.status !== 'running');
  const approve = await sys.api('POST', `/api/districts/${districtId}/approve`, { note: 'test' });
  if (approve.status !== 200) throw new Error(`approve failed: ${JSON.stringify(approve.json)}`);
  const sy = sandbox.generator.schoolYear;
  const year = await sys.api('POST', `/api/districts/${districtId}/academic-year`, { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05` });
  if (year.status !== 200) throw new Error(`academic year failed: ${JSON.stringify(year.json)}`);
  const now = await sys.api('POST', `/api/districts/${districtId}/sync-now`, {});
  if (now.status !== 202) throw new Error(`sync-now failed: ${JSON.stringify(now.json)}`);
  return runFinished(sys, districtId, now.json.runId);
}
