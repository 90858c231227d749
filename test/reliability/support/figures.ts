// Figures for the one-page report: each test appends what it measured to a JSON-lines file that
// scripts/reliability.mjs sums up. Outside that script (plain `npm test`) nothing is written.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Figure =
  | 'killsSurvived'
  | 'postgresRestartsSurvived'
  | 'temporalRestartsSurvived'
  | 'faultsHandled'
  | 'badRecordsTried'
  | 'goodRecordsApplied'
  | 'guardHolds'
  | 'fuzzCases'
  | 'fuzzOperations'
  | 'forbiddenDenied'
  | 'tamperedLoginsRefused'
  | 'secretProbes'
  | 'rowsLost';

export function recordFigures(source: string, figures: Partial<Record<Figure, number>>, notes: string[] = []): void {
  const dir = process.env.RELIABILITY_FIGURES_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'figures.jsonl'), `${JSON.stringify({ source, figures, notes, at: new Date().toISOString() })}\n`);
}
