// Districts that already hold yesterday's roster, each against a sandbox tenant of its own: where
// the faults and guards tests start, so that a run against trouble can be shown to leave the
// live roster untouched (`before` is every live row's version (ctid) after the clean baseline sync).
import { startSandbox, type RunningSandbox } from '../../../sandbox/server.js';
import type { TestSystem } from '../../support/system.js';
import { registerDistrict, startRun, rowVersions } from './rig.js';

export interface RosteredDistrict {
  districtId: string;
  sandbox: RunningSandbox;
  /** sourcedId → row version (ctid) of every live row after the baseline sync. */
  before: Record<string, string>;
}

/** The tenants a test file starts; `close()` in afterAll stops them all. */
export class Tenants {
  private readonly started: RunningSandbox[] = [];

  /** `system` is read when a district is made (the test system starts in beforeAll). */
  constructor(private readonly system: () => TestSystem) {}

  async tenant(seed: number): Promise<RunningSandbox> {
    const sandbox = await startSandbox({ size: 'xs', seed });
    this.started.push(sandbox);
    return sandbox;
  }

  /** Registers `districtId` against a fresh tenant and syncs it once; the baseline must succeed. */
  async withRoster(districtId: string, opts: { seed: number; settings?: Record<string, unknown> }): Promise<RosteredDistrict> {
    const sys = this.system();
    const sandbox = await this.tenant(opts.seed);
    await registerDistrict(sys.database.db, districtId, sandbox, opts.settings);
    const baseline = await startRun(sys.env.client, districtId, sys.config.temporal.taskQueue);
    const summary = await baseline.result;
    if (summary.status !== 'succeeded') throw new Error(`the baseline sync of ${districtId} ended ${summary.status}: ${summary.reason ?? 'no reason given'}`);
    return { districtId, sandbox, before: await rowVersions(sys.database.db, districtId) };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.started.map((s) => s.close()));
  }
}
