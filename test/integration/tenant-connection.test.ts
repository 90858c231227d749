// Registration refuses a tenant that cannot authenticate; test-connection answers per collection.
import { COLLECTIONS } from '../../oneroster/types.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await sys?.stop();
});

const tenant = (secret: string, kind: 'oauth2' | 'oauth1' = 'oauth2') => ({
  baseUrl: sys.sandbox.onerosterBaseUrl,
  auth: kind === 'oauth2' ? { kind, clientId: sys.sandbox.clientId, clientSecret: secret, tokenUrl: sys.sandbox.tokenUrl } : { kind, clientId: sys.sandbox.clientId, clientSecret: secret },
});

test('a tenant with the wrong secret is not registered, and the answer says why without the secret', async () => {
  const res = await sys.api('POST', '/api/districts', { id: 'wrong-secret', name: 'Wrong', oneroster: tenant('not-the-secret') });
  expect(res.status).toBe(422);
  expect(res.json.error).toBe('tenant_rejected');
  expect(res.json.message).toMatch(/401|credential|key/i);
  expect(JSON.stringify(res.json)).not.toContain('not-the-secret');
  expect((await sys.api('GET', '/api/districts/wrong-secret')).status).toBe(404);
});

test('test-connection gives each collection its count, then the exact error when ClassLink refuses', async () => {
  expect((await sys.api('POST', '/api/districts', { id: 'conn', name: 'Conn ISD', oneroster: tenant(sys.sandbox.clientSecret, 'oauth1') })).status).toBe(201);
  const ok = await sys.api('POST', '/api/districts/conn/test-connection');
  expect(ok.status).toBe(200);
  expect(ok.json.ok).toBe(true);
  for (const c of COLLECTIONS) {
    expect(ok.json.collections.find((x: { collection: string }) => x.collection === c)).toEqual({ collection: c, ok: true, count: sys.sandbox.generator.count(c) });
  }

  sys.sandbox.setFaults({ authFailure: true });
  try {
    const bad = await sys.api('POST', '/api/districts/conn/test-connection');
    expect(bad.status).toBe(200);
    expect(bad.json.ok).toBe(false);
    expect(bad.json.auth.ok).toBe(false);
    expect(bad.json.collections.every((c: { ok: boolean; error?: string }) => !c.ok && /401/.test(c.error ?? ''))).toBe(true);
    expect(JSON.stringify(bad.json)).not.toContain(sys.sandbox.clientSecret);
  } finally {
    sys.sandbox.clearFaults();
  }
});

test('test-connection of an unknown district is a 404', async () => {
  expect((await sys.api('POST', '/api/districts/nobody/test-connection')).status).toBe(404);
});
