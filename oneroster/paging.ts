// Walking a collection page by page, and refusing pages that cannot be right. A sync that silently
// skips records looks like success and ends in mass deletions, so every doubt here is a loud,
// retryable broken_response naming the collection and offset, never a quiet stop.

import { backoffDelayMs, type RetryPolicy } from './http.js';
import { brokenResponse, type ErrorContext } from './errors.js';
import type { Collection, KnownPage, Page, PageRequest } from './types.js';

/** What is kept of the previous page: two ids, so memory stays one page whatever the collection size. */
export interface PageMark {
  offset: number;
  first: string | null;
  last: string | null;
}

export function markOf(page: Page | KnownPage): PageMark {
  if ('known' in page) return { offset: page.offset, first: page.known.firstId, last: page.known.lastId };
  return {
    offset: page.offset,
    first: sourcedIdOf(page.records[0]),
    last: sourcedIdOf(page.records[page.records.length - 1]),
  };
}

/** How many records a page holds, parsed or known. */
export function recordCount(page: Page | KnownPage): number {
  return 'known' in page ? page.known.recordCount : page.records.length;
}

function sourcedIdOf(record: unknown): string | null {
  const id = record && typeof record === 'object' ? (record as { sourcedId?: unknown }).sourcedId : undefined;
  return typeof id === 'string' ? id : null;
}

/**
 * Why `page` cannot be trusted, or null when it is consistent:
 * - with X-Total-Count, a page must hold exactly min(limit, total - offset) records: fewer is a
 *   truncated page, more means the count header is wrong;
 * - a non-empty page whose first and last sourcedIds equal the previous page's, fetched at another
 *   offset, is the same page again (a server ignoring offset would loop forever).
 */
export function pageProblem(page: Page | KnownPage, previous: PageMark | null): string | null {
  const n = recordCount(page);
  if (page.totalCount !== null) {
    const expected = Math.max(0, Math.min(page.limit, page.totalCount - page.offset));
    if (n < expected) {
      return `the page holds ${n} of the ${expected} records that X-Total-Count ${page.totalCount} promises at offset ${page.offset} (a truncated page; if it never recovers, the server may cap the page size below ${page.limit}: lower pageSize)`;
    }
    if (n > expected) {
      return `the page holds ${n} records where X-Total-Count ${page.totalCount} allows ${expected} at offset ${page.offset}: the count header is wrong`;
    }
  }
  if (previous && n > 0 && previous.offset !== page.offset) {
    const mark = markOf(page);
    if (mark.first !== null && mark.first === previous.first && mark.last === previous.last) {
      return `the page at offset ${page.offset} repeats the page at offset ${previous.offset} (same first and last sourcedId ${mark.first}, ${mark.last}): the server seems to ignore offset`;
    }
  }
  return null;
}

export interface PagingDeps<P extends Page | KnownPage = Page> {
  getPage(collection: Collection, request: PageRequest): Promise<P>;
  pageSize: number;
  policy: RetryPolicy;
  errorContext(collection: Collection, offset: number): ErrorContext;
}

/**
 * Pages from startOffset until the collection is exhausted: the first page that is shorter than
 * the limit. The first page is always yielded (even empty, so callers see the count); later empty
 * pages are not. With X-Total-Count, a last page that is exactly full costs one more request that
 * must come back empty: stopping at the count alone would drop records silently if it is too low.
 */
export async function* pageThrough<P extends Page | KnownPage>(
  deps: PagingDeps<P>,
  collection: Collection,
  options: { startOffset?: number; filter?: string } = {},
): AsyncGenerator<P> {
  let offset = options.startOffset ?? 0;
  let previous: PageMark | null = null;
  for (let index = 0; ; index++) {
    const page = await consistentPage(deps, collection, offset, options.filter, previous);
    const n = recordCount(page);
    if (index === 0 || n > 0) yield page;
    if (n < page.limit) return;
    previous = markOf(page);
    offset += n;
  }
}

/** One page that passes pageProblem, re-fetched with backoff while it does not. */
async function consistentPage<P extends Page | KnownPage>(
  deps: PagingDeps<P>,
  collection: Collection,
  offset: number,
  filter: string | undefined,
  previous: PageMark | null,
): Promise<P> {
  for (let attempt = 1; ; attempt++) {
    // getPage has its own retries for HTTP failures; only consistency is retried here.
    const page = await deps.getPage(collection, { offset, limit: deps.pageSize, filter });
    const problem = pageProblem(page, previous);
    if (problem === null) return page;
    if (attempt >= deps.policy.maxAttempts) {
      throw brokenResponse(deps.errorContext(collection, offset), problem).afterAttempts(attempt);
    }
    await deps.policy.sleep(backoffDelayMs(attempt, deps.policy));
  }
}
