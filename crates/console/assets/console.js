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

  /* Usage, to the analytics API (only for those who may record events; the frame says where
   * with meta[name=baseops-track]): each page view, and what happened on the page before,
   * queued in sessionStorage, go in one request after the page has loaded. Paths only, ids
   * folded to {id}, never a query string (a search may hold a name). */
  var trackTo = $('meta[name="baseops-track"]'), QUEUE = 'baseops-track-queue';
  function pageOf(url) {
    try { url = new URL(url, location.href).pathname; } catch (e) { return ''; }
    return url.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/gi, '{id}').slice(0, 200);
  }
  function queued() {
    var q = [];
    try { q = JSON.parse(sessionStorage.getItem(QUEUE) || '[]'); } catch (e) { /* storage blocked */ }
    return Array.isArray(q) ? q : [];
  }
  function track(name, properties) {
    if (!trackTo) return;
    var q = queued().slice(-50);
    q.push({ name: name, properties: properties, occurred_at: new Date().toISOString() });
    try { sessionStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* dropped */ }
  }
  if (trackTo && csrf && window.fetch) window.addEventListener('load', function () {
    setTimeout(function () { // loadEventEnd is set once the load handlers have run
      var nav = performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
      track('console.page_viewed', { page: pageOf(location.href), ms: nav ? Math.round(nav.duration) : 0 });
      var events = queued().slice(-100);
      try { sessionStorage.removeItem(QUEUE); } catch (e) { /* sent again next time: harmless */ }
      fetch(trackTo.content, {
        method: 'POST', credentials: 'same-origin', keepalive: true,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf.content },
        body: JSON.stringify({ events: events })
      }).catch(function () { /* usage figures are best effort */ });
    }, 0);
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
    list.addEventListener('click', function (e) {
      var option = e.target.closest('[role="option"]'), link = option && (option.href ? option : option.querySelector('a'));
      if (link) track('console.palette_opened', { target: pageOf(link.href), remote: input.value.trim().length >= 2 });
    });
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

/* ---- notifications bell ---- */
// The count arrives first on the notifications stream (SSE), then grows with each new one;
// without JavaScript the bell is a plain link to the list.
(function () {
  'use strict';
  var bell = document.getElementById('bell');
  if (!bell || !window.EventSource) return;
  var count = document.getElementById('bell-count'), live = document.getElementById('bell-live');
  var unread = 0, source;
  function show(n) {
    unread = Math.max(0, n | 0);
    count.textContent = String(unread);
    count.hidden = unread === 0;
    bell.setAttribute('aria-label', unread ? 'Notifications, ' + unread + ' unread' : 'Notifications');
  }
  function parse(data) { try { return JSON.parse(data); } catch (_) { return null; } }
  function resync() {
    fetch('/api/v1/notifications/unread-count', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) show(body.unread); })
      .catch(function () {});
  }
  source = new EventSource(bell.getAttribute('data-stream'));
  source.addEventListener('unread', function (e) { var body = parse(e.data); if (body) show(body.unread); });
  source.addEventListener('notification', function (e) {
    var body = parse(e.data);
    show(unread + 1);
    if (body && live) live.textContent = 'New notification: ' + body.title;
  });
  source.addEventListener('resync', resync);
  // A closed session or a server going away: stop quietly rather than retry forever.
  source.onerror = function () { if (source.readyState === 2) source.close(); };
  window.addEventListener('pagehide', function () { source.close(); });
})();

/* ---- boards ---- */
/* Boards (leads pipeline, tasks): cards move between columns by drag and drop or by
 * keyboard (Space picks a card up, arrows choose a column, Space/Enter drops, Esc
 * cancels). A drop posts the card's own Move form with fetch and X-Requested-With:
 * fetch; the server answers the card and the column heads (200) or a one-line refusal
 * (403/409/422). Without this script the Move forms post and the page reloads. */
(function () {
  'use strict';
  var doc = document, board = doc.querySelector('.board[data-field]');
  if (!board || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
  var field = board.getAttribute('data-field'), reasonField = board.getAttribute('data-reason-field');
  var alerts = doc.getElementById('board-messages'), live = doc.getElementById('board-status');
  var dialog = doc.getElementById('board-reason'), dragged = null, held = null, heldAt = -1, pending = null;

  function columns() { return Array.prototype.slice.call(board.querySelectorAll('.board-column')); }
  function allowed(card) { return (card.getAttribute('data-allowed') || '').split(' ').filter(Boolean); }
  function accepts(col, card) { return allowed(card).indexOf(col.getAttribute('data-stage')) >= 0; }
  function columnOf(card) { return card.closest('.board-column'); }
  function say(text) { if (live) live.textContent = text; }
  function fail(text) {
    if (!alerts) return;
    var p = doc.createElement('p');
    p.className = 'alert alert-error';
    p.textContent = text;
    alerts.textContent = '';
    alerts.append(p);
  }
  function over(col) {
    columns().forEach(function (c) { c.classList.toggle('board-over', c === col); });
  }
  // Columns that take the card get .board-accepts; the others dim while it moves.
  function mark(card) {
    columns().forEach(function (c) { c.classList.toggle('board-accepts', !!card && accepts(c, card)); });
    board.classList.toggle('board-moving', !!card);
    if (!card) over(null);
  }
  function element(target) { return target && target.nodeType === 1 ? target : target && target.parentElement; }
  function movable(card) { return card.hasAttribute('data-allowed') && card.querySelector('form.board-move-form'); }

  board.querySelectorAll('.board-card[data-allowed]').forEach(function (card) { card.tabIndex = 0; });

  function place(html, col, card, keyboard) {
    var page = new DOMParser().parseFromString(html, 'text/html'), fresh = page.querySelector('.board-card');
    page.querySelectorAll('.board-column-head').forEach(function (head) {
      var old = doc.getElementById(head.id);
      if (old) old.replaceWith(doc.importNode(head, true));
    });
    if (!fresh) return;
    var node = doc.importNode(fresh, true), home = board.querySelector(
      '.board-column[data-stage="' + (window.CSS && CSS.escape ? CSS.escape(node.getAttribute('data-stage')) : node.getAttribute('data-stage')) + '"] .board-cards');
    card.remove();
    if (node.hasAttribute('data-allowed')) node.tabIndex = 0;
    if (home) {
      home.prepend(node);
      if (keyboard) node.focus();
    }
    say(node.getAttribute('data-name') + ' moved to ' + col.getAttribute('data-name') + '.');
  }

  function send(card, col, reason, keyboard) {
    var form = card.querySelector('form.board-move-form'), token = doc.querySelector('meta[name="csrf-token"]');
    if (!form) return;
    var data = new URLSearchParams(new FormData(form));
    data.set(field, col.getAttribute('data-stage'));
    if (reasonField) data.set(reasonField, reason || '');
    card.setAttribute('aria-busy', 'true');
    fetch(form.action, {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'X-CSRF-Token': token ? token.content : '', 'X-Requested-With': 'fetch', Accept: 'text/html' }
    }).then(function (r) {
      return r.text().then(function (html) { return { ok: r.ok, status: r.status, html: html }; });
    }).then(function (answer) {
      card.removeAttribute('aria-busy');
      if (answer.ok) { if (alerts) alerts.textContent = ''; place(answer.html, col, card, keyboard); return; }
      var page = new DOMParser().parseFromString(answer.html, 'text/html');
      var why = page.querySelector('.board-refusal') || page.querySelector('main p');
      fail(why ? why.textContent : 'The card was not moved (error ' + answer.status + ').');
      if (keyboard) card.focus();
    }).catch(function () {
      card.removeAttribute('aria-busy');
      fail('The card was not moved: the server could not be reached.');
    });
  }

  function drop(card, col, keyboard) {
    if (col === columnOf(card)) return;
    if (!accepts(col, card)) {
      fail(card.getAttribute('data-name') + ' cannot move to ' + col.getAttribute('data-name') + '.');
      return;
    }
    if (!col.hasAttribute('data-needs-reason')) { send(card, col, null, keyboard); return; }
    if (!dialog || !dialog.showModal) { fail('A lost stage needs a reason: use the card\'s Move form.'); return; }
    pending = { card: card, col: col, keyboard: keyboard };
    var input = dialog.querySelector('input');
    input.value = '';
    input.removeAttribute('aria-invalid');
    dialog.showModal();
    input.focus();
  }

  if (dialog) {
    dialog.addEventListener('submit', function (e) {
      e.preventDefault();
      var input = dialog.querySelector('input'), move = pending;
      if (!input.value.trim()) { input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
      pending = null;
      dialog.close();
      if (move) send(move.card, move.col, input.value.trim(), move.keyboard);
    });
    dialog.addEventListener('click', function (e) {
      if (element(e.target).closest('[data-close]')) dialog.close();
    });
    dialog.addEventListener('close', function () {
      if (pending) { say('Move cancelled.'); if (pending.keyboard) pending.card.focus(); }
      pending = null;
    });
  }

  board.addEventListener('dragstart', function (e) {
    var card = element(e.target).closest('.board-card[draggable="true"]');
    if (!card || !movable(card)) return;
    dragged = card;
    card.classList.add('board-card-dragging');
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', card.getAttribute('data-name')); // Firefox drags nothing without data
    mark(card);
  });
  board.addEventListener('dragend', function () {
    if (dragged) dragged.classList.remove('board-card-dragging');
    dragged = null;
    mark(null);
  });
  board.addEventListener('dragover', function (e) {
    var col = dragged && element(e.target).closest('.board-column');
    if (col && accepts(col, dragged)) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; over(col); }
    else over(null);
  });
  board.addEventListener('drop', function (e) {
    var col = dragged && element(e.target).closest('.board-column'), card = dragged;
    if (!col) return;
    e.preventDefault();
    mark(null);
    drop(card, col, false);
  });

  function release() {
    if (held) held.classList.remove('board-card-held');
    held = null;
    heldAt = -1;
    mark(null);
  }
  board.addEventListener('keydown', function (e) {
    var card = e.target, cols = columns(), step, i;
    if (!card.classList || !card.classList.contains('board-card') || !movable(card)) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (held !== card) {
      if (e.key !== ' ') return;
      e.preventDefault(); // Space would scroll the page
      release();
      held = card;
      heldAt = cols.indexOf(columnOf(card));
      card.classList.add('board-card-held');
      mark(card);
      say('Picked up ' + card.getAttribute('data-name') + '. Use the left and right arrows to choose a stage, ' +
        'Space or Enter to drop, Escape to cancel.');
      return;
    }
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : -1;
      for (i = heldAt + step; i >= 0 && i < cols.length; i += step) {
        if (accepts(cols[i], card)) { heldAt = i; break; }
      }
      over(cols[heldAt] === columnOf(card) ? null : cols[heldAt]);
      say(cols[heldAt] === columnOf(card) ? 'Where it is.' : 'Move to ' + cols[heldAt].getAttribute('data-name') + '.');
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      var target = cols[heldAt];
      release();
      if (target && target !== columnOf(card)) drop(card, target, true); else say('Left where it was.');
    } else if (e.key === 'Escape') {
      e.preventDefault();
      release();
      say('Move cancelled.');
    }
  });
  board.addEventListener('focusout', function (e) { if (held && e.target === held) release(); });
})();
