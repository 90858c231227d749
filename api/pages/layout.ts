// The frame of every admin page: skip link, top bar with the site navigation and who is signed in,
// breadcrumbs, an optional tab bar, and the main landmark.
import type { Principal } from '../auth.js';
import { csrf, html, type Html } from './components.js';

export const ASSET_VERSION = '2';

export interface Crumb {
  label: string;
  href?: string;
}

export interface Tab {
  label: string;
  href: string;
  current?: boolean;
}

export interface LayoutOptions {
  title: string;
  principal: Principal | null;
  /** Which top-level nav entry is current. */
  section?: 'districts' | 'admin-mode' | 'requirements';
  crumbs?: Crumb[];
  tabs?: Tab[];
  body: Html;
}

function topNav(p: Principal | null, section: LayoutOptions['section']): Html {
  const items: [string, string, LayoutOptions['section']][] = [];
  if (p?.kind === 'support') items.push(['Districts', '/admin', 'districts']);
  if (p?.kind === 'leader' && p.districtId) items.push(['Admin Mode', `/admin/districts/${p.districtId}/year`, 'admin-mode']);
  items.push(['Roster requirements', '/requirements', 'requirements']);
  return html`<nav aria-label="Main"><ul>${items.map(([label, href, s]) => html`<li><a href="${href}"${s === section ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>`;
}

function who(p: Principal | null): Html {
  if (!p) return html`<div class="who"><a href="/support/login">Support sign-in</a></div>`;
  const role = p.kind === 'support' ? 'Gradient Support' : p.kind === 'leader' ? (p.leaderTitle === 'roster_lead' ? 'Roster Lead' : 'System Admin') : p.kind;
  return html`<div class="who"><span><span class="skip">Signed in as </span>${p.name} <span aria-hidden="true">·</span> ${role}</span>
${p.session ? html`<form method="post" action="/logout">${csrf(p.session.csrfToken)}<button type="submit">Sign out</button></form>` : ''}</div>`;
}

export function layout(o: LayoutOptions): string {
  const crumbs = o.crumbs?.length
    ? html`<nav aria-label="Breadcrumb" class="crumbs">${o.crumbs.map((c, i) => html`${i ? html` <span aria-hidden="true">›</span> ` : ''}${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span aria-current="page">${c.label}</span>`}`)}</nav>`
    : '';
  const tabs = o.tabs?.length
    ? html`<nav aria-label="Sections" class="subnav"><ul>${o.tabs.map((t) => html`<li><a href="${t.href}"${t.current ? html` aria-current="page"` : ''}>${t.label}</a></li>`)}</ul></nav>`
    : '';
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} – Gradient ClassLink sync</title>
<link rel="stylesheet" href="/assets/app.css?v=${ASSET_VERSION}">
<script src="/assets/app.js?v=${ASSET_VERSION}" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar"><div class="inner"><a class="brand" href="/admin">Gradient · ClassLink sync</a>${topNav(o.principal, o.section)}${who(o.principal)}</div></header>
<main id="main" tabindex="-1">
${crumbs}
${tabs}
${o.body}
</main>
</body></html>`;
  return doc.value;
}

/** The Admin Mode tabs of a district, shared by support and the district's leaders. */
export function adminModeTabs(districtId: string, current: 'year' | 'terms' | 'spot-checks' | 'invites'): Tab[] {
  const base = `/admin/districts/${districtId}`;
  return [
    { label: 'Academic year', href: `${base}/year`, current: current === 'year' },
    { label: 'Terms', href: `${base}/terms`, current: current === 'terms' },
    { label: 'Spot checks', href: `${base}/spot-checks`, current: current === 'spot-checks' },
    { label: 'Login invites', href: `${base}/invites`, current: current === 'invites' },
  ];
}
