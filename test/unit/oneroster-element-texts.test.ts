// Cutting each record's JSON text out of a page body (oneroster/element-texts.ts): every text is the
// element JSON.parse saw, in order, whatever the strings hold; anything unexpected gives null (the
// records are then serialised again), never a wrong cut.
import { elementTexts } from '../../oneroster/element-texts.js';
import { mulberry32 } from '../../sandbox/prng.js';

const tricky = [
  { sourcedId: 'a', title: 'plain' },
  { sourcedId: 'b"quoted"', title: 'a \\ backslash', note: 'ends with a backslash \\' },
  { sourcedId: 'c', title: 'braces } ] { [ and commas , : inside', nested: { deep: [1, [2, { x: '"]}' }]] } },
  { sourcedId: 'd', n: -12.5e3, t: true, f: false, z: null, empty: '', arr: [] },
  { sourcedId: 'é', title: 'ünïcödé ✓ 𝄞', esc: '\u0001\t\n' },
];

test('each text is the element as serialised, for records holding quotes, backslashes, brackets and escapes', () => {
  const body = JSON.stringify({ users: tricky });
  const texts = elementTexts(body, 'users', tricky.length);
  expect(texts).toEqual(tricky.map((r) => JSON.stringify(r)));
});

test('whitespace anywhere (a pretty-printed body) is kept inside a text and skipped between them', () => {
  const body = JSON.stringify({ users: tricky }, null, 2);
  const texts = elementTexts(body, 'users', tricky.length)!;
  expect(texts.map((t) => JSON.parse(t))).toEqual(tricky);
  expect(texts[0]).toContain('\n');
});

test('other keys around the array, and the last of two arrays under the key, as JSON.parse reads it', () => {
  const body = `{"note":"users: [ ] }","meta":{"users":[{"x":1}]},"users":[{"old":1}],"count":3,"users":[{"a":1},{"b":"]"}],"tail":[[],{}]}`;
  expect(JSON.parse(body).users).toHaveLength(2);
  expect(elementTexts(body, 'users', 2)).toEqual(['{"a":1}', '{"b":"]"}']);
});

test('null whenever the cut cannot be trusted: another count, no array, an escaped key, not an object', () => {
  const body = JSON.stringify({ users: tricky });
  expect(elementTexts(body, 'users', tricky.length - 1)).toBeNull();
  expect(elementTexts(body, 'classes', 0)).toBeNull();
  expect(elementTexts('{"users":[{"a":1}],"users":null}', 'users', 1)).toBeNull();
  expect(elementTexts('{"us\\u0065rs":[{"a":1}]}', 'users', 1)).toBeNull();
  expect(elementTexts('[{"a":1}]', 'users', 1)).toBeNull();
  expect(elementTexts('{"users":[]}', 'users', 0)).toEqual([]);
  expect(elementTexts(' { "users" : [ 1 , "two" , null ] } ', 'users', 3)).toEqual(['1', '"two"', 'null']);
  // A number with an exponent may parse to Infinity (serialised as null) where Postgres keeps 1e400.
  expect(elementTexts('{"users":[{"a":1e400}]}', 'users', 1)).toBeNull();
  expect(elementTexts('{"users":[2.5E-3]}', 'users', 1)).toBeNull();
  expect(elementTexts('{"users":[{"t":true,"f":false,"s":"1e400"}]}', 'users', 1)).toEqual(['{"t":true,"f":false,"s":"1e400"}']);
});

/** Random JSON values, strings full of the characters a scanner could trip on. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 4 : 6));
  const chars = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', 'a', 'é', '\u0000', '\ud83d\ude00'];
  switch (pick) {
    case 0:
      return Array.from({ length: Math.floor(next() * 8) }, () => chars[Math.floor(next() * chars.length)]).join('');
    case 1:
      return Math.round((next() - 0.5) * 1e6) / 100;
    case 2:
      return [true, false, null][Math.floor(next() * 3)];
    case 3:
      return '';
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}${chars[Math.floor(next() * chars.length)]}`, randomValue(next, depth + 1)]));
  }
}

test('over 500 random bodies, compact and pretty, the texts parse back to exactly the elements', () => {
  const next = mulberry32(20261129);
  for (let i = 0; i < 500; i++) {
    const records = Array.from({ length: Math.floor(next() * 6) }, () => randomValue(next, 0));
    const body = JSON.stringify({ before: randomValue(next, 2), enrollments: records, after: randomValue(next, 2) }, null, i % 2 ? 1 : undefined);
    const texts = elementTexts(body, 'enrollments', records.length);
    expect(texts).not.toBeNull();
    expect(texts!.map((t) => JSON.parse(t))).toEqual(records);
  }
});
