// Bad data: a corpus of malformed OneRoster records (missing fields, wrong types, bad enums,
// impossible dates, duplicate ids, dangling references, not-an-object, huge strings, unicode
// oddities, HTML/SQL injection) beside a valid district, plus records generated with fast-check.
// Served by a tiny OneRoster server and synced for real: the run succeeds, every bad record is
// quarantined with its rule, every good one is applied byte for byte, and injection strings are
// plain text in the database and escaped on the pages.
import fc from 'fast-check';
import { sql } from 'kysely';
import { createSession } from '../../api/session.js';
import { COLLECTIONS, type Collection } from '../../oneroster/types.js';
import { LIVE_TABLE } from '../../roster/entities.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { buildCorpus, baseDistrict, INJECTIONS, type BadRecord, type OddRecord } from './support/corpus.js';
import { startCorpusServer, type CorpusServer, type Feed } from './support/corpus-server.js';
import { recordFigures } from './support/figures.js';
import { params } from './support/params.js';
import { notSynced, registerDistrict, runRow, startRun } from './support/rig.js';

let sys: TestSystem;
let server: CorpusServer;

beforeAll(async () => {
  sys = await startTestSystem();
  server = await startCorpusServer({ orgs: [], academicSessions: [], courses: [], classes: [], users: [], enrollments: [] });
});

afterAll(async () => {
  await server?.close();
  await sys?.stop();
});

/** Key order does not matter (jsonb keeps its own); everything else must be identical. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

interface Verdict {
  runStatus: string;
  reason: string | null;
  problems: string[];
}

/** Syncs `feed` into a new district and checks every bad record's quarantine and every good record's live row. */
async function syncAndCheck(districtId: string, feed: Feed, bad: BadRecord[], good: { collection: Collection; record: Record<string, any> }[], viaApi = false): Promise<Verdict> {
  server.setFeed(feed);
  if (viaApi) {
    // Registered like a real district (with its onboarding workflow), so the support pages show it.
    const reg = await sys.api('POST', '/api/districts', {
      id: districtId,
      name: `${districtId} ISD`,
      oneroster: { baseUrl: server.onerosterBaseUrl, auth: { kind: 'oauth2', clientId: server.clientId, clientSecret: server.clientSecret, tokenUrl: server.tokenUrl }, pageSize: 100 },
    });
    if (reg.status !== 201) throw new Error(`registering ${districtId}: ${reg.status} ${JSON.stringify(reg.json)}`);
  } else {
    await registerDistrict(sys.database.db, districtId, server, { pageSize: 100 });
  }
  const run = await startRun(sys.env.client, districtId, sys.config.temporal.taskQueue);
  await run.result.catch(() => undefined);
  const row = (await runRow(sys.database.db, run.runId))!;
  const problems: string[] = [];
  if (row.status !== 'succeeded') return { runStatus: row.status, reason: row.reason, problems: [`the run ${row.status}: ${row.reason}`] };

  const issues = await sys.database.db.selectFrom('run_issues').select(['entity', 'sourced_id', 'rule']).where('run_id', '=', run.runId).where('severity', '=', 'error').execute();
  const issueKeys = new Set(issues.map((i) => `${i.entity}|${i.sourced_id ?? ''}|${i.rule}`));
  const live = new Map<string, { data: unknown; deleted: boolean }>();
  for (const c of COLLECTIONS) {
    const rows = await sql<{ s: string; data: unknown; d: boolean }>`
      select sourced_id as s, data, deleted_at is not null as d from ${sql.table(LIVE_TABLE[c])} where district_id = ${districtId}`.execute(sys.database.db);
    for (const r of rows.rows) live.set(`${c}/${r.s}`, { data: r.data, deleted: r.d });
  }
  for (const b of bad) {
    if (!issueKeys.has(`${b.collection}|${b.sourcedId}|${b.rule}`)) {
      const got = issues.filter((i) => i.entity === b.collection && (i.sourced_id ?? '') === b.sourcedId).map((i) => i.rule);
      problems.push(`${b.name}: expected ${b.rule} on ${b.collection}/${b.sourcedId}, got ${got.length ? got.join(', ') : 'no issue'}`);
    }
    if (b.sourcedId && live.has(`${b.collection}/${b.sourcedId}`)) problems.push(`${b.name}: applied although quarantined`);
  }
  const expected = new Set<string>();
  for (const g of good) {
    if (notSynced(g.collection, g.record)) continue;
    const key = `${g.collection}/${g.record.sourcedId}`;
    expected.add(key);
    const row = live.get(key);
    if (!row) problems.push(`good record ${key} was not applied`);
    else if (canonical(row.data) !== canonical(g.record)) problems.push(`good record ${key} was changed on the way: ${canonical(row.data).slice(0, 200)}`);
    else if (row.deleted !== (g.record.status === 'tobedeleted')) problems.push(`good record ${key} has the wrong deletion state`);
  }
  for (const key of live.keys()) if (!expected.has(key)) problems.push(`unexpected live row ${key}`);
  return { runStatus: row.status, reason: row.reason, problems };
}

test('the malformed corpus: the run succeeds, each bad record is quarantined with its rule, each good one applied exactly', async () => {
  const corpus = buildCorpus();
  const good: { collection: Collection; record: Record<string, any> }[] = [
    ...COLLECTIONS.flatMap((c) => (corpus.base[c] as Record<string, any>[]).map((record) => ({ collection: c, record }))),
    ...corpus.odd,
  ];
  const verdict = await syncAndCheck('corpus', corpus.feed, corpus.bad, good, true);
  expect(verdict.problems).toEqual([]);

  // Injection strings are plain text in the database, read back exactly as sent.
  const injected = corpus.odd.filter((o: OddRecord) => o.name.startsWith('injection in givenName'));
  const stored = await sys.database.db
    .selectFrom('users')
    .select(['sourced_id', sql<string>`data->>'givenName'`.as('given')])
    .where('district_id', '=', 'corpus')
    .where('sourced_id', 'in', injected.map((o) => o.record.sourcedId as string))
    .execute();
  expect(new Set(stored.map((s) => s.given))).toEqual(new Set(INJECTIONS));
  // The tables the SQL injections name are all still there.
  const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name in ('users', 'enrollments', 'classes')`.execute(sys.database.db);
  expect(tables.rows[0]!.n).toBe(3);

  // And rendered escaped: the signed-in page of a teacher whose name is a script shows it as text.
  const scripted = injected.find((o) => o.record.givenName === INJECTIONS[0])!.record;
  const { id } = await createSession(sys.database.db, { kind: 'district_user', districtId: 'corpus', sourcedId: scripted.sourcedId });
  const page = await sys.app.inject({ method: 'GET', url: '/me', headers: { cookie: `cls_session=${encodeURIComponent(sys.app.signCookie(id))}`, accept: 'text/html' } });
  expect(page.statusCode).toBe(200);
  expect(page.body).not.toContain('<script>alert');
  expect(page.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  // And on the support pages: the spot-check search and the person's schedule page.
  const asSupport = { authorization: `Bearer ${sys.token}`, accept: 'text/html' };
  const pages = [
    `/admin/districts/corpus/spot-checks?type=staff&q=${encodeURIComponent(scripted.familyName)}`,
    `/admin/districts/corpus/spot-checks/staff/${encodeURIComponent(scripted.sourcedId)}`,
  ];
  for (const url of pages) {
    const res = await sys.app.inject({ method: 'GET', url, headers: asSupport });
    expect([url, res.statusCode]).toEqual([url, 200]);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  }

  recordFigures('bad-data', { badRecordsTried: corpus.bad.length, goodRecordsApplied: good.filter((g) => !notSynced(g.collection, g.record)).length }, [
    `corpus: ${corpus.bad.length} malformed records over ${new Set(corpus.bad.map((b) => b.rule)).size} rules, ${corpus.odd.length} odd-but-valid ones (injections, unicode, a 20 000-character name) beside a size xs district`,
  ]);
});

/** A user whose every field comes from fast-check: either valid (any unicode names) or broken in exactly one known way. */
function generatedUser(school: string) {
  const name = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 });
  const valid = fc.record({
    givenName: name,
    familyName: name,
    role: fc.constantFrom('student', 'teacher', 'administrator', 'aide'),
    enabledUser: fc.constantFrom('true', 'false', true, false),
    email: fc.option(fc.emailAddress(), { nil: undefined }),
    grades: fc.option(fc.array(fc.constantFrom('KG', '01', '05', '09', '12'), { maxLength: 3 }), { nil: undefined }),
  });
  const breakage = fc.oneof(
    fc.constant(null),
    fc.constant(null),
    fc.record({ field: fc.constantFrom('givenName', 'familyName', 'username'), value: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constant({})) }).map((b) => ({ ...b, kind: 'type' as const })),
    fc.string({ maxLength: 12 }).filter((s) => !['student', 'teacher', 'administrator', 'aide', 'guardian', 'parent', 'relative', 'proctor'].includes(s)).map((value) => ({ kind: 'enum' as const, field: 'role', value })),
    fc.constantFrom('2026-02-29', '2025-13-01', 'not a date', '2026-01-32T00:00:00Z', '').map((value) => ({ kind: 'datetime' as const, field: 'dateLastModified', value })),
    fc.string({ minLength: 1, maxLength: 12 }).map((s) => ({ kind: 'ref' as const, field: 'orgs', value: [{ sourcedId: `gen-org-${s}`, type: 'org' }] })),
  );
  return fc.tuple(valid, breakage).map(([v, b]) => {
    const record: Record<string, any> = { status: 'active', dateLastModified: '2026-09-01T00:00:00Z', username: 'gen', orgs: [{ sourcedId: school, type: 'org' }], ...v };
    if (v.email === undefined) delete record.email;
    if (v.grades === undefined) delete record.grades;
    const blank = (x: string) => x.replace(/^ +| +$/g, '') === '';
    const nameRule = blank(v.givenName) ? 'users.givenName.required' : blank(v.familyName) ? 'users.familyName.required' : null;
    if (!b) return { record, rule: nameRule };
    record[b.field] = b.value;
    return { record, rule: expectedRule(b.kind, b.field, b.value) };
  });
}

/** The rule a single breakage must trip (blank or null is "required", a wrong type is "type"…). */
function expectedRule(kind: 'type' | 'enum' | 'datetime' | 'ref', field: string, value: unknown): string {
  const blank = value === null || (typeof value === 'string' && value.replace(/^ +| +$/g, '') === '');
  if (kind === 'datetime') return blank ? 'users.dateLastModified.required' : 'users.dateLastModified.format';
  if (kind === 'enum') return blank ? 'users.role.required' : 'users.role.enum';
  if (kind === 'ref') return 'users.orgs.ref';
  if (blank || (Array.isArray(value) && value.length === 0)) return `users.${field}.required`;
  return `users.${field}.type`;
}

test(`fast-check: ${params.generatedRuns} feeds of ${params.generatedRecords} generated users each; valid ones applied exactly, broken ones quarantined with the rule they break`, async () => {
  const { base, anchors } = baseDistrict(22);
  let run = 0;
  let tried = 0;
  let applied = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(generatedUser(anchors.school), { minLength: params.generatedRecords, maxLength: params.generatedRecords }), async (users) => {
      run++;
      const generated = users.map((u, i) => ({ ...u, record: { sourcedId: `gen-${run}-${i}`, ...u.record } }));
      const feed: Feed = { ...base, users: [...base.users, ...generated.map((g) => g.record)] };
      const bad: BadRecord[] = generated.filter((g) => g.rule).map((g) => ({ name: `generated ${canonical(g.record).slice(0, 120)}`, collection: 'users', record: g.record, sourcedId: g.record.sourcedId, rule: g.rule! }));
      const good = [
        ...COLLECTIONS.flatMap((c) => (base[c] as Record<string, any>[]).map((record) => ({ collection: c, record }))),
        ...generated.filter((g) => !g.rule).map((g) => ({ collection: 'users' as const, record: g.record })),
      ];
      const verdict = await syncAndCheck(`generated-${run}`, feed, bad, good);
      tried += bad.length;
      applied += good.length;
      expect(verdict.problems).toEqual([]);
    }),
    { numRuns: params.generatedRuns, seed: params.seed, endOnFailure: true },
  );
  recordFigures('bad-data', { badRecordsTried: tried, goodRecordsApplied: applied }, [`fast-check (seed ${params.seed}): ${params.generatedRuns} synced feeds of ${params.generatedRecords} generated users, ${tried} of them broken`]);
}, 300_000);
