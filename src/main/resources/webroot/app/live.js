// The nodepulse live page. Samples arrive over the SockJS event-bus bridge (/live); the rest comes
// from the REST API. Chart.js and the SockJS client are WebJars served by the agent itself.
/* global Chart, SockJS */

const HOUR = 3600_000;
const ADDR = { sample: 'nodepulse.sampler.sample', changed: 'nodepulse.tasks.changed', run: 'nodepulse.tasks.run' };
const PING_MS = 5000;
const BACKOFF_MIN = 1000, BACKOFF_MAX = 15000;
const SPARK = 60;           // samples kept per core sparkline
const MAX_RUNS = 300;       // run durations kept in the chart

const $ = (id) => document.getElementById(id);
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const colors = { cpu: css('--cpu'), avg: css('--avg'), ok: css('--ok'), bad: css('--bad'), line: css('--line'), muted: css('--muted') };

// ---------- formatting ----------
const pad = (n) => String(n).padStart(2, '0');
const clock = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; };
const pct = (v) => (v == null || Number.isNaN(v) ? '–' : `${v.toFixed(1)}%`);
function bytes(n) {
  if (n == null) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${u[i]}`;
}
function duration(s) {
  if (s == null) return '–';
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}
function relative(iso) {
  if (!iso) return '–';
  const ms = Date.parse(iso) - Date.now();
  if (Number.isNaN(ms)) return '–';
  const s = Math.round(Math.abs(ms) / 1000);
  const txt = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
  return ms >= 0 ? `in ${txt}` : `${txt} ago`;
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
function setBar(id, percent) {
  const b = typeof id === 'string' ? $(id) : id;
  const p = Math.max(0, Math.min(100, percent || 0));
  b.style.width = `${p}%`;
  b.classList.toggle('hot', p >= 75 && p < 90);
  b.classList.toggle('full', p >= 90);
}

// quiet JSON GET: {status, body} or {status: 0} when the agent cannot be reached
async function getJson(url) {
  try {
    const r = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch { body = null; }
    return { status: r.status, body };
  } catch {
    return { status: 0, body: null };
  }
}

// ---------- CPU chart ----------
// time ticks on whole steps of the axis' stepSize (12:10, 12:20, ...), not wherever the axis starts
function wholeSteps(axis) {
  const st = axis.options.ticks.stepSize;
  if (!st || !Number.isFinite(axis.min) || !Number.isFinite(axis.max)) return;
  const ticks = [];
  for (let v = Math.ceil(axis.min / st) * st; v <= axis.max && ticks.length < 20; v += st) ticks.push({ value: v });
  if (ticks.length >= 2) axis.ticks = ticks;
}
Chart.defaults.color = colors.muted;
Chart.defaults.borderColor = colors.line;
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
let windowMs = HOUR;

const cpuChart = new Chart($('cpu-chart'), {
  type: 'line',
  data: {
    datasets: [
      { label: 'CPU', data: [], borderColor: colors.cpu, backgroundColor: 'rgba(76,184,245,0.10)', fill: 'origin',
        borderWidth: 1.5, pointRadius: 0, tension: 0.15 },
      { label: '1-min avg', data: [], borderColor: colors.avg, borderWidth: 2, pointRadius: 0, tension: 0.3, fill: false },
    ],
  },
  options: {
    animation: false, parsing: false, normalized: true, spanGaps: false, maintainAspectRatio: false,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: { type: 'linear', grid: { display: false },
        // only ticks on whole steps (Chart.js also puts one at the axis' start)
        afterBuildTicks: wholeSteps,
        ticks: { maxTicksLimit: 8, maxRotation: 0, callback: (v) => clock(v) } },
      y: { min: 0, max: 100, ticks: { stepSize: 25, callback: (v) => `${v}%` }, grid: { color: 'rgba(34,42,53,0.7)' } },
    },
    plugins: {
      legend: { display: false },
      tooltip: { callbacks: { title: (items) => (items.length ? clock(items[0].parsed.x) : ''),
        label: (c) => `${c.dataset.label}: ${pct(c.parsed.y)}` } },
    },
  },
});
const cpuData = cpuChart.data.datasets[0].data;
const avgData = cpuChart.data.datasets[1].data;
let lastT = null;          // epoch ms of the newest point on the chart (a sample or a gap)
let lastSampleT = null;    // epoch ms of the newest sample on the chart
const steps = [];          // the last steps between consecutive samples: their median is the sample interval
let historyLoaded = false;
let pending = [];          // samples received while the history is loading

// before the first sample (none in the history, none pushed yet) the chart says it is waiting for data
function showWaiting() {
  const has = cpuData.some((p) => p.y != null);
  $('cpu-wait').hidden = has;
  if (!has) {
    $('cpu-wait').textContent = window.nodepulse?.state === 'connected' ? 'waiting for the first sample…' : 'waiting for data: not connected to the agent';
  }
}
function trim(now) {
  const from = now - HOUR;
  let n = 0;
  while (n < cpuData.length && cpuData[n].x < from) n++;
  if (n) { cpuData.splice(0, n); avgData.splice(0, n); }
}
const STEPS = [5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000];
function setWindow(now) {
  // the chosen window, or less while there is less data (at least 15 s): the line fills the chart
  const first = cpuData.length ? cpuData[0].x : now;
  const from = Math.min(Math.max(now - windowMs, first), now - 15_000);
  const x = cpuChart.options.scales.x;
  x.min = from;
  x.max = now;
  x.ticks.stepSize = STEPS.find((st) => (now - from) / st <= 7) ?? 900_000;
  x.ticks.callback = (v) => (x.ticks.stepSize < 60_000 ? clock(v) : clock(v).slice(0, 5));
}
// the agent's --sample-interval (100ms to 1m) as the data shows it; null until two samples follow each other
function sampleInterval() {
  if (!steps.length) return null;
  const sorted = [...steps].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function addPoint(t, cpu, avg) {
  if (lastT != null && t <= lastT) return false;
  const interval = sampleInterval();
  if (lastT != null && interval != null && t - lastT > Math.max(3 * interval, 3000)) {
    // the agent (or this page's connection) was away: draw a gap, never a bridge
    cpuData.push({ x: lastT + interval, y: null });
    avgData.push({ x: lastT + interval, y: null });
  }
  if (lastSampleT != null && lastSampleT === lastT) {
    steps.push(t - lastT);
    if (steps.length > 15) steps.shift();
  }
  cpuData.push({ x: t, y: cpu });
  avgData.push({ x: t, y: avg });
  lastT = t;
  lastSampleT = t;
  return true;
}
async function loadHistory() {
  historyLoaded = false;
  // the chart shows an hour at most: never fetch more, whatever the agent's --history (up to 7d)
  const r = await getJson('/api/v1/history?window=1h');
  if (r.status === 200 && r.body && Array.isArray(r.body.points)) {
    cpuData.length = 0; avgData.length = 0; lastT = null; lastSampleT = null; steps.length = 0;
    for (const p of r.body.points) {
      if (p.cpu == null) {
        cpuData.push({ x: p.t, y: null }); avgData.push({ x: p.t, y: null });
        lastT = p.t;
      } else {
        addPoint(p.t, p.cpu, p.avg1m);
      }
    }
  }
  historyLoaded = true;
  const queued = pending; pending = [];
  queued.forEach(onSample);
  const now = lastT ?? Date.now();
  trim(now); setWindow(now);
  cpuChart.update('none');
  showWaiting();
}
document.querySelectorAll('.seg button').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('.seg button').forEach((x) => x.classList.toggle('on', x === b));
  windowMs = Number(b.dataset.window);
  setWindow(lastT ?? Date.now());
  cpuChart.update('none');
}));

// ---------- per-core small multiples ----------
const cores = [];   // {tile, value, canvas, ctx, values[]}
let coreNames = '';
// names: the CPU numbers of the online CPUs, in order (cpu1 may be offline: 0, 2, 3)
function ensureCores(names) {
  const n = names.length;
  if (names.join() === coreNames) return;
  coreNames = names.join();
  const box = $('cores');
  box.replaceChildren();
  cores.length = 0;
  box.classList.toggle('dense', n > 16);
  box.style.setProperty('--n', String(Math.max(1, n)));
  for (let i = 0; i < n; i++) {
    const value = el('b', { text: '–' });
    const canvas = el('canvas');
    const label = n > 16 ? names[i] : `cpu${names[i]}`;
    const tile = el('div', { class: 'core', title: `cpu${names[i]}` }, el('div', { class: 'head' }, el('span', { text: label }), value), canvas);
    box.append(tile);
    cores.push({ tile, value, canvas, ctx: canvas.getContext('2d'), values: [] });
  }
  $('core-count').textContent = `${n} logical CPU${n === 1 ? '' : 's'} · last ${SPARK} samples`;
}
function heat(p) {   // calm blue → amber → red by load
  if (p >= 90) return colors.bad;
  if (p >= 60) return colors.avg;
  return colors.cpu;
}
function drawSpark(c) {
  const dpr = window.devicePixelRatio || 1;
  const w = c.canvas.clientWidth, h = c.canvas.clientHeight;
  if (!w || !h) return;
  if (c.canvas.width !== Math.round(w * dpr)) { c.canvas.width = Math.round(w * dpr); c.canvas.height = Math.round(h * dpr); }
  const g = c.ctx;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const v = c.values, step = w / (SPARK - 1), x0 = w - (v.length - 1) * step;
  const last = v[v.length - 1] ?? 0;
  g.beginPath();
  v.forEach((p, i) => { const x = x0 + i * step, y = h - (p / 100) * (h - 2) - 1; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.strokeStyle = heat(last); g.lineWidth = 1.25; g.stroke();
  g.lineTo(w, h); g.lineTo(x0, h); g.closePath();
  g.globalAlpha = 0.15; g.fillStyle = heat(last); g.fill(); g.globalAlpha = 1;
}
function updateCores(perCore, times) {
  ensureCores(perCore.map((_, i) => String(times?.[i]?.cpu ?? i)));
  perCore.forEach((p, i) => {
    const c = cores[i];
    c.values.push(p ?? 0);
    if (c.values.length > SPARK) c.values.shift();
    c.value.textContent = `${Math.round(p ?? 0)}%`;
    c.value.style.color = heat(p ?? 0);
  });
  if (document.visibilityState === 'visible') cores.forEach(drawSpark);
}

// ---------- samples ----------
let sampleCount = 0;
function onSample(s) {
  if (!historyLoaded) { pending.push(s); return; }
  sampleCount++;
  const cpu = s.cpu || {};
  if (addPoint(s.t, cpu.percent, cpu.avg1m)) {
    trim(s.t); setWindow(s.t);
    showWaiting();
    if (document.visibilityState === 'visible') cpuChart.update('none');   // a hidden tab redraws when shown
  }
  $('cpu-now').textContent = pct(cpu.percent);
  $('avg-now').textContent = pct(cpu.avg1m);
  const l = cpu.load;   // absent where the platform has no load average (Windows): said, not shown as 0
  $('load').textContent = l ? [l['1m'], l['5m'], l['15m']].map((x) => (x == null ? '–' : x.toFixed(2))).join(' / ') : 'not on this platform';
  if (Array.isArray(cpu.perCore)) updateCores(cpu.perCore, s.times?.perCore);
  const m = s.memory;
  if (m) {
    const used = m.usedBytes ?? (m.totalBytes - m.availableBytes);
    $('mem-text').textContent = `${bytes(used)} of ${bytes(m.totalBytes)}`;
    setBar('mem-bar', m.totalBytes ? 100 * used / m.totalBytes : 0);
    $('swap-text').textContent = m.swapTotalBytes ? `${bytes(m.swapUsedBytes)} of ${bytes(m.swapTotalBytes)}` : 'none';
    setBar('swap-bar', m.swapTotalBytes ? 100 * m.swapUsedBytes / m.swapTotalBytes : 0);
  }
  if (Array.isArray(s.partitions)) renderPartitions(s.partitions);
}
let partsKey = '';
function renderPartitions(parts) {
  const key = parts.map((p) => `${p.mountPoint}:${Math.round(p.usedPercent * 10)}`).join('|');
  if (key === partsKey) return;
  partsKey = key;
  $('parts').replaceChildren(...parts.map((p) => {
    const fill = el('div');
    setBar(fill, p.usedPercent);
    return el('div', { class: 'part' },
      el('div', { class: 'kv' }, el('span', { text: p.mountPoint }),
        el('span', { text: `${bytes(p.usedBytes)} of ${bytes(p.totalBytes)} · ${pct(p.usedPercent)}` })),
      el('div', { class: 'dev', text: `${p.device} · ${p.fsType}` }),
      el('div', { class: 'bar' }, fill));
  }));
}

// ---------- host, processes, agent state ----------
let uptimeBase = null;
async function loadHost() {
  const r = await getJson('/api/v1/host');
  if (r.status !== 200 || !r.body) return;
  const h = r.body;
  $('node-name').textContent = h.nodeName || h.hostname || 'node';
  $('node-sub').textContent = [h.os, h.kernel && `kernel ${h.kernel}`, h.arch].filter(Boolean).join(' · ');
  document.title = `${h.nodeName || h.hostname} · nodepulse`;
  uptimeBase = h.uptimeSeconds != null ? { s: h.uptimeSeconds, at: Date.now() } : null;
  const facts = [
    ['node', h.nodeName], ['hostname', h.hostname], ['os', h.os], ['kernel', h.kernel], ['arch', h.arch],
    ['cpu', h.cpuModel], ['cores', h.logicalCpus != null ? `${h.logicalCpus} logical · ${h.physicalCpus ?? '?'} physical` : null],
    ['booted', h.bootTime ? new Date(h.bootTime).toLocaleString() : null], ['agent', [h.version, h.mode].filter(Boolean).join(' · ')],
  ];
  $('host').replaceChildren(...facts.filter(([, v]) => v != null && v !== '').flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
  tickUptime();
}
function tickUptime() {
  if (uptimeBase) $('uptime').textContent = duration(uptimeBase.s + (Date.now() - uptimeBase.at) / 1000);
}
async function loadProcesses() {
  const r = await getJson('/api/v1/processes?top=10');
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.processes)) return;
  $('procs').replaceChildren(...r.body.processes.map((p) => {
    const fill = el('div');
    setBar(fill, p.cpuPercent);
    return el('tr', {},
      el('td', { class: 'num', text: String(p.pid) }),
      el('td', { class: 'name', text: p.name, title: p.name }),
      el('td', { class: 'muted', text: p.user ?? '' }),
      el('td', { class: 'name muted pod', text: p.pod ? p.pod + (p.container ? ' · ' + p.container : '') : p.podUid ? 'pod ' + p.podUid.slice(0, 8) : (p.cgroup ?? ''), title: p.cgroup ?? '' }),
      el('td', { class: 'num' }, el('div', { class: 'cpu-cell' }, el('div', { class: 'bar' }, fill), el('span', { text: pct(p.cpuPercent) }))),
      el('td', { class: 'num', text: bytes(p.rssBytes) }));
  }));
  window.nodepulse.processesLoaded = r.body.processes.length;
}
async function loadReady() {
  // /healthz, not /readyz: the same body, but 200 while the agent is starting too (no failed request to log)
  const r = await getJson('/healthz');
  const pill = $('ready');
  if (!r.body) { pill.textContent = r.status ? `HTTP ${r.status}` : 'unreachable'; pill.className = 'pill down'; return; }
  const ready = r.body.ready === true;
  pill.textContent = ready ? 'ready' : 'not ready';
  pill.className = `pill ${ready ? 'ready' : 'notready'}`;
  let comps = r.body.components ?? {};
  if (Array.isArray(comps)) comps = Object.fromEntries(comps.map((c, i) => [c.name ?? c.component ?? String(i), c]));
  const rows = [];
  for (const [name, c] of Object.entries(comps)) {
    const state = typeof c === 'string' ? c : (c.state ?? (c.ready ? 'up' : 'down'));
    const details = typeof c === 'object' && c ? Object.entries(c)
      .filter(([k, v]) => !['state', 'ready', 'lastError', 'name'].includes(k) && v != null && (typeof v !== 'object' || (Array.isArray(v) && v.length)))
      .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? relative(v) : v}`).join(' · ') : '';
    rows.push(el('div', { class: 'row' }, el('span', { class: 'name', text: name }),
      el('span', { class: `pill ${state}`, text: state }), el('span', { class: 'detail', text: details, title: details })));
    if (c && c.sources && typeof c.sources === 'object') {
      for (const [sn, s] of Object.entries(c.sources)) {
        const st = typeof s === 'string' ? s : (s.state ?? (s.synced ? 'up' : 'starting'));
        rows.push(el('div', { class: 'row' }, el('span', { class: 'name muted', text: `  ${sn}` }), el('span', { class: `pill ${st}`, text: st })));
      }
    }
    if (c && c.lastError) rows.push(el('div', { class: 'err', text: `${name}: ${c.lastError}` }));
  }
  $('agent').replaceChildren(...rows);
}

// ---------- tasks ----------
// Rows are kept per task and only the cells whose content changed are rebuilt, so a row (and its
// open run history) survives the progress updates a running task sends several times a second.
const tasks = new Map();    // "ns/name" -> DelayedTask
const rows = new Map();     // "ns/name" -> {row, why, history, cells[]}
const open = new Set();     // tasks whose run history is shown
const histories = new Map(); // "ns/name" -> {status, items, runs} as last fetched
const keyOf = (t) => `${t.metadata?.namespace ?? 'default'}/${t.metadata?.name}`;
// the agent's order: namespace/name compared as plain strings (not the locale's order)
const byKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const runsUrl = (key) => `/api/v1/tasks/${key.split('/').map(encodeURIComponent).join('/')}/runs`;
// The list is paged (limit, continue): the page asks for the first page, and for more on demand. `more` is
// the token of the next page (null when every task is shown); tasks past the last one shown are not kept.
const PAGE = 100, MAX_PAGE = 500;
const list = { more: null, remaining: 0, last: null };
async function loadTasks() {
  // after a reconnect, as many as were shown (at most one page of MAX_PAGE)
  const limit = Math.min(MAX_PAGE, Math.max(PAGE, tasks.size));
  const r = await getJson(`/api/v1/tasks?limit=${limit}`);
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.items)) return;
  tasks.clear();
  addPage(r.body);
}
async function loadMoreTasks() {
  if (!list.more) return;
  $('more-tasks').disabled = true;
  const r = await getJson(`/api/v1/tasks?limit=${PAGE}&continue=${encodeURIComponent(list.more)}`);
  $('more-tasks').disabled = false;
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.items)) return;
  addPage(r.body);
}
function addPage(body) {
  body.items.forEach((t) => tasks.set(keyOf(t), t));
  const meta = body.metadata ?? {};
  list.more = meta.continue ?? null;
  list.remaining = meta.remainingItemCount ?? 0;
  if (body.items.length) list.last = keyOf(body.items[body.items.length - 1]);
  renderTasks();
}
function onTaskChanged(t) {
  if (!t || !t.metadata) return;
  const key = keyOf(t);
  if (t.deleted) tasks.delete(key);
  else if (!list.more || byKey(key, list.last) <= 0) tasks.set(key, t); // past what is shown: comes with "more"
  else return;
  renderTasks();
}
const succeeded = (outcome) => /^succe/i.test(String(outcome ?? ''));
const outcomeWord = (outcome) => String(outcome ?? '?').toLowerCase();
function targetOf(spec) {
  const tg = spec?.target ?? {};
  if (tg.http) return ['http', `${tg.http.method ?? 'GET'} ${tg.http.url}`];
  if (tg.tcp) return ['tcp', tg.tcp.address];
  if (tg.pipe) return ['pipe', tg.pipe.name];
  if (tg.compute) return ['compute', tg.compute.pi ? `pi · ${tg.compute.pi.digits} digits` : ''];
  return ['–', ''];
}
function whenOf(spec) {
  if (!spec) return '–';
  if (spec.delay) return `after ${spec.delay}`;
  if (spec.at) return `at ${new Date(spec.at).toLocaleString()}`;
  if (spec.every) return `every ${spec.every}`;
  if (spec.schedule) return `cron ${spec.schedule}`;
  return '–';
}
// why a task failed, in words: the reason it was refused (file and field), or its last run's error
function whyOf(t) {
  const st = t.status ?? {};
  const invalid = (st.conditions ?? []).find((c) => c.type === 'Valid' && c.status === 'False');
  if (invalid) return ['not a valid task', invalid.message ?? invalid.reason ?? 'invalid'];
  const lr = st.lastRun;
  if (lr && !succeeded(lr.outcome) && lr.error && st.phase !== 'Running') return [`last run ${outcomeWord(lr.outcome)}`, lr.error];
  return null;
}
// sets a cell's content when what it shows has changed (sig), so unchanged cells keep their nodes
function setCell(td, sig, build) {
  if (td.dataset.sig === sig) return;
  td.dataset.sig = sig;
  td.replaceChildren(...build());
}
function lastRunCell(st) {
  if (st.phase === 'Running' && st.progress && st.progress.percent != null) {
    const fill = el('div');
    setBar(fill, st.progress.percent);
    fill.classList.remove('hot', 'full');
    return [`p${Math.round(st.progress.percent)}`, () => [el('div', { class: 'progress' }, el('div', { class: 'bar' }, fill),
      el('span', { text: `${Math.round(st.progress.percent)}%` }))]];
  }
  const lr = st.lastRun;
  if (!lr) return ['none', () => [el('span', { class: 'muted', text: '–' })]];
  const ok = succeeded(lr.outcome);
  const sub = `${lr.durationMs != null ? `${lr.durationMs} ms · ` : ''}${relative(lr.finishedAt)}`;
  return [`r${lr.outcome}${sub}`, () => [el('span', { class: `pill ${ok ? 'Succeeded' : 'Failed'}`, text: outcomeWord(lr.outcome) }),
    el('span', { class: 'sub', text: sub })]];
}
// ---------- run now ----------
// POST /api/v1/tasks/{ns}/{name}/runs under the token rules of every task change (web/ApiToken): on a loopback
// listener it needs no token; elsewhere it needs the agent's --api-token-file token, asked for when the agent
// answers 401 (none sent) or 403 to a token sent (a wrong one), and kept for this tab only (sessionStorage).
// One request id per click, the same on the retry with a token: the agent runs it once. What the agent answers
// is shown on the row in its own words. A task declared in the cluster (a DelayedTask has a uid; the cluster's
// status carries this agent's own as status.local) is refused 409 by REST: its button is disabled.
const TOKEN_KEY = 'nodepulse.apiToken';
const runMsgs = new Map();  // "ns/name" -> {ok, text}: the last run-now answer shown on the row
const clusterDeclared = (t) => !!(t.metadata?.uid || t.status?.local);
const requestId = () => `page-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
async function postRun(key, id, token) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const r = await fetch(runsUrl(key), { method: 'POST', headers, body: JSON.stringify({ requestId: id }), cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch { body = null; }
    return { status: r.status, error: body?.error ?? `HTTP ${r.status}` };
  } catch {
    return { status: 0, error: 'the agent cannot be reached' };
  }
}
async function runNow(key) {
  const id = requestId();
  runMsgs.set(key, { ok: true, text: 'asking…' });
  renderTasks();
  let token = sessionStorage.getItem(TOKEN_KEY);
  let r = await postRun(key, id, token);
  if (r.status === 401 || (r.status === 403 && token)) {
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    const given = window.prompt(`${r.error}\n\nThe agent's API token (--api-token-file), kept for this tab:`);
    token = given ? given.trim() : '';
    if (token) {
      r = await postRun(key, id, token);
      if (r.status !== 401 && r.status !== 403) sessionStorage.setItem(TOKEN_KEY, token);
    }
  }
  runMsgs.set(key, r.status === 202 || r.status === 200 ? { ok: true, text: 'run requested' }
    : { ok: false, text: r.error });
  renderTasks();
}
function runButton(key, t) {
  const cluster = clusterDeclared(t);
  const b = el('button', { class: 'run-now', type: 'button', text: 'run now',
    title: cluster ? 'declared in the cluster: the agents run it by its claim (REST run now answers 409 for it)'
      : `one extra run of ${key} now (POST ${runsUrl(key)})` });
  if (cluster) b.disabled = true;
  else b.addEventListener('click', (e) => { e.stopPropagation(); runNow(key); });
  return b;
}

function toggle(key) {
  if (open.has(key)) open.delete(key); else { open.add(key); histories.delete(key); }
  renderTasks();
}
function newRow(key) {
  const cells = Array.from({ length: 6 }, () => el('td'));
  const row = el('tr', { class: 'task', 'data-key': key }, ...cells);
  row.addEventListener('click', (e) => { if (!e.target.closest('a, button.run-now')) toggle(key); });
  const why = el('tr', { class: 'why' }, el('td', { colspan: '6' }));
  const history = el('tr', { class: 'history' }, el('td', { colspan: '6' }));
  return { row, why, history, cells };
}
async function loadRuns(key, runs) {
  histories.set(key, { status: 'loading', runs });
  const r = await getJson(runsUrl(key));
  histories.set(key, { status: r.status, items: r.body?.items, runs });
  renderTasks();
}
// the latest output of a task's run on a node: this agent's own, or another node's fetched through this agent
// (GET /api/v1/cluster/nodes/{node}/tasks/{ns}/{name}/runs/latest/output: the output stays on the node that ran it)
function outputUrl(key, node, st) {
  const own = `${runsUrl(key)}/latest/output`;
  return !node || !st.local || node === st.local.node ? own
    : `/api/v1/cluster/nodes/${encodeURIComponent(node)}/${own.slice('/api/v1/'.length)}`;
}
function outputLink(key, node, st) {
  return el('a', { href: outputUrl(key, node, st), target: '_blank', rel: 'noopener', class: 'output node-output',
    'data-node': node ?? '', text: 'output' });
}
// who ran it: the agent that claimed the last run, and with nodes: all each node's own state and output
// (Kubernetes mode: the status is the cluster's, this agent's own runs are status.local)
function claimsOf(st, key) {
  const parts = [];
  if (st.summary) parts.push(el('span', { class: 'claim', text: st.summary }));
  if (st.claimedBy) parts.push(el('span', { class: 'claim', text: `claimed by ${st.claimedBy}` }));
  if (st.local) parts.push(el('span', { class: 'claim', text: `${st.local.runs ?? 0} run${st.local.runs === 1 ? '' : 's'} on this node (${st.local.node})` }));
  const nodes = Array.isArray(st.nodes) ? st.nodes : [];
  for (const n of nodes) {
    const word = n.lastRun ? outcomeWord(n.lastRun.outcome) : (n.phase ?? 'Pending');
    const ok = n.lastRun ? succeeded(n.lastRun.outcome) : n.phase !== 'Failed';
    parts.push(el('span', { class: `pill node ${ok ? (n.lastRun ? 'Succeeded' : (n.phase ?? 'Pending')) : 'Failed'}`,
      title: n.lastRun?.error ?? n.lastRun?.finishedAt ?? '', text: `${n.node}: ${word}` }));
    if (n.lastRun && st.local) parts.push(outputLink(key, n.node, st));
  }
  if (!nodes.length && st.local && st.lastRun?.node && st.lastRun.node !== st.local.node) {
    parts.push(outputLink(key, st.lastRun.node, st)); // nodes: one, run on another node
  }
  return parts.length ? [el('div', { class: 'who' }, ...parts)] : [];
}
function historyBody(key, h, st) {
  const who = claimsOf(st ?? {}, key);
  return [...who, ...historyRuns(key, h)];
}
function historyRuns(key, h) {
  const out = el('a', { href: `${runsUrl(key)}/latest/output`, target: '_blank', rel: 'noopener', class: 'output', text: 'latest output' });
  if (!h || h.status === 'loading') return [el('p', { class: 'wait inline', text: 'loading the run history…' })];
  if (h.status !== 200 || !Array.isArray(h.items)) {
    return [el('p', { class: 'wait inline', text: h.status === 0 ? 'the agent cannot be reached' : `no run history (HTTP ${h.status})` })];
  }
  if (!h.items.length) return [el('p', { class: 'wait inline', text: 'no runs yet' })];
  const head = el('div', { class: 'history-head' }, el('span', { text: `last ${h.items.length} run${h.items.length === 1 ? '' : 's'}, newest first` }), out);
  const cols = el('colgroup', {}, ...['r-when', 'r-took', 'r-node', 'r-outcome', 'r-what', 'r-bytes'].map((c) => el('col', { class: c })));
  const th = el('tr', {}, ...['started', 'took', 'node', 'outcome', 'error or result', 'bytes'].map((x) => el('th', { text: x })));
  const trs = h.items.map((r) => {
    const ok = succeeded(r.outcome);
    const started = r.startedAt ?? r.dueAt;
    const what = ok ? (r.result ?? '') : (r.error ?? '');
    return el('tr', { class: 'run' },
      el('td', { text: started ? new Date(started).toLocaleTimeString() : '–', title: `due ${r.dueAt ?? '–'} · started ${r.startedAt ?? '–'} · finished ${r.finishedAt ?? '–'}` }),
      el('td', { text: r.durationMs != null ? `${r.durationMs} ms` : '–' }),
      el('td', { text: r.node ?? '–', title: r.node ?? '' }),
      el('td', {}, el('span', { class: `pill ${ok ? 'Succeeded' : 'Failed'}`, text: outcomeWord(r.outcome) })),
      el('td', { class: ok ? '' : 'err', text: what, title: what }),
      el('td', { class: 'num', text: r.bytes != null ? bytes(r.bytes) : '–' }));
  });
  return [head, el('table', { class: 'runs' }, cols, el('thead', {}, th), el('tbody', {}, ...trs))];
}
function renderTasks() {
  const sorted = [...tasks.values()].sort((a, b) => byKey(keyOf(a), keyOf(b)));
  const keep = new Set(sorted.map(keyOf));
  for (const key of [...rows.keys()]) if (!keep.has(key)) { rows.delete(key); open.delete(key); histories.delete(key); runMsgs.delete(key); }
  const ordered = [];
  for (const t of sorted) {
    const key = keyOf(t);
    if (!rows.has(key)) rows.set(key, newRow(key));
    const r = rows.get(key);
    const st = t.status ?? {}, phase = st.phase ?? 'Pending';
    const [kind, detail] = targetOf(t.spec);
    const title = t.spec?.title ?? t.metadata.name;
    const isOpen = open.has(key);
    const [c0, c1, c2, c3, c4, c5] = r.cells;
    setCell(c0, `${title}|${key}|${isOpen}`, () => [
      el('button', { class: 'toggle', type: 'button', 'aria-expanded': String(isOpen), 'aria-label': `run history of ${key}` }),
      title, el('span', { class: 'sub', text: key })]);
    c0.title = key;
    setCell(c1, `${kind}|${detail}`, () => [kind, el('span', { class: 'sub', text: detail })]);
    c1.title = detail;
    setCell(c2, whenOf(t.spec), () => [whenOf(t.spec)]);
    setCell(c3, phase, () => [el('span', { class: `pill ${phase}`, text: phase })]);
    const next = st.nextRunAt ?? st.local?.nextRunAt;
    const msg = runMsgs.get(key);
    setCell(c4, `${relative(next)}|${clusterDeclared(t)}|${msg?.ok && msg.text}`, () => [relative(next), runButton(key, t),
      msg?.ok ? el('span', { class: 'sub run-msg', text: msg.text }) : null]);
    const [sig, build] = lastRunCell(st);
    setCell(c5, sig, build);
    const refused = runMsgs.get(key);
    const why = refused && !refused.ok ? ['run now refused', refused.text] : whyOf(t);
    r.row.classList.toggle('has-why', !!why);
    r.row.classList.toggle('open', isOpen);
    ordered.push(r.row);
    if (why) {
      setCell(r.why.firstChild, why.join('|'), () => [el('span', { class: 'text', title: why[1] },
        el('span', { class: 'label', text: `${why[0]}:` }), why[1])]);
      ordered.push(r.why);
    }
    if (isOpen) {
      const h = histories.get(key);
      const runs = `${st.runs ?? 0}|${st.lastRun?.finishedAt ?? ''}`;
      if (!h || (h.status !== 'loading' && h.runs !== runs)) loadRuns(key, runs);
      const shown = histories.get(key);
      const whoSig = JSON.stringify([st.summary ?? null, st.claimedBy ?? null, st.nodes ?? null, st.local?.runs ?? null]);
      setCell(r.history.firstChild, `${shown?.status}|${JSON.stringify(shown?.items ?? null)}|${whoSig}`, () => historyBody(key, shown, st));
      ordered.push(r.history);
    }
  }
  const body = $('tasks');
  if (ordered.length !== body.children.length || ordered.some((tr, i) => body.children[i] !== tr)) body.replaceChildren(...ordered);
  $('no-tasks').hidden = sorted.length > 0;
  $('task-count').textContent = !sorted.length ? '' : list.more ? `${sorted.length} shown, ${list.remaining} more` : `${sorted.length}`;
  $('more-tasks').hidden = !list.more;
  $('more-tasks').textContent = `show ${Math.min(PAGE, list.remaining || PAGE)} more`;
}

const runsChart = new Chart($('runs-chart'), {
  type: 'scatter',
  data: { datasets: [
    { label: 'succeeded', data: [], backgroundColor: colors.ok, pointRadius: 3 },
    { label: 'failed', data: [], backgroundColor: colors.bad, pointRadius: 3, pointStyle: 'crossRot', borderColor: colors.bad },
  ] },
  options: {
    animation: false, parsing: false, maintainAspectRatio: false,
    scales: {
      x: { type: 'linear', grid: { display: false }, ticks: { maxTicksLimit: 6, maxRotation: 0, callback: (v) => clock(v) },
        afterBuildTicks: wholeSteps },
      y: { beginAtZero: true, suggestedMax: 0.1, title: { display: true, text: 'seconds' }, grid: { color: 'rgba(34,42,53,0.7)' } },
    },
    plugins: { legend: { display: false },
      tooltip: { callbacks: { label: (c) => `${c.raw.name}: ${c.parsed.y.toFixed(3)} s` } } },
  },
});
function onRun(r) {
  if (!r || r.durationSeconds == null) return;
  const ok = succeeded(r.outcome);
  const ds = runsChart.data.datasets[ok ? 0 : 1].data;
  ds.push({ x: Date.now(), y: r.durationSeconds, name: `${r.namespace}/${r.name}` });
  if (ds.length > MAX_RUNS) ds.shift();
  runsWindow();
}
function runsWindow() {
  const now = Date.now();
  const xs = runsChart.data.datasets.flatMap((d) => d.data.map((p) => p.x));
  const x = runsChart.options.scales.x;
  // the last runs, at least a minute, at most the runs kept
  x.max = now + 5_000;
  x.min = Math.min(now - 60_000, xs.length ? Math.min(...xs) - 10_000 : now);
  x.ticks.stepSize = STEPS.find((st) => (x.max - x.min) / st <= 5) ?? 900_000;
  x.ticks.callback = (v) => (x.ticks.stepSize < 60_000 ? clock(v) : clock(v).slice(0, 5));
  runsChart.update('none');
}

// ---------- the bridge connection ----------
let sock = null, pingTimer = null, backoff = BACKOFF_MIN, everConnected = false;
// the other panels' addresses (app/usage.js), carried by this one connection: a page is one live client
const extra = new Map(); // address -> handler of its bodies
window.nodepulseBus = {
  on(address, fn) {
    extra.set(address, fn);
    if (sock && sock.readyState === SockJS.OPEN) sock.send(JSON.stringify({ type: 'register', address }));
  },
};
const states = [];
function setState(s) {
  if (states[states.length - 1] !== s) states.push(s);
  window.nodepulse.state = s;
  $('conn').dataset.state = s;
  $('conn-text').textContent = s;
  showWaiting();
}
function connect() {
  setState(everConnected ? 'reconnecting' : 'connecting');
  const s = new SockJS('/live', null, { transports: ['websocket', 'xhr-streaming', 'xhr-polling'] });
  sock = s;
  s.onopen = () => {
    backoff = BACKOFF_MIN;
    for (const address of [...Object.values(ADDR), ...extra.keys()]) s.send(JSON.stringify({ type: 'register', address }));
    s.send(JSON.stringify({ type: 'ping' }));
    pingTimer = setInterval(() => s.send(JSON.stringify({ type: 'ping' })), PING_MS);
    const again = everConnected;
    everConnected = true;
    setState('connected');
    // (re)load what the push does not carry; after a restart the history shows the downtime as a gap
    loadHistory();
    loadTasks();
    if (again) { loadHost(); loadReady(); }
  };
  s.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    if (m.type !== 'rec') return;
    if (m.address === ADDR.sample) onSample(m.body);
    else if (m.address === ADDR.changed) onTaskChanged(m.body);
    else if (m.address === ADDR.run) onRun(m.body);
    else extra.get(m.address)?.(m.body);
  };
  s.onclose = () => {
    clearInterval(pingTimer);
    pingTimer = null;
    if (sock !== s) return;
    sock = null;
    setState('offline');
    setTimeout(connect, backoff);
    backoff = Math.min(BACKOFF_MAX, backoff * 2);
  };
}

// ---------- start ----------
window.nodepulse = {
  cpuChart, runsChart, states, state: 'connecting',
  get samples() { return sampleCount; },
  get cores() { return cores.length; },
};
function every(ms, fn, onlyVisible) {
  setInterval(() => { if (!onlyVisible || document.visibilityState === 'visible') fn(); }, ms);
}
$('more-tasks').addEventListener('click', loadMoreTasks);
loadHost();
loadReady();
loadProcesses();
renderTasks();
runsWindow();
connect();
every(1000, tickUptime, true);
const connected = () => window.nodepulse.state === 'connected';
every(3000, () => { if (connected()) loadProcesses(); }, true);   // the sampler scans /proc only while asked
every(5000, () => { if (connected()) loadReady(); }, true);
every(30_000, () => { renderTasks(); runsWindow(); }, true);                          // keeps "in 5m" / "2m ago" current
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  cpuChart.update('none');
  cores.forEach(drawSpark);
  loadProcesses();
});
window.addEventListener('resize', () => cores.forEach(drawSpark));
