// Sync metrics of a worker (prom-client) and the worker's own HTTP endpoint: /metrics serves these
// plus the Temporal SDK's runtime metrics (Core's Prometheus exporter listens on a loopback port and
// is scraped through here, so one target per worker replica), /health answers while the worker runs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database, SyncRun } from '../db/schema.js';

export const CHANGE_KINDS = ['inserted', 'updated', 'deleted'] as const;

export interface SyncMetrics {
  registry: Registry;
  /** Records a finished (or held) run once per (run, status): counts per entity, duration, outcome. */
  recordRun(run: SyncRun): void;
}

export function createSyncMetrics(db: Kysely<Database>): SyncMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'classlink_worker_' });
  const runs = new Counter({ name: 'classlink_sync_runs_total', help: 'Sync runs that ended (or were held), by kind and status', labelNames: ['kind', 'status'] as const, registers: [registry] });
  const applied = new Counter({
    name: 'classlink_sync_records_applied_total',
    help: 'Roster records written to the live tables by applied runs, by entity and change (inserted, updated, deleted)',
    labelNames: ['entity', 'change'] as const,
    registers: [registry],
  });
  const quarantined = new Counter({ name: 'classlink_sync_records_quarantined_total', help: 'Records quarantined by validation, by entity', labelNames: ['entity'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'classlink_sync_run_duration_seconds',
    help: 'Wall time of a run from begin to its end (or hold), by kind and status',
    labelNames: ['kind', 'status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
    registers: [registry],
  });
  new Gauge({
    name: 'classlink_sync_runs_held',
    help: 'Runs held for support review right now (from the database: the same value on every replica, use max())',
    registers: [registry],
    async collect() {
      const row = await db.selectFrom('sync_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'held').executeTakeFirst();
      this.set(Number(row?.n ?? 0));
    },
  });
  new Gauge({
    name: 'classlink_sync_runs_running',
    help: 'Runs in progress right now (from the database)',
    registers: [registry],
    async collect() {
      const row = await db.selectFrom('sync_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').executeTakeFirst();
      this.set(Number(row?.n ?? 0));
    },
  });

  // Activity retries report the same outcome again: count each (run, status) once per process.
  const seen = new Set<string>();
  return {
    registry,
    recordRun(run) {
      if (run.status === 'running') return;
      const key = `${run.id}:${run.status}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (seen.size > 5000) seen.delete(seen.values().next().value as string);
      runs.inc({ kind: run.kind, status: run.status });
      const end = run.finished_at ? new Date(run.finished_at).getTime() : Date.now();
      duration.observe({ kind: run.kind, status: run.status }, Math.max(0, end - new Date(run.started_at).getTime()) / 1000);
      const counts = run.counts as Record<string, Partial<Record<string, number>>>;
      const wasApplied = !run.dry_run && (run.summary as { applied?: boolean }).applied === true;
      for (const [entity, c] of Object.entries(counts)) {
        if (typeof c !== 'object' || c === null) continue;
        if (c.quarantined) quarantined.inc({ entity }, c.quarantined);
        if (!wasApplied) continue;
        for (const change of CHANGE_KINDS) if (c[change]) applied.inc({ entity, change }, c[change]!);
      }
    },
  };
}

export interface WorkerHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Fetches the SDK's Prometheus text from Core's exporter; a missing exporter is a comment, not a failed scrape. */
async function sdkMetrics(port: number | null): Promise<string> {
  if (!port) return '';
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}

export async function startWorkerHttp(opts: { port: number; host?: string; registry: Registry; sdkMetricsPort: number | null; state: () => string }): Promise<WorkerHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      Promise.all([opts.registry.metrics(), sdkMetrics(opts.sdkMetricsPort)]).then(
        ([ours, sdk]) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(`${ours}\n${sdk}`);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${(err as Error).message}\n`);
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      const state = opts.state();
      const ok = state === 'RUNNING';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'not_running', worker: state }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', message: 'the worker serves GET /metrics and GET /health' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
