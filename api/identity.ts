// Who a ClassLink login is in our roster, and what they may do: a rostered, active user of that
// district, matched by OneRoster sourcedId (and tenant) first, then by email. Roles come from
// the roster, never from the identity provider: leader (administrator marked by support),
// teacher (teachers, aides, unmarked administrators: their own data only), student.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, District, LeaderTitle } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type DistrictRole = 'leader' | 'teacher' | 'student';

export interface RosterIdentity {
  districtId: string;
  sourcedId: string;
  role: DistrictRole;
  /** The OneRoster role: teacher, aide, administrator, student. */
  rosterRole: string;
  leaderTitle: LeaderTitle | null;
  name: string;
  email: string | null;
}

export type RefusalCode = 'unknown_user' | 'deactivated' | 'not_allowed_role' | 'wrong_tenant' | 'ambiguous_email' | 'no_identity';

export interface Refusal {
  refused: RefusalCode;
  /** Why, in words for the person who tried to sign in. */
  reason: string;
}

/** What ClassLink says about the person (ID token claims and /v2/my/info, merged). */
export interface ClassLinkIdentity {
  sourcedId: string | null;
  tenantId: string | null;
  email: string | null;
  loginId: string | null;
  role: string | null;
}

const STAFF = new Set(['teacher', 'aide', 'administrator']);
const FAMILY = new Set(['guardian', 'parent', 'relative']);

interface UserRow {
  sourced_id: string;
  status: string;
  deleted_at: Date | null;
  data: Record<string, unknown>;
  title: LeaderTitle | null;
}

async function userRows(db: Db, districtId: string, where: { sourcedId: string } | { email: string }): Promise<UserRow[]> {
  let q = db
    .selectFrom('users as u')
    .leftJoin('district_leaders as l', (j) => j.onRef('l.district_id', '=', 'u.district_id').onRef('l.user_sourced_id', '=', 'u.sourced_id'))
    .select(['u.sourced_id', 'u.status', 'u.deleted_at', 'u.data', 'l.title'])
    .where('u.district_id', '=', districtId);
  q = 'sourcedId' in where ? q.where('u.sourced_id', '=', where.sourcedId) : q.where(sql<string>`lower(u.data->>'email')`, '=', where.email.toLowerCase());
  return (await q.limit(5).execute()) as UserRow[];
}

const isActive = (u: UserRow) => u.deleted_at === null && u.status === 'active' && u.data.enabledUser !== 'false';

function toIdentity(districtId: string, u: UserRow): RosterIdentity | Refusal {
  const rosterRole = String(u.data.role ?? '');
  const name = [u.data.givenName, u.data.familyName].filter((x) => typeof x === 'string' && x).join(' ') || u.sourced_id;
  const email = typeof u.data.email === 'string' && u.data.email ? u.data.email : null;
  let role: DistrictRole;
  if (rosterRole === 'student') role = 'student';
  else if (STAFF.has(rosterRole)) role = rosterRole === 'administrator' && u.title ? 'leader' : 'teacher';
  else if (FAMILY.has(rosterRole)) return { refused: 'not_allowed_role', reason: 'Gradient is for staff and students; family accounts (parents and guardians) cannot sign in.' };
  else return { refused: 'not_allowed_role', reason: `Your roster role ("${rosterRole || 'none'}") has no access to Gradient.` };
  return { districtId, sourcedId: u.sourced_id, role, rosterRole, leaderTitle: role === 'leader' ? u.title : null, name, email };
}

/** The current identity of a signed-in district user, re-read on every request so changes apply at once. */
export async function identityFor(db: Db, districtId: string, sourcedId: string): Promise<RosterIdentity | Refusal> {
  const [u] = await userRows(db, districtId, { sourcedId });
  if (!u) return { refused: 'unknown_user', reason: 'Your account is no longer in your district’s roster.' };
  if (!isActive(u)) return { refused: 'deactivated', reason: 'Your account has been deactivated in your district’s roster.' };
  return toIdentity(districtId, u);
}

/** Maps a ClassLink login onto the district's roster. */
export async function matchLogin(db: Db, district: Pick<District, 'id' | 'sso_tenant_id'>, who: ClassLinkIdentity): Promise<RosterIdentity | Refusal> {
  if (district.sso_tenant_id) {
    if (!who.tenantId) return { refused: 'wrong_tenant', reason: 'ClassLink did not say which district (tenant) your account belongs to.' };
    if (who.tenantId !== district.sso_tenant_id) {
      return { refused: 'wrong_tenant', reason: 'You signed in with a ClassLink account from another district. Sign in through your own district’s ClassLink.' };
    }
  }
  if (!who.sourcedId && !who.email) return { refused: 'no_identity', reason: 'ClassLink did not share your roster id or email with Gradient.' };

  let inactive = false;
  if (who.sourcedId) {
    const [u] = await userRows(db, district.id, { sourcedId: who.sourcedId });
    if (u && isActive(u)) return toIdentity(district.id, u);
    if (u) inactive = true;
  }
  if (who.email) {
    const rows = await userRows(db, district.id, { email: who.email });
    const active = rows.filter(isActive);
    if (active.length > 1) return { refused: 'ambiguous_email', reason: `More than one account in your district’s roster has the email ${who.email}.` };
    if (active.length === 1) return toIdentity(district.id, active[0]!);
    if (rows.length) inactive = true;
  }
  if (inactive) return { refused: 'deactivated', reason: 'Your account has been deactivated in your district’s roster.' };
  return { refused: 'unknown_user', reason: 'Your ClassLink account is not in the roster your district shares with Gradient.' };
}

export const isRefusal = (x: RosterIdentity | Refusal): x is Refusal => 'refused' in x;

/** Whom to ask when a sign-in is refused: the district's leaders, by name and email. */
export async function districtContacts(db: Db, districtId: string): Promise<{ name: string; email: string | null; title: LeaderTitle }[]> {
  const rows = await db
    .selectFrom('district_leaders as l')
    .leftJoin('users as u', (j) => j.onRef('u.district_id', '=', 'l.district_id').onRef('u.sourced_id', '=', 'l.user_sourced_id'))
    .select(['l.user_sourced_id', 'l.title', 'u.data'])
    .where('l.district_id', '=', districtId)
    .orderBy('l.title')
    .execute();
  return rows.map((r) => {
    const d = (r.data ?? {}) as Record<string, unknown>;
    return {
      name: [d.givenName, d.familyName].filter(Boolean).join(' ') || r.user_sourced_id,
      email: typeof d.email === 'string' ? d.email : null,
      title: r.title,
    };
  });
}
