// A scripted stand-in for fetch, for the OneRoster client's unit tests: every request is recorded,
// and a handler decides the answer, including hanging until aborted and failing at the socket.

export interface FakeRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: string | null;
}

export type FakeReply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; text?: string }
  | 'network-error'
  | 'hang';

export function fakeFetch(handler: (req: FakeRequest, index: number) => FakeReply | Promise<FakeReply>) {
  const calls: FakeRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const req: FakeRequest = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : null,
    };
    calls.push(req);
    const reply = await handler(req, calls.length - 1);
    if (reply === 'network-error') {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) });
    }
    if (reply === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')));
      });
    }
    const body = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    return new Response(body, { status: reply.status ?? 200, headers: reply.headers });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { sleep, delays };
}

/** n minimal user-shaped records u0000…, enough for paging (only sourcedId matters there). */
export function fakeUsers(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ sourcedId: `u${String(i).padStart(4, '0')}` }));
}

/**
 * A well-behaved OneRoster collection endpoint over `records`: honours limit/offset and sends
 * X-Total-Count unless told not to. `tamper` may rewrite any answer to inject a fault.
 */
export function pagedServer(
  collection: string,
  records: Record<string, unknown>[],
  opts: {
    countHeader?: boolean;
    tamper?: (page: { offset: number; limit: number; records: Record<string, unknown>[]; headers: Record<string, string> }, index: number) => FakeReply | void;
  } = {},
) {
  return fakeFetch((req, index): FakeReply => {
    const limit = Number(req.url.searchParams.get('limit'));
    const offset = Number(req.url.searchParams.get('offset'));
    const page = {
      offset,
      limit,
      records: records.slice(offset, offset + limit),
      headers: (opts.countHeader === false ? {} : { 'x-total-count': String(records.length) }) as Record<string, string>,
    };
    const tampered = opts.tamper?.(page, index);
    return tampered ?? { json: { [collection]: page.records }, headers: page.headers };
  });
}
