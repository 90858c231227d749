// The sandbox verifies OAuth 1.0a like a district's Roster Server: real signatures, a 5-minute
// clock window and single-use nonces. Vectors are the hand-worked RFC 5849 ones (HMACs computed
// with openssl over literal base strings), not values produced by the verifier.
import { OAuth1Verifier, signatureBaseString, type OAuth1Request } from '../../sandbox/oauth1.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.js';
import { oauth1AuthorizationHeader } from '../../oneroster/oauth1.js';

const enc = encodeURIComponent;
const header = (fields: Record<string, string>) =>
  'OAuth ' + Object.entries(fields).map(([k, v]) => `${k}="${enc(v)}"`).join(', ');

describe('OAuth 1.0a verifier against known vectors', () => {
  // GET https://Example.OneRoster.com:443/ims/oneroster/v1p1/users?limit=100&offset=200&filter=…, secret "s3cr!t&=".
  const sha256Request = (overrides: Partial<Record<string, string>> = {}, query?: [string, string][]): OAuth1Request => ({
    method: 'GET',
    protocol: 'https',
    host: 'Example.OneRoster.com:443',
    path: '/ims/oneroster/v1p1/users',
    query: query ?? [['limit', '100'], ['offset', '200'], ['filter', "dateLastModified>'2026-01-02T03:04:05.000Z'"]],
    authorization: header({
      oauth_consumer_key: 'key-123', oauth_nonce: 'abc123nonce', oauth_signature_method: 'HMAC-SHA256',
      oauth_timestamp: '1767225600', oauth_version: '1.0', oauth_signature: 'lJvlX9GBf9Lo9HYUbQaifCdDpc/DfqiAKpCrC+h6Ebw=',
      ...overrides,
    }),
  });
  const verifier = (secret = 's3cr!t&=', nowSeconds = 1767225600) =>
    new OAuth1Verifier({ secretFor: (key) => (key === 'key-123' || key === 'ck' ? secret : undefined), now: () => nowSeconds * 1000 });

  test('the RFC 5849 §3.4.1.1 base string', () => {
    const params: [string, string][] = [
      ['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b'], ['c2', ''], ['a3', '2 q'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'], ['oauth_token', 'kkk9d7dh3k39sjv7'], ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'], ['oauth_nonce', '7d8f3e4a'],
    ];
    expect(signatureBaseString('POST', 'http://example.com/request', params)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
        '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
        'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
        'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
        '9d7dh3k39sjv7',
    );
  });

  test('accepts a correct HMAC-SHA256 signature (upper-case host, default port)', () => {
    expect(verifier().verify(sha256Request())).toEqual({ ok: true, consumerKey: 'key-123' });
  });

  test('accepts a correct HMAC-SHA1 signature (explicit port, non-ASCII secret)', () => {
    const result = verifier('cs~ é', 1700000000).verify({
      method: 'GET', protocol: 'http', host: 'localhost:8080', path: '/ims/oneroster/v1p1/orgs',
      query: [['limit', '1'], ['offset', '0']],
      authorization: header({
        oauth_consumer_key: 'ck', oauth_nonce: 'n0nce', oauth_signature_method: 'HMAC-SHA1',
        oauth_timestamp: '1700000000', oauth_version: '1.0', oauth_signature: 'bI3TYnnm2NJHVDIrqyDCTA+nBrc=',
      }),
    });
    expect(result.ok).toBe(true);
  });

  test('refuses a wrong secret, a tampered query, an unknown key and a wrong method name', () => {
    expect(verifier('other-secret').verify(sha256Request())).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifier().verify(sha256Request({}, [['limit', '100'], ['offset', '201']]))).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifier().verify(sha256Request({ oauth_consumer_key: 'nobody' })).ok).toBe(false);
    expect(verifier().verify(sha256Request({ oauth_signature_method: 'PLAINTEXT' })).ok).toBe(false);
  });

  test('refuses timestamps more than five minutes off, either way', () => {
    expect(verifier(undefined, 1767225600 + 300).verify(sha256Request()).ok).toBe(true);
    expect(verifier(undefined, 1767225600 + 301).verify(sha256Request())).toEqual({ ok: false, reason: 'stale or invalid timestamp' });
    expect(verifier(undefined, 1767225600 - 301).verify(sha256Request()).ok).toBe(false);
  });

  test('a nonce is good once', () => {
    const v = verifier();
    expect(v.verify(sha256Request()).ok).toBe(true);
    expect(v.verify(sha256Request())).toEqual({ ok: false, reason: 'nonce already used' });
  });
});

describe('OAuth 1.0a over HTTP, signed by the project client', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ size: 'xs', port: 0, clientId: 'district-key', clientSecret: 'district secret/+=' });
  });
  afterAll(() => sandbox.close());

  const call = (url: string, auth: string) => fetch(url, { headers: { authorization: auth } });
  const sign = (url: string, opts: { secret?: string; method?: 'HMAC-SHA1' | 'HMAC-SHA256'; timestamp?: number; nonce?: string } = {}) =>
    oauth1AuthorizationHeader({
      method: 'GET', url, consumerKey: sandbox.clientId, consumerSecret: opts.secret ?? sandbox.clientSecret,
      signatureMethod: opts.method, timestamp: opts.timestamp, nonce: opts.nonce,
    });

  test.each(['HMAC-SHA256', 'HMAC-SHA1'] as const)('%s-signed requests with a filter are served', async (method) => {
    const url = `${sandbox.onerosterBaseUrl}/users?limit=5&offset=3&filter=${enc("status='active' AND role='teacher'")}`;
    const res = await call(url, sign(url, { method }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { users: { role: string }[] };
    expect(body.users).toHaveLength(5);
    expect(body.users.every((u) => u.role === 'teacher')).toBe(true);
  });

  test('wrong secret, stale timestamp and a replayed nonce get 401', async () => {
    const url = `${sandbox.onerosterBaseUrl}/orgs`;
    expect((await call(url, sign(url, { secret: 'wrong' }))).status).toBe(401);
    const stale = await call(url, sign(url, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { imsx_description: string }).imsx_description).toMatch(/timestamp/);
    const once = sign(url, { nonce: 'only-once' });
    expect((await call(url, once)).status).toBe(200);
    const replay = await call(url, once);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { imsx_description: string }).imsx_description).toMatch(/nonce/);
  });

  test('a signature for another URL does not open this one', async () => {
    const signedFor = `${sandbox.onerosterBaseUrl}/orgs?limit=1`;
    expect((await call(`${sandbox.onerosterBaseUrl}/orgs?limit=2`, sign(signedFor))).status).toBe(401);
  });
});
