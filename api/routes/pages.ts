// The admin pages (HTML). Each page reads through the JSON API as the signed-in person
// (api/pages/api-client.ts), and each form posts here as a plain HTML form with the session's CSRF
// token; the handler forwards it to the same JSON route automation uses, then redirects on success
// or renders the page again with the API's refusal next to the form and what was typed kept.
// Authorization is the API's: the auth hook guards these routes (api/authz.ts) and again the
// JSON routes they call.
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { HttpError } from '../errors.js';
import { apiFor, need, PageError, type Api } from '../pages/api-client.js';
import { alert, errorsFromMessage, html, type FieldErrors } from '../pages/components.js';
import { classScheduleBody, invitesBody, personScheduleBody, spotSearchBody, termsBody, validateYear, yearBody, type YearValues } from '../pages/admin-mode.js';
import { adminModeTabs, layout, type LayoutOptions } from '../pages/layout.js';
import { REQUIREMENTS_PATH, requirementsBody } from '../pages/requirements.js';
import { auditTrail, districtBody, districtsListBody, heldDecision, runBody, type DistrictView, type FormState } from '../pages/support.js';
import type { IssueFilter } from '../pages/report.js';
import { todayIn } from '../../roster/terms.js';
import { pickSchoolYear } from './admin-mode.js';

type Form = Record<string, string | string[] | undefined>;
type Query = Record<string, string | undefined>;

const one = (v: string | string[] | undefined, max = 2000): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim().slice(0, max);
const many = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? [v] : []).map((x) => x.trim()).filter(Boolean);
const withNote = (note: string) => (note ? { note } : {});
const enc = encodeURIComponent;

const DISTRICT_ACTIONS = new Set(['review', 'approve', 'request-changes', 'pause', 'resume', 'sync-now', 'test-connection']);
const ISSUE_SEVERITIES = new Set(['error', 'warning', 'skip']);

function issueFilter(q: Query): IssueFilter {
  return { entity: q.entity?.slice(0, 40) || undefined, severity: q.severity && ISSUE_SEVERITIES.has(q.severity) ? q.severity : undefined, q: q.q?.slice(0, 200) || undefined };
}

const STATIC = new URL('../pages/static/', import.meta.url);
const ASSETS: Record<string, string> = { 'app.css': 'text/css; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8' };

export const pageRoutes: FastifyPluginAsync = async (app) => {
  // Pages and their assets are for browsers, not part of the JSON API: keep them out of /docs/json.
  // (Hooked here so a page added later is hidden too; this plugin is encapsulated, so no other route is.)
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(formbody, { bodyLimit: 256 * 1024 });

  const assets = new Map<string, string>();
  for (const name of Object.keys(ASSETS)) assets.set(name, await readFile(new URL(name, STATIC), 'utf8'));

  app.get('/assets/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const body = assets.get(name);
    if (!body) throw new HttpError(404, 'not_found', `no asset ${name}`);
    return reply.type(ASSETS[name]!).header('cache-control', 'public, max-age=300').send(body);
  });

  const send = (reply: FastifyReply, status: number, o: LayoutOptions) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout(o));

  // Pages answer in HTML, whatever went wrong, and say what to do next.
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err instanceof PageError ? err.status : err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'page failed');
    const message = status >= 500 ? 'Something went wrong on our side. The error is logged; try again, or tell Gradient Support.' : err.message;
    return send(reply, status, {
      title: status === 404 ? 'Not found' : 'Problem',
      principal: req.principal,
      body: html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'That did not work'}</h1>${alert('bad', message)}<p><a href="/admin">Back to the start</a></p>`,
    });
  });

  const ctx = (req: FastifyRequest) => ({ api: apiFor(app, req), p: req.principal!, token: req.principal?.session?.csrfToken ?? null });
  const params = (req: FastifyRequest) => req.params as Record<string, string>;

  // ---- home -------------------------------------------------------------------------------------

  app.get('/admin', async (req, reply) => {
    const { api, p } = ctx(req);
    if (p.kind === 'leader' && p.districtId) return reply.redirect(`/admin/districts/${p.districtId}/year`, 302);
    if (p.kind !== 'support') return reply.redirect('/me', 302);
    const q = req.query as Query;
    const list = need(await api('GET', '/api/districts'), 'the districts');
    return send(reply, 200, { title: 'Districts', principal: p, section: 'districts', body: districtsListBody(list.districts, { q: q.q?.slice(0, 200), phase: q.phase?.slice(0, 40) }) });
  });

  app.get(REQUIREMENTS_PATH, async (req, reply) => send(reply, 200, { title: 'Roster requirements', principal: req.principal, section: 'requirements', body: requirementsBody() }));

  // ---- support: a district -----------------------------------------------------------------------

  async function districtPage(req: FastifyRequest, reply: FastifyReply, extra: Partial<DistrictView> & { status?: number } = {}) {
    const { api, p, token } = ctx(req);
    const id = params(req).id!;
    const q = req.query as Query;
    const d = need(await api('GET', `/api/districts/${enc(id)}`), `district “${id}”`);
    const [runs, leaders, review, admins, audit] = await Promise.all([
      api('GET', `/api/districts/${enc(id)}/runs`),
      api('GET', `/api/districts/${enc(id)}/leaders`),
      d.review?.runId ? api('GET', `/api/districts/${enc(id)}/runs/${enc(d.review.runId)}`) : Promise.resolve(null),
      api('GET', `/api/districts/${enc(id)}/staff?role=administrator&limit=500`),
      api('GET', `/api/districts/${enc(id)}/audit`),
    ]);
    const view: DistrictView = {
      d,
      runs: need(runs, 'the runs').runs,
      leaders: leaders.ok ? leaders.json.leaders : null,
      leadersError: leaders.ok ? null : leaders.message,
      administrators: admins.ok ? admins.json.staff : [],
      audit: audit.ok ? auditTrail(audit.json.events, d) : null,
      review: review?.ok ? review.json : null,
      filter: issueFilter(q),
      done: q.done ?? null,
      csrfToken: token,
      ...extra,
    };
    return send(reply, extra.status ?? 200, {
      title: d.name,
      principal: p,
      section: 'districts',
      crumbs: [{ label: 'Districts', href: '/admin' }, { label: d.name }],
      body: districtBody(view),
    });
  }

  app.get('/admin/districts/:id', async (req, reply) => districtPage(req, reply));

  app.post('/admin/districts/:id/do/:action', async (req, reply) => {
    const { api } = ctx(req);
    const { id, action } = params(req) as { id: string; action: string };
    if (!DISTRICT_ACTIONS.has(action)) throw new HttpError(404, 'not_found', `there is no “${action}” action`);
    const body = (req.body ?? {}) as Form;
    const note = one(body.note);
    if (action === 'test-connection') {
      const r = await api('POST', `/api/districts/${enc(id)}/test-connection`);
      return districtPage(req, reply, { connection: r.ok ? { result: r.json } : { error: r.message ?? 'failed' }, status: r.ok ? 200 : r.status });
    }
    if (note.length > 2000) {
      return districtPage(req, reply, { status: 400, form: { form: action, values: { note }, errors: { note: 'Keep the note under 2,000 characters.' } } });
    }
    const r = await api('POST', `/api/districts/${enc(id)}/${action}`, withNote(note));
    if (!r.ok) return districtPage(req, reply, { status: r.status, form: { form: action, values: { note }, errors: {}, message: r.message ?? undefined } });
    const anchor = action === 'review' || action === 'sync-now' ? '#runs' : '';
    return reply.redirect(`/admin/districts/${enc(id)}?done=${action}${anchor}`, 303);
  });

  app.get('/admin/districts/:id/runs/:runId', async (req, reply) => runPage(req, reply));

  // A page rendered in answer to a refused form keeps the form's address, and reloading it (the
  // live progress does once a run ends) is a GET there: go to the page the form belongs to.
  app.get('/admin/districts/:id/do/:action', async (req, reply) => reply.redirect(`/admin/districts/${enc(params(req).id!)}`, 303));
  app.get('/admin/districts/:id/leaders', async (req, reply) => reply.redirect(`/admin/districts/${enc(params(req).id!)}#leaders`, 303));
  app.get('/admin/districts/:id/runs/:runId/:decision', async (req, reply) => {
    const { id, runId } = params(req) as { id: string; runId: string };
    return reply.redirect(`/admin/districts/${enc(id)}/runs/${enc(runId)}`, 303);
  });

  async function runPage(req: FastifyRequest, reply: FastifyReply, form: FormState | null = null, status = 200) {
    const { api, p, token } = ctx(req);
    const { id, runId } = params(req) as { id: string; runId: string };
    const q = req.query as Query;
    const [d, run] = await Promise.all([api('GET', `/api/districts/${enc(id)}`), api('GET', `/api/districts/${enc(id)}/runs/${enc(runId)}`)]);
    const district = need(d, `district “${id}”`);
    const detail = need(run, `run ${runId}`);
    // A held run may already be decided (the decision is in the audit trail before the run moves on).
    const audit = detail.status === 'held' ? await api('GET', `/api/districts/${enc(id)}/audit?limit=100`) : null;
    const decided = audit?.ok ? heldDecision(audit.json.events, runId) : null;
    return send(reply, status, {
      title: `Run ${runId.slice(0, 8)} – ${district.name}`,
      principal: p,
      section: 'districts',
      crumbs: [{ label: 'Districts', href: '/admin' }, { label: district.name, href: `/admin/districts/${enc(id)}` }, { label: `Run ${runId.slice(0, 8)}` }],
      body: runBody(district, detail, issueFilter(q), token, form, q.done ?? null, decided),
    });
  }

  app.post('/admin/districts/:id/runs/:runId/:decision', async (req, reply) => {
    const { api } = ctx(req);
    const { id, runId, decision } = params(req) as { id: string; runId: string; decision: string };
    if (decision !== 'approve' && decision !== 'discard') throw new HttpError(404, 'not_found', `there is no “${decision}” decision: approve or discard`);
    const note = one((req.body as Form | undefined)?.note);
    const r = await api('POST', `/api/districts/${enc(id)}/runs/${enc(runId)}/${decision}`, withNote(note));
    if (!r.ok) return runPage(req, reply, { form: `held-${runId}`, values: { note }, errors: {}, message: r.message ?? undefined }, r.status);
    return reply.redirect(`/admin/districts/${enc(id)}/runs/${enc(runId)}?done=held-${decision}`, 303);
  });

  app.post('/admin/districts/:id/leaders', async (req, reply) => {
    const { api } = ctx(req);
    const id = params(req).id!;
    const body = (req.body ?? {}) as Form;
    const values = { sourcedId: one(body.sourcedId, 256), title: one(body.title, 40) || 'system_admin' };
    const form = (errors: FieldErrors, message?: string): FormState => ({ form: 'leader', values, errors, message });
    if (!values.sourcedId) return districtPage(req, reply, { status: 400, form: form({ sourcedId: 'Enter the administrator’s roster id (their OneRoster sourcedId).' }) });
    const r = await api('PUT', `/api/districts/${enc(id)}/leaders/${enc(values.sourcedId)}`, { title: values.title });
    if (!r.ok) {
      const errors = errorsFromMessage(r.message ?? '', ['title']);
      return districtPage(req, reply, { status: r.status, form: form(errors.title ? errors : { sourcedId: r.message ?? 'refused' }) });
    }
    return reply.redirect(`/admin/districts/${enc(id)}?done=leader-assigned#leaders`, 303);
  });

  app.post('/admin/districts/:id/leaders/:sourcedId/remove', async (req, reply) => {
    const { api } = ctx(req);
    const { id, sourcedId } = params(req) as { id: string; sourcedId: string };
    const r = await api('DELETE', `/api/districts/${enc(id)}/leaders/${enc(sourcedId)}`);
    if (!r.ok) return districtPage(req, reply, { status: r.status, form: { form: 'leader', values: {}, errors: {}, message: r.message ?? undefined } });
    return reply.redirect(`/admin/districts/${enc(id)}?done=leader-removed#leaders`, 303);
  });

  // ---- Admin Mode (leaders of the district, and support) ------------------------------------------

  async function adminModeFrame(api: Api, id: string) {
    return need(await api('GET', `/api/districts/${enc(id)}`), `district “${id}”`);
  }

  const modeLayout = (req: FastifyRequest, d: any, tab: Parameters<typeof adminModeTabs>[1], title: string, body: ReturnType<typeof html>): LayoutOptions => {
    const p = req.principal!;
    return {
      title: `${title} – ${d.name}`,
      principal: p,
      section: p.kind === 'support' ? 'districts' : 'admin-mode',
      crumbs: p.kind === 'support' ? [{ label: 'Districts', href: '/admin' }, { label: d.name, href: `/admin/districts/${d.id}` }, { label: `Admin Mode: ${title}` }] : [{ label: `${d.name} · Admin Mode` }],
      tabs: adminModeTabs(d.id, tab),
      body,
    };
  };

  async function yearPage(req: FastifyRequest, reply: FastifyReply, form: FormState | null = null, status = 200) {
    const { api, p, token } = ctx(req);
    const id = params(req).id!;
    const d = await adminModeFrame(api, id);
    // The prefill is only needed when nothing was typed yet: the school year the review (or the
    // workflow's last terms check) saw in the feed, else the roster or the feed itself.
    const seen = [...(d.feedTerms?.terms ?? []), ...(d.review?.summary?.terms ?? [])] as { sourcedId: string; title: string; type: string; startDate: string; endDate: string }[];
    const fromReview = pickSchoolYear(
      seen.filter((t) => t.type === 'schoolYear').map((t) => ({ ...t, schoolYear: t.endDate?.slice(0, 4) ?? null })),
      todayIn(d.timezone ?? 'America/Chicago'),
    );
    const suggestion = form ? null : fromReview ? { source: 'review', session: fromReview } : (await api('GET', `/api/districts/${enc(id)}/school-year`)).json;
    const q = req.query as Query;
    return send(reply, status, modeLayout(req, d, 'year', 'Academic year', yearBody({ d, suggestion, form, done: q.done ?? null, csrfToken: token, isSupport: p.kind === 'support' })));
  }

  app.get('/admin/districts/:id/year', async (req, reply) => yearPage(req, reply));

  app.post('/admin/districts/:id/year', async (req, reply) => {
    const { api } = ctx(req);
    const id = params(req).id!;
    const body = (req.body ?? {}) as Form;
    const values: YearValues = { schoolYear: one(body.schoolYear, 20), startDate: one(body.startDate, 20), endDate: one(body.endDate, 20), note: one(body.note) };
    const state = (errors: FieldErrors, message?: string): FormState => ({ form: 'year', values: { ...values }, errors, message });
    const errors = validateYear(values);
    if (Object.keys(errors).length) return yearPage(req, reply, state(errors), 400);
    const r = await api('POST', `/api/districts/${enc(id)}/academic-year`, { schoolYear: values.schoolYear, startDate: values.startDate, endDate: values.endDate, ...withNote(values.note) });
    if (!r.ok) {
      const msg = r.message ?? 'refused';
      const named = errorsFromMessage(msg, ['schoolYear', 'startDate', 'endDate']);
      // The workflow's refusals speak of days too: "the first day (…) must be before the last day", "the year's last day … has passed".
      const fieldErrors = Object.keys(named).length ? named : /last day/.test(msg) ? { endDate: msg } : /first day/.test(msg) ? { startDate: msg } : {};
      return yearPage(req, reply, state(fieldErrors, Object.keys(fieldErrors).length ? undefined : msg), r.status);
    }
    return reply.redirect(`/admin/districts/${enc(id)}/year?done=year`, 303);
  });

  app.get('/admin/districts/:id/terms', async (req, reply) => {
    const { api } = ctx(req);
    const id = params(req).id!;
    const date = (req.query as Query).date;
    const valid = date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null;
    const [d, t] = await Promise.all([adminModeFrame(api, id), api('GET', `/api/districts/${enc(id)}/terms${valid ? `?date=${valid}` : ''}`)]);
    return send(reply, 200, modeLayout(req, d, 'terms', 'Terms', termsBody(need(t, 'the terms'), valid)));
  });

  app.get('/admin/districts/:id/spot-checks', async (req, reply) => {
    const { api } = ctx(req);
    const id = params(req).id!;
    const query = req.query as Query;
    const q = (query.q ?? '').trim().slice(0, 200);
    const type = ['staff', 'student', 'class'].includes(query.type ?? '') ? query.type! : '';
    const d = await adminModeFrame(api, id);
    let results: any[] | null = null;
    let error: string | null = null;
    if (query.q !== undefined) {
      if (q.length < 2) error = 'Type at least 2 letters of a name, or an email or id.';
      else {
        const r = await api('GET', `/api/districts/${enc(id)}/search?q=${enc(q)}${type ? `&type=${type}` : ''}`);
        if (r.ok) results = r.json.results;
        else error = r.message;
      }
    }
    return send(reply, error ? 400 : 200, modeLayout(req, d, 'spot-checks', 'Spot checks', spotSearchBody({ districtId: id, q, type, results, error })));
  });

  app.get('/admin/districts/:id/spot-checks/:kind/:sourcedId', async (req, reply) => {
    const { api } = ctx(req);
    const { id, kind, sourcedId } = params(req) as { id: string; kind: string; sourcedId: string };
    if (!['staff', 'students', 'classes'].includes(kind)) throw new HttpError(404, 'not_found', `no spot check for “${kind}”: staff, students or classes`);
    const [d, s] = await Promise.all([adminModeFrame(api, id), api('GET', `/api/districts/${enc(id)}/schedules/${kind}/${enc(sourcedId)}`)]);
    const data = need(s, kind === 'classes' ? 'the class' : 'the person');
    const title = kind === 'classes' ? data.class.title : data.person.name;
    return send(reply, 200, modeLayout(req, d, 'spot-checks', title, kind === 'classes' ? classScheduleBody(data, id) : personScheduleBody(data, id)));
  });

  async function invitesPage(req: FastifyRequest, reply: FastifyReply, o: { filter: { q: string; school: string }; selected?: Set<string>; results?: any[] | null; error?: string | null; status?: number }) {
    const { api, token } = ctx(req);
    const id = params(req).id!;
    const qs = new URLSearchParams();
    if (o.filter.q) qs.set('q', o.filter.q);
    if (o.filter.school) qs.set('school', o.filter.school);
    const [d, staff, invites] = await Promise.all([adminModeFrame(api, id), api('GET', `/api/districts/${enc(id)}/staff?${qs}`), api('GET', `/api/districts/${enc(id)}/invites`)]);
    const staffJson = need(staff, 'the staff');
    const names = new Map((staffJson.staff as any[]).map((s) => [s.sourcedId, s.name]));
    const results = o.results?.map((r) => ({ ...r, name: names.get(r.userSourcedId) ?? null })) ?? null;
    const body = invitesBody({
      districtId: id,
      staff: staffJson,
      invites: need(invites, 'the invites').invites,
      ssoConfigured: Boolean(d.sso?.configured),
      filter: o.filter,
      selected: o.selected ?? new Set(),
      results,
      error: o.error ?? null,
      csrfToken: token,
    });
    return send(reply, o.status ?? 200, modeLayout(req, d, 'invites', 'Login invites', body));
  }

  const inviteFilter = (src: Query | Form) => ({ q: one(src.q, 200), school: one(src.school, 256) });

  app.get('/admin/districts/:id/invites', async (req, reply) => invitesPage(req, reply, { filter: inviteFilter(req.query as Query) }));

  app.post('/admin/districts/:id/invites', async (req, reply) => {
    const { api } = ctx(req);
    const id = params(req).id!;
    const body = (req.body ?? {}) as Form;
    const filter = inviteFilter(body);
    const ids = [...new Set(many(body.userSourcedIds))];
    const selected = new Set(ids);
    if (!ids.length) return invitesPage(req, reply, { filter, selected, error: 'Pick at least one person to invite.', status: 400 });
    // The API takes at most 100 people per request.
    const results: any[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const r = await api('POST', `/api/districts/${enc(id)}/invites`, { userSourcedIds: ids.slice(i, i + 100) });
      if (!r.ok) return invitesPage(req, reply, { filter, selected, results: results.length ? results : null, error: r.message, status: r.status });
      results.push(...r.json.results);
    }
    return invitesPage(req, reply, { filter, results });
  });
};
