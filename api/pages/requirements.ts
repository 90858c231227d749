// The Roster requirements page, generated from the rule registry (roster/rules.ts): the one
// source of truth the sync validates with, so this page cannot drift from what is checked.
import { COLLECTIONS, type Collection } from '../../oneroster/types.js';
import { GUARD_RULES, RECORD_RULES, WARNING_RULES, type Check, type RecordRule, type Rule } from '../../roster/rules.js';
import { html, severityBadge, type Html } from './components.js';

export const REQUIREMENTS_PATH = '/requirements';
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const ruleAnchor = (ruleId: string) => `${REQUIREMENTS_PATH}#rule-${ruleId}`;

const ENTITY: Record<Collection, { title: string; what: string }> = {
  orgs: { title: 'Orgs (district and schools)', what: 'The district and its schools. Classes, courses and users point at them.' },
  academicSessions: { title: 'Academic sessions', what: 'The school year and its terms, semesters and grading periods. The current term decides which classes a schedule shows.' },
  courses: { title: 'Courses', what: 'What is taught, e.g. "Algebra I". Every class belongs to a course.' },
  classes: { title: 'Classes (sections)', what: 'A section of a course in a school, in one or more terms, with periods and a room.' },
  users: { title: 'Users', what: 'Staff and students. Guardians and parents are fetched but never synced.' },
  enrollments: { title: 'Enrollments', what: 'Who is in which class, and as what (teacher, student, aide).' },
};

function describeCheck(c: Check): string {
  switch (c.t) {
    case 'required': return 'must be present and not blank';
    case 'string': return 'text';
    case 'enum': return `one of: ${c.values.join(', ')}`;
    case 'date': return 'a date, YYYY-MM-DD';
    case 'datetime': return 'an ISO 8601 date-time';
    case 'year': return 'a 4-digit year';
    case 'flag': return '"true" or "false"';
    case 'strings': return 'a list of text values';
    case 'refShape': return c.many ? 'a list of references {sourcedId, type}' : 'a reference {sourcedId, type}';
    case 'dateOrder': return `${c.start} on or before ${c.end}`;
    case 'unique': return 'unique across the collection';
    case 'ref': return `must point at ${c.many ? 'records' : 'a record'} in ${c.target}`;
    case 'cascade': return `held back when the ${c.target} it points at is quarantined`;
    case 'skipWhen': return `records with ${c.values.join(', ')} are not synced`;
    case 'maxLength': return `at most ${c.max} characters`;
    case 'absent': return 'storable text (no NUL characters or broken unicode)';
  }
}

interface FieldSummary {
  field: string;
  required: boolean;
  accepted: string[];
  rules: RecordRule[];
}

/** Per entity, per field: required or optional, and what values are accepted. */
export function fieldSummaries(entity: Collection): FieldSummary[] {
  const byField = new Map<string, FieldSummary>();
  for (const r of RECORD_RULES) {
    if (r.entity !== entity) continue;
    const f = byField.get(r.field) ?? { field: r.field, required: false, accepted: [], rules: [] };
    f.rules.push(r);
    if (r.check.t === 'required') f.required = true;
    else if (r.check.t !== 'cascade' && r.check.t !== 'unique' && r.check.t !== 'skipWhen') f.accepted.push(describeCheck(r.check));
    byField.set(r.field, f);
  }
  return [...byField.values()];
}

function ruleEntry(r: Rule): Html {
  const check = 'check' in r ? describeCheck(r.check) : null;
  const effect =
    r.severity === 'error'
      ? 'The record is quarantined (not synced), and so is everything that depends on it.'
      : r.severity === 'warning'
        ? 'The record is synced, and the warning is shown in the review and run reports.'
        : r.severity === 'skip'
          ? 'The record is fetched and counted but deliberately not synced.'
          : 'The whole nightly sync is held, and yesterday’s roster stays in place until Gradient Support approves or discards it.';
  return html`<div class="rule" id="rule-${r.id}">
<div class="row"><h4 style="margin:0"><code>${r.id}</code></h4>${severityBadge(r.severity)}${r.field ? html`<span class="muted small">field <code>${r.field}</code></span>` : ''}</div>
<p><strong>${cap(r.message)}.</strong>${check ? html` <span class="muted">Check: ${check}.</span>` : ''}<br>${effect}</p>
<p><span class="label" style="display:inline">How to fix:</span> ${r.fix}.</p>
</div>`;
}

export function requirementsBody(): Html {
  const entitySection = (e: Collection) => {
    const fields = fieldSummaries(e);
    const rules = RECORD_RULES.filter((r) => r.entity === e);
    const warnings = WARNING_RULES.filter((r) => r.entity === e);
    return html`<section class="card" aria-labelledby="entity-${e}-h" id="entity-${e}">
<h2 id="entity-${e}-h">${ENTITY[e].title} <span class="muted small">(<code>${e}</code>)</span></h2>
<p>${ENTITY[e].what}</p>
<div class="table-wrap"><table><caption>Fields Gradient reads from ${e}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Required?</th><th scope="col">Accepted values</th></tr></thead>
<tbody>${fields.map((f) => html`<tr><td><code>${f.field}</code></td><td>${f.required ? html`<strong>Required</strong>` : 'Optional'}</td><td>${f.accepted.length ? [...new Set(f.accepted)].join('; ') : 'any'}</td></tr>`)}</tbody></table></div>
<details><summary>The ${rules.length + warnings.length} rules checked on ${e}, what each means and how to fix it</summary>
${rules.map(ruleEntry)}${warnings.map(ruleEntry)}</details>
</section>`;
  };
  return html`<h1>Roster requirements</h1>
<p>What Gradient needs from a district’s ClassLink (OneRoster 1.1) feed. This page is generated from the very rules the sync runs, so it always says exactly what is checked. Every issue in a review report links to its rule here.</p>
<div class="alert info"><p><strong>Severities.</strong> ${severityBadge('error')} the record is quarantined with what depends on it; ${severityBadge('warning')} synced but reported; ${severityBadge('skip')} fetched, never synced; ${severityBadge('hold')} the whole run waits for Gradient Support.</p></div>
<nav aria-label="Entities" class="toc card"><h2 class="small">On this page</h2><ul>${COLLECTIONS.map((e) => html`<li><a href="#entity-${e}">${ENTITY[e].title}</a></li>`)}<li><a href="#feed">Whole-feed checks</a></li></ul></nav>
${COLLECTIONS.map(entitySection)}
<section class="card" aria-labelledby="feed-h" id="feed"><h2 id="feed-h">Whole-feed checks</h2>
<p>Checks on the feed as a whole, which protect against a broken export wiping out accounts or classes.</p>
${GUARD_RULES.map(ruleEntry)}</section>`;
}
