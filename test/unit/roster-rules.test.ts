// The rule registry is the single source of the "Roster requirements" page: complete and coherent.
// Guards and settings are pure functions of their facts.
import { COLLECTIONS } from '../../oneroster/types.js';
import { dateIn, evaluateGuards, type GuardFacts } from '../../roster/guards.js';
import { PLAN_KINDS, type EntityPlan, type Plan } from '../../roster/plan.js';
import { GUARD_RULES, RECORD_RULES, RULES, ruleById, WARNING_RULES } from '../../roster/rules.js';
import { DEFAULT_SYNC_SETTINGS, syncSettings } from '../../roster/settings.js';
import { unimplementedWarnings } from '../../roster/warnings.js';

test('every rule has a unique id, an entity, a severity, a message and a way to fix it', () => {
  const ids = RULES.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of RULES) {
    expect(r.id).toMatch(/^[a-zA-Z]+(\.[a-zA-Z]+)+$/);
    expect([...COLLECTIONS, 'feed']).toContain(r.entity);
    expect(['error', 'warning', 'skip', 'hold']).toContain(r.severity);
    expect(r.message.length).toBeGreaterThan(10);
    expect(r.fix.length).toBeGreaterThan(10);
    if (r.field !== null) expect(r.field).toMatch(/^[A-Za-z_]+$/);
    expect(ruleById(r.id)).toBe(r);
  }
});

test('the registry covers required fields, enums, dates, duplicates and the references the issue names', () => {
  const has = (id: string) => expect(RECORD_RULES.map((r) => r.id)).toContain(id);
  for (const c of COLLECTIONS) {
    has(`${c}.sourcedId.required`);
    has(`${c}.sourcedId.unique`);
    has(`${c}.status.enum`);
  }
  ['users.role.enum', 'academicSessions.type.enum', 'orgs.type.enum', 'classes.classType.enum', 'enrollments.role.enum'].forEach(has);
  ['academicSessions.endDate.order', 'academicSessions.startDate.format', 'enrollments.endDate.order'].forEach(has);
  ['classes.course.ref', 'classes.school.ref', 'classes.terms.ref', 'enrollments.class.ref', 'enrollments.user.ref', 'academicSessions.parent.ref', 'courses.org.ref'].forEach(has);
  ['enrollments.class.cascade', 'enrollments.user.cascade', 'classes.course.cascade', 'classes.terms.cascade', 'courses.org.cascade'].forEach(has);
  has('users.role.skipped');
  // Cascades run after every other record rule, parents before children.
  const firstCascade = RECORD_RULES.findIndex((r) => r.check.t === 'cascade');
  expect(RECORD_RULES.slice(firstCascade).every((r) => r.check.t === 'cascade')).toBe(true);
  const order = RECORD_RULES.slice(firstCascade).map((r) => COLLECTIONS.indexOf(r.entity));
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

test('every warning has an implementation and every guard is documented', () => {
  expect(unimplementedWarnings()).toEqual([]);
  expect(WARNING_RULES.length).toBe(8);
  expect(GUARD_RULES.map((g) => g.id).sort()).toEqual(
    ['feed.enrollments.empty', 'feed.enrollments.short', 'feed.removals.threshold', 'feed.terms.noneCurrent', 'feed.users.empty', 'feed.users.short'].sort(),
  );
});

function entityPlan(liveActive: number, kinds: Partial<EntityPlan['kinds']> = {}): EntityPlan {
  return { liveActive, kinds: { ...Object.fromEntries(PLAN_KINDS.map((k) => [k, 0])), ...kinds } as EntityPlan['kinds'], samples: { missing: ['usr-1', 'usr-2'] } };
}

function facts(over: Partial<Omit<GuardFacts, 'plan'>> & { plan?: Partial<Plan> } = {}): GuardFacts {
  const plan = Object.fromEntries(COLLECTIONS.map((c) => [c, entityPlan(100)])) as Plan;
  return {
    mode: 'full',
    staged: Object.fromEntries(COLLECTIONS.map((c) => [c, 100])) as GuardFacts['staged'],
    terms: null,
    ...over,
    plan: { ...plan, ...(over.plan ?? {}) },
  };
}

test('guards hold on an empty or short feed, on removals over the threshold, and when no term covers today', () => {
  const s = DEFAULT_SYNC_SETTINGS;
  expect(evaluateGuards(facts(), s)).toEqual({ held: false, hits: [], reason: null });

  const empty = evaluateGuards(facts({ staged: { ...facts().staged, users: 0 } }), s);
  expect(empty.held).toBe(true);
  expect(empty.hits.map((h) => h.rule)).toEqual(['feed.users.empty']);
  expect(empty.reason).toMatch(/users feed is empty: ClassLink sent no users while 100 are live today/);
  expect(empty.reason).toMatch(/Approve to apply it as staged, or discard it/);

  expect(evaluateGuards(facts({ staged: { ...facts().staged, enrollments: 49 } }), s).hits.map((h) => h.rule)).toEqual(['feed.enrollments.short']);
  expect(evaluateGuards(facts({ staged: { ...facts().staged, enrollments: 50 } }), s).held).toBe(false);
  // A delta feed is small by nature: no feed-size guard.
  expect(evaluateGuards(facts({ mode: 'delta', staged: { ...facts().staged, users: 0 } }), s).held).toBe(false);

  // 10% is allowed, 11% is not; both tobedeleted and missing count; the message shows numbers and examples.
  expect(evaluateGuards(facts({ plan: { users: entityPlan(100, { missing: 10 }) } }), s).held).toBe(false);
  const drop = evaluateGuards(facts({ plan: { users: entityPlan(100, { missing: 6, remove: 5 }) } }), s);
  expect(drop.hits.map((h) => h.rule)).toEqual(['feed.removals.threshold']);
  expect(drop.hits[0]!.message).toContain('11 of 100 active users (11.0%, e.g. usr-1, usr-2)');
  expect(evaluateGuards(facts({ plan: { users: entityPlan(100, { missing: 11 }) } }), { ...s, removalThresholdPercent: 20 }).held).toBe(false);
  // First sync: nothing live, nothing to remove.
  expect(evaluateGuards(facts({ plan: { users: entityPlan(0, { insert: 100 }) } }), s).held).toBe(false);

  const year = { schoolYear: '2027', startDate: '2026-08-15', endDate: '2027-06-05' };
  const noTerm = evaluateGuards(facts({ terms: { today: '2026-11-30', year, covered: false } }), s);
  expect(noTerm.hits.map((h) => h.rule)).toEqual(['feed.terms.noneCurrent']);
  expect(noTerm.reason).toContain('today (2026-11-30) is inside school year 2027');
  expect(evaluateGuards(facts({ terms: { today: '2026-11-30', year, covered: true } }), s).held).toBe(false);
});

test('district settings override defaults; nonsense values fall back and are reported', () => {
  expect(syncSettings({ settings: {} }).settings).toEqual(DEFAULT_SYNC_SETTINGS);
  const { settings, ignored } = syncSettings({ settings: { removalThresholdPercent: 25, fullSyncEveryDays: 'weekly', feedMinPercent: 400 } });
  expect(settings.removalThresholdPercent).toBe(25);
  expect(settings.fullSyncEveryDays).toBe(DEFAULT_SYNC_SETTINGS.fullSyncEveryDays);
  expect(settings.feedMinPercent).toBe(DEFAULT_SYNC_SETTINGS.feedMinPercent);
  expect(ignored).toHaveLength(2);
  expect(ignored.join("\n")).toMatch(/fullSyncEveryDays="weekly" is not a number/);
});

test('today is the calendar date in the district time zone', () => {
  const t = new Date('2026-12-01T03:30:00Z');
  expect(dateIn('America/Chicago', t)).toBe('2026-11-30');
  expect(dateIn('Europe/Berlin', t)).toBe('2026-12-01');
});
