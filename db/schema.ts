// Kysely table interfaces; one Database type for the whole app.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamp the database fills in (default now()). */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface DistrictsTable {
  id: string;
  name: string;
  timezone: string;
  oneroster_base_url: string | null;
  /** 'oauth1' | 'oauth2' | 'bearer' */
  oneroster_auth_kind: string | null;
  oneroster_client_id: string | null;
  /** AES-256-GCM ciphertext (see db/secrets.ts); never returned by the API. */
  oneroster_secret_enc: string | null;
  oneroster_token_url: string | null;
  oneroster_signature_method: string | null;
  sso_issuer: string | null;
  sso_client_id: string | null;
  sso_secret_enc: string | null;
  /** ClassLink TenantId that SSO logins must carry (ClassLink is one issuer for every tenant). */
  sso_tenant_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** ClassLink user-info API (/v2/my/info); null = derived from the issuer. */
  sso_userinfo_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** Per-district knobs: removal threshold, page size, full-sync weekday... */
  settings: Json<Record<string, unknown>>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type RunKind = 'review' | 'nightly' | 'manual' | 'initial';
export type RunStatus = 'running' | 'succeeded' | 'held' | 'failed' | 'discarded';

export interface SyncRunsTable {
  id: string;
  district_id: string;
  kind: RunKind;
  /** 'full' | 'delta' */
  mode: string;
  dry_run: boolean;
  status: RunStatus;
  workflow_id: string | null;
  temporal_run_id: string | null;
  started_at: GeneratedTimestamp;
  finished_at: NullableTimestamp;
  /** {collection: {fetched, inserted, updated, unchanged, deleted, quarantined}} */
  counts: Json<Record<string, unknown>>;
  /** {fetch_ms, validate_ms, apply_ms} */
  timings: Json<Record<string, unknown>>;
  /** {phase, collection, pagesDone, pagesTotal, recordsDone} while running */
  progress: Json<Record<string, unknown>>;
  /** Why a run is held, or why it failed, in words for support. */
  reason: string | null;
  /** Per rule counts, samples, what a review would change. */
  summary: Json<Record<string, unknown>>;
  delta_since: NullableTimestamp;
}

export interface RunIssuesTable {
  id: Generated<string>;
  run_id: string;
  district_id: string;
  entity: string;
  sourced_id: string | null;
  rule: string;
  /** 'error' quarantines the record; 'warning' applies it but must be seen. */
  severity: 'error' | 'warning';
  message: string;
}

export interface AuditEventsTable {
  id: Generated<string>;
  district_id: string;
  at: GeneratedTimestamp;
  actor: string;
  action: string;
  note: string | null;
  details: Json<Record<string, unknown>>;
  /** `<workflow chain>/<seq>` for events the onboarding workflow records; unique, so retries are harmless. */
  event_key: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Columns shared by the six live roster tables. */
export interface LiveRowBase {
  district_id: string;
  sourced_id: string;
  status: string;
  date_last_modified: NullableTimestamp;
  data: Json<Record<string, unknown>>;
  content_hash: string;
  first_seen_at: GeneratedTimestamp;
  last_seen_at: GeneratedTimestamp;
  deleted_at: NullableTimestamp;
}

export interface StagingRecordsTable {
  run_id: string;
  entity: string;
  page_offset: number;
  ordinal: number;
  sourced_id: string | null;
  data: Json<Record<string, unknown>>;
  quarantine_rule: string | null;
  /** Set as the record is staged for records fetched but deliberately not synced (guardians, parents). */
  skip_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** [ruleId, message] of every local rule the record breaks (roster/record-checks.ts); null: none. */
  faults: ColumnType<[string, string][] | null, string | null | undefined, string | null>;
  /** md5 of the record's JSON as staged (null for rows staged before it existed). */
  content_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** The ids of the record's single references, in STAGED_REF_FIELDS order (roster/record-checks.ts). */
  refs: ColumnType<(string | null)[] | null, (string | null)[] | null | undefined, (string | null)[] | null>;
}

/** Records of a full feed identical to their active live row: position, id and hash only. */
export interface StagingUnchangedTable {
  run_id: string;
  entity: string;
  page_offset: number;
  /** The page's sourcedIds by position (ordinal + 1); null where the record is in staging_records. */
  ids: (string | null)[];
  /** How many ids are not null. */
  records: number;
}

export interface StagingPagesTable {
  run_id: string;
  entity: string;
  page_offset: number;
  record_count: number;
  total_count: number | null;
  /** True on the last page of a collection: a resumed fetch skips the collection. */
  complete: ColumnType<boolean, boolean | undefined, boolean>;
  /** RULES_VERSION the page's records were checked against (roster/record-checks.ts). */
  rules_version: ColumnType<string | null, string | null | undefined, string | null>;
  /** The page body's digest (Page.digest), when the page was read for page memos. */
  digest: ColumnType<string | null, string | null | undefined, string | null>;
}

/** What a page body held when it was last parsed (roster/page-memo.ts): a cache, unlogged. */
export interface PageMemosTable {
  district_id: string;
  entity: string;
  digest: string;
  /** Its records' sourcedIds by position, joined by line breaks (MEMO_SEPARATOR). */
  ids: string;
  /** Its records' content hashes by position, joined the same way. */
  hashes: string;
  records: number;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface SupportAccountsTable {
  /** bigserial, parsed as a number (db/connect.ts). */
  id: Generated<number>;
  /** Lower case. */
  email: string;
  /** scrypt$N$r$p$salt$hash (api/passwords.ts). */
  password_hash: string;
  created_at: GeneratedTimestamp;
  password_changed_at: GeneratedTimestamp;
  disabled_at: NullableTimestamp;
  last_login_at: NullableTimestamp;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** sha256 of the whole token; the token itself is shown once and never stored. */
  token_hash: string;
  support_account_id: number | null;
  created_at: GeneratedTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface SessionsTable {
  /** sha256 of the random session id in the cookie. */
  id_hash: string;
  kind: 'support' | 'district_user';
  support_account_id: number | null;
  district_id: string | null;
  user_sourced_id: string | null;
  csrf_token: string;
  created_at: GeneratedTimestamp;
  expires_at: Date | string;
}

export interface SsoPendingLoginsTable {
  id_hash: string;
  district_id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  created_at: GeneratedTimestamp;
  expires_at: Date | string;
}

export type LeaderTitle = 'system_admin' | 'roster_lead';

export interface DistrictLeadersTable {
  district_id: string;
  user_sourced_id: string;
  title: LeaderTitle;
  assigned_by: string;
  assigned_at: GeneratedTimestamp;
}

export interface LoginInvitesTable {
  id: Generated<number>;
  district_id: string;
  user_sourced_id: string;
  email: string;
  status: 'sending' | 'sent' | 'failed';
  error: string | null;
  message_id: string | null;
  sent_by: string;
  created_at: GeneratedTimestamp;
  sent_at: NullableTimestamp;
  accepted_at: NullableTimestamp;
}

export interface NotificationSubscriptionsTable {
  id: Generated<string>;
  district_id: string;
  email: string;
  kind: 'daily_summary';
  created_by: string;
  created_at: GeneratedTimestamp;
}

export interface NotificationsSentTable {
  key: string;
  district_id: string;
  recipient: string;
  subject: string;
  message_id: string | null;
  sent_at: GeneratedTimestamp;
}

/** The academic year a district's leader started last (one row per district). */
export interface DistrictAcademicYearsTable {
  district_id: string;
  school_year: string;
  /** `date` columns: read them with to_char (see roster/academic-years.ts), not as JS Dates. */
  start_date: ColumnType<unknown, string, string>;
  end_date: ColumnType<unknown, string, string>;
  recorded_at: GeneratedTimestamp;
}

export interface Database {
  districts: DistrictsTable;
  sync_runs: SyncRunsTable;
  run_issues: RunIssuesTable;
  audit_events: AuditEventsTable;
  orgs: LiveRowBase;
  academic_sessions: LiveRowBase;
  courses: LiveRowBase;
  classes: LiveRowBase;
  users: LiveRowBase;
  enrollments: LiveRowBase;
  staging_records: StagingRecordsTable;
  staging_pages: StagingPagesTable;
  staging_unchanged: StagingUnchangedTable;
  page_memos: PageMemosTable;
  support_accounts: SupportAccountsTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  sso_pending_logins: SsoPendingLoginsTable;
  district_leaders: DistrictLeadersTable;
  login_invites: LoginInvitesTable;
  notification_subscriptions: NotificationSubscriptionsTable;
  notifications_sent: NotificationsSentTable;
  district_academic_years: DistrictAcademicYearsTable;
}

export type LiveTable = 'orgs' | 'academic_sessions' | 'courses' | 'classes' | 'users' | 'enrollments';
export type District = Selectable<DistrictsTable>;
export type NewDistrict = Insertable<DistrictsTable>;
export type DistrictUpdate = Updateable<DistrictsTable>;
export type SyncRun = Selectable<SyncRunsTable>;
export type RunIssue = Selectable<RunIssuesTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
