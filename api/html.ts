// Server-rendered pages for people (sign-in, refusals, /me): tiny, escaped, no client script.
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tagged template that escapes every interpolated value unless it is already Html. */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

type Part = string | number | null | undefined | Html | Html[];

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => {
    const text = p instanceof Html ? p.value : Array.isArray(p) ? p.map((x) => x.value).join('') : p == null ? '' : escapeHtml(String(p));
    out += text + strings[i + 1]!;
  });
  return new Html(out);
}

export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Gradient</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
.error{color:#8a1c1c}label{display:block;margin:.5rem 0}input{font:inherit;padding:.3rem;width:100%;max-width:24rem}
button{font:inherit;padding:.4rem 1rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body>
${body.value}
</body></html>`;
}

/** A hidden CSRF field for a form posted with the session cookie. */
export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;
