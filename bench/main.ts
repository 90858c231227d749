// `npm run bench -- --size <xs|s|m|l|xl> [--runs 3] [--districts 100] [--check]`: how close a sync is
// to this machine's floor, measured side by side in one run (absolute seconds mean little on shared
// machines; ratios do). Prints a table on stdout, progress on stderr, writes bench/results.json.
// Exits 0 whatever the figures unless --check is given and a figure misses its target.
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { projectRoot } from '../config/tools.js';
import { parseBenchArgs, FOUR_X, USAGE, UsageError, type BenchOptions } from './args.js';
import { measureFetchOnly } from './fetch-only.js';
import { dropFloorTables, measureFloor } from './floor.js';
import { heaviest } from './history.js';
import { say, step } from './progress.js';
import { gitState, machineInfo, writeResults, type BenchResults, type HistoryFigures } from './results.js';
import { Stack, type SandboxProcess } from './stack.js';
import { ratio, round, spread } from './stats.js';
import {
  emptyLiveTables, liveSnapshot, outcomeOf, registerDistrict, rowsWrittenSince, runOnce, runProgress, startRun, TIMED_OUT, type RunOutcome,
} from './syncs.js';
import { evaluate, misses } from './targets.js';
import { formatTable } from './table.js';

/** The client's page size, used by the floor too so both make the same requests. */
const PAGE_SIZE = 1000;

function blankResults(opts: BenchOptions, argv: readonly string[]): BenchResults {
  const git = gitState(projectRoot);
  return {
    size: opts.size,
    records: null,
    runs: opts.runs,
    floor_s: null,
    fetch_only_s: null,
    full_sync_s: null,
    ratio_full: null,
    resync_s: null,
    ratio_resync: null,
    resync_rows_written: null,
    delta_s: null,
    ratio_delta: null,
    peak_rss_mb: null,
    peak_rss_mb_4x: null,
    size_4x: FOUR_X[opts.size],
    records_4x: null,
    full_sync_4x_s: null,
    activities_per_run: null,
    history_events_per_run: null,
    max_payload_bytes: null,
    districts: opts.districts,
    districts_failed: null,
    districts_s: null,
    spreads: {},
    modes: {},
    details: {},
    skipped: {},
    notes: [],
    date: new Date().toISOString(),
    machine: machineInfo(),
    git_commit: git.commit,
    git_dirty: git.dirty,
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
  };
}

class Bench {
  private readonly histories: HistoryFigures[] = [];
  constructor(
    private readonly opts: BenchOptions,
    private readonly stack: Stack,
    private readonly r: BenchResults,
  ) {}

  private label(name: string, i: number): string {
    return `${name} (size ${this.opts.size}) run ${i + 1} of ${this.opts.runs}`;
  }

  private setTiming(field: keyof BenchResults & string, samples: number[]): void {
    if (samples.length === 0) return;
    const s = spread(samples.map((x) => round(x, 3)));
    this.r.spreads[field] = s;
    (this.r as unknown as Record<string, unknown>)[field] = s.median;
  }

  /** Keeps a run's figures; a run that did not succeed is reported, never timed. */
  private keep(caseName: string, outcome: RunOutcome, samples: number[]): void {
    (this.r.modes[caseName] ??= []).push(outcome.mode ?? 'unknown');
    if (outcome.history) this.histories.push(outcome.history);
    ((this.r.details[caseName] ??= []) as unknown[]).push({
      seconds: round(outcome.seconds),
      status: outcome.status,
      mode: outcome.mode,
      history: outcome.history,
      timings: outcome.timings,
      counts: outcome.counts,
    });
    if (outcome.ok) samples.push(outcome.seconds);
    else this.r.notes.push(`${caseName}: a run ended ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}; it is not in the timings`);
  }

  private readonly floorSamples: number[] = [];
  private readonly fetchSamples: number[] = [];

  /** One sample of the floor and of fetch_only (those in --cases). */
  private async floorAndFetchSample(sandbox: SandboxProcess, i: number): Promise<void> {
    const { opts, r, stack } = this;
    if (opts.cases.has('floor')) {
      const f = await step(this.label('floor', i), () => measureFloor(stack.pool, sandbox, PAGE_SIZE));
      this.floorSamples.push(f.seconds);
      r.records = f.records;
      r.details.floor = { perCollection: f.perCollection, requests: f.requests };
      await dropFloorTables(stack.pool);
    }
    if (opts.cases.has('fetch')) {
      const f = await step(this.label('fetch_only', i), () => measureFetchOnly(sandbox, PAGE_SIZE));
      this.fetchSamples.push(f.seconds);
      r.records ??= f.records;
    }
  }

  private setFloorAndFetch(): void {
    const { opts, r } = this;
    if (opts.cases.has('floor')) this.setTiming('floor_s', this.floorSamples);
    else r.skipped.floor_s = 'not in --cases';
    if (opts.cases.has('fetch')) this.setTiming('fetch_only_s', this.fetchSamples);
    else r.skipped.fetch_only_s = 'not in --cases';
  }

  /**
   * Floor and fetch_only, each sample taken right before the same round's full sync and resync when
   * those run too: the machine's speed drifts over minutes, and a ratio of figures taken minutes
   * apart would measure the drift.
   */
  async floorAndFetch(sandbox: SandboxProcess): Promise<void> {
    if (!this.opts.cases.has('sync')) {
      for (let i = 0; i < this.opts.runs; i++) await this.floorAndFetchSample(sandbox, i);
    }
  }

  async syncCases(sandbox: SandboxProcess): Promise<void> {
    const { opts, r, stack } = this;
    if (!opts.cases.has('sync')) {
      for (const f of ['full_sync_s', 'resync_s', 'resync_rows_written', 'peak_rss_mb', 'activities_per_run', 'history_events_per_run', 'max_payload_bytes']) r.skipped[f] = 'not in --cases';
    }
    if (!opts.cases.has('delta')) r.skipped.delta_s = 'not in --cases';
    if (!opts.cases.has('sync')) return this.setFloorAndFetch();

    const worker = await step(`starting the worker for size ${opts.size}`, () => stack.startWorker(opts.size));
    r.details.worker = { startup_rss_mb: worker.startupRssMb, peak_reset_after_start: worker.peakWasReset };
    if (opts.pgStats) await sql`select pg_stat_statements_reset()`.execute(stack.db);
    const full: number[] = [];
    const resync: number[] = [];
    const rowsWritten: number[] = [];
    let lastDistrict: string | null = null;
    for (let i = 0; i < opts.runs; i++) {
      await this.floorAndFetchSample(sandbox, i);
      const district = `bench-${opts.size}-${i + 1}`;
      await emptyLiveTables(stack.pool);
      await registerDistrict(stack, district, sandbox, PAGE_SIZE);
      const first = await step(this.label('full_sync', i), () => runOnce(stack, worker, 'syncRun', district, opts.runTimeoutMs), () => runProgress(stack, district));
      this.keep('full_sync', first, full);
      if (first.status === TIMED_OUT) break; // the next runs would only time out too
      if (!first.ok) continue;
      lastDistrict = district;
      const snap = await liveSnapshot(stack.pool, district);
      const second = await step(this.label('resync', i), () => runOnce(stack, worker, 'syncRun', district, opts.runTimeoutMs), () => runProgress(stack, district));
      this.keep('resync', second, resync);
      if (second.status === TIMED_OUT) break;
      if (second.ok) {
        const written = await rowsWrittenSince(stack.pool, district, snap);
        rowsWritten.push(written.total);
        ((r.details.resync_rows_written ??= []) as unknown[]).push(written.byTable);
      }
    }
    this.setFloorAndFetch();
    this.setTiming('full_sync_s', full);
    this.setTiming('resync_s', resync);
    r.details.ratios_by_round = roundRatios(this.floorSamples, this.fetchSamples, full, resync);
    if (rowsWritten.length) r.resync_rows_written = Math.max(...rowsWritten);

    if (opts.cases.has('delta') && lastDistrict) {
      const delta: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        await sandbox.advanceNight();
        const district = lastDistrict;
        const out = await step(this.label('delta (one night later)', i), () => runOnce(stack, worker, 'nightlySync', district, opts.runTimeoutMs), () => runProgress(stack, district));
        this.keep('delta', out, delta);
        if (out.status === TIMED_OUT) break;
      }
      this.setTiming('delta_s', delta);
      if ((r.modes.delta ?? []).some((m) => m !== 'delta')) {
        r.notes.push('delta: the engine ran the nightly run after a successful run in mode "full" (the skeleton engine has no delta mode yet), so delta_s and ratio_delta measure a full run');
      }
    }
    r.peak_rss_mb = await worker.stop();
    if (!worker.peakWasReset) r.notes.push('peak_rss_mb includes bundling the workflows at worker start: /proc/<pid>/clear_refs could not be written');
    if (opts.pgStats) await this.topStatements();
  }

  private async topStatements(): Promise<void> {
    const { rows } = await sql<{ calls: number; total_ms: number; mean_ms: number; rows: number; query: string }>`
      select calls, round(total_exec_time)::int as total_ms, round(mean_exec_time::numeric, 2)::float as mean_ms, rows,
             left(regexp_replace(query, '\\s+', ' ', 'g'), 240) as query
      from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit 15`.execute(this.stack.db);
    this.r.details.pg_top_statements = rows;
    say('costliest statements of the size case (pg_stat_statements):');
    for (const s of rows) process.stderr.write(`  ${String(s.total_ms).padStart(8)} ms  ${String(s.calls).padStart(7)} calls  ${s.query}\n`);
  }

  async fourX(): Promise<void> {
    const { opts, r, stack } = this;
    const size4 = FOUR_X[opts.size];
    if (!opts.cases.has('4x')) {
      r.skipped.peak_rss_mb_4x = 'not in --cases';
      return;
    }
    if (!size4) {
      r.skipped.peak_rss_mb_4x = `no sandbox size is 4× ${opts.size}`;
      return;
    }
    const sandbox = await step(`starting a ${size4} sandbox for the 4× case`, () => stack.startSandbox(size4));
    try {
      r.records_4x = await sandbox.records();
      const worker = await step(`starting a fresh worker for size ${size4}`, () => stack.startWorker(size4));
      await emptyLiveTables(stack.pool);
      const district = `bench-${size4}-4x`;
      await registerDistrict(stack, district, sandbox, PAGE_SIZE);
      const out = await step(`full_sync (size ${size4}, the 4× case) run 1 of 1`, () => runOnce(stack, worker, 'syncRun', district, opts.runTimeoutMs), () => runProgress(stack, district));
      r.peak_rss_mb_4x = await worker.stop();
      (r.modes.full_sync_4x ??= []).push(out.mode ?? 'unknown');
      r.details.full_sync_4x = { seconds: round(out.seconds), status: out.status, history: out.history, timings: out.timings, counts: out.counts, startup_rss_mb: worker.startupRssMb };
      if (out.history) this.histories.push(out.history);
      if (out.ok) r.full_sync_4x_s = round(out.seconds);
      else r.notes.push(`full_sync_4x: the run ended ${out.status}${out.reason ? ` (${out.reason})` : ''}`);
      await emptyLiveTables(stack.pool);
    } finally {
      await sandbox.stop();
    }
  }

  /** `xs`: a running xs sandbox to reuse (each district may point at the same tenant), else one is started. */
  async districtsCase(xs: SandboxProcess | null): Promise<void> {
    const { opts, r, stack } = this;
    if (!opts.cases.has('districts') || opts.districts === 0) {
      r.skipped.districts_failed = opts.districts === 0 ? '--districts 0' : 'not in --cases';
      return;
    }
    const n = opts.districts;
    const sandbox = xs ?? (await step('starting an xs sandbox for the districts case', () => stack.startSandbox('xs')));
    try {
      const worker = await step('starting a fresh worker for the districts case', () => stack.startWorker('districts'));
      const ids = Array.from({ length: n }, (_, i) => `bench-many-${i + 1}`);
      for (const id of ids) await registerDistrict(stack, id, sandbox, PAGE_SIZE);
      const outcomes = await step(
        `${n} districts of size xs syncing at once`,
        async () => {
          const t0 = performance.now();
          const started = await Promise.all(ids.map((id) => startRun(stack, worker, 'syncRun', id)));
          const all = Promise.all(started.map((s) => s.done));
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), opts.runTimeoutMs)));
          if ((await Promise.race([all, worker.died, timeout]).finally(() => clearTimeout(timer))) === 'timeout') {
            // Terminated runs end as failures, so they count in districts_failed.
            r.notes.push(`districts: runs still going after ${opts.runTimeoutMs / 60_000} min were terminated`);
            await Promise.all(started.map((s) => stack.temporal.workflow.getHandle(s.workflowId).terminate('the bench gave up').catch(() => undefined)));
            await stack.pool.query(`select pg_cancel_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`);
          }
          const ends = await Promise.race([all, worker.died]);
          const seconds = (performance.now() - t0) / 1000;
          const outs = [];
          for (let i = 0; i < started.length; i++) outs.push(await outcomeOf(stack, started[i]!, ends[i]!, i === 0));
          return { seconds, outs };
        },
        async () => {
          const { rows } = await stack.pool.query<{ status: string; n: string }>(`select status, count(*) as n from sync_runs where district_id like 'bench-many-%' group by status`);
          return rows.map((x) => `${x.status} ${x.n}`).join(', ');
        },
      );
      const peak = await worker.stop();
      const failed = outcomes.outs.filter((o) => !o.ok);
      r.districts_failed = failed.length;
      r.districts_s = round(outcomes.seconds);
      const perRun = outcomes.outs.map((o) => o.seconds);
      r.details.districts = {
        peak_rss_mb: peak,
        run_seconds: spread(perRun.map((x) => round(x))),
        failures: failed.slice(0, 5).map((o) => ({ workflowId: o.workflowId, status: o.status, reason: o.reason })),
      };
      r.modes.districts = [...new Set(outcomes.outs.map((o) => o.mode ?? 'unknown'))];
      if (failed.length) r.notes.push(`districts: ${failed.length} of ${n} runs did not succeed; first: ${failed[0]!.status} ${failed[0]!.reason ?? ''}`);
    } finally {
      if (!xs) await sandbox.stop();
    }
  }

  finish(): void {
    const r = this.r;
    r.ratio_full = ratio(r.full_sync_s, r.floor_s);
    r.ratio_resync = ratio(r.resync_s, r.fetch_only_s);
    r.ratio_delta = ratio(r.delta_s, r.full_sync_s);
    // A ratio of a figure skipped on purpose is skipped too, not "could not be measured".
    const inputs = { ratio_full: ['full_sync_s', 'floor_s'], ratio_resync: ['resync_s', 'fetch_only_s'], ratio_delta: ['delta_s', 'full_sync_s'] };
    for (const [field, parts] of Object.entries(inputs)) {
      const why = parts.map((p) => r.skipped[p]).find(Boolean);
      if (why && (r as unknown as Record<string, unknown>)[field] === null) r.skipped[field] = why;
    }
    const h = heaviest(this.histories);
    if (h) {
      r.activities_per_run = h.activities;
      r.history_events_per_run = h.events;
      r.max_payload_bytes = h.maxPayloadBytes;
    }
    if (r.runs < 3) r.notes.push(`timings are the median of ${r.runs} run${r.runs === 1 ? '' : 's'}: use --runs 3 or more for figures worth comparing`);
    if (!r.skipped.delta_s && r.delta_s === null) r.notes.push('delta_s was not measured: no full sync succeeded, so there was nothing to run a delta after');
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const results = blankResults(opts, argv);
  const stack = new Stack({ keep: opts.keep, pgStats: opts.pgStats, cpuProfDir: opts.cpuProfDir ? resolve(opts.cpuProfDir) : null });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('interrupted: stopping what the bench started…');
    void stack.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let crashed: Error | null = null;
  const bench = new Bench(opts, stack, results);
  try {
    await stack.start();
    let sandbox: SandboxProcess | null = null;
    try {
      if (['floor', 'fetch', 'sync'].some((c) => opts.cases.has(c as never))) {
        sandbox = await step(`starting a ${opts.size} sandbox`, () => stack.startSandbox(opts.size));
        await bench.floorAndFetch(sandbox);
        await bench.syncCases(sandbox);
        // An xs tenant serves the districts case too; any other size makes way for the 4× one.
        if (opts.size !== 'xs') {
          await sandbox.stop();
          sandbox = null;
        }
      }
      await bench.fourX();
      await bench.districtsCase(sandbox);
    } finally {
      await sandbox?.stop();
    }
  } catch (err) {
    crashed = err instanceof Error ? err : new Error(String(err));
    results.notes.push(`the bench stopped early: ${crashed.message.split('\n')[0]}`);
  } finally {
    await stack.stop(crashed !== null);
  }
  bench.finish();
  const checks = evaluate(results);
  process.stdout.write(formatTable(results, checks));
  const out = resolve(projectRoot, opts.out);
  writeResults(out, results);
  say(`wrote ${out}`);
  if (crashed) {
    say(`failed: ${crashed.message}\n(logs: ${stack.logFile})`);
    return 1;
  }
  const missed = misses(checks);
  if (opts.check && missed.length) {
    for (const m of missed) say(`MISS ${m.message}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

/** Each round's own ratios (its full sync over its floor, its resync over its fetch_only), to show how far noise moves them. */
function roundRatios(floor: number[], fetchOnly: number[], full: number[], resync: number[]) {
  return full.map((f, i) => ({
    full: floor[i] ? round(f / floor[i]!, 2) : null,
    resync: resync[i] !== undefined && fetchOnly[i] ? round(resync[i]! / fetchOnly[i]!, 2) : null,
  }));
}
