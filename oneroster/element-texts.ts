// The JSON text of each record of a page body, cut out of the body as received. Staging needs every
// record's JSON (stored, and hashed to tell unchanged records); serialising 400,000 parsed records
// again cost the worker's one busy thread about a second of a size-l sync, where cutting them out
// costs a fraction of that. The body has been through JSON.parse already, so it is well formed;
// anything this scanner does not expect (an escaped key, a count that differs from the parsed
// array) gives null, and the records are serialised again as before. So does a number written with
// an exponent: 1e400 parses to Infinity, which the record checks read as null (as it used to be
// staged), while Postgres would store the number as written.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;

/** s[i] is an e or E outside a string: an exponent when a digit or a point comes before it (not true or false). */
function isExponent(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c !== LOWER_E && c !== UPPER_E) return false;
  const before = s.charCodeAt(i - 1);
  return (before >= ZERO && before <= NINE) || before === DOT;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(s: string, i: number): number {
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  return i;
}

/** s[i] opens a string: the index just past its closing quote, or -1. */
function stringEnd(s: string, i: number): number {
  for (let from = i + 1; ; ) {
    const q = s.indexOf('"', from);
    if (q < 0) return -1;
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    while (s.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** s[i] opens an object or array: the index just past its end, or -1. */
function compositeEnd(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(s, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    else if (isExponent(s, i)) return -1;
    i++;
  }
  return -1;
}

/** s[i] starts a value: the index just past it, or -1. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return stringEnd(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return compositeEnd(s, i);
  // A number, true, false or null: up to the next separator.
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isWhitespace(d)) break;
    if (isExponent(s, i)) return -1;
    i++;
  }
  return i;
}

/** s[i] opens an array: its elements' texts and the index just past it, or null. */
function arrayElements(s: string, i: number): { texts: string[]; end: number } | null {
  const texts: string[] = [];
  i = skipWhitespace(s, i + 1);
  if (s.charCodeAt(i) === CLOSE_BRACKET) return { texts, end: i + 1 };
  for (;;) {
    const end = valueEnd(s, i);
    if (end <= i) return null;
    texts.push(s.slice(i, end));
    i = skipWhitespace(s, end);
    const c = s.charCodeAt(i);
    if (c === CLOSE_BRACKET) return { texts, end: i + 1 };
    if (c !== COMMA) return null;
    i = skipWhitespace(s, i + 1);
  }
}

/**
 * The texts of the elements of the array that `body` (a JSON object) holds under `key`, in order,
 * when there are exactly `count` of them; otherwise null. As JSON.parse, the last `key` wins.
 */
export function elementTexts(body: string, key: string, count: number): string[] | null {
  let i = skipWhitespace(body, 0);
  if (body.charCodeAt(i) !== OPEN_BRACE) return null;
  i = skipWhitespace(body, i + 1);
  let found: string[] | null = null;
  if (body.charCodeAt(i) !== CLOSE_BRACE) {
    for (;;) {
      if (body.charCodeAt(i) !== QUOTE) return null;
      const keyEnd = stringEnd(body, i);
      if (keyEnd < 0) return null;
      const name = body.slice(i + 1, keyEnd - 1);
      // An escaped key might spell `key` another way: which one JSON.parse kept is not worth guessing.
      if (name.includes('\\')) return null;
      i = skipWhitespace(body, keyEnd);
      if (body.charCodeAt(i) !== COLON) return null;
      i = skipWhitespace(body, i + 1);
      if (name === key && body.charCodeAt(i) === OPEN_BRACKET) {
        const array = arrayElements(body, i);
        if (!array) return null;
        found = array.texts;
        i = array.end;
      } else {
        if (name === key) found = null;
        const end = valueEnd(body, i);
        if (end <= i) return null;
        i = end;
      }
      i = skipWhitespace(body, i);
      const c = body.charCodeAt(i);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return null;
      i = skipWhitespace(body, i + 1);
    }
  }
  return found !== null && found.length === count ? found : null;
}
