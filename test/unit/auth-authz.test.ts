import type { Principal } from '../../api/auth.js';
import { accessFor, decide, ROUTE_ACCESS } from '../../api/authz.js';

const person = (kind: Principal['kind'], districtId: string | null = null): Principal => ({
  kind, id: `${kind}:x`, via: 'session', name: 'N', email: null, districtId, sourcedId: districtId ? 'usr-1' : null, rosterRole: null, leaderTitle: null, session: null,
});

test('routes missing from the table are support-only under /api and /admin, public elsewhere', () => {
  expect(accessFor('GET', '/api/districts/:id/brand-new', '/api/districts/x/brand-new')).toBe('support');
  expect(accessFor('POST', undefined, '/api/nothing-here')).toBe('support');
  expect(accessFor('GET', '/admin/districts/:id', '/admin/districts/x')).toBe('support');
  expect(accessFor('GET', '/admin', '/admin')).toBe('support-or-leader');
  expect(accessFor('GET', undefined, '/admin')).toBe('support');
  expect(accessFor('GET', '/docs', '/docs')).toBe('public');
  expect(accessFor('GET', '/metrics', '/metrics')).toBe('public');
  // HEAD follows GET.
  expect(accessFor('HEAD', '/api/me', '/api/me')).toBe('signed-in');
  expect(accessFor('DELETE', '/api/me', '/api/me')).toBe('support');
});

test('every policy row names a method and a path', () => {
  for (const key of Object.keys(ROUTE_ACCESS)) expect(key).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/);
});

test('decisions: signed out is 401; support reaches every district; a leader only their own', () => {
  const own = { id: 'd1' };
  expect(decide('public', null, own)).toEqual({ allowed: true });
  expect(decide('signed-in', null, own)).toMatchObject({ allowed: false, status: 401, error: 'unauthorized' });
  expect(decide('support', person('support'), { id: 'anything' })).toEqual({ allowed: true });
  expect(decide('district-leader', person('support'), { id: 'anything' })).toEqual({ allowed: true });
  expect(decide('district-leader', person('leader', 'd1'), own)).toEqual({ allowed: true });
  expect(decide('district-leader', person('leader', 'd1'), { districtId: 'd1' })).toEqual({ allowed: true });
  expect(decide('district-leader', person('leader', 'd2'), own)).toMatchObject({ allowed: false, status: 403, message: expect.stringMatching(/"d2" only/) });
  expect(decide('district-leader', person('leader', 'd1'), {})).toMatchObject({ allowed: false, status: 403 });
  expect(decide('district-leader', person('teacher', 'd1'), own)).toMatchObject({ allowed: false, status: 403, message: expect.stringMatching(/teacher/) });
  expect(decide('support', person('leader', 'd1'), own)).toMatchObject({ allowed: false, status: 403 });
  expect(decide('support-or-leader', person('leader', 'd9'), own)).toEqual({ allowed: true });
  expect(decide('support-or-leader', person('student', 'd1'), own)).toMatchObject({ allowed: false, status: 403 });
  expect(decide('signed-in', person('student', 'd1'), own)).toEqual({ allowed: true });
});
