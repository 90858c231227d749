// A local SMTP server for dev and tests that keeps what it receives in memory (smtp-server), so
// invites can be seen without a real mail provider. Optionally serves the messages over HTTP:
// GET /messages (JSON), GET / (a page), DELETE /messages. Never for production.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  id: number;
  receivedAt: string;
  from: string | null;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
}

export interface SmtpCatcher {
  /** smtp://host:port, for SMTP_URL. */
  smtpUrl: string;
  /** http://host:port of the message viewer, when one was asked for. */
  httpUrl: string | null;
  messages(): CaughtMail[];
  clear(): void;
  /** Resolves with the first message (already here or still to come) that matches. */
  waitFor(match: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

export interface SmtpCatcherOptions {
  host?: string;
  /** 0 = any free port. */
  smtpPort?: number;
  /** Serve the messages over HTTP on this port (0 = any free port); omitted = no HTTP. */
  httpPort?: number;
  /** Refuse these recipients with 550, to exercise delivery failures. */
  rejectRecipient?: (address: string) => boolean;
  /** Keep at most this many messages (oldest dropped). */
  max?: number;
}

// --- a small MIME reader: enough for what nodemailer sends (multipart, quoted-printable, base64) ---

function splitHead(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding = ''): string {
  const enc = encoding.toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body).toString('utf8');
  return body;
}

/** RFC 2047 encoded words in headers (=?UTF-8?Q?...?= / =?UTF-8?B?...?=). */
function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _charset: string, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
  );
}

function parts(headers: Record<string, string>, body: string): { type: string; content: string }[] {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const chunks = body.split(`--${boundary}`).slice(1);
    return chunks
      .filter((c) => !c.startsWith('--'))
      .flatMap((c) => {
        const p = splitHead(c.replace(/^\r?\n/, ''));
        return parts(p.headers, p.body);
      });
  }
  return [{ type: type.split(';')[0]!.trim().toLowerCase(), content: decodeBody(body, headers['content-transfer-encoding']) }];
}

export function parseMail(raw: string, id = 0): CaughtMail {
  const { headers, body } = splitHead(raw);
  const all = parts(headers, body);
  const text = all.find((p) => p.type === 'text/plain')?.content ?? '';
  const html = all.find((p) => p.type === 'text/html')?.content ?? null;
  const addresses = (v: string | undefined) => (v ? [...decodeHeader(v).matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((m) => m[0]) : []);
  return {
    id,
    receivedAt: new Date().toISOString(),
    from: addresses(headers.from)[0] ?? null,
    to: addresses(headers.to),
    subject: decodeHeader(headers.subject ?? ''),
    text: text.replace(/\r\n/g, '\n'),
    html,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, decodeHeader(v)])),
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const host = options.host ?? '127.0.0.1';
  const max = options.max ?? 1000;
  const inbox: CaughtMail[] = [];
  const waiters = new Set<{ match: (m: CaughtMail) => boolean; resolve: (m: CaughtMail) => void }>();
  let nextId = 1;

  const smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = parseMail(Buffer.concat(chunks).toString('utf8'), nextId++);
        // The envelope is the truth about recipients (Bcc does not appear in headers).
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        if (rcpt.length) mail.to = rcpt;
        inbox.push(mail);
        if (inbox.length > max) inbox.shift();
        for (const w of [...waiters]) {
          if (w.match(mail)) {
            waiters.delete(w);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  smtp.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.smtpPort ?? 0, host, () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  let http: Server | null = null;
  let httpUrl: string | null = null;
  if (options.httpPort !== undefined) {
    http = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/messages') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages: inbox }));
      } else if (req.method === 'DELETE' && path === '/messages') {
        inbox.length = 0;
        res.writeHead(204).end();
      } else if (req.method === 'GET' && path === '/') {
        const rows = [...inbox].reverse().map((m) => `<article><h2>${escape(m.subject)}</h2><p>${escape(m.receivedAt)} · to ${escape(m.to.join(', '))}</p><pre>${escape(m.text)}</pre></article>`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><meta charset="utf-8"><title>Mail caught (${inbox.length})</title><h1>Mail caught by the dev SMTP catcher (${inbox.length})</h1>${rows.join('<hr>') || '<p>Nothing yet.</p>'}`);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found', message: 'GET /messages, DELETE /messages or GET /' }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(options.httpPort, host, () => resolve());
    });
    httpUrl = `http://${host}:${(http.address() as AddressInfo).port}`;
  }

  return {
    smtpUrl: `smtp://${host}:${smtpPort}`,
    httpUrl,
    messages: () => [...inbox],
    clear: () => void (inbox.length = 0),
    waitFor(match, timeoutMs = 10_000) {
      const have = inbox.find(match);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (m: CaughtMail) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${inbox.length} caught)`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      if (http) await new Promise<void>((resolve) => http!.close(() => resolve()));
    },
  };
}
