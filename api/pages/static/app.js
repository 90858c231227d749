// Progressive enhancement for the admin pages. Every page works without this file: forms post
// normally and the server renders the result. With it: running runs show live progress (polling
// the same JSON API automation uses), staff lists filter as you type, and a school's staff can be
// selected at once.
(function () {
  'use strict';

  // Same arithmetic as api/pages/components.ts progressOf(); keep the two in step.
  function progressOf(status, p) {
    p = p || {};
    if (status !== 'running') return { pct: 100, label: status === 'held' ? 'held: waiting for a decision' : status };
    var phase = p.phase || 'starting';
    if (phase === 'fetch') {
      var n = p.collections || 6;
      var i = Math.max(1, p.collectionIndex || 1);
      var part = p.pagesTotal ? Math.min(1, (p.pagesDone || 0) / p.pagesTotal) : 0.5;
      var pct = Math.round(2 + ((i - 1 + part) / n) * 78);
      var pages = p.pagesTotal ? ', page ' + (p.pagesDone || 0) + ' of ' + p.pagesTotal : '';
      return { pct: pct, label: 'fetching ' + (p.collection || '') + ' (' + i + '/' + n + pages + ')' };
    }
    var fixed = { starting: [2, 'starting'], validate: [82, 'validating'], warnings: [86, 'checking warnings'], plan: [88, 'planning changes'], apply: [92, 'applying'], done: [100, 'done'] };
    var f = fixed[phase] || [50, phase];
    return { pct: f[0], label: f[1] };
  }

  var dirty = false;
  // Reload without the one-time "done" notice of the action that led here.
  function reload() {
    var url = new URL(window.location.href);
    url.searchParams.delete('done');
    // To the very same address with a #fragment, replace() only scrolls: the page would never
    // load again (and "its verdict is on its way" would stay forever).
    if (url.hash && url.href === window.location.href) return window.location.reload();
    window.location.replace(url.toString());
  }
  document.addEventListener('input', function (e) {
    if (e.target && e.target.closest && e.target.closest('form[method="post"]')) dirty = true;
  });

  function poll(el) {
    var url = el.getAttribute('data-run-poll');
    var bar = el.querySelector('progress');
    var label = el.querySelector('.progress-label');
    function tick() {
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (run) {
          if (!run) return setTimeout(tick, 5000);
          var pr = progressOf(run.status, run.progress);
          bar.value = pr.pct;
          bar.textContent = pr.pct + '%';
          label.textContent = pr.pct + '% · ' + pr.label;
          if (run.status === 'running') return setTimeout(tick, 1000);
          // Finished: show the outcome. Reload for the full report unless someone is typing.
          if (!dirty) return reload();
          var done = document.createElement('a');
          done.href = window.location.href;
          done.textContent = 'Run ' + run.status + ': reload to see it';
          label.replaceWith(done);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1000);
  }
  document.querySelectorAll('[data-run-poll]').forEach(poll);
  document.querySelectorAll('[data-reload-after]').forEach(function (el) {
    setTimeout(function () { if (!dirty) reload(); }, Number(el.getAttribute('data-reload-after')) || 2000);
  });

  // Confirm before destructive actions.
  document.addEventListener('submit', function (e) {
    var msg = e.submitter && e.submitter.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Staff picker: filter as you type, select all in a school, live count.
  var picker = document.querySelector('[data-staff-picker]');
  if (picker) {
    var filter = document.querySelector('[data-filter]');
    var count = picker.querySelector('[data-selected-count]');
    var boxes = function () { return picker.querySelectorAll('input[name="userSourcedIds"]'); };
    var update = function () {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) n++; });
      if (count) count.textContent = n + ' selected';
      picker.querySelectorAll('fieldset.school').forEach(function (fs) {
        var all = fs.querySelector('[data-selectall]');
        if (!all) return;
        var visible = Array.prototype.filter.call(fs.querySelectorAll('input[name="userSourcedIds"]'), function (b) { return !b.closest('li').hidden; });
        var on = visible.filter(function (b) { return b.checked; }).length;
        all.checked = visible.length > 0 && on === visible.length;
        all.indeterminate = on > 0 && on < visible.length;
      });
    };
    picker.querySelectorAll('[data-selectall]').forEach(function (all) {
      all.hidden = false;
      all.closest('label').hidden = false;
      all.addEventListener('change', function () {
        all.closest('fieldset').querySelectorAll('input[name="userSourcedIds"]').forEach(function (b) {
          if (!b.closest('li').hidden) b.checked = all.checked;
        });
        update();
      });
    });
    picker.addEventListener('change', update);
    if (filter) {
      filter.addEventListener('input', function () {
        var q = filter.value.trim().toLowerCase();
        picker.querySelectorAll('.people li').forEach(function (li) {
          li.hidden = q !== '' && li.getAttribute('data-search').indexOf(q) === -1;
        });
        picker.querySelectorAll('fieldset.school').forEach(function (fs) {
          fs.hidden = fs.querySelectorAll('.people li:not([hidden])').length === 0;
        });
        update();
      });
    }
    update();
  }
})();
