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

/**
 * Waits for the run approval started (the initial load) to end and for the onboarding state to
 * show it (another run may start only then); returns the finished run as GET /runs/:id shows it.
 */
export async function initialLoadFinished(sys: TestSystem, districtId: string, timeoutMs = 240_000) {
  const state = await waitFor('the initial load in the state', async () => (await sys.api('GET', `/api/districts/${districtId}`)).json.initialLoad ?? null);
  const run = await runFinished(sys, districtId, state.runId, timeoutMs);
  await waitFor('the initial load to leave the state active', async () => {
    const s = (await sys.api('GET', `/api/districts/${districtId}`)).json;
    return s.initialLoad?.status === run.status && (s.activeRun === null || run.status === 'held');
  });
  return run;
}

/** register → review → approve (which applies the roster) → start the sandbox's school year; returns the initial run. */
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
  const run = await initialLoadFinished(sys, districtId);
  const sy = sandbox.generator.schoolYear;
  const year = await sys.api('POST', `/api/districts/${districtId}/academic-year`, { schoolYear: String(sy), startDate: `${sy - 1}-08-15`, endDate: `${sy}-06-05` });
  if (year.status !== 200) throw new Error(`academic year failed: ${JSON.stringify(year.json)}`);
  return run;
}
