import { checkPasswordStrength, hashPassword, verifyPassword, WeakPasswordError } from '../../api/passwords.js';
import { safeNext } from '../../api/next-path.js';

test('scrypt hashes carry their parameters and a random salt, and verify only the right password', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  expect(a).not.toBe(b);
  expect(await verifyPassword('correct horse battery', a)).toBe(true);
  expect(await verifyPassword('correct horse batterz', a)).toBe(false);
  expect(await verifyPassword('', a)).toBe(false);
});

test('stored hashes with other parameters still verify (the cost can be raised later)', async () => {
  const cheap = await hashPassword('another password', { N: 1024, r: 8, p: 1, keylen: 32 });
  expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
  expect(await verifyPassword('another password', cheap)).toBe(true);
});

test('garbage in the stored hash is a failed check, not a crash', async () => {
  for (const stored of ['', 'bcrypt$x', 'scrypt$abc$8$1$c2FsdA$aGFzaA', 'scrypt$1024$8$1$$']) expect(await verifyPassword('x', stored)).toBe(false);
});

test('Unicode passwords are normalized before hashing', async () => {
  const h = await hashPassword('caf\u00e9 au lait!!');
  expect(await verifyPassword('cafe\u0301 au lait!!', h)).toBe(true);
});

test('weak passwords are refused with the rule', () => {
  expect(() => checkPasswordStrength('short')).toThrow(WeakPasswordError);
  expect(() => checkPasswordStrength('short')).toThrow(/at least 12/);
  expect(() => checkPasswordStrength('x'.repeat(12))).not.toThrow();
});

test('the post-login redirect only goes to a path on this site', () => {
  expect(safeNext('/admin/districts/x')).toBe('/admin/districts/x');
  for (const bad of [undefined, '', 'admin', '//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)']) expect(safeNext(bad)).toBe('/admin');
});
