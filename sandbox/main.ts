// `npm run sandbox -- --size <xs|s|m|l|xl> --seed <n> --port <p>`: a ClassLink-like tenant for
// local development, printing where it is and how to get in.

import { parseArgs } from 'node:util';
import { SIZES, type Size } from './generator.js';
import { DEFAULT_OIDC_CLIENT, startSandbox } from './server.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'xs' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '4100' },
    host: { type: 'string', default: '127.0.0.1' },
    'school-year': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    // Exact redirect URIs the OIDC client may use (repeatable); the SSO callback of the local API.
    'oidc-redirect-uri': { type: 'string', multiple: true },
    'oidc-client-id': { type: 'string', default: DEFAULT_OIDC_CLIENT.client_id },
    'oidc-client-secret': { type: 'string', default: DEFAULT_OIDC_CLIENT.client_secret },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const size = values.size as Size;
if (!SIZES.includes(size)) fail(`--size must be one of ${SIZES.join(', ')}`);
const seed = Number(values.seed);
const port = Number(values.port);
if (!Number.isInteger(seed)) fail('--seed must be an integer');
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
const schoolYear = values['school-year'] ? Number(values['school-year']) : undefined;

const oidcClient = {
  client_id: values['oidc-client-id']!,
  client_secret: values['oidc-client-secret']!,
  redirect_uris: values['oidc-redirect-uri'] ?? DEFAULT_OIDC_CLIENT.redirect_uris,
};
const sandbox = await startSandbox({
  size, seed, port, host: values.host, schoolYear, clientId: values['client-id'], clientSecret: values['client-secret'], oidcClients: [oidcClient],
});
const g = sandbox.generator;
console.log(`ClassLink sandbox tenant "${g.districtName}" (${g.tenantId}), size ${size}, seed ${seed}, school year ${g.schoolYear}
  OneRoster base URL  ${sandbox.onerosterBaseUrl}
  OAuth 2 token URL   ${sandbox.tokenUrl}
  client id / secret  ${sandbox.clientId} / ${sandbox.clientSecret}   (also the OAuth 1.0a consumer key / secret)
  OIDC issuer         ${sandbox.oidcIssuer}   (client ${oidcClient.client_id} / ${oidcClient.client_secret}, PKCE required)
    redirect URIs     ${oidcClient.redirect_uris.join(', ')}
    sign in as        any user's email or username, password "sandbox"
  user info           ${sandbox.userInfoUrl}
  admin               GET ${sandbox.url}/admin/state, POST /admin/advance-night, /admin/rollover, POST|DELETE /admin/faults`);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing sandbox`);
  await sandbox.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
