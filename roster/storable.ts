// What Postgres cannot store, caught before a page is staged: jsonb and text refuse NUL characters
// and unpaired UTF-16 surrogates, and a btree index refuses keys over ~2.7 kB. One such value in a
// feed would otherwise fail the page's write on every retry, every night, for the whole district.
// Instead the record is staged with those strings replaced by U+FFFD and marked, and the rule
// registry quarantines it (roster/rules.ts: `<entity>.record.unstorable`, `<entity>.sourcedId.length`).
import { hash } from 'node:crypto';

/** Longer sourcedIds are not staged under their id (the record is quarantined by the length rule). */
export const MAX_SOURCED_ID_LENGTH = 255;

/** The key under which a staged record lists the paths of the strings that had to be replaced. */
export const UNSTORABLE_KEY = '_unstorable';

const BAD = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BAD_ALL = new RegExp(BAD.source, 'g');
/** JSON.stringify writes NUL as \u0000 and only unpaired surrogates as \udXXX escapes. */
const SUSPECT_JSON = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/** The id a record is staged under: its sourcedId when it is a string that can be stored and indexed. */
export function stagingId(record: unknown): string | null {
  if (!record || typeof record !== 'object') return null;
  const id = (record as { sourcedId?: unknown }).sourcedId;
  return typeof id === 'string' && id.length <= MAX_SOURCED_ID_LENGTH && !BAD.test(id) ? id : null;
}

/**
 * The record as staged: JSON Postgres accepts (unstorable strings replaced and listed under
 * UNSTORABLE_KEY), and the value that JSON holds (the record itself unless strings had to be replaced).
 * `received`: the record's text as the page body held it (Page.texts), staged as it is when it is
 * storable; else the record is serialised.
 */
export function stagingForm(record: unknown, received?: string): { json: string; value: unknown } {
  const json = received ?? JSON.stringify(record) ?? 'null';
  if (!SUSPECT_JSON.test(json)) return { json, value: record };
  const paths: string[] = [];
  const clean = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      if (!BAD.test(v)) return v;
      paths.push(path || '(record)');
      return v.replace(BAD_ALL, '\ufffd');
    }
    if (Array.isArray(v)) return v.map((x, i) => clean(x, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k, `${path}{key}`) as string, clean(x, path ? `${path}.${k}` : k)]));
    }
    return v;
  };
  const data = clean(record, '');
  if (paths.length === 0) return { json, value: record };
  const marked = data && typeof data === 'object' && !Array.isArray(data) ? { ...data, [UNSTORABLE_KEY]: paths } : { [UNSTORABLE_KEY]: paths, value: data };
  return { json: JSON.stringify(marked), value: marked };
}

/** A staged record's content hash: md5 of its staged JSON, compared with the live row's to skip unchanged rows. */
export function contentHash(json: string): string {
  // One-shot crypto.hash: for 400,000 small records, createHash().update().digest() cost seconds of objects.
  return hash('md5', json, 'hex');
}
