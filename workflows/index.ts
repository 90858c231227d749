// Workflow bundle entry: deterministic code only.
export { districtOnboarding } from './onboarding.js';
export { nightlySync, syncRun } from './sync.js';
export { dailySummary } from '../notify/workflow.js';
