// Contract of the OneRoster client, shared by activities/, roster/, api/ and the sandbox tests.
// Roster data never leaves these shapes for a workflow payload: only ids and counts do.

/** The six OneRoster 1.1 collections that a sync reads, in dependency order. */
export const COLLECTIONS = ['orgs', 'academicSessions', 'courses', 'classes', 'users', 'enrollments'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export type OneRosterAuth =
  /** Signed requests straight to the district's Roster Server. */
  | { kind: 'oauth1'; clientId: string; clientSecret: string; signatureMethod?: 'HMAC-SHA256' | 'HMAC-SHA1' }
  /** ClassLink's OneRoster proxy: client-credentials token from tokenUrl (default `<baseUrl origin>/oauth/token`). */
  | { kind: 'oauth2'; clientId: string; clientSecret: string; tokenUrl?: string; scope?: string }
  /** A static bearer token handed out by the tenant. */
  | { kind: 'bearer'; token: string };

export interface OneRosterClientOptions {
  /** e.g. https://example.oneroster.com/ims/oneroster/v1p1 (no trailing slash needed). */
  baseUrl: string;
  auth: OneRosterAuth;
  /** Used only to make error messages name the district. */
  districtId: string;
  /** Records per page (limit). Default 1000. */
  pageSize?: number;
  /** Per request timeout. Default 60 s. */
  timeoutMs?: number;
  /** Attempts for retryable failures (429, 5xx, timeouts, network) per request. Default 5. */
  maxAttempts?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Clock (epoch ms) for OAuth timestamps, token expiry and Retry-After dates. Injected for tests. */
  now?: () => number;
  /** Backoff jitter source in [0, 1). Injected for tests. */
  random?: () => number;
  /**
   * Longest Retry-After waited out inside one call (default 120 s); a longer one fails the call
   * as retryable rate_limited/server so the caller retries later.
   */
  maxRetryAfterMs?: number;
}

export interface PageRequest {
  offset: number;
  limit?: number;
  /** OneRoster filter expression, e.g. dateLastModified>'2026-11-01T00:00:00Z'. */
  filter?: string;
}

export interface Page {
  collection: Collection;
  offset: number;
  limit: number;
  /** X-Total-Count when the server sent it. */
  totalCount: number | null;
  /** Raw JSON records exactly as served (validation happens later, over staging). */
  records: Record<string, unknown>[];
  /** Each record's JSON text as the body held it, by position, when it could be cut out (oneroster/element-texts.ts). */
  texts?: string[];
  /** sha256 of the body's bytes, when pages are read with `recognise` (see PagesOptions). */
  digest?: string;
}

/** What a recogniser knows of a page body it has seen before: enough to page on without parsing it. */
export interface KnownBody {
  recordCount: number;
  firstId: string | null;
  lastId: string | null;
}

/**
 * A page whose body the recogniser knew by its digest: not parsed, its records not at hand. Paging
 * checks (counts, repeated pages) hold for it as for a parsed page, on what the recogniser knew.
 */
export interface KnownPage {
  collection: Collection;
  offset: number;
  limit: number;
  totalCount: number | null;
  digest: string;
  known: KnownBody;
  /** The body parsed after all, as the Page it is (when what the recogniser knew no longer suffices). */
  parse(): Page;
}

export interface PagesOptions {
  startOffset?: number;
  filter?: string;
  /**
   * Asked with the digest of every successful page body before it is parsed; a body it knows is
   * yielded as a KnownPage, any other is parsed and yielded as a Page carrying its digest.
   */
  recognise?: (collection: Collection, digest: string) => Promise<KnownBody | null>;
}

export interface CollectionCheck {
  collection: Collection;
  ok: boolean;
  /** X-Total-Count (or the first page's length when absent). */
  count?: number;
  /** The exact error, when not ok. */
  error?: string;
}

export interface OneRosterClient {
  getPage(collection: Collection, request: PageRequest): Promise<Page>;
  /** Pages from startOffset until the collection is exhausted. */
  pages(collection: Collection, options?: Omit<PagesOptions, 'recognise'>): AsyncGenerator<Page>;
  /** The same, yielding the pages `recognise` knows as KnownPages. Absent: every page is parsed (pages()). */
  recognisingPages?(collection: Collection, options: PagesOptions & Required<Pick<PagesOptions, 'recognise'>>): AsyncGenerator<Page | KnownPage>;
  /** Auth plus one page of each collection. Never throws: every failure is reported per collection. */
  testConnection(): Promise<{ ok: boolean; auth: { ok: boolean; error?: string }; collections: CollectionCheck[] }>;
}
