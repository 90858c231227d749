// The DistrictOnboarding state machine as plain code: no Temporal imports, unit-tested on its own.
// Each `check*` returns the human reason a message is refused (or null); each action mutates state
// and is only called after its check passed (the workflow's update validators call the checks).
import {
  SYSTEM_ACTOR,
  YEAR_ENDED_REASON,
  type AcademicYear,
  type Actor,
  type AuditEntry,
  type OnboardingState,
  type Phase,
  type RunKind,
  type RunSummary,
  type TermInfo,
} from './messages.js';
import { yearEndsAt } from './onboarding-clock.js';

/** The state keeps this many audit entries; audit_events keeps them all. */
export const AUDIT_IN_STATE = 200;

export function initialState(districtId: string, districtName: string, timezone: string, nightlyWorkflowId: string, cronSchedule: string): OnboardingState {
  return {
    districtId,
    districtName,
    timezone,
    phase: 'registered',
    pausedReason: null,
    review: null,
    approval: null,
    academicYear: null,
    yearEndsAt: null,
    yearEnded: false,
    feedTerms: null,
    nightly: { workflowId: nightlyWorkflowId, cronSchedule, running: false, startedAt: null },
    activeRun: null,
    lastRun: null,
    initialLoad: null,
    audit: [],
    auditSeq: 0,
    auditRecordedSeq: 0,
    generation: 0,
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function isRealDate(s: string): boolean {
  if (typeof s !== 'string' || !ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

/**
 * The terms a year covers. A term counts when the year spans more than half of its days, so a
 * first day a little after the SIS's term start still matches while last year's terms never do.
 * Terms are the sessions below the school year (term, semester, grading period); a feed that only
 * has school-year sessions is checked against those.
 */
export function termsCoveredBy(year: AcademicYear, terms: TermInfo[]): TermInfo[] {
  const dated = terms.filter((t) => isRealDate(t.startDate) && isRealDate(t.endDate) && t.startDate <= t.endDate);
  const belowYear = dated.filter((t) => t.type !== 'schoolYear');
  const candidates = belowYear.length > 0 ? belowYear : dated;
  const from = dayNumber(year.startDate);
  const to = dayNumber(year.endDate);
  return candidates.filter((t) => {
    const s = dayNumber(t.startDate);
    const e = dayNumber(t.endDate);
    const overlap = Math.min(to, e) - Math.max(from, s) + 1;
    return overlap * 2 > e - s + 1;
  });
}

export function describeTerms(terms: TermInfo[], max = 4): string {
  const shown = terms.slice(0, max).map((t) => `${t.title} [${t.type} ${t.sourcedId}] ${t.startDate}..${t.endDate}`);
  return shown.join(', ') + (terms.length > max ? `, … ${terms.length - max} more` : '');
}

/** Why the year does not fit the feed's terms, or null when it covers at least one. */
export function checkYearCoversTerms(year: AcademicYear, terms: TermInfo[]): string | null {
  if (terms.length === 0) {
    return "the feed has no academicSessions to check the year against: ask the district to publish its terms in ClassLink, then start the year again";
  }
  if (termsCoveredBy(year, terms).length > 0) return null;
  return `the year ${year.startDate}..${year.endDate} covers none of the feed's terms (${describeTerms(terms)}): check the dates`;
}

export class OnboardingMachine {
  constructor(public state: OnboardingState) {}

  private record(now: string, actor: Actor, action: string, details?: Record<string, unknown>): void {
    this.state.auditSeq += 1;
    const entry: AuditEntry = { seq: this.state.auditSeq, at: now, actor: actor.actor, action };
    if (actor.note) entry.note = actor.note;
    if (details) entry.details = details;
    this.state.audit.push(entry);
    // Only entries audit_events already holds may fall out of the state.
    while (this.state.audit.length > AUDIT_IN_STATE && this.state.audit[0]!.seq <= this.state.auditRecordedSeq) this.state.audit.shift();
  }

  /** Entries not yet written to audit_events, oldest first. */
  unrecordedAudit(): AuditEntry[] {
    return this.state.audit.filter((e) => e.seq > this.state.auditRecordedSeq);
  }

  auditRecorded(upToSeq: number): void {
    this.state.auditRecordedSeq = Math.max(this.state.auditRecordedSeq, upToSeq);
  }

  private setPhase(phase: Phase): void {
    this.state.phase = phase;
  }

  registered(now: string, actor: string): void {
    this.record(now, { actor }, 'district registered', { timezone: this.state.timezone, nightlySchedule: this.state.nightly.cronSchedule });
  }

  private activeRunReason(): string | null {
    const run = this.state.activeRun;
    return run ? `${run.kind === 'initial' ? 'an' : 'a'} ${run.kind} run (${run.runId}) is still in progress: wait for it to finish` : null;
  }

  checkStartReview(): string | null {
    const { phase } = this.state;
    if (phase !== 'registered' && phase !== 'in_review' && phase !== 'needs_changes') {
      return `the data was already approved (phase is ${phase}): reviews happen before approval`;
    }
    return this.activeRunReason();
  }

  startReview(now: string, args: Actor & { runId: string }, workflowId: string): void {
    this.setPhase('in_review');
    this.state.review = { runId: args.runId, status: 'running' };
    this.state.approval = null;
    this.state.activeRun = { runId: args.runId, kind: 'review', workflowId };
    this.record(now, args, 'review started', { runId: args.runId });
  }

  checkApprove(): string | null {
    const { phase, review } = this.state;
    if (phase === 'registered' || !review) return 'no review has been run yet: start a review first';
    if (phase === 'needs_changes') return 'changes were requested after the last review: review again once the district has fixed its data';
    if (phase !== 'in_review') return `the data is already approved (phase is ${phase})`;
    if (review.status === 'running') return 'the review is still running: wait for its report';
    if (review.status !== 'succeeded' || !review.summary) {
      return `the last review ${review.status}${review.summary?.reason ? ` (${review.summary.reason})` : ''}: fix the cause and review again`;
    }
    if (review.summary.blockingErrors > 0) {
      return `the review found ${review.summary.blockingErrors} blocking error(s): ask the district to fix them and review again`;
    }
    return null;
  }

  approve(now: string, actor: Actor): void {
    this.state.approval = { by: actor.actor, at: now, ...(actor.note ? { note: actor.note } : {}) };
    this.setPhase('awaiting_year_start');
    this.record(now, actor, 'data approved', { reviewRunId: this.state.review?.runId });
  }

  checkRequestChanges(): string | null {
    const { phase, review } = this.state;
    if (phase !== 'in_review' || !review) return `changes can only be requested on a district under review (phase is ${phase})`;
    if (review.status === 'running') return 'the review is still running: wait for its report';
    return null;
  }

  requestChanges(now: string, actor: Actor): void {
    this.setPhase('needs_changes');
    this.record(now, actor, 'changes requested', { reviewRunId: this.state.review?.runId });
  }

  /** Everything about a new year that can be judged without the feed's terms. */
  checkAcademicYear(year: AcademicYear, nowMs: number): string | null {
    const { phase } = this.state;
    if (phase !== 'awaiting_year_start' && phase !== 'syncing' && phase !== 'paused') {
      return `the academic year can be started once support has approved the data (phase is ${phase})`;
    }
    if (typeof year.schoolYear !== 'string' || !/^\d{4}(-\d{4})?$/.test(year.schoolYear)) return 'schoolYear must look like 2027 or 2026-2027';
    if (!isRealDate(year.startDate)) return `startDate "${year.startDate}" is not a real date: use YYYY-MM-DD`;
    if (!isRealDate(year.endDate)) return `endDate "${year.endDate}" is not a real date: use YYYY-MM-DD`;
    if (year.startDate >= year.endDate) return `the first day (${year.startDate}) must be before the last day (${year.endDate})`;
    if (yearEndsAt(year.endDate, this.state.timezone) <= nowMs) {
      return `the year's last day (${year.endDate}) has already passed in ${this.state.timezone}: enter the coming year's dates`;
    }
    return null;
  }

  /** Starts the first year, the next one after a year end, or rolls over while syncing. */
  startAcademicYear(now: string, args: AcademicYear & Actor): void {
    const previous = this.state.academicYear;
    const rollover = this.state.phase === 'syncing';
    this.state.academicYear = { schoolYear: args.schoolYear, startDate: args.startDate, endDate: args.endDate };
    this.state.yearEndsAt = new Date(yearEndsAt(args.endDate, this.state.timezone)).toISOString();
    this.state.yearEnded = false;
    this.state.pausedReason = null;
    this.setPhase('syncing');
    const action = rollover ? `academic year rolled over to ${args.schoolYear}` : `academic year ${args.schoolYear} started`;
    this.record(now, args, action, { schoolYear: args.schoolYear, startDate: args.startDate, endDate: args.endDate, ...(previous ? { previousSchoolYear: previous.schoolYear } : {}) });
  }

  /** Allowed from approval on: before the year starts it is how support retries a failed initial load. */
  checkSyncNow(): string | null {
    const { phase } = this.state;
    if (phase !== 'awaiting_year_start' && phase !== 'syncing' && phase !== 'paused') return `syncing starts once support has approved the data (phase is ${phase})`;
    return this.activeRunReason();
  }

  startOneOffRun(now: string, args: Actor & { runId: string }, kind: RunKind, workflowId: string): void {
    this.state.activeRun = { runId: args.runId, kind, workflowId };
    if (kind === 'initial') this.state.initialLoad = { runId: args.runId, workflowId, status: 'running', startedAt: now };
    this.record(now, args, `${kind} sync started`, { runId: args.runId });
  }

  checkPause(): string | null {
    return this.state.phase === 'syncing' ? null : `only a syncing district can be paused (phase is ${this.state.phase})`;
  }

  pause(now: string, actor: Actor): void {
    this.setPhase('paused');
    this.state.pausedReason = actor.note ? `paused by ${actor.actor}: ${actor.note}` : `paused by ${actor.actor}`;
    this.record(now, actor, 'sync paused');
  }

  checkResume(): string | null {
    if (this.state.phase !== 'paused') return `only a paused district can be resumed (phase is ${this.state.phase})`;
    if (!this.state.academicYear) return 'no academic year has been started: start one instead';
    return null;
  }

  resume(now: string, actor: Actor): void {
    this.setPhase('syncing');
    this.state.pausedReason = null;
    this.record(now, actor, 'sync resumed', this.state.yearEnded ? { afterYearEnd: true } : undefined);
  }

  /** Whether the started year is over and its end has not been acted on yet. */
  yearEndDue(nowMs: number): boolean {
    const { yearEndsAt: endsAt, yearEnded, phase } = this.state;
    return !yearEnded && endsAt !== null && (phase === 'syncing' || phase === 'paused') && Date.parse(endsAt) <= nowMs;
  }

  /** Milliseconds until the year-end pause is due, or null when none is pending. */
  msUntilYearEnd(nowMs: number): number | null {
    const { yearEndsAt: endsAt, yearEnded, phase } = this.state;
    if (yearEnded || endsAt === null || (phase !== 'syncing' && phase !== 'paused')) return null;
    return Math.max(0, Date.parse(endsAt) - nowMs);
  }

  /** After the year's last day the sync waits for a leader: rollover data must not flow unreviewed. */
  endYear(now: string): void {
    this.state.yearEnded = true;
    this.state.pausedReason = YEAR_ENDED_REASON;
    this.setPhase('paused');
    this.record(now, { actor: SYSTEM_ACTOR }, 'school year ended', { schoolYear: this.state.academicYear?.schoolYear, lastDay: this.state.academicYear?.endDate });
  }

  /** Whether the nightly cron child should exist right now. */
  get nightlyWanted(): boolean {
    return this.state.phase === 'syncing';
  }

  /** A run's outcome; `held` is not an end: the run waits for support and still counts as active. */
  runFinished(summary: RunSummary): void {
    if (this.state.activeRun?.runId === summary.runId && summary.status !== 'held') this.state.activeRun = null;
    const initial = this.state.initialLoad;
    if (initial?.runId === summary.runId) {
      const { reason: _previous, finishedAt: _finished, ...rest } = initial;
      this.state.initialLoad = {
        ...rest,
        status: summary.status,
        ...(summary.status !== 'held' ? { finishedAt: summary.finishedAt } : {}),
        ...(summary.reason ? { reason: summary.reason } : {}),
      };
    }
    if (summary.kind === 'review') {
      const review = this.state.review;
      // A late duplicate (signal and child result both report) must not drop the terms already attached.
      if (review?.runId === summary.runId) this.state.review = { runId: summary.runId, status: summary.status, summary: { ...review.summary, ...summary } };
    } else {
      this.state.lastRun = summary;
    }
  }
}
