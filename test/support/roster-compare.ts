// Compares the live roster tables of a district with what a sandbox tenant serves.
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { COLLECTIONS, type Collection } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { RECORD_RULES } from '../../roster/rules.js';
import type { SandboxGenerator } from '../../sandbox/generator.js';

/** Records the sync counts but never applies (e.g. guardians), per the rules registry's skip rules. */
export function isSkippedBySync(collection: Collection, record: Record<string, unknown>): boolean {
  return RECORD_RULES.some(
    (rule) => rule.severity === 'skip' && rule.entity === collection && rule.check.t === 'skipWhen' && rule.check.values.includes(String(record[rule.field])),
  );
}

export interface RosterDifference {
  collection: Collection;
  missing: string[];
  unexpected: string[];
  different: string[];
  wrongDeletion: string[];
}

/**
 * Every served record must be live with identical content (tobedeleted ones soft-deleted), and no
 * other row may be live. `skip` excludes records the sync is meant not to keep (e.g. guardians).
 */
export async function compareWithSandbox(
  db: Kysely<Database>,
  districtId: string,
  generator: SandboxGenerator,
  skip: (collection: Collection, record: Record<string, unknown>) => boolean = isSkippedBySync,
): Promise<RosterDifference[]> {
  const out: RosterDifference[] = [];
  for (const collection of COLLECTIONS) {
    const rows = await db.selectFrom(LIVE_TABLE[collection]).select(['sourced_id', 'data', 'deleted_at']).where('district_id', '=', districtId).execute();
    const live = new Map(rows.map((r) => [r.sourced_id, r]));
    const diff: RosterDifference = { collection, missing: [], unexpected: [], different: [], wrongDeletion: [] };
    const seen = new Set<string>();
    for (const record of generator.records(collection) as Iterable<Record<string, unknown>>) {
      if (skip(collection, record)) continue;
      const id = record.sourcedId as string;
      seen.add(id);
      const row = live.get(id);
      if (!row) {
        diff.missing.push(id);
        continue;
      }
      if (JSON.stringify(row.data) !== JSON.stringify(sortKeysLike(row.data as Record<string, unknown>, record))) diff.different.push(id);
      if ((row.deleted_at !== null) !== (record.status === 'tobedeleted')) diff.wrongDeletion.push(id);
    }
    for (const [id, row] of live) if (!seen.has(id) && row.deleted_at === null) diff.unexpected.push(id);
    if (diff.missing.length || diff.unexpected.length || diff.different.length || diff.wrongDeletion.length) out.push(diff);
  }
  return out;
}

/** jsonb does not keep key order; compare with the served record's keys in the stored order. */
function sortKeysLike(stored: Record<string, unknown>, served: Record<string, unknown>): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const k of Object.keys(stored)) if (k in served) ordered[k] = normalize(stored[k], served[k]);
  for (const k of Object.keys(served)) if (!(k in ordered)) ordered[k] = served[k];
  return ordered;
}

function normalize(stored: unknown, served: unknown): unknown {
  if (Array.isArray(served) && Array.isArray(stored)) return served.map((v, i) => normalize(stored[i], v));
  if (served && typeof served === 'object' && stored && typeof stored === 'object' && !Array.isArray(served)) {
    return sortKeysLike(stored as Record<string, unknown>, served as Record<string, unknown>);
  }
  return served;
}
