// Reads a .cpuprofile written by `npm run bench -- --cpu-prof DIR` and prints how busy the worker's
// main thread was second by second, then the functions with the most self time (in a window).
//   npx tsx bench/profile-summary.ts DIR/worker-*.cpuprofile [--from S --to S] [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '30' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--from S --to S] [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const from = values.from === undefined ? -Infinity : Number(values.from);
const to = values.to === undefined ? Infinity : Number(values.to);
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<string, number>();
const busyPerSecond = new Map<number, number>();
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i]!;
  const second = (at - profile.startTime) / 1e6;
  const ms = (profile.timeDeltas[i + 1] ?? 0) / 1e3;
  const frame = nodes.get(id)!.callFrame;
  const name = frame.functionName || '(anonymous)';
  if (name === '(idle)' || name === '(program)') return;
  busyPerSecond.set(Math.floor(second), (busyPerSecond.get(Math.floor(second)) ?? 0) + ms);
  if (second < from || second > to) return;
  const key = `${name} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}`;
  selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
});
console.log('second  busy ms');
for (const [second, ms] of [...busyPerSecond].sort((a, b) => a[0] - b[0])) if (ms >= 50) console.log(`${String(second).padStart(6)}  ${ms.toFixed(0).padStart(7)}`);
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
console.log(`\nbusy ${total.toFixed(0)} ms${values.from !== undefined || values.to !== undefined ? ` between ${values.from ?? 'start'} s and ${values.to ?? 'end'} s` : ''}; most self time:`);
for (const [key, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${ms.toFixed(0).padStart(7)}  ${key}`);
