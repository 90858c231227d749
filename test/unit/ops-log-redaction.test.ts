// Secrets never reach a log line: client secrets, tokens, passwords and cookies are censored
// wherever they sit in a logged object, in messages, in errors, in child bindings, and in what
// Fastify logs about requests. Lines are captured from the real pino logger through a stream.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import Fastify from 'fastify';
import { CENSOR, createLogger, runLogger, scrubString } from '../../lib/log.js';
import { fastifyLogging } from '../../api/plugins/logging.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', destination: stream });
  return { logger, lines, text: () => lines.join('\n'), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRET = 'Sup3r-S3cret-Value-0123456789';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3ItMSJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU';

test('secret keys are censored at any depth and in any case', () => {
  const { logger, text, parsed } = capture();
  logger.info({ clientSecret: SECRET }, 'top level');
  logger.info({ district: { oneroster: { auth: { kind: 'oauth2', clientId: 'visible-client-id', clientSecret: SECRET } } } }, 'deep');
  logger.info({ body: { sso: { client_secret: SECRET } }, list: [{ password: SECRET }, { access_token: SECRET }] }, 'arrays');
  logger.info({ headers: { Authorization: `Bearer ${SECRET}`, Cookie: `session=${SECRET}`, 'Set-Cookie': [`sid=${SECRET}; HttpOnly`] } }, 'headers');
  logger.info({ token: SECRET, refreshToken: SECRET, apiKey: SECRET, supportApiToken: SECRET }, 'tokens');
  expect(text()).not.toContain(SECRET);
  // What is not secret stays readable.
  expect(text()).toContain('visible-client-id');
  const deep = parsed()[1] as { district: { oneroster: { auth: { clientSecret: string } } } };
  expect(deep.district.oneroster.auth.clientSecret).toBe(CENSOR);
});

test('credentials inside strings: messages, URLs, errors, JSON text, JWTs', () => {
  const { logger, text } = capture();
  logger.info(`calling ClassLink with Authorization: Bearer ${SECRET}`);
  logger.info({ url: `https://example.test/cb?code=${SECRET}&state=abc` }, 'callback');
  logger.info({ url: `https://example.test/x?access_token=${SECRET}` }, 'token in query');
  logger.info(`token endpoint said {"access_token":"${SECRET}","token_type":"bearer"}`);
  logger.error({ err: new Error(`request failed: client_secret=${SECRET}&grant_type=client_credentials`) }, 'failed');
  logger.warn(new Error(`upstream echoed Basic ${Buffer.from(`client:${SECRET}`).toString('base64')}`));
  logger.info({ idToken: JWT, note: `got ${JWT}` }, 'jwt');
  logger.info('sent header cookie: session=%s', SECRET);
  const out = text();
  expect(out).not.toContain(SECRET);
  expect(out).not.toContain(Buffer.from(`client:${SECRET}`).toString('base64'));
  expect(out).not.toContain(JWT);
  expect(out).toContain('state=abc');
});

test('child loggers (runLogger) carry the run ids and scrub their bindings', () => {
  const { logger, parsed, text } = capture();
  const log = runLogger(logger, { districtId: 'demo', runId: 'run-1', workflowId: 'district/demo/manual/run-1' }, { password: SECRET });
  log.info({ page: 3 }, 'page written');
  const [line] = parsed();
  expect(line).toMatchObject({ districtId: 'demo', runId: 'run-1', workflowId: 'district/demo/manual/run-1', page: 3, msg: 'page written' });
  expect(text()).not.toContain(SECRET);
});

test('property: a random secret under any secret key or in a bearer header never appears', () => {
  const keys = ['clientSecret', 'client_secret', 'token', 'access_token', 'authorization', 'cookie', 'set-cookie', 'password', 'Password', 'CLIENT_SECRET'];
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9._~+/-]{12,40}$/),
      fc.constantFrom(...keys),
      fc.integer({ min: 0, max: 4 }),
      (secret, key, depth) => {
        const { logger, text } = capture();
        let obj: Record<string, unknown> = { [key]: secret };
        for (let i = 0; i < depth; i++) obj = { [`level${i}`]: obj };
        logger.info(obj, 'nested');
        logger.info({ header: `Bearer ${secret}` }, 'header');
        logger.info(`Authorization: Bearer ${secret}`);
        return !text().includes(secret);
      },
    ),
    { numRuns: 200 },
  );
});

test('scrubString leaves ordinary text alone', () => {
  const text = 'basic information: fetched 120 users (page 3 of 7) from https://sandbox.test/ims/oneroster/v1p1/users?limit=100&offset=200';
  expect(scrubString(text)).toBe(text);
});

test('Fastify with our logger never logs request headers or secrets in bodies', async () => {
  const { logger, text } = capture();
  const app = Fastify({ ...fastifyLogging(logger) });
  app.post('/register', async (req) => {
    req.log.info({ body: req.body }, 'registering district');
    return { ok: true };
  });
  const res = await app.inject({
    method: 'POST',
    url: `/register?access_token=${SECRET}`,
    headers: { authorization: `Bearer ${SECRET}`, cookie: `classlink_session=${SECRET}`, 'x-request-id': 'lb-req-42' },
    payload: { id: 'demo', oneroster: { auth: { kind: 'oauth2', clientId: 'cid', clientSecret: SECRET } }, sso: { clientSecret: SECRET } },
  });
  expect(res.statusCode).toBe(200);
  await app.close();
  const out = text();
  expect(out).toContain('registering district');
  expect(out).toContain('lb-req-42'); // the balancer's request id is kept for correlation
  expect(out).not.toContain(SECRET);
});
