// Progress on stderr (stdout carries only the final table): which case, which run, how long so far.
const started = Date.now();

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function say(msg: string): void {
  process.stderr.write(`bench [${clock(Date.now() - started)}] ${msg}\n`);
}

/**
 * Runs `work`, printing `label` at the start and, every `everyMs`, the elapsed time plus whatever
 * `detail()` says (e.g. the run's phase and page), then the time it took.
 */
export async function step<T>(label: string, work: () => Promise<T>, detail?: () => Promise<string | null>, everyMs = 10_000): Promise<T> {
  const t0 = Date.now();
  say(`${label}…`);
  const timer = setInterval(() => {
    void (async () => {
      const extra = detail ? await detail().catch(() => null) : null;
      say(`${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s${extra ? `, ${extra}` : ''}`);
    })();
  }, everyMs);
  try {
    const out = await work();
    say(`${label}: done in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    return out;
  } finally {
    clearInterval(timer);
  }
}
