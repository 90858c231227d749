// Support's district API (DESIGN §6). Messages to the onboarding workflow use the shared
// definitions from workflows/messages.ts; Temporal's refusals become 409 with the reason.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getDistrict } from '../../roster/districts.js';
import { listRuns } from '../../roster/runs.js';
import {
  academicYearStartedUpdate,
  dataApprovedUpdate,
  DEFAULT_TIMEZONE,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  pauseUpdate,
  requestChangesUpdate,
  resumeUpdate,
  startReviewUpdate,
  stateQuery,
  syncNowUpdate,
  type OnboardingState,
} from '../../workflows/messages.js';
import type { districtOnboarding } from '../../workflows/onboarding.js';
import { nextFirings } from '../../workflows/onboarding-clock.js';
import { DISTRICT_ID, ONBOARDING_PHASE } from '../../workflows/search-attributes.js';
import { fromTemporal, HttpError, notFound } from '../errors.js';
import { runViewer, temporalUiLink } from '../views.js';
import { OidcClients } from '../oidc.js';
import { checkTenant } from '../tenant-check.js';
import { Type } from '@sinclair/typebox';
import { AUTHED_ERRORS, errorReplies, Nullable, AcademicYearBody, DistrictIdParams, NoteBody, RegisterDistrictBody } from '../schemas.js';

/** Open objects: the onboarding state grows with the workflow; these name what callers rely on. */
const Open = { additionalProperties: true } as const;
const Registered = Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String(), phase: Type.String(), workflowId: Type.String() });
const DistrictList = Type.Object({
  districts: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String(), phase: Type.String(), lastRun: Nullable(Type.Object({}, Open)) }, Open)),
});
const DistrictState = Type.Object({ districtId: Type.Optional(Type.String()), phase: Type.String() }, Open);
const RunStarted = Type.Object({ runId: Type.String(), statusUrl: Type.String() });

export const districtRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db, temporal, config, secrets } = app.deps;
  // Registration checks the SSO issuer answers before saving it (discovery is cached for sign-ins elsewhere).
  const oidc = new OidcClients({ allowInsecure: config.env !== 'production' });

  const uiWorkflowUrl = temporalUiLink(config);
  const runView = runViewer(config);

  const handle = (id: string) => temporal.workflow.getHandle(onboardingWorkflowId(id));

  async function requireKnown(id: string) {
    const district = await getDistrict(db, id);
    if (!district) throw notFound(`district "${id}"`);
    return district;
  }

  /** Runs a Temporal call, translating its errors into HttpErrors. */
  async function temporalCall<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromTemporal(err, id) ?? err;
    }
  }

  const actorOf = (req: { principal: { id: string } | null }) => req.principal?.id ?? 'unknown';


  app.post('/api/districts', { schema: { body: RegisterDistrictBody, response: { 201: Registered, ...errorReplies(...AUTHED_ERRORS, 409, 422) } } }, async (req, reply) => {
    const body = req.body;
    const timezone = body.timezone ?? DEFAULT_TIMEZONE;
    if (!isTimeZone(timezone)) throw new HttpError(400, 'bad_timezone', `"${timezone}" is not an IANA time zone (e.g. America/Chicago)`);
    if (await getDistrict(db, body.id)) throw new HttpError(409, 'already_registered', `district "${body.id}" is already registered`);
    const auth = body.oneroster?.auth;
    if (body.oneroster) {
      const check = await checkTenant(body.id, body.oneroster);
      if (!check.auth.ok) {
        throw new HttpError(422, 'tenant_rejected', `ClassLink did not accept the connection, so the district was not registered: ${check.auth.error ?? 'authentication failed'}`);
      }
    }
    if (body.sso) await oidc.verifyIssuer({ districtId: body.id, ...body.sso });
    await db
      .insertInto('districts')
      .values({
        id: body.id,
        name: body.name,
        timezone,
        oneroster_base_url: body.oneroster?.baseUrl ?? null,
        oneroster_auth_kind: auth?.kind ?? null,
        oneroster_client_id: auth && auth.kind !== 'bearer' ? auth.clientId : null,
        oneroster_secret_enc: auth ? secrets.seal(auth.kind === 'bearer' ? auth.token : auth.clientSecret) : null,
        oneroster_token_url: auth?.kind === 'oauth2' ? (auth.tokenUrl ?? null) : null,
        oneroster_signature_method: auth?.kind === 'oauth1' ? (auth.signatureMethod ?? 'HMAC-SHA256') : null,
        sso_issuer: body.sso?.issuer ?? null,
        sso_client_id: body.sso?.clientId ?? null,
        sso_secret_enc: body.sso ? secrets.seal(body.sso.clientSecret) : null,
        settings: JSON.stringify(body.oneroster?.pageSize ? { pageSize: body.oneroster.pageSize } : {}),
      })
      .execute();
    try {
      await temporal.workflow.start<typeof districtOnboarding>(ONBOARDING_WORKFLOW_TYPE, {
        taskQueue: config.temporal.taskQueue,
        workflowId: onboardingWorkflowId(body.id),
        args: [{ districtId: body.id, districtName: body.name, timezone, registeredBy: actorOf(req) }],
        memo: { districtName: body.name },
        typedSearchAttributes: [
          { key: DISTRICT_ID, value: body.id },
          { key: ONBOARDING_PHASE, value: 'registered' },
        ],
      });
    } catch (err) {
      // Keep the two stores consistent: a district without its workflow is not registered.
      await db.deleteFrom('districts').where('id', '=', body.id).execute();
      throw fromTemporal(err, body.id) ?? err;
    }
    return reply.code(201).send({ id: body.id, name: body.name, timezone, phase: 'registered', workflowId: onboardingWorkflowId(body.id) });
  });

  app.get('/api/districts', { schema: { response: { 200: DistrictList, ...errorReplies(401, 403) } } }, async () => {
    const districts = await db.selectFrom('districts').select(['id', 'name', 'timezone']).orderBy('name').execute();
    const lastRuns = await db
      .selectFrom('sync_runs')
      .distinctOn('district_id')
      .selectAll()
      .orderBy('district_id')
      .orderBy('started_at', 'desc')
      .execute();
    const items = await Promise.all(
      districts.map(async (d) => {
        const state = await handle(d.id).query(stateQuery).catch(() => null);
        const last = lastRuns.find((r) => r.district_id === d.id);
        return { ...d, phase: state?.phase ?? 'unknown', lastRun: last ? runView(last) : null };
      }),
    );
    return { districts: items };
  });

  app.get('/api/districts/:id', { schema: { params: DistrictIdParams, response: { 200: DistrictState, ...errorReplies(...AUTHED_ERRORS, 404) } } }, async (req) => {
    const district = await requireKnown(req.params.id);
    const state = await temporalCall(district.id, () => handle(district.id).query(stateQuery));
    const [last] = await listRuns(db, district.id, 1);
    // Everything about the onboarding comes from the workflow's state query; the rest is the
    // district's stored connection (never its secrets) and links.
    return {
      ...state,
      id: district.id,
      name: district.name,
      oneroster: { baseUrl: district.oneroster_base_url, authKind: district.oneroster_auth_kind, clientId: district.oneroster_client_id },
      sso: { configured: Boolean(district.sso_issuer), issuer: district.sso_issuer },
      nightly: {
        ...state.nightly,
        schedule: state.nightly.cronSchedule,
        paused: !state.nightly.running,
        nextRunAt: state.nightly.running ? nextRunAt(state.nightly.cronSchedule) : null,
        temporalUiUrl: uiWorkflowUrl(state.nightly.workflowId),
      },
      audit: [...state.audit].reverse(),
      lastRunRecord: last ? runView(last) : null,
      temporalUiUrl: uiWorkflowUrl(onboardingWorkflowId(district.id)),
    };
  });

  // Messages that need a verdict go through Updates, so a refusal comes back here as a 409.
  const message = (path: string, send: (id: string, actor: string, body: Record<string, unknown>) => Promise<OnboardingState>) =>
    app.post(`/api/districts/:id/${path}`, { schema: { params: DistrictIdParams, body: path === 'academic-year' ? AcademicYearBody : NoteBody, response: { 200: DistrictState, ...errorReplies(...AUTHED_ERRORS, 404, 409) } } }, async (req) => {
      const { id } = req.params;
      await requireKnown(id);
      const body = (req.body ?? {}) as Record<string, unknown>;
      // The workflow records the accepted message in its state and in audit_events.
      return temporalCall(id, () => send(id, actorOf(req), body));
    });

  message('approve', (id, actor, b) => handle(id).executeUpdate(dataApprovedUpdate, { args: [{ actor, note: b.note as string | undefined }] }));
  message('request-changes', (id, actor, b) => handle(id).executeUpdate(requestChangesUpdate, { args: [{ actor, note: b.note as string | undefined }] }));
  message('pause', (id, actor, b) => handle(id).executeUpdate(pauseUpdate, { args: [{ actor, note: b.note as string | undefined }] }));
  message('resume', (id, actor, b) => handle(id).executeUpdate(resumeUpdate, { args: [{ actor, note: b.note as string | undefined }] }));
  message('academic-year', (id, actor, b) =>
    handle(id).executeUpdate(academicYearStartedUpdate, {
      args: [{ actor, note: b.note as string | undefined, schoolYear: String(b.schoolYear), startDate: String(b.startDate), endDate: String(b.endDate) }],
    }),
  );

  const startRun = (path: 'review' | 'sync-now') =>
    app.post(`/api/districts/:id/${path}`, { schema: { params: DistrictIdParams, body: NoteBody, response: { 202: RunStarted, ...errorReplies(...AUTHED_ERRORS, 404, 409) } } }, async (req, reply) => {
      const { id } = req.params;
      await requireKnown(id);
      const runId = randomUUID();
      const args = [{ actor: actorOf(req), note: req.body?.note, runId }] as const;
      const result = await temporalCall(id, () =>
        path === 'review' ? handle(id).executeUpdate(startReviewUpdate, { args: [...args] }) : handle(id).executeUpdate(syncNowUpdate, { args: [...args] }),
      );
      return reply.code(202).send({ runId: result.runId, statusUrl: `/api/districts/${id}/runs/${result.runId}` });
    });
  startRun('review');
  startRun('sync-now');

};

/** When a daily CRON_TZ schedule fires next; null for a schedule of another shape. */
function nextRunAt(cron: string): string | null {
  try {
    return new Date(nextFirings(cron, Date.now(), 1)[0]!).toISOString();
  } catch {
    return null;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
