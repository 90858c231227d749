// The contract of the DistrictOnboarding / NightlySync family: ids, payload types and message
// definitions, imported by the workflows, the API and the tests alike. Payloads carry ids and
// counts only, never roster data.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const TASK_QUEUE = 'classlink-sync';
/** Workflow type names (the exported function names in workflows/index.ts). */
export const ONBOARDING_WORKFLOW_TYPE = 'districtOnboarding';

const ONBOARDING_PREFIX = 'district/';

export function onboardingWorkflowId(districtId: string): string {
  return `${ONBOARDING_PREFIX}${districtId}`;
}

/** Inverse of onboardingWorkflowId; null for ids that are not an onboarding workflow's. */
export function districtIdFromWorkflowId(workflowId: string): string | null {
  if (!workflowId.startsWith(ONBOARDING_PREFIX)) return null;
  const rest = workflowId.slice(ONBOARDING_PREFIX.length);
  return rest && !rest.includes('/') ? rest : null;
}

export function nightlyWorkflowId(districtId: string): string {
  return `${onboardingWorkflowId(districtId)}/nightly`;
}

export function oneOffRunWorkflowId(districtId: string, kind: Exclude<RunKind, 'nightly'>, runId: string): string {
  return `${onboardingWorkflowId(districtId)}/${kind}/${runId}`;
}

/** District ids become workflow ids and URL segments: keep them boring. */
export const DISTRICT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const DEFAULT_TIMEZONE = 'America/Chicago';

export type Phase = 'registered' | 'in_review' | 'needs_changes' | 'awaiting_year_start' | 'syncing' | 'paused';

/** `initial`: the applying run started when support approves the data (see OnboardingState.initialLoad). */
export type RunKind = 'review' | 'nightly' | 'manual' | 'initial';
export type RunStatus = 'running' | 'succeeded' | 'held' | 'failed' | 'discarded';

/** An academicSession of the feed as the onboarding workflow needs it: ids, type and dates only. */
export interface TermInfo {
  sourcedId: string;
  title: string;
  /** schoolYear | term | semester | gradingPeriod */
  type: string;
  startDate: string;
  endDate: string;
}

/** What a finished sync run reports back to its parent: ids, counts and verdicts only. */
export interface RunSummary {
  runId: string;
  kind: RunKind;
  status: RunStatus;
  /** Records that would block approval (quarantined with an error) in a review. */
  blockingErrors: number;
  warnings: number;
  /** Total records applied/fetched across collections. */
  recordsFetched: number;
  reason?: string;
  finishedAt: string;
  /** Reviews only: the academicSessions the review found, which the academic year must cover. */
  terms?: TermInfo[];
}

export interface AuditEntry {
  /** Position in the district's trail; with the workflow chain it keys the audit_events row. */
  seq: number;
  at: string;
  actor: string;
  action: string;
  note?: string;
  details?: Record<string, unknown>;
}

/** The actor the workflow names when it acts on its own (e.g. the year-end pause). */
export const SYSTEM_ACTOR = 'system';
export const YEAR_ENDED_REASON = 'school year ended';

export interface AcademicYear {
  schoolYear: string;
  startDate: string;
  endDate: string;
}

export interface OnboardingInput {
  districtId: string;
  districtName: string;
  timezone?: string;
  /** Who registered the district (the first audit entry). */
  registeredBy?: string;
  /** Overrides the per-district default nightly schedule (nightlyCron in onboarding-clock.ts). */
  cronSchedule?: string;
  /** Continue-as-new once history reaches this many events even if the server does not suggest it yet (tests). */
  maxHistoryEvents?: number;
  /** Carried across continue-as-new. */
  state?: OnboardingState;
}

export interface OnboardingState {
  districtId: string;
  districtName: string;
  timezone: string;
  phase: Phase;
  pausedReason: string | null;
  review: { runId: string; status: RunStatus | 'running'; summary?: RunSummary } | null;
  approval: { by: string; at: string; note?: string } | null;
  academicYear: AcademicYear | null;
  /** When the started year is over (midnight after its last day in the district's zone), ISO. */
  yearEndsAt: string | null;
  /** The year-end pause already happened for this year: resuming does not pause again. */
  yearEnded: boolean;
  /** The feed's terms the last academic-year check saw. */
  feedTerms: { terms: TermInfo[]; checkedAt: string; source: 'oneroster' | 'cached' } | null;
  nightly: { workflowId: string; cronSchedule: string; running: boolean; startedAt: string | null };
  activeRun: { runId: string; kind: RunKind; workflowId: string } | null;
  lastRun: RunSummary | null;
  /**
   * The applying run started when support approved the data, so the approved people exist (and a
   * leader can sign in) before the year starts. Absent in states carried from before it existed.
   */
  initialLoad?: InitialLoad | null;
  /** The newest entries (older ones stay in audit_events). */
  audit: AuditEntry[];
  /** Entries numbered so far, and how many of them audit_events holds. */
  auditSeq: number;
  auditRecordedSeq: number;
  /** How many times the workflow continued as new (long-life bookkeeping, shown for operators). */
  generation: number;
}

export interface InitialLoad {
  runId: string;
  workflowId: string;
  /** `held` waits for support's decision on the run; `failed`: support can run sync-now. */
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  reason?: string;
}

export interface Actor {
  actor: string;
  note?: string;
}

export interface StartRunArgs extends Actor {
  /** Chosen by the caller so it can answer 202 {runId} at once. */
  runId: string;
}

export interface SyncWorkflowInput {
  districtId: string;
  kind: RunKind;
  /** One-off runs get theirs from the caller; cron runs make one per firing. */
  runId?: string;
  dryRun: boolean;
}

export const stateQuery = defineQuery<OnboardingState>('state');
export const startReviewUpdate = defineUpdate<{ runId: string }, [StartRunArgs]>('startReview');
export const dataApprovedUpdate = defineUpdate<OnboardingState, [Actor]>('dataApproved');
export const requestChangesUpdate = defineUpdate<OnboardingState, [Actor]>('requestChanges');
export const academicYearStartedUpdate = defineUpdate<OnboardingState, [AcademicYear & Actor]>('academicYearStarted');
export const syncNowUpdate = defineUpdate<{ runId: string }, [StartRunArgs]>('syncNow');
export const pauseUpdate = defineUpdate<OnboardingState, [Actor]>('pause');
export const resumeUpdate = defineUpdate<OnboardingState, [Actor]>('resume');
/** Sent by a child sync run when it finishes, so the parent's state shows it without polling. */
export const runFinishedSignal = defineSignal<[RunSummary]>('runFinished');

// ---- Sync runs: academic year input and held-run decisions (sync engine) ----------------------

/** Merged into SyncWorkflowInput above: with the started year's dates a run can check that a term covers today. */
export interface SyncWorkflowInput {
  academicYear?: AcademicYear;
}

/** Support's decision on a held run, sent to that run's own workflow. */
export interface HeldRunDecision extends Actor {
  runId: string;
}

export interface HeldRunDecisionResult {
  runId: string;
  decision: 'approved' | 'discarded';
}

/** The state of one sync run's workflow: whether it waits for a decision, and the decision. */
export interface SyncRunState {
  runId: string;
  held: boolean;
  decision: { action: 'approved' | 'discarded'; actor: string; note?: string } | null;
}

/** Apply a held run as staged. Refused (with the reason) unless the run is held and undecided. */
export const approveHeldRunUpdate = defineUpdate<HeldRunDecisionResult, [HeldRunDecision]>('approveHeldRun');
/** Drop a held run: nothing is applied; the next night tries again. */
export const discardHeldRunUpdate = defineUpdate<HeldRunDecisionResult, [HeldRunDecision]>('discardHeldRun');
export const syncRunStateQuery = defineQuery<SyncRunState>('syncRunState');
