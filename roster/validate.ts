// Record-level validation in SQL over staging: a failing record is quarantined with its rule and
// every problem is stored as a run issue. (The walking skeleton checks identity; the sync-engine
// issue adds the full rule set.)
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface Rule {
  id: string;
  severity: 'error' | 'warning';
  /** Human message; :sid is replaced by the record's sourcedId. */
  message: string;
  /** SQL predicate over staging alias `s` (and its `data` jsonb) that is true for a bad record. */
  where: string;
}

export const RECORD_RULES: Rule[] = [
  {
    id: 'required.sourcedId',
    severity: 'error',
    message: 'record has no sourcedId: every OneRoster record needs a stable, unique sourcedId',
    where: `coalesce(s.sourced_id, '') = ''`,
  },
  {
    id: 'enum.status',
    severity: 'error',
    message: `status must be "active" or "tobedeleted"`,
    where: `coalesce(s.data->>'status', '') not in ('active', 'tobedeleted')`,
  },
  {
    id: 'unique.sourcedId',
    severity: 'error',
    message: 'the same sourcedId appears more than once in this collection',
    where: `s.sourced_id in (select d.sourced_id from staging_records d where d.run_id = s.run_id and d.entity = s.entity group by d.sourced_id having count(*) > 1)`,
  },
];

export async function validateStaging(db: Kysely<Database>, runId: string, districtId: string): Promise<{ errors: number }> {
  let errors = 0;
  for (const rule of RECORD_RULES) {
    const result = await sql<{ n: number }>`
      with bad as (
        update staging_records s set quarantine_rule = coalesce(s.quarantine_rule, ${rule.id})
        where s.run_id = ${runId} and (${sql.raw(rule.where)})
        returning s.entity, s.sourced_id
      ), ins as (
        insert into run_issues (run_id, district_id, entity, sourced_id, rule, severity, message)
        select ${runId}, ${districtId}, entity, sourced_id, ${rule.id}, ${rule.severity}, ${rule.message} from bad
        returning 1
      ) select count(*)::int as n from ins`.execute(db);
    errors += Number(result.rows[0]?.n ?? 0);
  }
  return { errors };
}
