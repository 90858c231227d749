// gzip for large OneRoster pages when the client accepts it, as ClassLink's servers do; it keeps
// the client's decompression path honest and 10,000-record pages small on the wire.

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

const gzipAsync = promisify(gzip);
/** Below this, compressing costs more than it saves. */
const MIN_BYTES = 1024;

export function registerGzip(app: FastifyInstance, pathPrefix: string): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith(pathPrefix) || reply.getHeader('content-encoding')) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (Buffer.byteLength(payload) < MIN_BYTES) return payload;
    const accepted = String(req.headers['accept-encoding'] ?? '');
    if (!/\bgzip\b/i.test(accepted) || /\bgzip\s*;\s*q=0(\.0*)?\b/i.test(accepted)) return payload;
    reply.header('content-encoding', 'gzip');
    reply.header('vary', 'accept-encoding');
    reply.removeHeader('content-length');
    return gzipAsync(payload);
  });
}
