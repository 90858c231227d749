// Where a person goes back to after signing in: the `next` parameter of the sign-in pages.
// Only a path on this site is ever honoured (no open redirect): browsers drop tabs and line
// breaks from URLs and read a backslash as a slash, so "/\t/evil.example" or "/\\evil.example"
// would leave the site although they start with one slash, and so would "/a/..//evil.example"
// once its dot segments resolve. Anything unusual falls back.

/** Longest `next` the sign-in routes accept (their query schemas say the same). */
export const MAX_NEXT_LENGTH = 500;

const ORIGIN = 'http://next.invalid';

/** `next` as a same-origin path (with its query), or null when it is missing or not safe. */
export function safeNextPath(next: unknown): string | null {
  if (typeof next !== 'string' || next.length > MAX_NEXT_LENGTH) return null;
  // One leading slash, then no slash or backslash; nothing a URL parser would strip or reinterpret.
  if (!/^\/(?![/\\])/.test(next) || /[\u0000-\u0020\u007f\\]/.test(next)) return null;
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return null;
  }
  const path = `${url.pathname}${url.search}`;
  // Dot segments resolve too: "/a/..//evil.example" becomes "//evil.example".
  if (url.origin !== ORIGIN || !/^\/(?![/\\])/.test(path)) return null;
  return path;
}

/** `next` if it is safe, else where this person would land anyway. */
export function safeNext(next: unknown, fallback = '/admin'): string {
  return safeNextPath(next) ?? fallback;
}

/** The `next` to send a signed-out request back to: its own URL, trimmed to what a sign-in route accepts. */
export function nextFor(url: string): string | null {
  const whole = safeNextPath(url);
  if (whole) return whole;
  // A long query is dropped rather than the whole way back.
  return safeNextPath(url.split('?')[0]);
}
