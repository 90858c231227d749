// `npm run admin` against a real, migrated database: support accounts and API tokens.
import { verifySupportLogin } from '../../api/accounts.js';
import { createSession, loadSession } from '../../api/session.js';
import { findApiToken } from '../../api/tokens.js';
import { runAdmin, UsageError } from '../../scripts/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

async function admin(args: string[], stdin = ''): Promise<string[]> {
  const lines: string[] = [];
  await runAdmin(args, database.db, { out: (l) => lines.push(l), readStdin: async () => stdin });
  return lines;
}

test('create-support prints a generated password once; the hash is stored, not the password', async () => {
  const out = await admin(['create-support', 'Grace@Gradient.example']);
  const password = /password .*: (\S+)$/.exec(out[1]!)![1]!;
  expect(password.length).toBeGreaterThanOrEqual(20);
  const row = await database.db.selectFrom('support_accounts').selectAll().where('email', '=', 'grace@gradient.example').executeTakeFirstOrThrow();
  expect(row.password_hash.startsWith('scrypt$')).toBe(true);
  expect(row.password_hash).not.toContain(password);
  expect(await verifySupportLogin(database.db, 'GRACE@gradient.example', password)).toMatchObject({ email: 'grace@gradient.example' });
  await expect(admin(['create-support', 'grace@gradient.example'])).rejects.toThrow(/exists already/);
  await expect(admin(['create-support', 'not-an-email'])).rejects.toThrow(/not an email/);
});

test('set-password from stdin ends the sessions signed in with the old one; disable-support locks out', async () => {
  await admin(['create-support', 'hal@gradient.example', '--password-stdin'], 'first password 123\n');
  const account = (await verifySupportLogin(database.db, 'hal@gradient.example', 'first password 123'))!;
  const { id } = await createSession(database.db, { kind: 'support', supportAccountId: account.id });
  await admin(['set-password', 'hal@gradient.example', '--password-stdin'], 'second password 456\n');
  expect(await loadSession(database.db, id)).toBeUndefined();
  expect(await verifySupportLogin(database.db, 'hal@gradient.example', 'first password 123')).toBeNull();
  expect(await verifySupportLogin(database.db, 'hal@gradient.example', 'second password 456')).not.toBeNull();
  await expect(admin(['set-password', 'hal@gradient.example', '--password-stdin'], 'short\n')).rejects.toThrow(/at least 12/);

  await admin(['disable-support', 'hal@gradient.example']);
  expect(await verifySupportLogin(database.db, 'hal@gradient.example', 'second password 456')).toBeNull();
  expect((await admin(['list-support'])).join('\n')).toMatch(/hal@gradient\.example.*disabled/);
});

test('token create prints the token once; it is stored hashed; revoke and disabling the owner stop it', async () => {
  const out = await admin(['token', 'create', 'nightly', 'checks']);
  const token = out[1]!;
  expect(token).toMatch(/^clst_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  const id = token.split('_')[1]!;
  expect(await findApiToken(database.db, token)).toEqual({ id, name: 'nightly checks' });
  const stored = await database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(stored)).not.toContain(token.slice(18));
  expect((await admin(['token', 'list'])).join('\n')).toMatch(new RegExp(`${id}\\tnightly checks.*live`));
  await admin(['token', 'revoke', id]);
  expect(await findApiToken(database.db, token)).toBeUndefined();
  expect((await admin(['token', 'list'])).join('\n')).toMatch(new RegExp(`${id}.*revoked`));
  await expect(admin(['token', 'revoke', 'nope'])).rejects.toThrow(/no API token/);

  await admin(['create-support', 'ivy@gradient.example']);
  const owned = (await admin(['token', 'create', 'ivy-script', '--for', 'ivy@gradient.example']))[1]!;
  expect(await findApiToken(database.db, owned)).toBeDefined();
  await admin(['disable-support', 'ivy@gradient.example']);
  expect(await findApiToken(database.db, owned)).toBeUndefined();
});

test('usage errors say what to type', async () => {
  await expect(admin([])).rejects.toThrow(UsageError);
  await expect(admin(['frobnicate'])).rejects.toThrow(/unknown command "frobnicate"[\s\S]*create-support/);
  await expect(admin(['token', 'create'])).rejects.toThrow(/name of 1-100/);
  await expect(admin(['token', 'create', 'x', '--for'])).rejects.toThrow(/--for needs a value/);
});
