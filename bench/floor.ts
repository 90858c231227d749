// The floor: what fetching every page and landing the raw JSON in Postgres costs on this machine,
// with nothing else (no validation, no hashing, no indexes, no WAL). No sync can beat it, so a
// sync's time is reported as a multiple of it. Pages are fetched one at a time with the client's page
// size and stop rule (the first short page ends a collection); each collection's records stream into
// an empty UNLOGGED table through one COPY, so writing overlaps the next GET.
import { once } from 'node:events';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { COLLECTIONS, type Collection } from '../oneroster/types.js';
import type { SandboxProcess } from './stack.js';

export interface FloorResult {
  seconds: number;
  records: number;
  perCollection: Record<Collection, number>;
  requests: number;
}

const floorTable = (c: Collection) => `bench_floor_${c.toLowerCase()}`;

async function bearerToken(sandbox: SandboxProcess): Promise<string> {
  const res = await fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(sandbox.clientId)}:${encodeURIComponent(sandbox.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!res.ok) throw new Error(`the sandbox refused a token (${res.status}): ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Empty UNLOGGED tables, recreated before each measurement so every run writes into nothing. */
export async function resetFloorTables(pool: pg.Pool): Promise<void> {
  for (const c of COLLECTIONS) {
    await pool.query(`drop table if exists ${floorTable(c)}`);
    await pool.query(`create unlogged table ${floorTable(c)} (doc jsonb not null)`);
  }
}

export async function dropFloorTables(pool: pg.Pool): Promise<void> {
  for (const c of COLLECTIONS) await pool.query(`drop table if exists ${floorTable(c)}`);
}

async function copyCollection(client: pg.PoolClient, sandbox: SandboxProcess, token: string, collection: Collection, pageSize: number): Promise<{ records: number; requests: number }> {
  // CSV with quote and delimiter bytes that JSON.stringify never emits raw: each line is one value.
  const stream = client.query(copyStreams.from(`copy ${floorTable(collection)} (doc) from stdin with (format csv, quote e'\\x01', delimiter e'\\x02')`));
  const finished = once(stream, 'finish');
  let records = 0;
  let requests = 0;
  try {
    for (let offset = 0; ; ) {
      const res = await fetch(`${sandbox.onerosterBaseUrl}/${collection}?limit=${pageSize}&offset=${offset}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
      requests += 1;
      if (!res.ok) throw new Error(`floor: GET ${collection} offset ${offset} answered ${res.status}`);
      const page = ((await res.json()) as Record<string, unknown[]>)[collection] ?? [];
      if (page.length > 0) {
        let chunk = '';
        for (const record of page) chunk += `${JSON.stringify(record)}\n`;
        if (!stream.write(chunk)) await once(stream, 'drain');
      }
      records += page.length;
      if (page.length < pageSize) break;
      offset += page.length;
    }
  } catch (err) {
    stream.destroy(err as Error);
    throw err;
  }
  stream.end();
  await finished;
  return { records, requests };
}

export async function measureFloor(pool: pg.Pool, sandbox: SandboxProcess, pageSize: number): Promise<FloorResult> {
  await resetFloorTables(pool);
  const client = await pool.connect();
  try {
    const t0 = performance.now();
    const token = await bearerToken(sandbox);
    const perCollection = {} as Record<Collection, number>;
    let requests = 1;
    for (const c of COLLECTIONS) {
      const r = await copyCollection(client, sandbox, token, c, pageSize);
      perCollection[c] = r.records;
      requests += r.requests;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, records: Object.values(perCollection).reduce((a, b) => a + b, 0), perCollection, requests };
  } finally {
    client.release();
  }
}
