// Page memos: a full run whose district's live roster is current (the unchanged shortcut, see
// roster/unchanged.ts) recognises page bodies it has parsed before by their digest. A memo holds what
// the body held: its records' ids and content hashes, in order. It is a pure fact about the bytes;
// whether those records are unchanged is asked of the live roster each time, as for a parsed page
// (liveHashes): the page is staged by id from its memo only if every record it lists is identical
// to its live row, in the same statement; otherwise nothing is staged and the page is parsed as usual.
// A recognised page costs the worker no parsing, no JSON and no hashing of its records.
import { sql, type Kysely } from 'kysely';
import type { Database, PageMemosTable } from '../db/schema.js';
import type { Collection, KnownBody, KnownPage } from '../oneroster/types.js';
import { LIVE_TABLE } from './entities.js';

/**
 * Bumped whenever what a memo records of a body changes meaning: the staged form of a record and its
 * content hash (roster/storable.ts), or the digest. Memos of other versions are never recognised.
 * 2: a record is staged (and hashed) as the body's text of it, no longer serialised again.
 */
export const PAGE_MEMO_VERSION = 2;

/** Between the ids (and the hashes) of a memo. A page with an id holding it (or an empty id) gets no memo, and is always parsed. */
export const MEMO_SEPARATOR = '\n';

/** The key a memo is stored under: the body's digest, qualified by PAGE_MEMO_VERSION. */
export function memoKey(digest: string): string {
  return `v${PAGE_MEMO_VERSION}:${digest}`;
}

/** A memo as inserted (created_at is the database's). */
export type MemoRow = Omit<PageMemosTable, 'created_at'>;

/** The memo of a parsed page, from its records' ids and hashes by position; null when one cannot be kept. */
export function memoRow(districtId: string, collection: Collection, digest: string, ids: readonly (string | null)[], hashes: readonly string[]): MemoRow | null {
  // An empty page costs nothing to parse; an empty id would vanish between separators.
  if (ids.length === 0 || ids.some((id) => id === null || id === '' || id.includes(MEMO_SEPARATOR))) return null;
  return { district_id: districtId, entity: collection, digest: memoKey(digest), ids: ids.join(MEMO_SEPARATOR), hashes: hashes.join(MEMO_SEPARATOR), records: ids.length };
}

/** What the district's memo of `digest` says the body holds (one primary-key lookup), or null. */
export async function recognisePage(db: Kysely<Database>, districtId: string, collection: Collection, digest: string): Promise<KnownBody | null> {
  const r = await sql<{ n: number; first: string; last: string }>`
    select records as n, split_part(ids, ${MEMO_SEPARATOR}, 1) as first, split_part(ids, ${MEMO_SEPARATOR}, -1) as last
    from page_memos where district_id = ${districtId} and entity = ${collection} and digest = ${memoKey(digest)}`.execute(db);
  const row = r.rows[0];
  return row ? { recordCount: row.n, firstId: row.n > 0 ? row.first : null, lastId: row.n > 0 ? row.last : null } : null;
}

/**
 * The statement staging a recognised page by id: its memo's ids become the page's staging_unchanged
 * row when every record it lists is identical to its live row (the rows liveHashes returns: active
 * ones, and ones ClassLink itself marked tobedeleted). It stages one row, or none when a record differs.
 */
export function unchangedFromMemo(runId: string, page: KnownPage, districtId: string): { text: string; values: unknown[] } {
  const live = LIVE_TABLE[page.collection];
  // The live rows are read with one index scan over the page's ids (= any(...)), which costs about
  // half as much as probing the index id by id; every listed record must meet an identical live row.
  return {
    text: `insert into staging_unchanged (run_id, entity, page_offset, ids, records)
      select $1, m.entity, $2, string_to_array(m.ids, $6), m.records from page_memos m
      where m.district_id = $3 and m.entity = $4 and m.digest = $5
        and m.records = (
          select count(*) from unnest(string_to_array(m.ids, $6), string_to_array(m.hashes, $6)) as x(sourced_id, hash)
          join ${live} l on l.sourced_id = x.sourced_id and l.content_hash = x.hash
          where l.district_id = $3 and l.sourced_id = any(string_to_array(m.ids, $6))
            and ((l.deleted_at is null and l.status <> 'tobedeleted') or (l.deleted_at is not null and l.status = 'tobedeleted')))`,
    values: [runId, page.offset, districtId, page.collection, memoKey(page.digest), MEMO_SEPARATOR],
  };
}

/**
 * Keeps only the memos of the pages the run fetched (a complete full fetch): a page that changed
 * leaves its old memo behind otherwise, every night.
 */
export async function pruneMemos(db: Kysely<Database>, districtId: string, runId: string): Promise<void> {
  await sql`
    delete from page_memos m
    where m.district_id = ${districtId}
      and not exists (select 1 from staging_pages p where p.run_id = ${runId} and p.entity = m.entity and ${memoKey('')} || p.digest = m.digest)`.execute(db);
}
