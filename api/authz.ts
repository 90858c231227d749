// Authorization in one place: every route's required access, and the one decision function the
// auth hook applies before any handler runs. A route missing from the table is support-only
// under /api and /admin (deny by default) and public elsewhere (health, docs, metrics).
import type { Principal } from './auth.js';

export type Access =
  /** Anyone, signed in or not. */
  | 'public'
  /** Any signed-in person, whatever their role. */
  | 'signed-in'
  /** Gradient Support only. */
  | 'support'
  /** Support, or a leader of the district named by the route's :id / :districtId. */
  | 'district-leader'
  /** Support or any leader: pages that then show only what the leader's own district allows. */
  | 'support-or-leader';

export const ROUTE_ACCESS: Record<string, Access> = {
  'GET /health': 'public',
  'GET /ready': 'public',

  // Sign-in and sign-out.
  'GET /sso/:districtId/login': 'public',
  'GET /sso/:districtId/callback': 'public',
  'GET /support/login': 'public',
  'POST /support/login': 'public',
  'GET /sign-in': 'public',
  'POST /logout': 'public',
  'GET /me': 'signed-in',
  // Where support and leaders land after signing in (the Admin pages add their own rows here).
  'GET /admin': 'support-or-leader',
  'GET /api/me': 'signed-in',

  // Districts: support registers, reviews and approves; a leader starts their year and sees their district.
  'GET /api/districts': 'support',
  'POST /api/districts': 'support',
  'GET /api/districts/:id': 'district-leader',
  'POST /api/districts/:id/academic-year': 'district-leader',
  'POST /api/districts/:id/review': 'support',
  'POST /api/districts/:id/approve': 'support',
  'POST /api/districts/:id/request-changes': 'support',
  'POST /api/districts/:id/pause': 'support',
  'POST /api/districts/:id/resume': 'support',
  'POST /api/districts/:id/sync-now': 'support',
  'POST /api/districts/:id/test-connection': 'support',
  'GET /api/districts/:id/runs': 'support',
  'GET /api/districts/:id/runs/:runId': 'support',
  'POST /api/districts/:id/runs/:runId/approve': 'support',
  'POST /api/districts/:id/runs/:runId/discard': 'support',

  // SSO settings and who leads a district: support.
  'GET /api/districts/:id/sso': 'support',
  'PUT /api/districts/:id/sso': 'support',
  'GET /api/districts/:id/leaders': 'district-leader',
  'PUT /api/districts/:id/leaders/:sourcedId': 'support',
  'DELETE /api/districts/:id/leaders/:sourcedId': 'support',

  // Admin Mode: terms, spot checks, invites.
  'GET /api/districts/:id/terms': 'district-leader',
  'GET /api/districts/:id/search': 'district-leader',
  'GET /api/districts/:id/schedules/staff/:sourcedId': 'district-leader',
  'GET /api/districts/:id/schedules/students/:sourcedId': 'district-leader',
  'GET /api/districts/:id/schedules/classes/:sourcedId': 'district-leader',
  'GET /api/districts/:id/invites': 'district-leader',
  'POST /api/districts/:id/invites': 'district-leader',
  'GET /api/districts/:id/staff': 'district-leader',
  'GET /api/districts/:id/school-year': 'district-leader',

  // Admin pages (api/routes/pages.ts). Unlisted /admin pages are the support console (support only).
  'GET /admin/districts/:id/year': 'district-leader',
  'POST /admin/districts/:id/year': 'district-leader',
  'GET /admin/districts/:id/terms': 'district-leader',
  'GET /admin/districts/:id/spot-checks': 'district-leader',
  'GET /admin/districts/:id/spot-checks/:kind/:sourcedId': 'district-leader',
  'GET /admin/districts/:id/invites': 'district-leader',
  'POST /admin/districts/:id/invites': 'district-leader',
  'GET /requirements': 'public',
  'GET /assets/:name': 'public',

  // Daily summary opt-in: a leader for their own district, or support for them.
  'GET /api/districts/:id/notifications': 'district-leader',
  'PUT /api/districts/:id/notifications/daily-summary': 'district-leader',
};

const PROTECTED_PREFIXES = ['/api/', '/admin'];

export function accessFor(method: string, routeUrl: string | undefined, path: string): Access {
  const m = method === 'HEAD' ? 'GET' : method;
  const known = routeUrl ? ROUTE_ACCESS[`${m} ${routeUrl}`] : undefined;
  if (known) return known;
  return PROTECTED_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p)) ? 'support' : 'public';
}

export type Decision = { allowed: true } | { allowed: false; status: 401 | 403; error: string; message: string };

export function decide(access: Access, principal: Principal | null, params: Record<string, string | undefined>): Decision {
  if (access === 'public') return { allowed: true };
  if (!principal) {
    return { allowed: false, status: 401, error: 'unauthorized', message: 'sign in (ClassLink for district staff and students, /support/login for Gradient Support), or send Authorization: Bearer <support API token>' };
  }
  if (access === 'signed-in' || principal.kind === 'support') return { allowed: true };
  if (access === 'support-or-leader' && principal.kind === 'leader') return { allowed: true };
  if (access === 'district-leader' && principal.kind === 'leader') {
    const district = params.id ?? params.districtId;
    if (district && district === principal.districtId) return { allowed: true };
    return { allowed: false, status: 403, error: 'forbidden', message: `you lead district "${principal.districtId}" only: this belongs to another district` };
  }
  const needs = access === 'support' ? 'Gradient Support' : access === 'support-or-leader' ? 'Gradient Support or district leaders' : 'Gradient Support or a leader of this district';
  return { allowed: false, status: 403, error: 'forbidden', message: `only ${needs} may do this; you are signed in as a ${principal.kind}` };
}
