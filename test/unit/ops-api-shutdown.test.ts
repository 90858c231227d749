// The API closes gracefully: a request in flight when close() starts still gets its answer, and
// close() waits for it but not for idle kept-alive sockets; new requests meanwhile are refused
// (a new connection) or get 503 (a kept-alive one).
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:http';
import type { Client } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import { loadConfig } from '../../config/index.js';
import { createDb } from '../../db/connect.js';
import { createSecretBox } from '../../db/secrets.js';

function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('in-flight requests finish during close; new ones on open connections get 503', async () => {
  const config = loadConfig({ NODE_ENV: 'test', SUPPORT_API_TOKEN: 'test-support-token-0123456789' });
  // No route used here touches the database or Temporal.
  const { db } = createDb('postgres://unused:unused@127.0.0.1:1/unused');
  const app = await buildApp({ db, temporal: {} as Client, config, secrets: createSecretBox(config.secretsKey) });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const inFlight = new Promise<void>((r) => (started = r));
  app.get('/slow-for-test', async () => {
    started();
    await released;
    return { done: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  // Open a second kept-alive connection before closing starts.
  expect((await get(port, '/health', agent)).status).toBe(200);

  const slow = get(port, '/slow-for-test', agent);
  await inFlight;
  let closed = false;
  const closing = app.close().then(() => {
    closed = true;
  });
  await new Promise((r) => setTimeout(r, 100));
  expect(closed).toBe(false); // still waiting for the in-flight request
  const during = await get(port, '/health', agent).catch((err: Error) => ({ status: -1, body: err.message }));
  // Either the balancer-friendly 503 on a kept-alive connection, or a refused new connection.
  expect([503, -1]).toContain(during.status);
  const releasedAt = Date.now();
  release();
  expect(await slow).toEqual({ status: 200, body: JSON.stringify({ done: true }) });
  await closing;
  expect(closed).toBe(true);
  // Kept-alive sockets are told to close with their last response: close() does not idle for keepAliveTimeout.
  expect(Date.now() - releasedAt).toBeLessThan(5000);
  agent.destroy();
  await db.destroy();
});
