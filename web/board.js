// The live presence board (served by the admin listener, src/admin/http/admin-server.ts).
// Token login (kept in sessionStorage: this tab only), every presentity as a card with its
// state badge and watchers, a live feed read from /api/events (Server-Sent Events over fetch,
// so the token stays in the Authorization header), and two uPlot charts fed by its `stats`
// events. All text goes through textContent: nothing from the server is parsed as HTML.
'use strict';
(() => {
  const KEY = 'comsipl-admin-token';
  const POINTS = 120; // two minutes of one-second samples
  const FEED_MAX = 200;
  const $ = (sel) => document.querySelector(sel);
  let token = sessionStorage.getItem(KEY);
  let feedAbort = null;
  let charts = null;
  const series = { t: [], rate: [], p50: [], p99: [] };
  const watcherReloads = new Map();
  let summaryHead = '';

  class Unauthorized extends Error {}

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (res.status === 401) throw new Unauthorized('the server refused this token');
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }

  function el(tag, attrs = {}, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- login -------------------------------------------------------------------------------

  function showLogin(message) {
    stopFeed();
    token = null;
    sessionStorage.removeItem(KEY);
    $('#board').hidden = true;
    $('#logout').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = message || '';
    setLink('off', 'offline');
  }

  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    token = $('#token').value.trim();
    try {
      await api('/api/status');
      sessionStorage.setItem(KEY, token);
      $('#token').value = '';
      openBoard();
    } catch (e) {
      showLogin(e instanceof Unauthorized ? 'That token is not this server\'s.' : `Cannot reach the server: ${e.message}`);
    }
  });
  $('#logout').addEventListener('click', () => showLogin(''));

  async function openBoard() {
    $('#login').hidden = true;
    $('#board').hidden = false;
    $('#logout').hidden = false;
    initCharts();
    try {
      await Promise.all([loadStatus(), loadPresentities()]);
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin(e.message);
    }
    startFeed();
  }

  function setLink(state, text) {
    $('#link').dataset.state = state;
    $('#link').textContent = text;
  }

  // ---- status and cards --------------------------------------------------------------------

  async function loadStatus() {
    const s = await api('/api/status');
    const sip = s.sip.map((l) => `${l.transport} ${l.host}:${l.port}`).join(', ');
    summaryHead = `${s.version} · SIP ${sip} · auth ${s.auth} · ${s.users} user${s.users === 1 ? '' : 's'}`;
    showCounts(s.counts);
  }

  function showCounts(c) {
    $('#summary').textContent = `${summaryHead} · ${c.registrations} registered · ${c.presentities} presentities · ${c.subscriptions} subscriptions`;
  }

  async function loadPresentities() {
    const seen = new Set();
    let cursor = null;
    // Bounded: a board of more than 5000 cards is not readable anyway.
    for (let page = 0; page < 5; page++) {
      const q = `/api/presentities?limit=1000&watchers=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api(q);
      for (const p of res.items) {
        seen.add(p.aor);
        renderCard(p);
        renderWatchers(p.aor, p.watcherList);
      }
      if (!res.next) break;
      cursor = res.next;
    }
    for (const card of document.querySelectorAll('.card')) if (!seen.has(card.dataset.aor)) card.remove();
    countCards();
  }

  function cardOf(aor) {
    for (const c of document.querySelectorAll('.card')) if (c.dataset.aor === aor) return c;
    return null;
  }

  function renderCard(p) {
    let card = cardOf(p.aor);
    if (card === null) {
      card = el('article', { class: 'card', 'data-aor': p.aor });
      card.append(el('h3', {}, p.aor), el('span', { class: 'badge' }), el('p', { class: 'note' }), el('ul', { class: 'watchers' }));
      const cards = [...document.querySelectorAll('.card')];
      const before = cards.find((c) => c.dataset.aor > p.aor);
      $('#cards').insertBefore(card, before || null);
      countCards();
    }
    card.dataset.state = p.state;
    const badge = card.querySelector('.badge');
    badge.dataset.state = p.state;
    badge.textContent = p.state.replace(/-/g, ' ');
    const note = card.querySelector('.note');
    note.textContent = p.note || '';
    note.hidden = !p.note;
    return card;
  }

  function renderWatchers(aor, list) {
    const card = cardOf(aor);
    if (card === null || !list) return;
    const ul = card.querySelector('.watchers');
    ul.replaceChildren(...list.map((w) => el('li', { 'data-state': w.state }, `${w.watcher} · ${w.event === 'presence' ? '' : `${w.event} · `}${w.state}`)));
  }

  function reloadWatchers(aor) {
    // Coalesced: a burst of subscriptions for one presentity is one request.
    if (watcherReloads.has(aor)) return;
    watcherReloads.set(aor, setTimeout(async () => {
      watcherReloads.delete(aor);
      try {
        const res = await api(`/api/presentities/${encodeURIComponent(aor)}/watchers?limit=20`);
        if (cardOf(aor) === null && res.total > 0) renderCard(await api(`/api/presentities/${encodeURIComponent(aor)}`));
        renderWatchers(aor, res.items);
      } catch { /* the next event or reload catches up */ }
    }, 200));
  }

  let lastResync = 0;
  let resyncTimer = null;
  function resync() {
    if (resyncTimer !== null) return;
    const wait = Math.max(0, lastResync + 5000 - Date.now());
    resyncTimer = setTimeout(() => {
      resyncTimer = null;
      lastResync = Date.now();
      loadPresentities().catch(() => {});
    }, wait);
  }

  function countCards() {
    $('#presentity-count').textContent = `(${document.querySelectorAll('.card').length})`;
  }

  // ---- live feed ---------------------------------------------------------------------------

  function feedLine(text) {
    const li = el('li');
    li.append(el('time', {}, new Date().toLocaleTimeString()), document.createTextNode(text));
    const list = $('#feed');
    list.prepend(li);
    while (list.children.length > FEED_MAX) list.lastElementChild.remove();
  }

  function onEvent(name, data) {
    switch (name) {
      case 'presence':
        renderCard({ aor: data.aor, state: data.state, note: data.note });
        feedLine(`${data.aor} is ${data.state.replace(/-/g, ' ')}${data.note ? ` ("${data.note}")` : ''}`);
        break;
      case 'watcher':
        reloadWatchers(data.presentity);
        feedLine(`${data.watcher} ${data.state === 'gone' ? 'stopped watching' : `watches (${data.state})`} ${data.presentity}${data.event === 'presence' ? '' : ` [${data.event}]`}`);
        break;
      case 'registration':
        feedLine(`${data.aor} ${data.bindings === 0 ? 'unregistered' : `registered (${data.bindings} binding${data.bindings === 1 ? '' : 's'})`}`);
        break;
      case 'rules':
        feedLine('watcher rules reloaded');
        loadPresentities().catch(() => {});
        break;
      case 'resync':
        // A storm of changes (e.g. thousands of phones registering): one line, one bounded reload.
        feedLine(`${data.changes} changes`);
        resync();
        break;
      case 'stats':
        addSample(data);
        showCounts(data);
        break;
    }
  }

  function stopFeed() {
    if (feedAbort) feedAbort.abort();
    feedAbort = null;
  }

  async function startFeed() {
    stopFeed();
    const abort = new AbortController();
    feedAbort = abort;
    try {
      const res = await fetch('/api/events', { headers: { authorization: `Bearer ${token}` }, signal: abort.signal, cache: 'no-store' });
      if (res.status === 401) return showLogin('the server refused this token');
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setLink('live', 'live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let name = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') onEvent(name, JSON.parse(data));
        }
      }
    } catch (e) {
      if (abort.signal.aborted) return;
    }
    if (feedAbort !== abort) return;
    // Dropped (server restart, network): reconnect, and re-read what changed meanwhile.
    setLink('off', 'reconnecting');
    setTimeout(() => {
      if (feedAbort !== abort || token === null) return;
      Promise.all([loadStatus(), loadPresentities()]).catch(() => {}).finally(() => startFeed());
    }, 2000);
  }

  // ---- charts ------------------------------------------------------------------------------

  function initCharts() {
    if (charts !== null || typeof uPlot === 'undefined') return;
    const width = (id) => Math.max(300, $(id).clientWidth || 420);
    const axes = [{}, { size: 50 }];
    charts = {
      rate: new uPlot({ width: width('#chart-rate'), height: 160, axes, scales: { x: { time: true } },
        series: [{}, { label: 'req/s', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,.08)' }] }, [[], []], $('#chart-rate')),
      latency: new uPlot({ width: width('#chart-latency'), height: 160, axes, scales: { x: { time: true } },
        series: [{}, { label: 'p50', stroke: '#16a34a', width: 2 }, { label: 'p99', stroke: '#dc2626', width: 2 }] }, [[], [], []], $('#chart-latency')),
    };
    window.addEventListener('resize', () => {
      charts.rate.setSize({ width: width('#chart-rate'), height: 160 });
      charts.latency.setSize({ width: width('#chart-latency'), height: 160 });
    });
  }

  function addSample(s) {
    series.t.push(s.t / 1000);
    series.rate.push(s.rate);
    series.p50.push(s.p50Ms);
    series.p99.push(s.p99Ms);
    for (const k of Object.keys(series)) if (series[k].length > POINTS) series[k].shift();
    $('#charts').dataset.last = String(s.t); // when the newest sample came (server clock, ms)
    if (charts !== null) {
      charts.rate.setData([series.t, series.rate]);
      charts.latency.setData([series.t, series.p50, series.p99]);
    }
  }

  if (token) openBoard(); else showLogin('');
})();
