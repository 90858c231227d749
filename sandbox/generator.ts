// Public face of the synthetic district: a deterministic, index-addressable OneRoster tenant for a
// seed, size, school year and night. Same options → identical records, in any process.

import { District, currentSchoolYear, defaultEpochMs, type EnrollmentLink, type Size } from './district.js';
import { Evolution } from './evolution.js';
import { FAMILY_NAMES } from './names.js';
import { hash } from './prng.js';
import type { OneRosterRecord, RecordByCollection, SandboxCollection } from './types.js';

export { SIZES, SIZE_SPECS, currentSchoolYear, type Size } from './district.js';
export { SANDBOX_COLLECTIONS, type SandboxCollection, type OneRosterRecord, type RecordByCollection } from './types.js';

export interface GeneratorOptions {
  seed: number;
  size: Size;
  /** The calendar year the school year ends in. Default: the school year containing today. */
  schoolYear?: number;
  /** Nights of evolution applied to the base district. Default 0. */
  night?: number;
  /**
   * Time of night 0 (ISO). Base records were last modified in the 20 days before it.
   * Default: July 20 before the school year, 06:00Z, so the default is fully deterministic.
   */
  epoch?: string;
  /** Spread of base dateLastModified before the epoch, in ms. Default 20 days. */
  epochSpreadMs?: number;
  /**
   * nightTimes[n-1] = when night n happened (ISO). A live server passes wall-clock times so a
   * client's `dateLastModified>'<its last run>'` delta sees tonight's changes. Missing nights
   * default to epoch + n days (+ a seeded minute offset).
   */
  nightTimes?: readonly string[];
}

export interface SandboxGenerator {
  readonly seed: number;
  readonly size: Size;
  readonly schoolYear: number;
  readonly night: number;
  /** ClassLink-like tenant id used in OIDC claims. */
  readonly tenantId: string;
  readonly districtName: string;
  /** Served records in a collection (records absent tonight are not counted). */
  count(collection: SandboxCollection): number;
  /** Served records [offset, offset+limit), in sourcedId-index order. */
  slice<C extends SandboxCollection>(collection: C, offset: number, limit: number): RecordByCollection[C][];
  /** Every served record, lazily. */
  records<C extends SandboxCollection>(collection: C): IterableIterator<RecordByCollection[C]>;
  /** Each served record's dateLastModified (ms since the epoch), in records() order, without building the records. */
  modifiedInstants(collection: SandboxCollection): IterableIterator<number>;
  /** One record by sourcedId, or undefined when not served tonight. */
  get<C extends SandboxCollection>(collection: C, sourcedId: string): RecordByCollection[C] | undefined;
  /** ISO time of night n (0 = epoch). */
  nightTime(n: number): string;
  /** The same options with one more night. */
  nextNight(nightTime?: string): SandboxGenerator;
  /** The next school year, night 0 (mid-year additions fold back into the base population). */
  rollover(epoch?: string): SandboxGenerator;
  readonly options: Readonly<Required<Omit<GeneratorOptions, 'nightTimes'>>> & { nightTimes: readonly string[] };
}

const DAY_MS = 86_400_000;
// Cached because a server rebuilds generators for every night: the District tables are tiny, but
// there is no reason to recompute them.
const districtCache = new Map<string, District>();

export function createGenerator(opts: GeneratorOptions): SandboxGenerator {
  const schoolYear = opts.schoolYear ?? currentSchoolYear();
  const epochMs = opts.epoch ? Date.parse(opts.epoch) : defaultEpochMs(schoolYear);
  if (Number.isNaN(epochMs)) throw new Error(`invalid epoch ${opts.epoch}`);
  const spreadMs = opts.epochSpreadMs ?? 20 * DAY_MS;
  const night = opts.night ?? 0;
  if (!Number.isInteger(night) || night < 0) throw new Error(`night must be a non-negative integer, got ${night}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const nightTimes = opts.nightTimes ?? [];
  const key = `${opts.seed}/${opts.size}/${schoolYear}/${epochMs}/${spreadMs}`;
  let district = districtCache.get(key);
  if (!district) {
    district = new District({ seed: opts.seed, size: opts.size, schoolYear, epochMs, spreadMs });
    if (districtCache.size > 32) districtCache.clear();
    districtCache.set(key, district);
  }
  return new Generator(district, new Evolution(district, night), {
    seed: opts.seed, size: opts.size, schoolYear, night, epoch: new Date(epochMs).toISOString(), epochSpreadMs: spreadMs, nightTimes,
  });
}

class Generator implements SandboxGenerator {
  readonly seed: number;
  readonly size: Size;
  readonly schoolYear: number;
  readonly night: number;
  readonly tenantId: string;
  readonly districtName: string;
  private readonly nightMs: number[];

  constructor(
    private readonly d: District,
    private readonly evo: Evolution,
    readonly options: SandboxGenerator['options'],
  ) {
    this.seed = d.seed;
    this.size = d.size;
    this.schoolYear = d.schoolYear;
    this.night = evo.night;
    this.tenantId = `sandbox-tenant-${d.seed}`;
    this.districtName = d.districtName;
    this.nightMs = [d.epochMs];
    for (let n = 1; n <= Math.max(evo.night, options.nightTimes.length); n++) {
      const given = options.nightTimes[n - 1];
      const ms = given ? Date.parse(given) : d.epochMs + n * DAY_MS + (hash(d.seed, 0x717e, n) % 3600) * 1000;
      // Each night strictly after the one before, whatever the caller passed.
      this.nightMs.push(Math.max(ms, this.nightMs[n - 1] + 1));
    }
  }

  nightTime(n: number): string {
    return new Date(this.nightInstant(n)).toISOString();
  }

  private nightInstant(n: number): number {
    return n < this.nightMs.length ? this.nightMs[n] : this.d.epochMs + n * DAY_MS;
  }

  count(c: SandboxCollection): number {
    return this.evo.visibleCount(c);
  }

  slice<C extends SandboxCollection>(c: C, offset: number, limit: number): RecordByCollection[C][] {
    const out: RecordByCollection[C][] = [];
    const end = Math.min(this.count(c), offset + limit);
    if (offset >= end) return out;
    let i = this.evo.indexAt(c, offset);
    for (let p = offset; p < end; p++, i++) {
      while (this.evo.isAbsent(c, i)) i++;
      out.push(this.record(c, i));
    }
    return out;
  }

  *records<C extends SandboxCollection>(c: C): IterableIterator<RecordByCollection[C]> {
    const total = this.evo.totals[c];
    for (let i = 0; i < total; i++) if (!this.evo.isAbsent(c, i)) yield this.record(c, i);
  }

  *modifiedInstants(c: SandboxCollection): IterableIterator<number> {
    const total = this.evo.totals[c];
    for (let i = 0; i < total; i++) if (!this.evo.isAbsent(c, i)) yield this.modifiedMs(c, i, this.tonight(c, i));
  }

  get<C extends SandboxCollection>(c: C, sourcedId: string): RecordByCollection[C] | undefined {
    const i = this.indexOf(c, sourcedId);
    if (i < 0 || i >= this.evo.totals[c] || this.evo.isAbsent(c, i)) return undefined;
    return this.record(c, i);
  }

  private indexOf(c: SandboxCollection, sourcedId: string): number {
    const year = String(this.schoolYear);
    const patterns: Record<SandboxCollection, RegExp> = {
      orgs: /^org-(\d+)$/, academicSessions: /^as-(\d+)-(\d+)$/, courses: /^crs-(\d+)$/,
      classes: /^cls-(\d+)-(\d+)$/, users: /^usr-(\d+)$/, enrollments: /^enr-(\d+)-(\d+)$/,
    };
    const m = patterns[c].exec(sourcedId);
    if (!m) return -1;
    if (m.length === 3) return m[1] === year ? Number(m[2]) : -1;
    const n = Number(m[1]);
    if (c !== 'users') return n;
    return n >= this.d.baseCounts.users ? n : this.d.userIndexOfNumber(n);
  }

  nextNight(nightTime?: string): SandboxGenerator {
    const nightTimes = [...this.options.nightTimes];
    if (nightTime) nightTimes[this.night] = nightTime;
    return createGenerator({ ...this.options, night: this.night + 1, nightTimes });
  }

  rollover(epoch?: string): SandboxGenerator {
    const { seed, size, epochSpreadMs } = this.options;
    return createGenerator({ seed, size, schoolYear: this.schoolYear + 1, epoch, epochSpreadMs: epoch ? 0 : epochSpreadMs });
  }

  /** What the nights so far did to record i: the night it was added, last changed, and dropped (if). */
  private tonight(c: SandboxCollection, i: number): Tonight {
    const d = this.d;
    const evo = this.evo;
    let drop = evo.drop(c, i);
    let link: EnrollmentLink | undefined;
    if (c === 'enrollments') {
      link = i < d.baseCounts.enrollments ? d.baseEnrollmentLink(i) : evo.addedEnrollment(i);
      // An enrollment goes when its student or its class goes (whichever first).
      for (const dependsOn of [evo.drop('users', link.userIndex), evo.drop('classes', link.classIndex)]) {
        if (dependsOn && (!drop || dependsOn.night < drop.night)) drop = dependsOn;
      }
    }
    return { added: evo.addedNight(c, i), changed: evo.changedNight(c, i), drop, link };
  }

  /** Record i's dateLastModified: its last event's night, or its base time. */
  private modifiedMs(c: SandboxCollection, i: number, t: Tonight): number {
    if (t.drop) return this.nightInstant(t.drop.night);
    if (t.changed > 0) return this.nightInstant(t.changed);
    if (t.added > 0) return this.nightInstant(t.added);
    return this.d.baseModifiedMs(c, i);
  }

  /** The record at index i tonight: base or added record, then tonight's changes and drops. */
  private record<C extends SandboxCollection>(c: C, i: number): RecordByCollection[C] {
    const d = this.d;
    const t = this.tonight(c, i);
    let record: OneRosterRecord;
    switch (c) {
      case 'orgs': record = d.org(i); break;
      case 'academicSessions': record = d.academicSession(i); break;
      case 'courses': record = d.course(i); break;
      case 'classes': record = d.cls(i); break;
      case 'users': record = d.user(i); break;
      default: record = d.enrollment(i, t.link!);
    }
    if (t.added > 0) record.status = 'active';
    if (t.changed > 0) applyChange(record, t.changed, d.seed, i);
    if (t.drop) record.status = 'tobedeleted';
    // A base record carries its base time already; an event moves it to that event's night.
    if (t.added > 0 || t.changed > 0 || t.drop) record.dateLastModified = new Date(this.modifiedMs(c, i, t)).toISOString();
    return record as RecordByCollection[C];
  }
}

interface Tonight {
  added: number;
  changed: number;
  drop: { night: number; kind: 'tobedeleted' | 'absent' } | undefined;
  /** An enrollment's user and class. */
  link?: EnrollmentLink;
}

/** A believable content change for night n; derived from (seed, index, night) only. */
function applyChange(record: OneRosterRecord, night: number, seed: number, i: number): void {
  const h = hash(seed, 0xc4a6, i, night);
  if ('familyName' in record) {
    // Staff and students change names (marriage, custody); ids and emails stay.
    record.familyName = `${record.familyName}-${FAMILY_NAMES[h % FAMILY_NAMES.length][0]}`;
  } else if ('classCode' in record) {
    record.location = `Room ${100 + (h % 300)}`;
  } else if ('courseCode' in record) {
    record.title = `${record.title}${h % 2 ? ' (Honors)' : ' A'}`;
  }
}
