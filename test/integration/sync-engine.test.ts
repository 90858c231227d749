// The sync engine on real parts: the Temporal dev server, a worker, Postgres and the sandbox tenant
// over HTTP. Runs are their own workflows; held runs are decided through the API.
import { sql } from 'kysely';
import { COLLECTIONS } from '../../oneroster/types.js';
import { syncRunStateQuery } from '../../workflows/messages.js';
import { startTestSystem, waitFor, type TestSystem } from '../support/system.js';
import { liveContent, registerDistrict, runStatus, stagingRows, startRun, waitForStatus, rowVersionsOf } from './sync-support.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ sandbox: { size: 'xs', seed: 3 } });
  await registerDistrict(sys, 'east');
});

afterAll(async () => {
  await sys?.stop();
});

const guardianCount = () => [...sys.sandbox.generator.records('users')].filter((u) => u.role === 'guardian').length;

test('a review is a dry run: it reports what it would change, with samples, and writes nothing live', async () => {
  const review = await startRun(sys, 'east', { kind: 'review' });
  await review.result;
  const run = await runStatus(sys, 'east', review.runId);
  expect(run).toMatchObject({ kind: 'review', dryRun: true, status: 'succeeded', mode: 'full' });
  const students = [...sys.sandbox.generator.records('users')].filter((u) => u.role !== 'guardian');
  expect(run.summary.wouldChange.users.insert).toBe(students.filter((u) => u.status === 'active').length);
  expect(run.summary.wouldChange.users.samples.insert).toHaveLength(10);
  expect(run.summary.wouldChange.enrollments.delete).toBe([...sys.sandbox.generator.records('enrollments')].filter((e) => e.status === 'tobedeleted').length);
  expect(run.counts.users).toMatchObject({ fetched: sys.sandbox.generator.count('users'), skipped: guardianCount(), quarantined: 0 });
  expect(run.summary.skipped.users).toBe(guardianCount());
  expect(Object.keys(await rowVersionsOf(sys, 'east'))).toHaveLength(0);
  expect(await stagingRows(sys, review.runId)).toBe(0);
  expect(run.timings).toEqual(expect.objectContaining({ fetch_ms: expect.any(Number), validate_ms: expect.any(Number) }));
});

test('a full run applies the roster with exact counts; a second unchanged run writes zero rows', async () => {
  const first = await startRun(sys, 'east');
  await first.result;
  const run1 = await runStatus(sys, 'east', first.runId);
  expect(run1.status).toBe('succeeded');
  for (const c of COLLECTIONS) {
    const records = [...sys.sandbox.generator.records(c)].filter((r) => !(c === 'users' && (r as { role?: string }).role === 'guardian'));
    const tbd = records.filter((r) => r.status === 'tobedeleted').length;
    expect({ c, ...run1.counts[c] }).toMatchObject({ c, fetched: sys.sandbox.generator.count(c), inserted: records.length - tbd, deleted: tbd, updated: 0, unchanged: 0, quarantined: 0 });
  }
  expect(run1.summary.fetch.method).toBe('copy');
  expect(run1.progress.phase).toBe('done');
  expect(await stagingRows(sys, first.runId)).toBe(0);

  const before = await rowVersionsOf(sys, 'east');
  // Backends flush their statistics lazily (within 10 s of going idle): let the first run's land.
  await new Promise((r) => setTimeout(r, 11_000));
  const statsBefore = await writeStats();
  const second = await startRun(sys, 'east');
  await second.result;
  const run2 = await runStatus(sys, 'east', second.runId);
  expect(run2.status).toBe('succeeded');
  for (const c of COLLECTIONS) {
    expect({ c, ...run2.counts[c] }).toMatchObject({ c, inserted: 0, updated: 0, deleted: 0, revived: 0, unchanged: run2.counts[c].fetched - run2.counts[c].skipped });
  }
  // Not one live row was written: every row keeps the transaction id that last wrote it.
  expect(await rowVersionsOf(sys, 'east')).toEqual(before);
  // The statistics agree: no insert, update or delete on any live table.
  await new Promise((r) => setTimeout(r, 11_000));
  expect(await writeStats()).toEqual(statsBefore);
}, 120_000);

async function writeStats() {
  await sql`select pg_stat_clear_snapshot()`.execute(sys.database.db);
  const r = await sql<{ relname: string; w: number }>`
    select relname, (n_tup_ins + n_tup_upd + n_tup_del)::int as w from pg_stat_user_tables
    where relname in ('orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments') order by relname`.execute(sys.database.db);
  return r.rows;
}

test('an empty users feed is held and changes nothing; later runs wait; discard leaves the roster untouched', async () => {
  const before = await liveContent(sys, 'east');
  sys.sandbox.setFaults({ emptyUsers: true });
  const held = await startRun(sys, 'east');
  const run = await waitForStatus(sys, 'east', held.runId, 'held');
  expect(run.reason).toMatch(/users feed is empty/);
  expect(run.reason).toMatch(/would remove .* active users/);
  expect(run.summary.guards.map((g: { rule: string }) => g.rule)).toEqual(expect.arrayContaining(['feed.users.empty', 'feed.removals.threshold']));
  expect(run.summary.wouldChange.users.samples.delete.length).toBeGreaterThan(0);
  expect(await liveContent(sys, 'east')).toEqual(before);
  expect(await stagingRows(sys, held.runId)).toBeGreaterThan(0); // kept while held
  const wf = sys.env.client.workflow.getHandle(held.workflowId);
  expect(await wf.query(syncRunStateQuery)).toMatchObject({ runId: held.runId, held: true, decision: null });

  // Another run of the district waits for the held one instead of applying around it.
  sys.sandbox.clearFaults();
  const later = await startRun(sys, 'east');
  await new Promise((r) => setTimeout(r, 3000));
  expect(await runStatus(sys, 'east', later.runId)).toBeNull();
  expect((await sys.env.client.workflow.getHandle(later.workflowId).describe()).status.name).toBe('RUNNING');

  // Only a held run can be decided, and only by its own run id.
  const wrong = await sys.api('POST', `/api/districts/east/runs/does-not-exist/approve`, {});
  expect(wrong.status).toBe(404);
  const discard = await sys.api('POST', `/api/districts/east/runs/${held.runId}/discard`, { note: 'SIS export was empty' });
  expect(discard.status).toBe(202);
  expect(discard.json).toMatchObject({ runId: held.runId, decision: 'discarded' });
  const summary = await held.result;
  expect(summary.status).toBe('discarded');
  const after = await runStatus(sys, 'east', held.runId);
  expect(after.status).toBe('discarded');
  expect(after.reason).toMatch(/Discarded by support-token \(SIS export was empty\): nothing was applied/);
  expect(after.summary.decision).toMatchObject({ action: 'discarded', by: 'support-token' });
  expect(await liveContent(sys, 'east')).toEqual(before);
  expect(await stagingRows(sys, held.runId)).toBe(0);
  const again = await sys.api('POST', `/api/districts/east/runs/${held.runId}/approve`, {});
  expect(again.status).toBe(409);
  expect(again.json.message).toMatch(/is discarded, not held/);
  const audit = await sys.database.db.selectFrom('audit_events').selectAll().where('district_id', '=', 'east').where('action', '=', 'held run discarded').execute();
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ actor: 'support-token', note: 'SIS export was empty' });
  expect(audit[0]!.details).toEqual({ runId: held.runId });

  // The waiting run goes ahead once the held one is decided, and finds nothing to change.
  await later.result;
  const laterRun = await runStatus(sys, 'east', later.runId);
  expect(laterRun.status).toBe('succeeded');
  expect(await liveContent(sys, 'east')).toEqual(before);
}, 180_000);

test('a 20% student drop is held; approve applies it as staged; the students come back revived', async () => {
  const before = await liveContent(sys, 'east');
  sys.sandbox.setFaults({ massDropStudentsPercent: 20 });
  const held = await startRun(sys, 'east');
  const run = await waitForStatus(sys, 'east', held.runId, 'held');
  expect(run.reason).toMatch(/would remove \d+ of \d+ active users \(\d+\.\d%/);
  expect(run.reason).toMatch(/enrollments/);
  expect(await liveContent(sys, 'east')).toEqual(before);
  const removeUsers = run.summary.wouldChange.users.removeActive as number;
  expect(removeUsers).toBeGreaterThan(20);
  sys.sandbox.clearFaults(); // approving applies what was staged, not what ClassLink says now

  const approve = await sys.api('POST', `/api/districts/east/runs/${held.runId}/approve`, { note: 'students moved to the new charter school' });
  expect(approve.status).toBe(202);
  const twice = await sys.api('POST', `/api/districts/east/runs/${held.runId}/approve`, {});
  expect(twice.status).toBe(409);
  await held.result;
  const applied = await runStatus(sys, 'east', held.runId);
  expect(applied.status).toBe('succeeded');
  expect(applied.counts.users.deleted).toBe(removeUsers);
  expect(applied.summary.decision).toMatchObject({ action: 'approved', by: 'support-token', note: 'students moved to the new charter school' });
  const deletedNow = await sys.database.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('district_id', '=', 'east').where('deleted_at', 'is not', null).executeTakeFirstOrThrow();
  const deletedBefore = Object.entries(before).filter(([k, v]) => k.startsWith('users/') && v.endsWith('deleted')).length;
  expect(Number(deletedNow.n)).toBe(deletedBefore + removeUsers);
  expect(await stagingRows(sys, held.runId)).toBe(0);

  // The next full run sees them again: revived, not inserted.
  const back = await startRun(sys, 'east');
  await back.result;
  const backRun = await runStatus(sys, 'east', back.runId);
  expect(backRun.counts.users).toMatchObject({ revived: removeUsers, inserted: 0, deleted: 0 });
  expect(await liveContent(sys, 'east')).toEqual(before);
}, 180_000);

test('bad classes are quarantined with their enrollments only, counted per rule; the rest applies', async () => {
  const before = await liveContent(sys, 'east');
  sys.sandbox.setFaults({ malformed: { collection: 'classes', kinds: ['badEnum'] } });
  const started = await startRun(sys, 'east');
  await started.result;
  sys.sandbox.clearFaults();
  const run = await runStatus(sys, 'east', started.runId);
  expect(run.status).toBe('succeeded');
  const classes = [...sys.sandbox.generator.records('classes')];
  const badIds = classes.filter((_, i) => i % 20 === 3).map((c) => c.sourcedId).sort();
  const badEnrollments = [...sys.sandbox.generator.records('enrollments')].filter((e) => badIds.includes(e.class.sourcedId)).map((e) => e.sourcedId).sort();
  expect(run.counts.classes.quarantined).toBe(badIds.length);
  expect(run.counts.enrollments.quarantined).toBe(badEnrollments.length);
  expect(run.counts.users.quarantined).toBe(0);
  expect(run.issueCounts).toMatchObject({ 'classes.classType.enum': badIds.length, 'enrollments.class.cascade': badEnrollments.length });
  expect(run.summary.issues['classes.classType.enum']).toBe(badIds.length);
  const classIssues = run.issues.filter((i: { entity: string; severity: string }) => i.entity === 'classes' && i.severity === 'error');
  expect(classIssues.map((i: { sourced_id: string }) => i.sourced_id).sort()).toEqual(badIds);
  expect(classIssues[0].message).toMatch(/classType must be one of homeroom, scheduled: got "lecture-hall"/);
  // Nothing else changed: the quarantined classes keep yesterday's live version.
  expect(await liveContent(sys, 'east')).toEqual(before);
  expect(run.counts.classes).toMatchObject({ updated: 0, deleted: 0, unchanged: classes.length - badIds.length });
  // Warnings found beside the rules are found again once the rules quarantined something: each is
  // stored once, and the counts reported are those stored.
  const warnings = await sql<{ rule: string; n: number; distinct: number }>`
    select rule, count(*)::int as n, count(distinct (entity, sourced_id, message))::int as distinct
    from run_issues where run_id = ${started.runId} and severity = 'warning' group by rule`.execute(sys.database.db);
  expect(warnings.rows.length).toBeGreaterThan(0);
  for (const w of warnings.rows) {
    expect({ rule: w.rule, n: w.n }).toEqual({ rule: w.rule, n: w.distinct });
    expect(run.summary.warnings[w.rule]).toBe(w.n);
  }
});

test('nightly runs after a success are deltas: after nights of ~1% changes only those are read and applied; absent records stay until the next full run', async () => {
  await registerDistrict(sys, 'west');
  const full = await startRun(sys, 'west', { kind: 'nightly' });
  await full.result;
  expect((await runStatus(sys, 'west', full.runId)).mode).toBe('full');

  // Three nights of changes (for this seed, one student vanishes from the feed on night 3).
  sys.sandbox.advanceNight();
  sys.sandbox.advanceNight();
  const night = sys.sandbox.advanceNight();
  const delta = await startRun(sys, 'west', { kind: 'nightly' });
  await delta.result;
  const run = await runStatus(sys, 'west', delta.runId);
  expect(run).toMatchObject({ mode: 'delta', status: 'succeeded' });
  expect(run.summary.mode.why).toMatch(/changes since the last successful run/);
  const fetched = COLLECTIONS.reduce((n, c) => n + run.counts[c].fetched, 0);
  const total = COLLECTIONS.reduce((n, c) => n + night.count(c), 0);
  expect(fetched).toBeGreaterThan(0);
  expect(fetched).toBeLessThan(total * 0.1);
  const changed = COLLECTIONS.reduce((n, c) => n + run.counts[c].inserted + run.counts[c].updated + run.counts[c].deleted, 0);
  expect(changed).toBeGreaterThan(0);
  expect(run.issues.filter((i: { severity: string }) => i.severity === "error")).toEqual([]);
  for (const c of COLLECTIONS) expect(run.counts[c].quarantined).toBe(0);

  // Every record ClassLink serves tonight is live with tonight's content.
  for (const c of COLLECTIONS) {
    const rows = await sys.database.db.selectFrom(c === 'academicSessions' ? 'academic_sessions' : c).select(['sourced_id', 'data', 'deleted_at']).where('district_id', '=', 'west').execute();
    const live = new Map(rows.map((r) => [r.sourced_id, r]));
    for (const r of night.records(c)) {
      if (c === 'users' && (r as { role?: string }).role === 'guardian') continue;
      expect(live.get(r.sourcedId)?.data).toEqual(r);
      expect(live.get(r.sourcedId)!.deleted_at !== null).toBe(r.status === 'tobedeleted');
    }
  }
  // Students who vanished from the feed are still active after a delta; the next full run removes them.
  const served = new Set([...night.records('users')].map((u) => u.sourcedId));
  const liveUsers = await sys.database.db.selectFrom('users').select(['sourced_id']).where('district_id', '=', 'west').where('deleted_at', 'is', null).execute();
  const vanished = liveUsers.filter((u) => !served.has(u.sourced_id));
  expect(vanished.length).toBeGreaterThan(0);
  const fullAgain = await startRun(sys, 'west', { kind: 'manual' });
  await fullAgain.result;
  const fullRun = await runStatus(sys, 'west', fullAgain.runId);
  expect(fullRun.mode).toBe('full');
  expect(fullRun.counts.users.deleted).toBe(vanished.length);
  expect(fullRun.counts.users).toMatchObject({ inserted: 0, updated: 0 });
}, 180_000);

test('progress is readable while a run fetches: collection and pages done of total', async () => {
  await registerDistrict(sys, 'slow', { pageSize: 50 });
  sys.sandbox.setFaults({ slowMs: 40 });
  const started = await startRun(sys, 'slow', { kind: 'review' });
  const seen = await waitFor('progress on enrollments', async () => {
    const run = await runStatus(sys, 'slow', started.runId);
    return run?.progress?.collection === 'enrollments' && run.progress.pagesDone >= 2 ? run.progress : null;
  });
  sys.sandbox.clearFaults();
  expect(seen).toMatchObject({ phase: 'fetch', collection: 'enrollments', collections: 6, collectionIndex: 6 });
  expect(seen.pagesTotal).toBe(Math.ceil(sys.sandbox.generator.count('enrollments') / 50));
  expect(seen.pagesDone).toBeLessThanOrEqual(seen.pagesTotal);
  await started.result;
});
