// What staging does with values Postgres cannot store: NUL, unpaired surrogates, over-long ids.
import { MAX_SOURCED_ID_LENGTH, stagingForm, stagingId, UNSTORABLE_KEY } from '../../roster/storable.js';

const stagingJson = (record: unknown) => stagingForm(record).json;

test('ordinary records are staged as their own JSON, unicode and all', () => {
  const r = { sourcedId: 'usr-1', givenName: 'Zoë 👩‍👩‍👧 مريم', note: 'a \\u0000 written out with a backslash' };
  expect(stagingJson(r)).toBe(JSON.stringify(r));
  expect(stagingId(r)).toBe('usr-1');
});

test('NUL and unpaired surrogates are replaced by U+FFFD and their paths listed under the marker', () => {
  const r = { sourcedId: 'usr-2', givenName: 'a\u0000b', orgs: [{ sourcedId: 'x\ud800' }], ok: '😀' };
  const staged = JSON.parse(stagingJson(r));
  expect(staged.givenName).toBe('a\ufffdb');
  expect(staged.orgs[0].sourcedId).toBe('x\ufffd');
  expect(staged.ok).toBe('😀');
  expect(staged[UNSTORABLE_KEY]).toEqual(['givenName', 'orgs[0].sourcedId']);
  expect(stagingJson(r)).not.toMatch(/\\u0000|\\ud800/);
});

test('a record that is not an object is kept (and marked when it needs replacing)', () => {
  expect(stagingJson(null)).toBe('null');
  expect(stagingJson('plain')).toBe('"plain"');
  expect(JSON.parse(stagingJson('nul\u0000'))).toEqual({ [UNSTORABLE_KEY]: ['(record)'], value: 'nul\ufffd' });
  // The value the record checks see is the one staged, not the raw record.
  expect(stagingForm('nul\u0000').value).toEqual(JSON.parse(stagingJson('nul\u0000')));
});

test('ids that cannot be stored or indexed are not used as the staging id', () => {
  expect(stagingId({ sourcedId: 'a'.repeat(MAX_SOURCED_ID_LENGTH) })).toBe('a'.repeat(MAX_SOURCED_ID_LENGTH));
  expect(stagingId({ sourcedId: 'a'.repeat(MAX_SOURCED_ID_LENGTH + 1) })).toBeNull();
  expect(stagingId({ sourcedId: 'nul\u0000' })).toBeNull();
  expect(stagingId({ sourcedId: 'lone\udc00' })).toBeNull();
  expect(stagingId({ sourcedId: 42 })).toBeNull();
  expect(stagingId(null)).toBeNull();
  expect(stagingId('usr-1')).toBeNull();
});
