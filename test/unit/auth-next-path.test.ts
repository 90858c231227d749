import { MAX_NEXT_LENGTH, nextFor, safeNext, safeNextPath } from '../../api/next-path.js';

test('a path on this site, with its query, is kept as it is', () => {
  expect(safeNextPath('/admin')).toBe('/admin');
  expect(safeNextPath('/admin/districts/demo?phase=syncing&q=a%20b')).toBe('/admin/districts/demo?phase=syncing&q=a%20b');
  expect(safeNext('/admin/districts/demo/year')).toBe('/admin/districts/demo/year');
});

test('anything that a browser would take off this site is refused', () => {
  const offSite = [
    '//evil.example',
    '//evil.example/admin',
    '/\\evil.example',
    '/\t/evil.example', // browsers strip tabs and line breaks: this is //evil.example
    '/\n/evil.example',
    '/\r\n/evil.example',
    '/ /evil.example',
    'https://evil.example/admin',
    'http:/evil.example',
    'javascript:alert(1)',
    'admin',
    '',
    ' /admin',
    '/admin\u0000',
    '/admin\r\nset-cookie: x=1',
  ];
  for (const bad of offSite) expect({ bad, path: safeNextPath(bad) }).toEqual({ bad, path: null });
  expect(safeNext('//evil.example')).toBe('/admin');
  expect(safeNext(undefined, '/me')).toBe('/me');
  expect(safeNext(42)).toBe('/admin');
});

test('dot segments are resolved, so they cannot climb off the site either', () => {
  for (const bad of ['/admin/../..//evil.example', '/..//evil.example', '/admin/%2e%2e/%2e%2e//evil.example']) expect({ bad, path: safeNextPath(bad) }).toEqual({ bad, path: null });
  expect(safeNextPath('/admin/./districts')).toBe('/admin/districts');
});

test('an overlong next is refused; a signed-out request keeps its path when its query is too long', () => {
  expect(safeNextPath(`/admin?q=${'x'.repeat(MAX_NEXT_LENGTH)}`)).toBeNull();
  expect(nextFor(`/admin/districts/demo?q=${'x'.repeat(MAX_NEXT_LENGTH)}`)).toBe('/admin/districts/demo');
  expect(nextFor('/admin?q=demo')).toBe('/admin?q=demo');
  expect(nextFor(`/${'x'.repeat(MAX_NEXT_LENGTH)}`)).toBeNull();
});
