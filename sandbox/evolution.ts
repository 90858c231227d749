// Night-by-night evolution of a district: each night adds, changes and drops about 1% of records,
// deterministically from (seed, school year, night). Only the events are stored (a few thousand
// indexes per night even for `xl`); records are still computed by index and then overlaid.

import { hash, mulberry32 } from './prng.js';
import type { District, EnrollmentLink } from './district.js';
import { SANDBOX_COLLECTIONS, type SandboxCollection } from './types.js';

/** Per-night rates, relative to the base population they apply to. */
export const NIGHTLY_RATES = {
  /** users, classes, courses whose content changes */
  change: 0.01,
  /** new students (users) and new sections (classes) */
  addStudents: 0.005,
  addClasses: 0.002,
  /** students leaving the district; classes cancelled */
  dropStudents: 0.005,
  dropClasses: 0.002,
  /** schedule changes: a student leaves one section for another in the same period */
  scheduleChanges: 0.005,
  /** of dropped students, the share that disappears from the feed instead of turning tobedeleted */
  absentShare: 1 / 3,
} as const;

/** Students added at night get this many classes (periods 1..7). */
export const ADDED_STUDENT_CLASSES = 7;

export interface Drop {
  night: number;
  kind: 'tobedeleted' | 'absent';
}

export interface AddedEnrollment extends EnrollmentLink {
  night: number;
}

/** Everything nights 1..N did, queryable per record in O(1) (absent lookups O(log n)). */
export class Evolution {
  readonly night: number;
  /** All indexes ever allocated per collection, absent ones included. */
  readonly totals: Record<SandboxCollection, number>;
  /** Night on which an index was appended (only for indexes past the base). */
  private readonly addedAt: Record<SandboxCollection, { start: number; night: number }[]>;
  private readonly changedAt: Record<SandboxCollection, Map<number, number>>;
  private readonly drops: Record<SandboxCollection, Map<number, Drop>>;
  /** Sorted indexes not served at all. */
  readonly absent: Record<SandboxCollection, number[]>;
  readonly addedEnrollments: AddedEnrollment[] = [];
  private readonly extraEnrollmentsOfUser = new Map<number, number[]>();

  constructor(private readonly district: District, night: number) {
    this.night = night;
    const emptyRecord = <T>(make: () => T) =>
      Object.fromEntries(SANDBOX_COLLECTIONS.map((c) => [c, make()])) as Record<SandboxCollection, T>;
    this.totals = { ...district.baseCounts };
    this.addedAt = emptyRecord(() => []);
    this.changedAt = emptyRecord(() => new Map());
    this.drops = emptyRecord(() => new Map());
    this.absent = emptyRecord(() => []);
    for (let n = 1; n <= night; n++) this.applyNight(n);
    for (const c of SANDBOX_COLLECTIONS) this.absent[c].sort((a, b) => a - b);
  }

  private applyNight(n: number): void {
    const d = this.district;
    const spec = d.spec;
    const rand = mulberry32(hash(d.seed, 0x5eed, d.schoolYear, n));
    // Stochastic rounding keeps tiny districts evolving too, just not every night.
    const howMany = (x: number) => Math.floor(x + rand());
    const below = (k: number) => Math.floor(rand() * k);

    const prevUsers = this.totals.users;
    const prevClasses = this.totals.classes;

    // Content changes first, over records that existed before tonight.
    for (const c of ['users', 'classes', 'courses'] as const) {
      const base = this.totals[c];
      for (let k = howMany(base * NIGHTLY_RATES.change); k > 0; k--) {
        const i = below(base);
        if (!this.drops[c].has(i)) this.changedAt[c].set(i, n);
      }
    }

    // Departures: students only (staff changes are content changes).
    const studentPool = spec.students + (prevUsers - d.baseCounts.users);
    for (let k = howMany(spec.students * NIGHTLY_RATES.dropStudents); k > 0; k--) {
      const x = below(studentPool);
      const u = x < spec.students ? d.studentUserStart + x : d.baseCounts.users + (x - spec.students);
      if (this.drops.users.has(u)) continue;
      const kind = rand() < NIGHTLY_RATES.absentShare ? 'absent' : 'tobedeleted';
      this.drops.users.set(u, { night: n, kind });
      if (kind === 'absent') {
        this.absent.users.push(u);
        // A student who vanishes takes their enrollments along; tobedeleted ones cascade per record.
        for (const e of this.enrollmentsOfUser(u)) this.absent.enrollments.push(e);
      }
    }
    for (let k = howMany(prevClasses * NIGHTLY_RATES.dropClasses); k > 0; k--) {
      const c = below(prevClasses);
      if (!this.drops.classes.has(c)) this.drops.classes.set(c, { night: n, kind: 'tobedeleted' });
    }

    // Schedule changes: drop one student enrollment, add the same student to another section.
    const studentEnrollments = d.baseCounts.enrollments - d.teacherEnrollments;
    for (let k = howMany(studentEnrollments * NIGHTLY_RATES.scheduleChanges); k > 0; k--) {
      const e = d.teacherEnrollments + below(studentEnrollments);
      const link = d.baseEnrollmentLink(e);
      if (this.drops.enrollments.has(e) || this.drops.users.has(link.userIndex)) continue;
      this.drops.enrollments.set(e, { night: n, kind: 'tobedeleted' });
      const { school } = d.studentPlacement(link.userIndex);
      const classIndex = d.studentClass(link.userIndex, school, link.period, n);
      this.addEnrollment({ ...link, classIndex, night: n });
    }

    // Arrivals: new students with a full schedule, new sections with their teacher.
    const newStudents = howMany(spec.students * NIGHTLY_RATES.addStudents);
    if (newStudents > 0) this.addedAt.users.push({ start: this.totals.users, night: n });
    for (let k = 0; k < newStudents; k++) {
      const u = this.totals.users++;
      const { school } = d.studentPlacement(u);
      for (let period = 0; period < ADDED_STUDENT_CLASSES; period++) {
        this.addEnrollment({ userIndex: u, classIndex: d.studentClass(u, school, period), role: 'student', period, night: n });
      }
    }
    const newClasses = howMany(d.baseCounts.classes * NIGHTLY_RATES.addClasses);
    if (newClasses > 0) this.addedAt.classes.push({ start: this.totals.classes, night: n });
    for (let k = 0; k < newClasses; k++) {
      const c = this.totals.classes++;
      const info = d.classInfo(c);
      this.addEnrollment({ userIndex: d.teacherUserStart + info.teacher, classIndex: c, role: 'teacher', period: info.period, night: n });
    }
  }

  private addEnrollment(link: AddedEnrollment): void {
    const e = this.totals.enrollments++;
    this.addedEnrollments.push(link);
    const last = this.addedAt.enrollments.at(-1);
    if (!last || last.night !== link.night) this.addedAt.enrollments.push({ start: e, night: link.night });
    const list = this.extraEnrollmentsOfUser.get(link.userIndex);
    if (list) list.push(e);
    else this.extraEnrollmentsOfUser.set(link.userIndex, [e]);
  }

  private enrollmentsOfUser(u: number): number[] {
    const d = this.district;
    const out: number[] = [];
    if (u >= d.studentUserStart && u < d.guardianUserStart) {
      const [start, end] = d.enrollmentRangeOfStudentSlot(u - d.studentUserStart);
      for (let e = start; e < end; e++) out.push(e);
    }
    out.push(...(this.extraEnrollmentsOfUser.get(u) ?? []));
    return out;
  }

  /** Night an index past the base was added, or 0 for base records. */
  addedNight(c: SandboxCollection, i: number): number {
    if (i < this.district.baseCounts[c]) return 0;
    const ranges = this.addedAt[c];
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ranges[mid].start <= i) lo = mid;
      else hi = mid - 1;
    }
    return ranges[lo].night;
  }

  changedNight(c: SandboxCollection, i: number): number {
    return this.changedAt[c].get(i) ?? 0;
  }

  drop(c: SandboxCollection, i: number): Drop | undefined {
    return this.drops[c].get(i);
  }

  addedEnrollment(i: number): AddedEnrollment {
    return this.addedEnrollments[i - this.district.baseCounts.enrollments];
  }

  isAbsent(c: SandboxCollection, i: number): boolean {
    const list = this.absent[c];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < i) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo] === i;
  }

  /** Served records (absent ones excluded). */
  visibleCount(c: SandboxCollection): number {
    return this.totals[c] - this.absent[c].length;
  }

  /** Index of the record at a served position, skipping absent indexes. */
  indexAt(c: SandboxCollection, position: number): number {
    const list = this.absent[c];
    let i = position;
    for (let k = 0; k < list.length && list[k] <= i; k++) i++;
    return i;
  }
}
