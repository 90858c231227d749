// Child processes of the bench (sandbox, worker) and the worker's memory as Linux reports it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { projectRoot } from '../config/tools.js';

export { freePort } from '../lib/free-port.js';

export interface NodeChild {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last few KB the child wrote, for error messages. */
  lastWords(): string;
  /** Resolves with a line of stdout matching `re` (or rejects when the child exits first). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * `node [nodeArgs] --import tsx <script> [args]` (or without tsx for compiled JavaScript), so the pid
 * is the Node process that does the work.
 */
export function startNodeChild(opts: { name: string; script: string; args?: string[]; nodeArgs?: string[]; compiled?: boolean; env: NodeJS.ProcessEnv; log: WriteStream }): NodeChild {
  const loader = opts.compiled ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...loader, '--import', './scripts/exit-with-parent.mjs', opts.script, ...(opts.args ?? [])], {
    cwd: projectRoot,
    // The child ends when the bench does, however it ends (scripts/exit-with-parent.mjs).
    env: { ...opts.env, EXIT_WITH_PARENT: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.script})`);
  let recent = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const take = (d: Buffer, isStdout: boolean) => {
    opts.log.write(`[${opts.name}] ${d}`);
    recent = (recent + d.toString()).slice(-4000);
    if (isStdout) {
      stdout = (stdout + d.toString()).slice(-20000);
      for (const l of listeners) l();
    }
  };
  child.stdout!.on('data', (d: Buffer) => take(d, true));
  child.stderr!.on('data', (d: Buffer) => take(d, false));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name: opts.name,
    pid: child.pid,
    process: child,
    lastWords: () => recent.trim(),
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(re);
          if (m) return done(() => resolve(m));
          if (!alive()) return done(() => reject(new Error(`${opts.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${recent.trim()}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${opts.name} was not ready within ${timeoutMs / 1000} s:\n${recent.trim()}`))), timeoutMs);
        const onExit = () => check();
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          fn();
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface MemoryStatus {
  rssMb: number;
  /** Peak RSS since start or since the last resetPeak. */
  hwmMb: number;
}

export function readMemory(pid: number): MemoryStatus | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/**
 * Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0, `echo 5 > clear_refs`), so the
 * one-off cost of bundling the workflows at worker start does not count as the sync's peak.
 */
export function resetPeak(pid: number): boolean {
  const file = `/proc/${pid}/clear_refs`;
  if (!existsSync(file)) return false;
  try {
    writeFileSync(file, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's RSS; peak() is the larger of the sampled maximum and the kernel's VmHWM. */
export class RssSampler {
  private max = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number, everyMs = 200) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }
  private sample(): MemoryStatus | null {
    const m = readMemory(this.pid);
    if (m) this.max = Math.max(this.max, m.rssMb, Number.isFinite(m.hwmMb) ? m.hwmMb : 0);
    return m;
  }
  peak(): number {
    this.sample();
    return Math.round(this.max);
  }
  stop(): number {
    const p = this.peak();
    clearInterval(this.timer);
    return p;
  }
}
