/* baseops console: progressive enhancement only. Pages work without it, and
 * each feature quietly skips when its elements are absent. */
(function () {
  'use strict';
  var doc = document, root = doc.documentElement;
  function $(sel) { return doc.querySelector(sel); }
  function attr(el, name, value) { el.setAttribute(name, value); }
  root.classList.add('js');

  /* Theme. CSS follows the system by itself; data-theme only forces one. */
  var MODES = ['system', 'dark', 'light'], KEY = 'baseops-theme', theme, toggle = $('#theme-toggle');
  try { theme = localStorage.getItem(KEY); } catch (e) { /* storage blocked */ }
  if (MODES.indexOf(theme) < 0) theme = 'system';
  function next() { return MODES[(MODES.indexOf(theme) + 1) % 3]; }
  function applyTheme() {
    if (theme === 'system') delete root.dataset.theme; else root.dataset.theme = theme;
    if (!toggle) return;
    toggle.textContent = 'Theme: ' + theme;
    attr(toggle, 'aria-label', 'Theme: ' + theme + ', switch to ' + next()); // starts with the visible text
  }
  applyTheme();
  if (toggle) toggle.addEventListener('click', function () {
    theme = next();
    try { if (theme === 'system') localStorage.removeItem(KEY); else localStorage.setItem(KEY, theme); } catch (e) { /* this page only */ }
    applyTheme();
  });

  /* htmx requests send the CSRF token as a header; plain forms carry the hidden input. */
  var csrf = $('meta[name="csrf-token"]');
  if (csrf) (doc.body || doc).addEventListener('htmx:configRequest', function (e) {
    e.detail.headers['X-CSRF-Token'] = csrf.content;
  });

  /* Delegated on document so forms swapped in by htmx behave the same. */
  doc.addEventListener('change', function (e) {
    var f = e.target.matches('form.org-switch select') && e.target.form;
    if (f) { if (f.requestSubmit) f.requestSubmit(); else f.submit(); }
  });
  // Capture phase: a refusal must also stop htmx's submit listener on the form.
  doc.addEventListener('submit', function (e) {
    var msg = e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  /* Command palette: the input is a combobox driving a listbox of links. */
  var dlg = $('#palette'), input = $('#palette-input'), list = $('#palette-results');
  var palette = !!(dlg && input && list && dlg.showModal), status = doc.createElement('p');
  var pages, items = [], remote = [], active = -1, timer, ctl;
  try { pages = JSON.parse($('#palette-pages').textContent); } catch (e) { /* absent or invalid */ }
  if (!Array.isArray(pages)) pages = [];

  // 0 prefix, 1 word start, 2 substring, 3 subsequence, -1 no match.
  function rank(title, q) {
    var t = String(title).toLowerCase(), i = t.indexOf(q), j = 0, k;
    if (i === 0) return 0;
    for (k = i; k > 0; k = t.indexOf(q, k + 1)) if (/[^\p{L}\p{N}]/u.test(t[k - 1])) return 1;
    if (i > 0) return 2;
    for (k = 0; k < t.length && j < q.length; k++) if (t[k] === q[j]) j++;
    return j === q.length ? 3 : -1;
  }
  // Result URLs are data: only same-origin links get rendered (no javascript:).
  function sameOrigin(u) {
    try { return new URL(u, location.href).origin === location.origin; } catch (e) { return false; }
  }
  function select(i) {
    var opts = list.querySelectorAll('[role="option"]');
    active = i;
    opts.forEach(function (o, n) { attr(o, 'aria-selected', n === i); });
    if (opts[i]) { attr(input, 'aria-activedescendant', opts[i].id); opts[i].scrollIntoView({ block: 'nearest' }); }
    else input.removeAttribute('aria-activedescendant');
  }
  function render(keep) {
    var q = input.value.trim().toLowerCase(), found = [];
    pages.forEach(function (p, n) {
      var r = q ? rank(p.title, q) : 0;
      if (r >= 0) found.push({ r: r, n: n, title: p.title, url: p.url, meta: p.section });
    });
    found.sort(function (a, b) { return a.r - b.r || a.n - b.n; });
    items = found.slice(0, 20).concat(remote).filter(function (it) { return it.title && sameOrigin(it.url); });
    list.textContent = '';
    items.forEach(function (it, i) {
      var li = doc.createElement('li'), a = doc.createElement('a');
      attr(li, 'role', 'none');
      attr(a, 'role', 'option');
      a.id = 'palette-opt-' + i; a.href = it.url; a.tabIndex = -1;
      [['title', it.title], ['meta', it.meta], ['sub', it.sub]].forEach(function (part) {
        if (!part[1]) return;
        var s = doc.createElement('span');
        s.className = 'palette-' + part[0];
        s.textContent = part[1];
        a.append(s, ' '); // the space separates the parts in the accessible name
      });
      li.append(a);
      list.append(li);
    });
    list.hidden = !items.length; // an empty listbox is an ARIA error
    attr(input, 'aria-expanded', items.length > 0);
    status.textContent = items.length || !q ? '' : 'No matches';
    select(keep && active < items.length ? Math.max(active, 0) : items.length ? 0 : -1);
  }
  function search(q) {
    clearTimeout(timer);
    if (ctl) ctl.abort();
    remote = q.length < 2 ? [] : remote; // older results stay until new ones arrive
    var url = dlg.getAttribute('data-search-url');
    if (!url || q.length < 2) return;
    timer = setTimeout(function () {
      var mine = ctl = new AbortController();
      fetch(url + '?q=' + encodeURIComponent(q), {
        headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: mine.signal
      }).then(function (r) { if (!r.ok) throw r.status; return r.json(); })
        .then(function (d) {
          if (mine.signal.aborted) return; // a newer query won the race
          remote = (d && Array.isArray(d.results) ? d.results : []).map(function (x) {
            return { title: x.title, url: x.url, meta: x.kind, sub: x.subtitle };
          });
          render(true);
        })
        .catch(function () { /* aborted or failed: page matches still stand */ });
    }, 120);
  }
  function openPalette() {
    if (!dlg.open) { dlg.showModal(); input.value = ''; search(''); render(); }
    input.focus();
  }

  if (palette) {
    status.className = 'palette-status';
    attr(status, 'role', 'status');
    list.after(status);
    attr(list, 'role', 'listbox');
    attr(input, 'role', 'combobox');
    attr(input, 'aria-controls', list.id);
    attr(input, 'aria-autocomplete', 'list');
    render();
    input.addEventListener('input', function () { search(input.value.trim()); render(); });
    input.addEventListener('keydown', function (e) {
      var n = items.length, down = e.key === 'ArrowDown';
      if ((down || e.key === 'ArrowUp') && n) {
        e.preventDefault();
        select(down ? (active + 1) % n : (active <= 0 ? n : active) - 1);
      } else if (e.key === 'Enter' && !e.isComposing) {
        e.preventDefault();
        if (items[active]) list.querySelectorAll('[role="option"]')[active].click();
      } else if (e.key === 'Escape') {
        e.preventDefault(); // a search input would otherwise only clear itself
        dlg.close();
      }
    });
    dlg.addEventListener('close', function () { search(''); });
    var openBtn = $('#palette-open');
    if (openBtn) openBtn.addEventListener('click', openPalette);
  }

  /* Shortcuts. Single keys never fire while the user types in a field. */
  var gAt = 0;
  doc.addEventListener('keydown', function (e) {
    var t = e.target, k = e.key, el;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (k === 'k' || k === 'K')) {
      if (palette) { e.preventDefault(); openPalette(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    if (k === '/' && (el = $('main input[type="search"]'))) {
      e.preventDefault(); // otherwise the "/" lands in the field
      el.focus();
    } else if (k === 'g') {
      gAt = Date.now();
    } else if (k === 'h' && Date.now() - gAt < 1500) {
      location.href = '/admin';
    } else if (k === '?' && (el = $('dialog#shortcuts')) && el.showModal) {
      if (el.open) el.close(); else el.showModal();
    }
  });
})();
