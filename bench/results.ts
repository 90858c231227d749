// The shape of bench/results.json, and where it is written. Figures are null when their case did not
// run (skipped on purpose: see `skipped`) or could not be measured (see `notes`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Spread } from './stats.js';

export interface MachineInfo {
  nproc: number;
  memory_mb: number;
  cpu: string;
  node: string;
  platform: string;
}

/** What one run's Temporal history says about the workflow's weight. */
export interface HistoryFigures {
  activities: number;
  events: number;
  maxPayloadBytes: number;
}

export interface BenchResults {
  size: string;
  records: number | null;
  /** Samples behind each timing (the median of this many runs, min and max beside it). */
  runs: number;
  floor_s: number | null;
  fetch_only_s: number | null;
  full_sync_s: number | null;
  ratio_full: number | null;
  resync_s: number | null;
  ratio_resync: number | null;
  resync_rows_written: number | null;
  delta_s: number | null;
  ratio_delta: number | null;
  peak_rss_mb: number | null;
  peak_rss_mb_4x: number | null;
  /** The size measured as "4×" and its record count. */
  size_4x: string | null;
  records_4x: number | null;
  full_sync_4x_s: number | null;
  /** Largest figures over every measured run (full, resync, delta). */
  activities_per_run: number | null;
  history_events_per_run: number | null;
  max_payload_bytes: number | null;
  districts: number;
  districts_failed: number | null;
  districts_s: number | null;
  /** Median/min/max/samples behind each timing above, by field name. */
  spreads: Record<string, Spread>;
  /** sync_runs.mode of each case's runs as the engine recorded them (a delta run that says "full" is the skeleton engine). */
  modes: Record<string, string[]>;
  /** Per case history figures and row counts, for whoever profiles next. */
  details: Record<string, unknown>;
  /** Fields not measured on purpose, with why. */
  skipped: Record<string, string>;
  notes: string[];
  date: string;
  machine: MachineInfo;
  git_commit: string | null;
  git_dirty: boolean | null;
  command: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    memory_mb: Math.round(totalmem() / 2 ** 20),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function gitState(cwd: string): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
