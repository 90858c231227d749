// Where a signed-out browser asking for a page is sent: the support console's pages to the
// support sign-in, a district's Admin Mode pages to that district's ClassLink sign-in, and
// anything whose district cannot be known to a page that explains how to sign in. Each carries
// `next` so the sign-in brings the person back to the page they asked for.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { getDistrict } from '../roster/districts.js';
import type { Access } from './authz.js';
import { nextFor } from './next-path.js';

export const SUPPORT_LOGIN_PATH = '/support/login';
export const SIGN_IN_HELP_PATH = '/sign-in';

const DISTRICT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const ssoLoginPath = (districtId: string) => `/sso/${districtId}/login`;

function withQuery(path: string, query: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The sign-in page for a signed-out browser's GET of `url`, which needs `access`. */
export async function signInLocation(db: Kysely<Database>, access: Access, params: Record<string, string | undefined>, url: string): Promise<string> {
  const next = nextFor(url);
  if (access === 'district-leader') {
    // Admin Mode of one district: its leaders sign in through that district's ClassLink.
    const id = params.id ?? params.districtId;
    if (id && DISTRICT_ID.test(id)) {
      const district = await getDistrict(db, id);
      if (district?.sso_issuer && district.sso_client_id && district.sso_secret_enc) return withQuery(ssoLoginPath(id), { next });
      return withQuery(SIGN_IN_HELP_PATH, { district: district ? id : null, next });
    }
    return withQuery(SIGN_IN_HELP_PATH, { next });
  }
  // Pages for anyone signed in (a teacher's /me): whose ClassLink it is, only the person knows.
  if (access === 'signed-in') return withQuery(SIGN_IN_HELP_PATH, { next });
  return withQuery(SUPPORT_LOGIN_PATH, { next });
}
