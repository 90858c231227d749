// Structured logs (pino, one JSON object a line) for the API, the worker and the CLIs. Secrets never
// reach a line: known secret keys are censored at any depth (pino's redact paths plus a deep scrub,
// since fast-redact matches exact paths only), and strings that carry a credential (a bearer token,
// a Basic header, ?access_token=..., "password":"...") are rewritten before they are written.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const CENSOR = '[redacted]';

/** Keys whose values are secrets wherever they appear (compared case-insensitively, - and _ ignored). */
export const SECRET_KEYS = [
  'clientSecret',
  'client_secret',
  'secret',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'idToken',
  'apiKey',
  'api_key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'supportApiToken',
  'secretsKey',
  'oneroster_secret_enc',
  'sso_secret_enc',
];

const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
const SECRET_KEY_SET = new Set(SECRET_KEYS.map(normalise));

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_SET.has(normalise(key));
}

/** pino redact paths: the keys at the top level and two levels down, and request/response headers. */
export const REDACT_PATHS: string[] = (() => {
  const seg = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`);
  const paths: string[] = [];
  for (const k of SECRET_KEYS) {
    const s = seg(k);
    paths.push(s.startsWith('.') ? s.slice(1) : s, `*${s}`, `*.*${s}`);
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]');
  return paths;
})();

const STRING_RULES: [RegExp, string][] = [
  // Authorization header values. Basic credentials are base64 (mixed case or digits), which keeps
  // prose such as "basic information" readable.
  [/\b(Bearer)\s+[A-Za-z0-9\-._~+/=:]{8,}/gi, `$1 ${CENSOR}`],
  [/\b([Bb]asic|BASIC)\s+(?=[A-Za-z0-9+/]*[0-9A-Z+/])[A-Za-z0-9+/]{8,}={0,2}/g, `$1 ${CENSOR}`],
  // Query strings and form bodies: ?access_token=...&client_secret=...
  [/\b(access_token|refresh_token|id_token|client_secret|clientSecret|password|token|api_key|apiKey|code_verifier)=([^&\s"']+)/gi, `$1=${CENSOR}`],
  // OAuth authorization codes in callback URLs.
  [/([?&])code=([^&\s"']+)/g, `$1code=${CENSOR}`],
  // JSON text that slipped into a message: "password":"...", "clientSecret": "..."
  [/"(access_token|refresh_token|id_token|client_secret|clientSecret|password|token|apiKey|api_key|authorization|cookie)"\s*:\s*"[^"]*"/gi, `"$1":"${CENSOR}"`],
  // Cookie headers copied into text: session=...; other=...
  [/\b(cookie|set-cookie)\s*:\s*[^\n]+/gi, `$1: ${CENSOR}`],
  // Compact JWTs (three base64url parts) are tokens whatever they are called.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, CENSOR],
];

export function scrubString(text: string): string {
  let out = text;
  for (const [re, replacement] of STRING_RULES) out = out.replace(re, replacement);
  return out;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A copy with secret keys censored and credential-looking strings rewritten; class instances other than Errors are left to serializers. */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  // pino's serialized error is not a plain object: copy its fields so they are scrubbed too.
  if (value instanceof Error) return scrub({ ...pino.stdSerializers.err(value) }, depth + 1, seen);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? CENSOR : scrub(v, depth + 1, seen);
  return out;
}

interface RequestLike {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  hostname?: string;
  ip?: string;
  id?: string;
}

export interface CreateLoggerOptions {
  level?: string;
  /** e.g. 'api', 'worker', 'ops' */
  name?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function loggerOptions(opts: Omit<CreateLoggerOptions, 'destination'> = {}): LoggerOptions {
  return {
    level: opts.level ?? 'info',
    ...(opts.name ? { name: opts.name } : {}),
    base: { ...(opts.base ?? {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
      log: (obj) => scrub(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const clean: unknown[] = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
        // pino takes the message of log(err) / log({err}) from err.message after this hook: do it here, scrubbed.
        const first = clean[0];
        const err = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        if (err instanceof Error && typeof clean[1] !== 'string') {
          clean.splice(0, 1, first instanceof Error ? { err } : first, scrubString(err.message));
        }
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => scrub(err),
      error: (err: unknown) => scrub(err),
      // Only what an operator needs from a request: never its headers (cookies, authorization).
      req: (req: RequestLike) => ({ method: req.method, url: req.url ? scrubString(req.url) : undefined, route: req.routeOptions?.url, host: req.hostname, remoteAddress: req.ip, id: req.id }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  return opts.destination ? pino(loggerOptions(opts), opts.destination) : pino(loggerOptions(opts));
}

/** The ids every log line of a sync carries. */
export interface RunIds {
  districtId: string;
  /** Our sync run id (sync_runs.id), not Temporal's run id. */
  runId?: string;
  workflowId?: string;
  /** Temporal's run id of the workflow execution, when known. */
  temporalRunId?: string;
}

/** A child logger whose every line carries districtId, runId and workflowId. */
export function runLogger(base: Logger, ids: RunIds, extra: Record<string, unknown> = {}): Logger {
  const bindings: Record<string, unknown> = { districtId: ids.districtId };
  if (ids.runId) bindings.runId = ids.runId;
  if (ids.workflowId) bindings.workflowId = ids.workflowId;
  if (ids.temporalRunId) bindings.temporalRunId = ids.temporalRunId;
  return base.child({ ...bindings, ...extra });
}
