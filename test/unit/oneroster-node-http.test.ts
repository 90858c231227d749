// The client's own transport (oneroster/node-http.ts, used when no fetch is injected) against real
// local HTTP servers: what it must undo, follow and refuse, as exchange() over fetch does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { createOneRosterClient } from '../../oneroster/client.js';
import type { OneRosterError } from '../../oneroster/errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const client = (origin: string, timeoutMs = 5_000) =>
  createOneRosterClient({ baseUrl: `${origin}/ims/oneroster/v1p1`, districtId: 'd', auth: { kind: 'bearer', token: 'secret-token' }, maxAttempts: 1, timeoutMs });

const JSON_BODY = JSON.stringify({ orgs: [{ sourcedId: 'o1', name: 'École Nord' }] });

async function failure(p: Promise<unknown>): Promise<OneRosterError> {
  try {
    await p;
  } catch (err) {
    return err as OneRosterError;
  }
  throw new Error('expected a failure');
}

test.each([
  ['gzip', gzipSync],
  ['deflate', deflateSync],
  ['deflate', deflateRawSync],
  ['identity', (b: Buffer) => b],
] as const)('a body encoded as %s is read, with its headers', async (coding, encode) => {
  const origin = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding, 'x-total-count': '1' });
    res.end(encode(Buffer.from(JSON_BODY)));
  });
  const page = await client(origin).getPage('orgs', { offset: 0 });
  expect(page.records).toEqual([{ sourcedId: 'o1', name: 'École Nord' }]);
  expect(page.totalCount).toBe(1);
});

test('redirects are followed; the bearer token goes along only within the origin', async () => {
  const seen: Array<{ path: string; authorization?: string }> = [];
  const elsewhere = await serve((req, res) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON_BODY);
  });
  const origin = await serve((req, res) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization });
    if (req.url!.startsWith('/ims/')) res.writeHead(302, { location: '/moved' }).end();
    else res.writeHead(307, { location: `${elsewhere}/final` }).end();
  });
  const page = await client(origin).getPage('orgs', { offset: 0 });
  expect(page.records).toHaveLength(1);
  expect(seen.map((s) => [s.path.split('?')[0], s.authorization])).toEqual([
    ['/ims/oneroster/v1p1/orgs', 'Bearer secret-token'],
    ['/moved', 'Bearer secret-token'],
    ['/final', undefined],
  ]);
});

test('a redirect loop ends as a network error', async () => {
  const origin = await serve((_, res) => res.writeHead(302, { location: '/again' }).end());
  const err = await failure(client(origin).getPage('orgs', { offset: 0 }));
  expect(err).toMatchObject({ code: 'network', retryable: true });
  expect(err.message).toContain('more than 20 redirects');
});

test('a server that sends headers and then stalls mid-body times out', async () => {
  const origin = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"orgs":[');
  });
  const started = Date.now();
  const err = await failure(client(origin, 300).getPage('orgs', { offset: 0 }));
  expect(err).toMatchObject({ code: 'timeout', retryable: true });
  expect(err.message).toContain('within 300 ms');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('a connection closed before the body is complete is a network error, not a short page', async () => {
  const origin = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"orgs":[');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const err = await failure(client(origin).getPage('orgs', { offset: 0 }));
  expect(err).toMatchObject({ code: 'network', retryable: true });
});

test('a corrupt gzip body and an encoding not asked for are network errors', async () => {
  const corrupt = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(Buffer.from('not gzip at all'));
  });
  expect(await failure(client(corrupt).getPage('orgs', { offset: 0 }))).toMatchObject({ code: 'network', retryable: true });
  const brotli = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' });
    res.end(Buffer.from('xx'));
  });
  const err = await failure(client(brotli).getPage('orgs', { offset: 0 }));
  expect(err.message).toContain('"br", which was not asked for');
});

test('a refused connection names the system error and the host; the token never shows', async () => {
  const origin = await serve(() => undefined);
  servers[0]!.close();
  await new Promise((r) => setTimeout(r, 50));
  const err = await failure(client(origin).getPage('orgs', { offset: 0 }));
  expect(err).toMatchObject({ code: 'network', retryable: true });
  expect(err.message).toContain('ECONNREFUSED');
  expect(err.message).toContain('127.0.0.1');
  expect(JSON.stringify({ ...err, message: err.message })).not.toContain('secret-token');
});
