// The page GETs' transport when no fetch is injected: node:http(s) with the body gathered as raw
// bytes and gunzipped in one call off the main thread. Through fetch the same page costs more of the
// worker's one busy thread: the body arrives in many small decompressed chunks, whose buffers
// trigger a full garbage collection every few pages (run the worker with --trace-gc to see them).
// An unchanged size-l night's fetch phase: 4.7-5.5 s with it, 6.2-6.3 s through fetch
// (`npm run bench -- --size l --runs 2 --cases fetch,sync --districts 0`, one after the other).
// Behaves as exchange() over fetch does: a deadline over headers and body, redirects followed (the
// Authorization header dropped when one leaves the origin), gzip and deflate undone.
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ErrorContext } from './errors.js';
import { ACCEPT_ENCODING, answerOf, underDeadline, type HttpAnswer, type HttpRequest } from './http.js';

const gunzip = promisify(zlib.gunzip);
const GUNZIP_CHUNK_BYTES = 1 << 20;
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

/** As fetch: at most this many redirects for one request. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

class TransportError extends Error {
  override name = 'TransportError';
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(url: URL, request: HttpRequest, headers: Record<string, string>, signal: AbortSignal): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!lib) return reject(new TransportError(`unsupported protocol ${url.protocol}`));
    const req = lib.request(url, { method: request.method, headers, agent: agents[url.protocol as 'http:' | 'https:'], signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (!res.complete) return reject(new TransportError('the connection closed before the body was complete'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('aborted', () => reject(new TransportError('the connection closed before the body was complete')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

async function decoded(raw: RawAnswer): Promise<Buffer> {
  const coding = String(raw.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity' || raw.body.length === 0) return raw.body;
  // One output chunk for a whole page: at zlib's default 16 kB, a megabyte came back in 64 pieces, each
  // waiting its turn on the worker's busy thread (8 ms a page at size l, against 3 ms now, timed by a temporary patch).
  if (coding === 'gzip' || coding === 'x-gzip') return gunzip(raw.body, { chunkSize: GUNZIP_CHUNK_BYTES });
  // Servers disagree on deflate: zlib-wrapped as the RFC says, or raw (fetch accepts both too).
  if (coding === 'deflate') return inflate(raw.body).catch(() => inflateRaw(raw.body));
  throw new TransportError(`the body is encoded as "${coding}", which was not asked for`);
}

function headersOf(raw: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

/** exchange() (http.ts) over node:http(s): same answers, same errors. */
export async function nodeExchange(request: HttpRequest, timeoutMs: number, ctx: ErrorContext): Promise<HttpAnswer> {
  let current = request.url;
  return underDeadline(timeoutMs, ctx, () => current, async (signal) => {
    let url = new URL(request.url);
    const origin = url.origin;
    let headers: Record<string, string> = { 'accept-encoding': ACCEPT_ENCODING, ...request.headers };
    for (let hops = 0; ; hops++) {
      const raw = await send(url, request, headers, signal);
      const location = raw.headers.location;
      if (REDIRECTS.has(raw.status) && location) {
        if (hops >= MAX_REDIRECTS) throw new TransportError(`more than ${MAX_REDIRECTS} redirects`);
        url = new URL(location, url);
        current = url.href;
        if (url.origin !== origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        continue;
      }
      const body = await decoded(raw);
      return answerOf(raw.status, headersOf(raw.headers), new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    }
  });
}
