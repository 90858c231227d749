// A full sync of a size-m tenant (~10,000 students, ~72,000 enrollments) through the real
// pipeline ends with live tables equal to what the tenant serves.
import { syncToLive } from '../support/onboard.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { compareWithSandbox } from '../support/roster-compare.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ sandbox: { size: 'm', seed: 7 } });
});

afterAll(async () => {
  await sys?.stop();
});

test('a full sync of size m matches the sandbox records exactly', async () => {
  const run = await syncToLive(sys, 'mdist');
  expect(run.status).toBe('succeeded');
  const differences = await compareWithSandbox(sys.database.db, 'mdist', sys.sandbox.generator);
  expect(differences).toEqual([]);
}, 300_000);
