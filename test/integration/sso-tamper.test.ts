// The ID token checks, against a tiny forging OpenID provider that is honest except for the one
// thing each case breaks: nonce, issuer, audience, expiry, signature, or a user-info answer
// that disagrees with the token. The control case proves the forger is otherwise accepted.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGenerator } from '../../sandbox/generator.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../../lib/free-port.js';
import { recordFigures } from '../reliability/support/figures.js';
import { Browser, insertDistrict, loadRoster, startApi, type RunningApi } from './sso-support.js';

type Tamper = 'none' | 'nonce' | 'iss' | 'aud' | 'expired' | 'signature' | 'userinfo';

const CLIENT_ID = 'forge-client';
const CLIENT_SECRET = 'forge-secret';
const generator = createGenerator({ seed: 3, size: 'xs' });
const teacher = [...generator.records('users')].find((u) => u.role === 'teacher' && u.status === 'active')!;

/** An OpenID provider in 80 lines: discovery, authorize (no login page), token with PKCE, JWKS, /v2/my/info. */
class ForgingProvider {
  tamper: Tamper = 'none';
  server!: Server;
  issuer = '';
  private readonly key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly codes = new Map<string, { nonce: string; challenge: string; redirectUri: string }>();
  private readonly tokens = new Set<string>();

  async start() {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/forge`;
  }

  private jwt(payload: object, key: KeyObject): string {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${enc(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    const url = new URL(req.url!, this.issuer);
    const json = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const path = url.pathname.replace(/^\/forge/, '');
    if (path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer, authorization_endpoint: `${this.issuer}/auth`, token_endpoint: `${this.issuer}/token`, jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (path === '/jwks') return json(200, { keys: [{ ...this.key.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] });
    if (path === '/auth') {
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, { nonce: url.searchParams.get('nonce')!, challenge: url.searchParams.get('code_challenge')!, redirectUri: url.searchParams.get('redirect_uri')! });
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (path === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const p = new URLSearchParams(body);
      const grant = this.codes.get(p.get('code') ?? '');
      this.codes.delete(p.get('code') ?? '');
      const verifierOk = grant && createHash('sha256').update(p.get('code_verifier') ?? '').digest('base64url') === grant.challenge;
      if (!grant || !verifierOk || p.get('client_id') !== CLIENT_ID || p.get('client_secret') !== CLIENT_SECRET || p.get('redirect_uri') !== grant.redirectUri) {
        return json(400, { error: 'invalid_grant' });
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: this.tamper === 'iss' ? `${this.issuer}-evil` : this.issuer,
        aud: this.tamper === 'aud' ? 'someone-else' : CLIENT_ID,
        sub: teacher.sourcedId,
        iat: this.tamper === 'expired' ? now - 7200 : now,
        exp: this.tamper === 'expired' ? now - 3600 : now + 300,
        nonce: this.tamper === 'nonce' ? 'not-the-nonce' : grant.nonce,
        SourcedId: teacher.sourcedId, TenantId: generator.tenantId, email: teacher.email, Role: 'Teacher',
      };
      const access = randomBytes(16).toString('hex');
      this.tokens.add(access);
      return json(200, { access_token: access, token_type: 'Bearer', expires_in: 300, id_token: this.jwt(claims, this.tamper === 'signature' ? this.otherKey.privateKey : this.key.privateKey) });
    }
    if (url.pathname === '/v2/my/info') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !this.tokens.has(token)) return json(401, { error: 'invalid_token' });
      return json(200, { SourcedId: this.tamper === 'userinfo' ? 'usr-999999' : teacher.sourcedId, TenantId: generator.tenantId, Email: teacher.email, Role: 'Teacher' });
    }
    return json(404, { error: 'not_found' });
  }
}

let database: TestDatabase;
let api: RunningApi;
const forger = new ForgingProvider();

beforeAll(async () => {
  database = await createTestDatabase();
  await forger.start();
  api = await startApi(database.db, await freePort());
  await insertDistrict(database.db, api.secrets, { id: 'forge', name: 'Forge ISD', sso: { issuer: forger.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tenantId: generator.tenantId } });
  await loadRoster(database.db, 'forge', generator);
});

afterAll(async () => {
  await api?.close();
  await new Promise((r) => forger.server?.close(r));
  await database?.destroy();
});

async function attempt(tamper: Tamper) {
  forger.tamper = tamper;
  const browser = new Browser();
  const toProvider = await browser.go(`${api.url}/sso/forge/login`);
  expect(toProvider.status).toBe(302);
  const back = await browser.go(toProvider.headers.get('location')!);
  expect(back.status).toBe(302);
  const res = await browser.go(back.headers.get('location')!);
  return { res, code: res.headers.get('x-sso-refusal'), browser };
}

test('control: the forger, played straight, signs the teacher in', async () => {
  const { res, code, browser } = await attempt('none');
  expect(code).toBeNull();
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe('/me');
  expect(browser.cookie('cls_session')).toBeDefined();
});

test.each([
  ['nonce', 'nonce_mismatch'],
  ['iss', 'issuer_mismatch'],
  ['aud', 'audience_mismatch'],
  ['expired', 'id_token_expired'],
  ['signature', 'bad_signature'],
  ['userinfo', 'identity_mismatch'],
] as const)('an ID token with a broken %s is refused (%s) and no session is made', async (tamper, expected) => {
  const before = await database.db.selectFrom('sessions').select('id_hash').execute();
  const { res, code, browser } = await attempt(tamper);
  expect(res.status).toBe(403);
  expect(code).toBe(expected);
  expect(await res.text()).toMatch(/couldn’t sign you in/);
  expect(browser.cookie('cls_session')).toBeUndefined();
  expect((await database.db.selectFrom('sessions').select('id_hash').execute()).length).toBe(before.length);
  recordFigures('sso-tamper', { tamperedLoginsRefused: 1 }, [`tampered ID token (${tamper}): refused (${code}), no session`]);
});
