// Fetch: every collection, page by page, from OneRoster into staging. Memory holds one page at a
// time. A restarted fetch (a retried activity after a worker died) picks up just past the last
// committed page of the first incomplete collection, and says so in the run's summary.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { recordCount } from '../oneroster/paging.js';
import { COLLECTIONS, type Collection, type KnownBody, type KnownPage, type OneRosterClient, type Page } from '../oneroster/types.js';
import { pruneMemos } from './page-memo.js';
import { mergeRunJson, setProgress } from './runs.js';
import { bookmark, markCollectionComplete, stagedCounts, type MemoTarget, type StagingWriter } from './staging.js';
import { stagingId } from './storable.js';

export interface FetchProgress {
  phase: 'fetch';
  collection: Collection;
  /** 1-based position of the collection among the six. */
  collectionIndex: number;
  collections: number;
  offset: number;
  pagesDone: number;
  /** From X-Total-Count; null when the server does not send it. */
  pagesTotal: number | null;
  recordsDone: number;
  totalCount: number | null;
}

export interface FetchOptions {
  db: Kysely<Database>;
  client: OneRosterClient;
  writer: StagingWriter;
  runId: string;
  /** OneRoster filter for a delta run (dateLastModified>...). */
  filter?: string;
  /** Called after every committed page (heartbeat). */
  onPage?: (progress: FetchProgress) => void;
  /** Which attempt of the activity this is, for the resume record. */
  attempt?: number;
  /**
   * Content hashes of the active live rows among a page's ids (see roster/unchanged.ts): records
   * identical to their live row are staged by id and hash only. Absent: every record is staged fully.
   */
  liveHashes?: (collection: Collection, ids: string[]) => Promise<ReadonlyMap<string, string>>;
  /**
   * Page memos of this district (roster/page-memo.ts), for a full feed: every parsed page is
   * remembered by its body's digest, and `recognise` (given with liveHashes) names the pages seen
   * before whose records are all unchanged, which are then staged by id without being parsed.
   */
  memos?: MemoTarget & { recognise?: (collection: Collection, digest: string) => Promise<KnownBody | null> };
}

export interface FetchResult {
  fetched: Record<string, number>;
  /** Pages of this attempt recognised by their memo (staged by id, not parsed). */
  recognisedPages: number;
  resumedFrom: { collection: Collection; offset: number } | null;
}

/** How often a fetch writes its progress to sync_runs (the heartbeat carries it on every page). */
const PROGRESS_EVERY_MS = 1_000;

/**
 * Yields the pages of `source` while already fetching the next one, so downloading page n+1 overlaps
 * staging page n (the floor the benchmark measures overlaps them too). At most two pages are in memory.
 */
export async function* prefetching<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      yield r.value;
    }
  } finally {
    // Stopped early (the write failed): the page being fetched is not wanted, and its failure must
    // not surface later as an unhandled rejection.
    next.catch(() => undefined);
    void it.return?.().catch(() => undefined);
  }
}

/**
 * At most one page write in flight, started after the one before it has committed. Its failure is
 * held until settled() (never an unhandled rejection), and drain() waits for it whatever happened, so
 * a fetch that failed does not return while its last write still holds a connection.
 */
class OrderedWrites {
  private pending: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  start(write: () => Promise<void>): void {
    this.pending = write().catch((error: unknown) => {
      this.failure = { error };
    });
  }

  /** Waits for the write in flight; throws its error if it failed. */
  async settled(): Promise<void> {
    await this.pending;
    this.pending = null;
    if (this.failure) throw this.failure.error;
  }

  async drain(): Promise<void> {
    await this.pending;
  }
}

/** Each page with the live hashes of its ids, looked up as part of fetching it (so prefetching overlaps the lookup too). */
async function* withLiveHashes(
  pages: AsyncIterable<Page | KnownPage>,
  collection: Collection,
  lookup: FetchOptions['liveHashes'],
): AsyncGenerator<{ page: Page | KnownPage; live?: ReadonlyMap<string, string> }> {
  for await (const page of pages) {
    if (!lookup || 'known' in page) yield { page };
    else yield { page, live: await lookup(collection, stagedIds(page)) };
  }
}

export async function fetchIntoStaging(o: FetchOptions): Promise<FetchResult> {
  let resumedFrom: FetchResult['resumedFrom'] = null;
  let recognisedPages = 0;
  for (const [i, collection] of COLLECTIONS.entries()) {
    const mark = await bookmark(o.db, o.runId, collection);
    if (mark.complete) continue;
    if (mark.nextOffset > 0 && !resumedFrom) {
      resumedFrom = { collection, offset: mark.nextOffset };
      await recordResume(o, collection, mark.nextOffset);
    }
    let { pagesDone, recordsDone } = mark;
    let progressSavedAt = 0;
    let unsaved: FetchProgress | null = null;
    /** Called once a page has committed: the heartbeat and the progress people watch. */
    const committed = async (page: Pick<Page, 'offset' | 'limit' | 'totalCount'>, records: number): Promise<void> => {
      pagesDone += 1;
      recordsDone += records;
      const progress: FetchProgress = {
        phase: 'fetch',
        collection,
        collectionIndex: i + 1,
        collections: COLLECTIONS.length,
        offset: page.offset + records,
        pagesDone,
        pagesTotal: page.totalCount === null ? null : Math.max(1, Math.ceil(page.totalCount / page.limit)),
        recordsDone,
        totalCount: page.totalCount,
      };
      o.onPage?.(progress);
      // The page itself is the durable bookmark; the row people watch needs no more than a second's freshness.
      unsaved = progress;
      if (Date.now() - progressSavedAt >= PROGRESS_EVERY_MS) {
        await setProgress(o.db, o.runId, progress as unknown as Record<string, unknown>);
        progressSavedAt = Date.now();
        unsaved = null;
      }
    };
    const writes = new OrderedWrites();
    try {
      const pages = pagesOf(o, collection, mark.nextOffset);
      for await (const { page, live } of prefetching(withLiveHashes(pages, collection, o.liveHashes))) {
        if ('known' in page) {
          // A recognised page is one statement: nothing to prepare, so nothing to overlap.
          await writes.settled();
          if (await o.writer.writeKnownPage(o.runId, page, o.memos!)) recognisedPages += 1;
          else await writeParsed(o, page.parse());
          await committed(page, recordCount(page));
          continue;
        }
        // Prepared while the previous page is still being written; written once that one has
        // committed (pages commit in order: the bookmark is the last committed page).
        const prepared = await o.writer.preparePage(o.runId, page, live, o.memos);
        await writes.settled();
        // The parsed records are not kept for the heartbeat: only where the page was.
        const done = { offset: page.offset, limit: page.limit, totalCount: page.totalCount };
        writes.start(() => o.writer.writePrepared(prepared).then(() => committed(done, prepared.page.recordCount)));
      }
      await writes.settled();
    } finally {
      await writes.drain();
    }
    if (unsaved) await setProgress(o.db, o.runId, unsaved as unknown as Record<string, unknown>);
    await markCollectionComplete(o.db, o.runId, collection);
  }
  await recordFetch(o, null, readsWithMemos(o) && o.memos?.recognise ? recognisedPages : undefined);
  if (o.memos && !o.filter) await pruneMemos(o.db, o.memos.districtId, o.runId);
  return { fetched: await stagedCounts(o.db, o.runId), recognisedPages, resumedFrom };
}

/** A recognised page one of whose live rows changed since: written as if it had not been recognised. */
async function writeParsed(o: FetchOptions, page: Page): Promise<void> {
  await o.writer.writePage(o.runId, page, o.liveHashes && (await o.liveHashes(page.collection, stagedIds(page))), o.memos);
}

const stagedIds = (page: Page): string[] => page.records.map(stagingId).filter((id): id is string => id !== null);

/** Whether pages are read with their digests (a full feed, memos asked for, a client that can). */
function readsWithMemos(o: FetchOptions): boolean {
  return Boolean(o.memos && !o.filter && o.client.recognisingPages);
}

/** The collection's pages: with memos, read with their digests (and recognised when asked). */
function pagesOf(o: FetchOptions, collection: Collection, startOffset: number): AsyncGenerator<Page | KnownPage> {
  const options = { startOffset, ...(o.filter ? { filter: o.filter } : {}) };
  if (!readsWithMemos(o)) return o.client.pages(collection, options);
  return o.client.recognisingPages!(collection, { ...options, recognise: o.memos!.recognise ?? (async () => null) });
}

/** summary.fetch = {method, resumes[]}: one writer per run, so read-modify-write is safe here. */
async function recordFetch(o: FetchOptions, resume: { collection: Collection; offset: number } | null, recognisedPages?: number): Promise<void> {
  const run = await o.db.selectFrom('sync_runs').select('summary').where('id', '=', o.runId).executeTakeFirst();
  const previous = ((run?.summary as { fetch?: { resumes?: unknown[] } })?.fetch?.resumes ?? []) as unknown[];
  const resumes = resume ? [...previous, { ...resume, attempt: o.attempt ?? null, at: new Date().toISOString() }] : previous;
  const recognised = recognisedPages === undefined ? {} : { recognisedPages };
  await mergeRunJson(o.db, o.runId, 'summary', { fetch: { method: o.writer.method, resumes, ...recognised } });
}

async function recordResume(o: FetchOptions, collection: Collection, offset: number): Promise<void> {
  await recordFetch(o, { collection, offset });
}
