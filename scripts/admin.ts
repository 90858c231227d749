// Operator CLI: `npm run admin -- <command>`.
//   create-support <email> [--password-stdin]   a Gradient Support account (prints a generated password unless given on stdin)
//   set-password <email> [--password-stdin]     new password; ends the account's sessions
//   disable-support <email>                     ends its sessions and revokes its tokens
//   list-support
//   token create <name> [--for <email>]         an API token for automation, printed once
//   token list
//   token revoke <id>
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { createSupportAccount, disableSupportAccount, findSupportAccount, listSupportAccounts, setSupportPassword, AccountError } from '../api/accounts.js';
import { WeakPasswordError } from '../api/passwords.js';
import { createApiToken, listApiTokens, revokeApiToken, TokenError } from '../api/tokens.js';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';

export interface AdminIo {
  out(line: string): void;
  /** The whole of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: npm run admin -- <command>
  create-support <email> [--password-stdin]
  set-password <email> [--password-stdin]
  disable-support <email>
  list-support
  token create <name> [--for <email>]
  token list
  token revoke <id>`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

function one(args: string[], what: string): string {
  if (args.length !== 1) throw new UsageError(`expected exactly one ${what}\n${USAGE}`);
  return args[0]!;
}

async function password(args: string[], io: AdminIo): Promise<{ password: string; generated: boolean }> {
  if (flag(args, '--password-stdin')) return { password: (await io.readStdin()).replace(/\r?\n$/, ''), generated: false };
  return { password: randomBytes(18).toString('base64url'), generated: true };
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '-');

export async function runAdmin(argv: string[], db: Kysely<Database>, io: AdminIo): Promise<void> {
  const [command, ...rest] = argv;
  const args = [...rest];
  switch (command) {
    case 'create-support': {
      const pw = await password(args, io);
      const account = await createSupportAccount(db, one(args, 'email'), pw.password);
      io.out(`created support account ${account.email}`);
      if (pw.generated) io.out(`password (shown once; sign in at /support/login): ${pw.password}`);
      return;
    }
    case 'set-password': {
      const pw = await password(args, io);
      const email = one(args, 'email');
      await setSupportPassword(db, email, pw.password);
      io.out(`password changed for ${email.toLowerCase()}; its sessions were ended`);
      if (pw.generated) io.out(`password (shown once): ${pw.password}`);
      return;
    }
    case 'disable-support': {
      const email = one(args, 'email');
      await disableSupportAccount(db, email);
      io.out(`disabled ${email.toLowerCase()}: sessions ended, tokens revoked`);
      return;
    }
    case 'list-support': {
      for (const a of await listSupportAccounts(db)) io.out(`${a.email}\tcreated ${iso(a.createdAt)}\tlast login ${iso(a.lastLoginAt)}${a.disabledAt ? `\tdisabled ${iso(a.disabledAt)}` : ''}`);
      return;
    }
    case 'token': {
      const [sub, ...tail] = args;
      const targs = [...tail];
      if (sub === 'create') {
        const forEmail = option(targs, '--for');
        let accountId: number | null = null;
        if (forEmail) {
          const account = await findSupportAccount(db, forEmail);
          if (!account) throw new AccountError(`no support account for ${forEmail}`);
          accountId = account.id;
        }
        const { id, token } = await createApiToken(db, targs.join(' '), accountId);
        io.out(`token ${id} created; use it as "Authorization: Bearer <token>" (shown once):`);
        io.out(token);
        return;
      }
      if (sub === 'list') {
        for (const t of await listApiTokens(db)) io.out(`${t.id}\t${t.name}\tcreated ${iso(t.createdAt)}\tlast used ${iso(t.lastUsedAt)}\t${t.revokedAt ? `revoked ${iso(t.revokedAt)}` : 'live'}`);
        return;
      }
      if (sub === 'revoke') {
        const id = one(targs, 'token id');
        await revokeApiToken(db, id);
        io.out(`token ${id} revoked`);
        return;
      }
      throw new UsageError(`unknown token command "${sub ?? ''}"\n${USAGE}`);
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new UsageError('DATABASE_URL is not set: point it at the database the API uses (`npm run dev` prints it)');
  const { db } = createDb(config.databaseUrl, { max: 2 });
  try {
    if (config.env !== 'production') await migrateToLatest(db);
    await runAdmin(process.argv.slice(2), db, {
      out: (line) => console.log(line),
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
    });
  } finally {
    await db.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    const known = err instanceof UsageError || err instanceof AccountError || err instanceof TokenError || err instanceof WeakPasswordError;
    console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(known ? 2 : 1);
  });
}
