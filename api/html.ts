// Server-rendered pages for people (sign-in, refusals, /me): tiny, escaped, no client script.
// They share the admin pages' stylesheet (api/pages/static/app.css).
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
<link rel="stylesheet" href="/assets/app.css">
</head><body>
<header class="topbar"><div class="inner"><span class="brand">Gradient</span></div></header>
<main id="main" class="narrow"><div class="card">
${body.value}
</div></main>
</body></html>`;
}

/** A hidden CSRF field for a form posted with the session cookie. */
export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;
