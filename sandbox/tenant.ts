// The live, mutable side of a sandbox tenant: which night and school year it is serving, its
// faults, and its credentials. Routes read from here; admin endpoints and in-process tests change it.

import { createGenerator, type SandboxGenerator, type Size } from './generator.js';
import { FaultController, type Faults } from './faults.js';
import { QueryEngine } from './query.js';
import { SANDBOX_COLLECTIONS } from './types.js';

export interface TenantOptions {
  size: Size;
  seed: number;
  schoolYear?: number;
  clientId: string;
  clientSecret: string;
  now?: () => Date;
}

export class SandboxTenant {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly faults = new FaultController();
  private gen: SandboxGenerator;
  private queryEngine: QueryEngine;
  private readonly now: () => Date;

  constructor(opts: TenantOptions) {
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.now = opts.now ?? (() => new Date());
    this.gen = createGenerator({ seed: opts.seed, size: opts.size, schoolYear: opts.schoolYear });
    this.queryEngine = new QueryEngine(this.gen);
  }

  get generator(): SandboxGenerator {
    return this.gen;
  }

  get engine(): QueryEngine {
    return this.queryEngine;
  }

  /**
   * One night passes. Its changes carry the wall-clock time, so a client's delta filter from its
   * last run (also wall clock) sees them.
   */
  advanceNight(): SandboxGenerator {
    return this.replace(this.gen.nextNight(this.now().toISOString()));
  }

  /** Next school year, night 0; every record of the new year is modified "now". */
  rollover(): SandboxGenerator {
    return this.replace(this.gen.rollover(this.now().toISOString()));
  }

  setFaults(faults: Faults): void {
    this.faults.set(faults);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  state() {
    const g = this.gen;
    return {
      tenantId: g.tenantId,
      districtName: g.districtName,
      seed: g.seed,
      size: g.size,
      schoolYear: g.schoolYear,
      night: g.night,
      nightTime: g.nightTime(g.night),
      counts: Object.fromEntries(SANDBOX_COLLECTIONS.map((c) => [c, g.count(c)])),
      faults: this.faults.current,
    };
  }

  private replace(next: SandboxGenerator): SandboxGenerator {
    this.gen = next;
    this.queryEngine = new QueryEngine(next);
    return next;
  }
}
