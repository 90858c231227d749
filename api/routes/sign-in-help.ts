// GET /sign-in: how to sign in, for a signed-out person whose district Gradient cannot know (a
// bookmarked /me, an Admin Mode page of a district without ClassLink sign-in). District people
// name their district and go on to its ClassLink sign-in; Gradient Support has its own sign-in.
// `next` is passed along so either sign-in brings the person back.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getDistrict } from '../../roster/districts.js';
import { html, page } from '../html.js';
import { safeNextPath } from '../next-path.js';
import { HtmlOrError, Redirect } from '../schemas.js';
import { SIGN_IN_HELP_PATH, ssoLoginPath, SUPPORT_LOGIN_PATH } from '../sign-in-redirect.js';

// Lenient on purpose: a mistyped district is answered on the page, next to the field, not with a 400.
const HelpQuery = Type.Object({
  district: Type.Optional(Type.String({ maxLength: 200, description: 'the district’s id: go on to its ClassLink sign-in' })),
  next: Type.Optional(Type.String({ maxLength: 2000, description: 'a path on this site to return to after signing in' })),
});

const DISTRICT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const signInHelpRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = app.deps;

  app.get(
    SIGN_IN_HELP_PATH,
    {
      schema: {
        hide: true,
        summary: 'How to sign in (HTML), or on to a district’s ClassLink sign-in',
        tags: ['sign-in'],
        security: [],
        querystring: HelpQuery,
        response: { 200: HtmlOrError('the page that explains how to sign in, with a district field'), 303: Redirect('to the named district’s ClassLink sign-in, carrying `next`') },
      },
    },
    async (req, reply) => {
      const next = safeNextPath(req.query.next);
      const withNext = (path: string) => (next ? `${path}?next=${encodeURIComponent(next)}` : path);
      const typed = req.query.district?.trim().toLowerCase() ?? '';
      let problem: string | null = null;
      if (typed) {
        const district = DISTRICT_ID.test(typed) ? await getDistrict(db, typed) : undefined;
        if (district?.sso_issuer && district.sso_client_id && district.sso_secret_enc) return reply.redirect(withNext(ssoLoginPath(district.id)), 303);
        problem = district
          ? `${district.name} has no ClassLink sign-in set up with Gradient yet. Ask Gradient Support to set it up, or sign in as Gradient Support below.`
          : `There is no district “${typed}”. Check the id (it is in the link your district gave you, after /sso/), or open Gradient from ClassLink.`;
      }
      const body = html`<h1>Sign in to Gradient</h1>
<h2>District staff and students</h2>
<p>Open Gradient from your ClassLink LaunchPad. Or name your district and continue to its ClassLink sign-in:</p>
<form method="get" action="${SIGN_IN_HELP_PATH}">
${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
<label for="district">Your district’s id</label>
<input id="district" type="text" name="district" value="${typed}" autocomplete="organization" required${problem ? html` aria-invalid="true" aria-describedby="district-error"` : ''}>
${problem ? html`<p id="district-error" role="alert" class="error">${problem}</p>` : ''}
<button type="submit">Continue to ClassLink</button>
</form>
<h2>Gradient Support</h2>
<p><a href="${withNext(SUPPORT_LOGIN_PATH)}">Sign in with your Gradient Support account</a>.</p>`;
      return reply.code(200).type('text/html').header('cache-control', 'no-store').send(page('Sign in', body));
    },
  );
};
