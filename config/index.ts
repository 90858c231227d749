// The one place that reads the environment. Everything else receives a plain, validated Config.
import { randomBytes } from 'node:crypto';
import { readTemporalToolPaths } from './tools.js';

export interface Config {
  env: 'development' | 'test' | 'production';
  /** Unset: the dev launcher and tests start embedded Postgres and fill this in. */
  databaseUrl: string | null;
  embeddedPostgres: { dataDir: string; port: number };
  temporal: {
    /** Unset: the dev launcher starts the Temporal dev server from the installed CLI. */
    address: string | null;
    namespace: string;
    taskQueue: string;
    uiPort: number;
    /** Base URL of the Temporal Web UI, used to link runs from the API. */
    uiUrl: string;
    tls: boolean;
    apiKey: string | null;
    /** mTLS (e.g. Temporal Cloud with certificates): client certificate and key files (PEM). */
    tlsCertPath: string | null;
    tlsKeyPath: string | null;
    /** A private CA for the server's certificate; unset = the system roots. */
    tlsCaPath: string | null;
    tlsServerName: string | null;
  };
  worker: {
    /** The worker's own HTTP port: /metrics (sync + Temporal SDK metrics) and /health. 0 = off. */
    httpPort: number;
    /** Where the Temporal SDK's Prometheus exporter listens inside the worker (scraped through httpPort). */
    sdkMetricsPort: number;
    /** How long in-flight activities get to finish on SIGTERM before they are cancelled and retried elsewhere. */
    shutdownGraceMs: number;
    /** Prebuilt workflow bundle (npm run build:workflows); unset = bundle from source at start. */
    workflowBundlePath: string | null;
  };
  /** Where held/failed run notices go; unset = no notices (logged instead). */
  supportEmail: string | null;
  api: { host: string; port: number; publicUrl: string; /** SIGTERM: in-flight requests get this long before the process exits anyway. */ shutdownTimeoutMs: number };
  /** Bearer token for support automation; generated (and printed) in dev when unset. */
  supportApiToken: string;
  supportApiTokenGenerated: boolean;
  /** Key for encrypting tenant secrets at rest (32 bytes, base64 or hex). */
  secretsKey: Buffer;
  logLevel: string;
  /** SMTP server for invites and notifications, e.g. smtp://127.0.0.1:2525; the dev launcher starts a catcher. */
  smtpUrl: string | null;
  mailFrom: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  return n;
}

function millis(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a whole number of milliseconds, got "${raw}"`);
  return n;
}

function secretsKey(env: Env, isProd: boolean): Buffer {
  const raw = env.SECRETS_KEY;
  if (!raw) {
    if (isProd) throw new ConfigError('SECRETS_KEY is required in production: 32 random bytes as hex or base64 (e.g. `openssl rand -hex 32`)');
    // Dev/test: a fixed, well-known key, so data written by one run can be read by the next.
    return Buffer.alloc(32, 7);
  }
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (buf.length !== 32) throw new ConfigError('SECRETS_KEY must decode to exactly 32 bytes (hex or base64)');
  return buf;
}

export function loadConfig(env: Env = process.env): Config {
  const mode = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const isProd = mode === 'production';
  const apiPort = int(env, 'PORT', 3000);
  const uiPort = int(env, 'TEMPORAL_UI_PORT', 8233);
  const host = env.HOST ?? (isProd ? '0.0.0.0' : '127.0.0.1');
  let token = env.SUPPORT_API_TOKEN ?? '';
  const generated = !token;
  if (!token) {
    if (isProd) throw new ConfigError('SUPPORT_API_TOKEN is required in production');
    token = randomBytes(24).toString('base64url');
  }
  if (token.length < 16) throw new ConfigError('SUPPORT_API_TOKEN must be at least 16 characters');
  if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both (mTLS) or neither');
  }
  return {
    env: mode,
    databaseUrl: env.DATABASE_URL || null,
    embeddedPostgres: { dataDir: env.EMBEDDED_PG_DIR ?? '.data/postgres', port: int(env, 'EMBEDDED_PG_PORT', 5433) },
    temporal: {
      address: env.TEMPORAL_ADDRESS || null,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'classlink-sync',
      uiPort,
      uiUrl: (env.TEMPORAL_UI_URL ?? `http://localhost:${uiPort}`).replace(/\/$/, ''),
      tls: env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_API_KEY) || Boolean(env.TEMPORAL_TLS_CERT_PATH),
      apiKey: env.TEMPORAL_API_KEY || null,
      tlsCertPath: env.TEMPORAL_TLS_CERT_PATH || null,
      tlsKeyPath: env.TEMPORAL_TLS_KEY_PATH || null,
      tlsCaPath: env.TEMPORAL_TLS_CA_PATH || null,
      tlsServerName: env.TEMPORAL_TLS_SERVER_NAME || null,
    },
    worker: {
      httpPort: int(env, 'WORKER_HTTP_PORT', 9464),
      sdkMetricsPort: int(env, 'WORKER_SDK_METRICS_PORT', 9465),
      shutdownGraceMs: millis(env, 'WORKER_SHUTDOWN_GRACE_MS', 30_000),
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH || null,
    },
    supportEmail: env.SUPPORT_EMAIL || null,
    api: { host, port: apiPort, publicUrl: (env.PUBLIC_URL ?? `http://localhost:${apiPort}`).replace(/\/$/, ''), shutdownTimeoutMs: millis(env, 'API_SHUTDOWN_TIMEOUT_MS', 25_000) },
    supportApiToken: token,
    supportApiTokenGenerated: generated,
    secretsKey: secretsKey(env, isProd),
    logLevel: env.LOG_LEVEL ?? (mode === 'test' ? 'warn' : 'info'),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM ?? 'Gradient <no-reply@gradient.local>',
  };
}

export { readTemporalToolPaths };
