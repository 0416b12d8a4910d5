// Hearth dashboard: one EventSource for the live fleet view (server-side aggregates only), plain
// fetches for drill-downs and operator actions. No framework, no network access beyond this server.
'use strict';

const TIERS = ['RESERVED', 'ON_DEMAND', 'FLEX', 'DONATED'];
const KINDS = ['RADIATOR', 'BOILER', 'DATACENTER'];
const $ = (id) => document.getElementById(id);
const state = { summary: null, history: [], siteNames: [], siteCodes: [], failures: [], bytes: [], layout: null };

// ------------------------------------------------------------------ formatting

const kw = (w) => (w == null ? '–' : (w / 1000).toFixed(w >= 100000 ? 0 : 1) + ' kW');
const pct = (f) => (f == null ? '–' : Math.round(f * 100) + ' %');
const num = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));
const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const time = (ms) => new Date(ms).toLocaleTimeString('en-GB');
const link = (kind, id) => `<a href="#" class="id" data-${kind}="${esc(id)}">${esc(id)}</a>`;

// ------------------------------------------------------------------ operator identity

(function initOperator() {
  const q = new URLSearchParams(location.search).get('operator');
  const saved = window.localStorage ? localStorage.getItem('hearth.operator') : null;
  $('operator').value = q || saved || '';
  $('operator').addEventListener('change', () => localStorage.setItem('hearth.operator', $('operator').value.trim()));
})();

async function act(method, path, body) {
  const op = $('operator').value.trim();
  const headers = { 'content-type': 'application/json' };
  if (op) headers['x-hearth-identity'] = 'operator/' + op;
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(json.error || ('HTTP ' + r.status));
  return json;
}

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(json.error || ('HTTP ' + r.status));
  return json;
}

// ------------------------------------------------------------------ live stream

function connect() {
  const es = new EventSource('/api/stream');
  const count = (e) => { state.bytes.push([Date.now(), e.data.length + 15]); };
  es.addEventListener('init', (e) => {
    state.bytes = [];
    loadNonprofits();
    const m = JSON.parse(e.data);
    state.history = m.h || [];
    state.failures = m.f || [];
    state.siteNames = m.g.names || [];
    state.siteCodes = m.g.all || [];
    if (m.s && m.s.at) render(m.s);
    drawChart(); drawSites(); renderFailures();
    live(true);
  });
  es.addEventListener('tick', (e) => {
    count(e);
    const m = JSON.parse(e.data);
    if (m.h) { state.history.push(m.h); if (state.history.length > 2160) state.history.shift(); drawChart(); }
    if (m.g) {
      if (m.g.names) { state.siteNames = m.g.names; state.siteCodes = m.g.all; }
      else if (m.g.c) for (let i = 0; i < m.g.c.length; i += 2) state.siteCodes[m.g.c[i]] = m.g.c[i + 1];
      drawSites();
    }
    if (m.f) { state.failures = m.f; renderFailures(); }
    render(m.s);
    live(true);
  });
  es.onerror = () => live(false);
}

function live(on) {
  $('live-dot').className = 'dot' + (on ? '' : ' off');
  $('live-text').textContent = on ? 'live' : 'reconnecting';
}

// ------------------------------------------------------------------ summary

function render(s) {
  state.summary = s;
  const n = s.nodes;
  $('kpi-ready').textContent = num(n.ready);
  $('kpi-nodes-sub').textContent = 'of ' + num(n.total) + ' nodes';
  $('kpi-draining').textContent = num(n.draining);
  $('kpi-lost').textContent = num(n.lost);
  $('kpi-wanted').textContent = kw(s.heat.wanted);
  $('kpi-delivered').textContent = kw(s.heat.delivered);
  $('kpi-draw').textContent = 'heater draw ' + kw(s.heat.heaterDraw);
  $('kpi-useful').textContent = pct(s.heat.useful);
  $('kpi-dc').textContent = pct(s.dcShare);
  const running = s.running.reduce((a, b) => a + b, 0);
  const cores = s.runningCores.reduce((a, b) => a + b, 0);
  $('kpi-running').textContent = num(running);
  $('kpi-cores').textContent = num(cores) + ' cores';
  $('kpi-queued').textContent = num(s.pending.reduce((a, b) => a + b, 0));
  $('kpi-season').textContent = s.season.label;
  $('kpi-season-sub').textContent = (s.season.outdoorC == null ? '' : s.season.outdoorC + ' °C outdoors · ')
    + 'radiators want ' + Math.round(s.season.ratio * 100) + ' %';

  $('kinds').tBodies[0].innerHTML = KINDS.map((k) => `<tr><td>${k}</td>${s.kinds[k].map((v) => `<td>${num(v)}</td>`).join('')}</tr>`).join('');
  $('classes').tBodies[0].innerHTML = KINDS.map((k) => `<tr><td>${k}</td>${s.classes[k].map((v) => `<td>${num(v)}</td>`).join('')}</tr>`).join('');
  const maxQ = Math.max(1, ...s.pending, ...s.running);
  $('tiers').tBodies[0].innerHTML = TIERS.map((t, i) => `<tr><td>${t}</td>`
    + `<td><span class="bar" style="width:${Math.round(60 * s.pending[i] / maxQ)}px"></span>${num(s.pending[i])}</td>`
    + `<td>${num(s.running[i])}</td><td>${num(s.runningCores[i])}</td></tr>`).join('');
  $('states').innerHTML = Object.entries(s.jobs).map(([k, v]) => `<span class="chip" id="jobs-${k}">${k.toLowerCase()} <b>${num(v)}</b></span>`).join('');
  $('don-hours').textContent = s.donatedCoreHours.toFixed(2);
  $('don-running').textContent = num(s.running[3]);
  $('don-queued').textContent = num(s.pending[3]);
  $('footer-at').textContent = 'fleet as of ' + time(s.at) + ' · ' + s.members + ' scheduler member' + (s.members === 1 ? '' : 's');
  const now = Date.now();
  state.bytes = state.bytes.filter(([t]) => now - t < 30000);
  if (state.bytes.length > 1) {
    // Updates only (the page's first, whole-state event is left out): bytes between the first and last update kept.
    const span = (state.bytes[state.bytes.length - 1][0] - state.bytes[0][0]) / 1000;
    const sum = state.bytes.slice(1).reduce((a, [, b]) => a + b, 0);
    $('footer-bytes').textContent = 'live stream ≈ ' + Math.round(sum / Math.max(span, 1)) + ' B/s';
  }
}

// ------------------------------------------------------------------ heat chart (inline SVG)

function drawChart() {
  const svg = $('chart');
  const W = 800, H = 240, L = 52, B = 22, T = 8;
  const h = state.history;
  if (!h.length) { svg.innerHTML = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#6b7280">waiting for the first sample</text>`; return; }
  const t1 = h[h.length - 1][0];
  const t0 = Math.min(h[0][0], t1 - 120);
  const maxW = Math.max(1000, ...h.map((p) => Math.max(p[1], p[2], p[3]))) * 1.1;
  const x = (t) => L + (W - L - 6) * (t - t0) / Math.max(1, t1 - t0);
  const y = (w) => T + (H - T - B) * (1 - w / maxW);
  const line = (i) => h.map((p) => `${x(p[0]).toFixed(1)},${y(p[i]).toFixed(1)}`).join(' ');
  let g = '';
  for (let k = 0; k <= 4; k++) {
    const w = maxW * k / 4;
    g += `<line x1="${L}" x2="${W}" y1="${y(w)}" y2="${y(w)}" stroke="#eee"/>`
      + `<text x="${L - 6}" y="${y(w) + 4}" text-anchor="end" font-size="11" fill="#6b7280">${(w / 1000).toFixed(w >= 10000 ? 0 : 1)} kW</text>`;
  }
  for (let k = 0; k <= 4; k++) {
    const t = t0 + (t1 - t0) * k / 4;
    g += `<text x="${x(t)}" y="${H - 5}" text-anchor="middle" font-size="11" fill="#6b7280">${new Date(t * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}</text>`;
  }
  const area = `${x(h[0][0])},${y(0)} ${line(2)} ${x(t1)},${y(0)}`;
  svg.innerHTML = g
    + `<polygon points="${area}" fill="rgba(215,48,31,.15)"/>`
    + `<polyline points="${line(3)}" fill="none" stroke="#8a94a6" stroke-width="1.5" stroke-dasharray="4 3"/>`
    + `<polyline points="${line(1)}" fill="none" stroke="#f28e2b" stroke-width="2.2"/>`
    + `<polyline points="${line(2)}" fill="none" stroke="#d7301f" stroke-width="2.2"/>`
    + [[3, '#8a94a6'], [1, '#f28e2b'], [2, '#d7301f']].map(([i, c]) =>
      `<circle cx="${x(t1).toFixed(1)}" cy="${y(h[h.length - 1][i]).toFixed(1)}" r="3.5" fill="${c}"/>`).join('');
  const mins = Math.round((t1 - h[0][0]) / 60);
  $('chart-span').textContent = h.length > 1 ? `last ${mins >= 120 ? Math.round(mins / 60) + ' h' : mins + ' min'} · 10 s resolution` : '';
}

// ------------------------------------------------------------------ sites grid (canvas)

const RAMP = ['#eef4f8', '#fde8cf', '#fdd0a2', '#fdae6b', '#fd8d3c', '#f16913', '#e6550d', '#d94801', '#b63b0a', '#8c2d04'];

(function scale() {
  $('scale').innerHTML = RAMP.map((c, i) => `<i style="background:${c}" title="${i * 75}-${i * 75 + 75} W"></i>`).join('') + ' 0 → 675+ W';
})();

function drawSites() {
  const canvas = $('sites');
  const n = state.siteNames.length;
  const width = canvas.clientWidth || 800;
  const ratio = window.devicePixelRatio || 1;
  const gap = 2;
  const cell = Math.max(9, Math.min(34, Math.floor(Math.sqrt(width * 200 / Math.max(1, n))) - gap));
  const cols = Math.max(1, Math.floor(width / (cell + gap)));
  const rows = Math.max(1, Math.ceil(n / cols));
  const height = rows * (cell + gap);
  canvas.style.height = height + 'px';
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const c = canvas.getContext('2d');
  c.setTransform(ratio, 0, 0, ratio, 0, 0);
  c.clearRect(0, 0, width, height);
  state.layout = { cell, gap, cols };
  for (let i = 0; i < n; i++) {
    const code = state.siteCodes[i] || 0;
    const flags = Math.floor(code / 1000), demand = Math.floor((code % 1000) / 10), load = code % 10;
    const x = (i % cols) * (cell + gap), y = Math.floor(i / cols) * (cell + gap);
    c.fillStyle = demand >= 10 ? '#8a94a6' : RAMP[demand];
    c.fillRect(x, y, cell, cell);
    if (load > 0) {
      c.fillStyle = 'rgba(36,28,21,.55)';
      const bh = Math.max(2, Math.round(cell * 0.28 * load / 9));
      c.fillRect(x, y + cell - bh, Math.round(cell * (load + 1) / 10), bh);
    }
    if (flags & 2) { c.strokeStyle = '#c0392b'; c.lineWidth = 2; c.setLineDash([]); c.strokeRect(x + 1, y + 1, cell - 2, cell - 2); }
    if (flags & 1) { c.strokeStyle = '#241c15'; c.lineWidth = 1.5; c.setLineDash([3, 2]); c.strokeRect(x + 1, y + 1, cell - 2, cell - 2); c.setLineDash([]); }
  }
  $('sites-count').textContent = num(n) + ' sites';
}

function siteAt(ev) {
  const l = state.layout;
  if (!l) return null;
  const r = $('sites').getBoundingClientRect();
  const col = Math.floor((ev.clientX - r.left) / (l.cell + l.gap));
  const row = Math.floor((ev.clientY - r.top) / (l.cell + l.gap));
  if (col >= l.cols) return null;
  const i = row * l.cols + col;
  return i >= 0 && i < state.siteNames.length ? state.siteNames[i] : null;
}

$('sites').addEventListener('click', (ev) => { const s = siteAt(ev); if (s) openSite(s); });
$('sites').addEventListener('mousemove', (ev) => { const s = siteAt(ev); $('sites').title = s || ''; });
window.addEventListener('resize', () => drawSites());

// ------------------------------------------------------------------ failures

function renderFailures() {
  const rows = state.failures.slice(0, 12).map((f) => `<tr><td>${time(f.at)}</td><td>${esc(f.kind)}${f.attempt ? ' · attempt ' + f.attempt : ''}</td>`
    + `<td>${link('job', f.jobId)}</td><td>${f.nodeId ? link('node', f.nodeId) : ''}</td><td>${esc(f.tier)}</td>`
    + `<td title="${esc(f.reason)}">${esc(f.reason)}</td></tr>`);
  $('failures').tBodies[0].innerHTML = rows.length ? rows.join('') : '<tr><td colspan="6" class="muted">none yet</td></tr>';
}

// ------------------------------------------------------------------ drill-downs

function showDetail(html) {
  $('detail-body').innerHTML = html;
  $('detail').classList.remove('hidden');
}

$('detail-close').addEventListener('click', () => $('detail').classList.add('hidden'));

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-node], a[data-job], a[data-site]');
  if (!a) return;
  ev.preventDefault();
  if (a.dataset.node) openNode(a.dataset.node);
  else if (a.dataset.job) openJob(a.dataset.job);
  else openSite(a.dataset.site);
});

$('lookup').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = $('lookup-id').value.trim();
  if (!id) return;
  if (id.startsWith('job-')) openJob(id); else openNode(id);
});

function nodeHtml(n, attempts) {
  const st = (n.state || 'NODE_STATE_UNSPECIFIED').replace('NODE_STATE_', '');
  return `<h2>Node ${esc(n.nodeId)}</h2><dl>`
    + `<dt>state</dt><dd><span id="node-state" class="state ${st}">${st}</span>${n.drained ? ' (drained by an operator)' : ''}</dd>`
    + `<dt>kind</dt><dd>${esc((n.kind || '').replace('NODE_KIND_', ''))}</dd>`
    + `<dt>security class</dt><dd>${esc((n.securityClass || '').replace('SECURITY_CLASS_', ''))}</dd>`
    + `<dt>cores</dt><dd>${num(n.reservedCores || 0)} reserved of ${num(n.cores)}</dd>`
    + `<dt>heat wanted</dt><dd>${Math.round(n.heatDemandWatts || 0)} W</dd>`
    + `<dt>compute draw</dt><dd>${Math.round(n.computeDrawWatts || 0)} W</dd>`
    + `<dt>inside</dt><dd>${(n.insideTemperatureC || 0).toFixed(1)} °C</dd>`
    + `<dt>site</dt><dd>${link('site', n.site || '(none)')} ${esc(n.region || '')}</dd>`
    + `<dt>last seen</dt><dd>${n.lastSeen ? new Date(n.lastSeen).toLocaleTimeString('en-GB') : '–'}</dd></dl>`
    + `<div class="actions"><button id="drain-btn" data-id="${esc(n.nodeId)}">Drain</button>`
    + `<button id="undrain-btn" class="secondary" data-id="${esc(n.nodeId)}">Undrain</button></div>`
    + `<div id="action-msg" class="msg"></div>`
    + `<h3>Attempts here</h3>`
    + (attempts && attempts.length ? '<table class="list"><tbody>' + attempts.map((a) => `<tr><td>${link('job', a.jobId)}</td><td>${a.tier}</td><td>${a.cores} cores</td><td>${time(a.assignedAt)}</td></tr>`).join('') + '</tbody></table>' : '<p class="muted">none</p>');
}

async function openNode(id) {
  try {
    const r = await getJson('/api/nodes/' + encodeURIComponent(id));
    showDetail(nodeHtml(r.node, r.attempts));
    bindNodeActions();
  } catch (e) { showDetail(`<h2>${esc(id)}</h2><p class="msg err">${esc(e.message)}</p>`); }
}

function bindNodeActions() {
  const go = (drain) => async (ev) => {
    const id = ev.target.dataset.id;
    try {
      const r = await act('POST', `/api/nodes/${encodeURIComponent(id)}/${drain ? 'drain' : 'undrain'}`);
      const attempts = (await getJson('/api/nodes/' + encodeURIComponent(id)).catch(() => ({}))).attempts;
      showDetail(nodeHtml(r.node, attempts));
      bindNodeActions();
      $('action-msg').className = 'msg ok';
      $('action-msg').textContent = drain ? 'Drained: no new work; running attempts finish.' : 'Undrained: the node takes work again.';
    } catch (e) {
      $('action-msg').className = 'msg err';
      $('action-msg').textContent = e.message;
    }
  };
  $('drain-btn').addEventListener('click', go(true));
  $('undrain-btn').addEventListener('click', go(false));
}

async function openSite(name) {
  try {
    const r = await getJson('/api/sites/' + encodeURIComponent(name));
    const s = r.site;
    showDetail(`<h2>Site ${esc(s.name)}</h2><dl>`
      + `<dt>region</dt><dd>${esc(s.region)}</dd><dt>nodes</dt><dd>${s.nodes} (${s.heaters} heaters)</dd>`
      + `<dt>cores</dt><dd>${s.reservedCores} reserved of ${s.cores}</dd>`
      + `<dt>heat wanted</dt><dd>${s.heatWantedWatts} W</dd><dt>heat delivered</dt><dd>${s.heatDeliveredWatts} W</dd>`
      + `<dt>compute draw</dt><dd>${s.computeDrawWatts} W</dd><dt>drained / lost</dt><dd>${s.drained} / ${s.lost}</dd></dl>`
      + '<table class="list"><thead><tr><th>node</th><th>state</th><th>cores</th><th>wanted</th><th>draw</th></tr></thead><tbody>'
      + r.nodes.map((n) => `<tr><td>${link('node', n.nodeId)}</td><td>${(n.state || '').replace('NODE_STATE_', '')}</td>`
        + `<td>${n.reservedCores || 0}/${n.cores}</td><td>${Math.round(n.heatDemandWatts || 0)} W</td><td>${Math.round(n.computeDrawWatts || 0)} W</td></tr>`).join('')
      + '</tbody></table>');
  } catch (e) { showDetail(`<h2>${esc(name)}</h2><p class="msg err">${esc(e.message)}</p>`); }
}

async function openJob(id) {
  try {
    const j = await getJson('/api/jobs/' + encodeURIComponent(id));
    const spec = j.spec || {};
    showDetail(`<h2>Job ${esc(j.jobId)}</h2><dl>`
      + `<dt>state</dt><dd class="state" id="job-state">${esc((j.state || '').replace('JOB_STATE_', ''))}</dd>`
      + `<dt>owner</dt><dd>${esc(j.owner)}</dd><dt>name</dt><dd>${esc(spec.name)}</dd>`
      + `<dt>tier</dt><dd>${esc((spec.tier || '').replace('TIER_', ''))}</dd>`
      + `<dt>class ≥</dt><dd>${esc((spec.minSecurityClass || '').replace('SECURITY_CLASS_', ''))}</dd>`
      + `<dt>cores / memory</dt><dd>${spec.cores || 0} / ${spec.memoryMib || 0} MiB</dd>`
      + `<dt>command</dt><dd><code>${esc(((spec.workload || {}).argv || []).join(' '))}</code></dd>`
      + (j.pending ? `<dt>waiting because</dt><dd>${esc(j.pending.summary)}</dd>` : '')
      + (j.stateReason ? `<dt>reason</dt><dd>${esc(j.stateReason)}</dd>` : '') + '</dl>'
      + '<h3>Attempts</h3><table class="list"><tbody>'
      + (j.attempts || []).map((a) => `<tr><td>#${a.number}</td><td>${link('node', a.nodeId)}</td><td>${esc((a.state || '').replace('ATTEMPT_STATE_', ''))}</td><td>${esc(a.reason || '')}</td></tr>`).join('')
      + '</tbody></table>');
  } catch (e) { showDetail(`<h2>${esc(id)}</h2><p class="msg err">${esc(e.message)}</p>`); }
}

// ------------------------------------------------------------------ nonprofits

async function loadNonprofits() {
  try {
    const r = await getJson('/api/nonprofits');
    $('nonprofits').innerHTML = r.nonprofits.length
      ? r.nonprofits.map((n) => `<li><b>${esc(n.nonprofitId)}</b> · weight ${n.weight} <span class="muted">by ${esc(n.approvedBy)}</span></li>`).join('')
      : '<li class="muted">none</li>';
  } catch (e) { /* the next approval retries */ }
}

$('approve').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const msg = $('approve-msg');
  try {
    const r = await act('POST', '/api/nonprofits', { nonprofitId: $('np-id').value.trim(), weight: Number($('np-weight').value) });
    msg.className = 'msg ok';
    msg.textContent = 'Approved ' + r.nonprofit.nonprofitId + ' with weight ' + r.nonprofit.weight + '.';
    $('np-id').value = '';
    loadNonprofits();
  } catch (e) { msg.className = 'msg err'; msg.textContent = e.message; }
});

connect();
drawChart();
