// Checks any app.inject() response against the OpenAPI document the app serves at /docs/json:
// the route (by path template and method), the status and the content type pick the schema; the
// body must validate. Use it on every response a test gets back:
//   const check = await openApiChecker(app);
//   const res = await app.inject({ method: 'GET', url: '/ready' });
//   check.expectConforms(res);
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import type { Response as InjectResponse } from 'light-my-request';

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, unknown>;
}

export interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: unknown; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export async function fetchOpenApi(app: FastifyInstance): Promise<OpenApiDoc> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  if (res.statusCode !== 200) throw new Error(`GET /docs/json answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as OpenApiDoc;
}

/** '/api/districts/{id}/runs/{runId}' → a regex matching concrete paths. */
function templateRegex(template: string): RegExp {
  const segments = template.split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rewriteRefs(v);
    return out;
  }
  return node;
}

export interface ConformanceResult {
  ok: boolean;
  /** The path template and status the response was matched to. */
  route: string;
  problem?: string;
  errors?: ErrorObject[] | null;
}

export interface OpenApiChecker {
  doc: OpenApiDoc;
  /** Finds the path template a concrete URL belongs to (static segments win over parameters). */
  templateFor(method: string, url: string): string | null;
  check(res: InjectResponse, request?: { method: string; url: string }): ConformanceResult;
  /** Throws (a readable jest failure) unless the response conforms. */
  expectConforms(res: InjectResponse, request?: { method: string; url: string }): void;
}

export function createOpenApiChecker(doc: OpenApiDoc): OpenApiChecker {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ components: rewriteRefs(doc.components ?? {}) }, 'openapi.json');
  const compiled = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths)
    .map((t) => ({ t, re: templateRegex(t), params: (t.match(/\{/g) ?? []).length }))
    // Fewer parameters first: /api/districts/{id}/runs beats a catch-all template.
    .sort((a, b) => a.params - b.params);

  function templateFor(method: string, url: string): string | null {
    const path = url.split('?')[0]!;
    const m = method.toLowerCase();
    return templates.find(({ t, re }) => re.test(path) && doc.paths[t]![m])?.t ?? null;
  }

  function check(res: InjectResponse, request?: { method: string; url: string }): ConformanceResult {
    const method = request?.method ?? res.raw.req.method ?? 'GET';
    const url = request?.url ?? res.raw.req.url ?? '/';
    const template = templateFor(method, url);
    const status = String(res.statusCode);
    if (!template) return { ok: false, route: `${method} ${url}`, problem: `no path in /docs/json matches ${method} ${url}` };
    const route = `${method.toUpperCase()} ${template} → ${status}`;
    const responses = doc.paths[template]![method.toLowerCase()]!.responses ?? {};
    const entry = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
    if (!entry) return { ok: false, route, problem: `status ${status} is not documented (documented: ${Object.keys(responses).join(', ') || 'none'})` };
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    // A documented bodiless answer (a redirect, a 204) conforms when it has no body.
    if (!entry.content) return res.body ? { ok: false, route, problem: `documented without a body, but answered ${res.body.length} bytes` } : { ok: true, route };
    const content = entry.content;
    const media = content[contentType] ?? (contentType.endsWith('json') ? content['application/json'] : undefined);
    if (!media?.schema) {
      return { ok: false, route, problem: `no response schema for ${contentType || 'no content type'} (documented: ${Object.keys(content).join(', ') || 'none'})` };
    }
    const key = `${route} ${contentType}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(media.schema) as object);
      compiled.set(key, validate);
    }
    const body = contentType.endsWith('json') ? (res.body ? JSON.parse(res.body) : null) : res.body;
    const ok = validate(body) as boolean;
    return ok ? { ok, route } : { ok, route, problem: ajv.errorsText(validate.errors, { dataVar: 'body' }), errors: validate.errors };
  }

  return {
    doc,
    templateFor,
    check,
    expectConforms(res, request) {
      const result = check(res, request);
      if (!result.ok) throw new Error(`response does not conform to /docs/json: ${result.route}: ${result.problem}\nbody: ${res.body.slice(0, 500)}`);
    },
  };
}

export async function openApiChecker(app: FastifyInstance): Promise<OpenApiChecker> {
  return createOpenApiChecker(await fetchOpenApi(app));
}
