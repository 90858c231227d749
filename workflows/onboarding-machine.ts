// The DistrictOnboarding state machine as plain code: no Temporal imports, unit-tested on its own.
// Each `check*` returns the human reason a message is refused (or null); each action mutates state
// and is only called after its check passed (the workflow's update validators call the checks).
import type { AcademicYear, Actor, OnboardingState, Phase, RunKind, RunSummary } from './messages.js';

export const NIGHTLY_CRON_MINUTE = 45;
export const NIGHTLY_CRON_HOUR = 23;

export function nightlyCron(timezone: string): string {
  return `CRON_TZ=${timezone} ${NIGHTLY_CRON_MINUTE} ${NIGHTLY_CRON_HOUR} * * *`;
}

export function initialState(districtId: string, districtName: string, timezone: string, nightlyWorkflowId: string): OnboardingState {
  return {
    districtId,
    districtName,
    timezone,
    phase: 'registered',
    pausedReason: null,
    review: null,
    approval: null,
    academicYear: null,
    nightly: { workflowId: nightlyWorkflowId, cronSchedule: nightlyCron(timezone), running: false },
    activeRun: null,
    lastRun: null,
    audit: [],
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(s: string): boolean {
  if (!ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export class OnboardingMachine {
  constructor(public state: OnboardingState) {}

  private record(now: string, actor: Actor, action: string): void {
    this.state.audit.push({ at: now, actor: actor.actor, action, ...(actor.note ? { note: actor.note } : {}) });
  }

  private setPhase(phase: Phase): void {
    this.state.phase = phase;
  }

  checkStartReview(): string | null {
    const { phase, activeRun } = this.state;
    if (activeRun) return `a ${activeRun.kind} run (${activeRun.runId}) is still in progress; wait for it to finish`;
    if (phase !== 'registered' && phase !== 'in_review' && phase !== 'needs_changes') {
      return `the data was already approved (phase ${phase}); reviews happen before approval`;
    }
    return null;
  }

  startReview(now: string, args: Actor & { runId: string }, workflowId: string): void {
    this.setPhase('in_review');
    this.state.review = { runId: args.runId, status: 'running' };
    this.state.approval = null;
    this.state.activeRun = { runId: args.runId, kind: 'review', workflowId };
    this.record(now, args, 'review started');
  }

  checkApprove(): string | null {
    const { phase, review } = this.state;
    if (phase !== 'in_review') return `data can only be approved after a review (phase is ${phase})`;
    if (!review) return 'no review has been run yet: start a review first';
    if (review.status === 'running') return 'the review is still running: wait for its report';
    if (review.status !== 'succeeded' || !review.summary) return `the last review ${review.status}: fix the cause and review again`;
    if (review.summary.blockingErrors > 0) {
      return `the review found ${review.summary.blockingErrors} blocking error(s): ask the district to fix them and review again`;
    }
    return null;
  }

  approve(now: string, actor: Actor): void {
    this.state.approval = { by: actor.actor, at: now, ...(actor.note ? { note: actor.note } : {}) };
    this.setPhase('awaiting_year_start');
    this.record(now, actor, 'data approved');
  }

  checkRequestChanges(): string | null {
    const { phase, review } = this.state;
    if (phase !== 'in_review' || !review) return `changes can only be requested on a reviewed district (phase is ${phase})`;
    if (review.status === 'running') return 'the review is still running: wait for its report';
    return null;
  }

  requestChanges(now: string, actor: Actor): void {
    this.setPhase('needs_changes');
    this.record(now, actor, 'changes requested');
  }

  checkAcademicYear(year: AcademicYear): string | null {
    const { phase } = this.state;
    if (phase !== 'awaiting_year_start' && phase !== 'syncing' && phase !== 'paused') {
      return `the academic year can be started once support has approved the data (phase is ${phase})`;
    }
    if (!/^\d{4}(-\d{4})?$/.test(year.schoolYear ?? '')) return 'schoolYear must look like 2027 or 2026-2027';
    if (!isRealDate(year.startDate)) return 'startDate must be a real date as YYYY-MM-DD';
    if (!isRealDate(year.endDate)) return 'endDate must be a real date as YYYY-MM-DD';
    if (year.startDate >= year.endDate) return 'the first day of the year must be before its last day';
    return null;
  }

  startAcademicYear(now: string, args: AcademicYear & Actor): void {
    this.state.academicYear = { schoolYear: args.schoolYear, startDate: args.startDate, endDate: args.endDate };
    this.state.pausedReason = null;
    this.setPhase('syncing');
    this.record(now, args, `academic year ${args.schoolYear} started (${args.startDate} to ${args.endDate})`);
  }

  checkSyncNow(): string | null {
    const { phase, activeRun } = this.state;
    if (activeRun) return `a ${activeRun.kind} run (${activeRun.runId}) is still in progress; wait for it to finish`;
    if (phase !== 'syncing' && phase !== 'paused') return `syncing starts once the academic year is started (phase is ${phase})`;
    return null;
  }

  startOneOffRun(now: string, args: Actor & { runId: string }, kind: RunKind, workflowId: string): void {
    this.state.activeRun = { runId: args.runId, kind, workflowId };
    this.record(now, args, `${kind} sync started`);
  }

  checkPause(): string | null {
    return this.state.phase === 'syncing' ? null : `only a syncing district can be paused (phase is ${this.state.phase})`;
  }

  pause(now: string, actor: Actor, reason = 'paused by support'): void {
    this.setPhase('paused');
    this.state.pausedReason = actor.note ?? reason;
    this.record(now, actor, 'sync paused');
  }

  checkResume(): string | null {
    if (this.state.phase !== 'paused') return `only a paused district can be resumed (phase is ${this.state.phase})`;
    if (!this.state.academicYear) return 'no academic year has been started';
    return null;
  }

  resume(now: string, actor: Actor): void {
    this.setPhase('syncing');
    this.state.pausedReason = null;
    this.record(now, actor, 'sync resumed');
  }

  /** Whether the nightly cron child should exist right now. */
  get nightlyWanted(): boolean {
    return this.state.phase === 'syncing';
  }

  runFinished(summary: RunSummary): void {
    if (this.state.activeRun?.runId === summary.runId) this.state.activeRun = null;
    if (summary.kind === 'review') {
      if (this.state.review?.runId === summary.runId) this.state.review = { runId: summary.runId, status: summary.status, summary };
    } else {
      this.state.lastRun = summary;
    }
  }
}
