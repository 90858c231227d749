// Operator CLI: `npm run ops -- <command>` (see USAGE). Reads the same configuration as the API.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/index.js';
import { createDb } from '../db/connect.js';
import { temporalConnectionOptions } from '../lib/temporal-connection.js';
import { dailySummaryCommand, districtsCommand, runCommand, scheduleDailySummaryCommand, USAGE, UsageError } from './ops-commands.js';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, off: { type: 'boolean' }, hour: { type: 'string' }, minute: { type: 'string' }, tz: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (!config.databaseUrl) throw new UsageError('DATABASE_URL is not set: point it at the sync database');
  const { db } = createDb(config.databaseUrl, { max: 2 });
  let connection: Connection | null = null;
  const temporal = async () => {
    connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5s' });
    return new Client({ connection, namespace: config.temporal.namespace });
  };
  try {
    switch (command) {
      case 'districts': {
        const client = config.temporal.address ? await temporal().catch(() => null) : null;
        console.log(await districtsCommand(db, client));
        return 0;
      }
      case 'run': {
        if (!rest[0]) throw new UsageError('run needs a run id: npm run ops -- run <runId>');
        console.log(await runCommand(db, rest[0], values.limit ? Number(values.limit) : 50));
        return 0;
      }
      case 'daily-summary': {
        if (rest.length < 2) throw new UsageError('daily-summary needs a district id and an email');
        console.log(await dailySummaryCommand(db, rest[0]!, rest[1]!, !values.off));
        return 0;
      }
      case 'schedule-daily-summary': {
        const text = await scheduleDailySummaryCommand(await temporal(), config.temporal.taskQueue, {
          hour: values.hour ? Number(values.hour) : 7,
          minute: values.minute ? Number(values.minute) : 0,
          timezone: values.tz ?? 'America/Chicago',
        });
        console.log(text);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } finally {
    await db.destroy();
    await (connection as Connection | null)?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ops: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
