// Districts onboarded before a change to DistrictOnboarding keep replaying after it. The fixture is
// the history the previous code made (register, review, approve, year, sync now, rollover: before
// the initial load and the recorded year existed, which are patched in), as protobuf bytes (the
// SDK's JSON reader trips over the two protobufjs copies installed); it must replay without a
// nondeterminism error.
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { onboardingWorkflowId } from '../../workflows/messages.js';
import { workflowInterceptorModules, workflowsPath } from '../../worker/create.js';

test('a history from before the initial load and the recorded year replays with this code', async () => {
  const history = temporal.api.history.v1.History.decode(readFileSync(new URL('./fixtures/onboarding-history-before-initial-load.binpb', import.meta.url)));
  expect(history.events.length).toBeGreaterThan(100);
  const replay = Worker.runReplayHistory({ workflowsPath, interceptors: { workflowModules: workflowInterceptorModules } }, history, onboardingWorkflowId('replayed'));
  await expect(replay).resolves.toBeUndefined();
});
