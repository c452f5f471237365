// The cluster view (Kubernetes mode only): every node's figures once a second from nodepulse.cluster.summary
// (carried by the page's one SockJS connection, window.nodepulseBus, app/live.js), as a heat map that stays readable
// at 200 nodes and a table sortable by each column. Clicking a node opens its CPU, history, busiest processes and
// tasks, fetched through this agent (/api/v1/cluster/nodes/{node}/...); so does #node=<name> in the page's address.
// Standalone agents show no cluster view.
const ADDRESS = 'nodepulse.cluster.summary';
const NODE_MS = 2000;         // how often the opened node's figures are fetched
const state = { rows: [], updates: 0, sort: 'node', desc: false, open: null, openTimer: null, mode: null };
const $ = (id) => document.getElementById(id);

function text(tag, t, cls) { const e = document.createElement(tag); e.textContent = t; if (cls) e.className = cls; return e; }
const fmt = (v, d = 1) => (v == null ? '–' : Number(v).toFixed(d));
function gib(b) { return b == null ? '–' : `${(b / 1073741824).toFixed(1)} GiB`; }
function memPercent(r) { return r.memory && r.memory.totalBytes ? (100 * r.memory.usedBytes) / r.memory.totalBytes : null; }
function heat(p) { // calm blue → amber → red by CPU %
  if (p == null) return 'var(--line)';
  const h = p < 50 ? 200 - (p / 50) * 160 : 40 - ((p - 50) / 50) * 40;
  return `hsl(${h}, 70%, ${28 + p / 5}%)`;
}
const nodePath = (node, path) => `/api/v1/cluster/nodes/${encodeURIComponent(node)}/${path}`;
async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status}`);
  return body;
}

function build() {
  const section = document.createElement('section');
  section.id = 'cluster';
  section.className = 'card span-12 cluster';
  section.innerHTML = `
    <div class="card-head"><h2>Cluster</h2><span class="muted" id="cluster-count"></span>
      <div class="legend"><span class="key key-stopped"></span>stopped <span class="key key-unreach"></span>unreachable</div></div>
    <div id="cluster-map" class="cluster-map" role="list" aria-label="nodes by CPU"></div>
    <div class="table-wrap cluster-table"><table class="nodes">
      <thead><tr><th data-sort="node">node</th><th data-sort="state">state</th><th class="num" data-sort="percent">cpu</th>
        <th class="num" data-sort="avg1m">1-min avg</th><th class="num" data-sort="load">load</th>
        <th class="num" data-sort="memory">memory</th></tr></thead>
      <tbody id="cluster-rows"></tbody></table></div>
    <div id="cluster-node" class="cluster-node" hidden></div>`;
  document.querySelector('main.grid').prepend(section);
  section.querySelectorAll('th[data-sort]').forEach((th) => th.addEventListener('click', () => {
    state.desc = th.dataset.sort === state.sort ? !state.desc : !['node', 'state'].includes(th.dataset.sort);
    state.sort = th.dataset.sort;
    render();
  }));
}

function sortKey(r, k) { return k === 'memory' ? memPercent(r) : r[k]; }
function sorted() {
  const k = state.sort;
  return [...state.rows].sort((a, b) => {
    const x = sortKey(a, k), y = sortKey(b, k);
    const c = x == null && y == null ? 0 : x == null ? -1 : y == null ? 1
      : typeof x === 'string' ? x.localeCompare(y) : x - y;
    return (state.desc ? -c : c) || a.node.localeCompare(b.node);
  });
}

function render() {
  $('cluster-count').textContent = `${state.rows.length} nodes · ${state.rows.filter((r) => r.state === 'Ready').length} ready`;
  const cells = state.rows.map((r) => {  // the map keeps node order: a node stays where it is
    const cell = text('button', '', 'cell');
    cell.type = 'button';
    cell.setAttribute('role', 'listitem');
    cell.dataset.node = r.node;
    cell.dataset.state = r.state;
    cell.style.background = r.state === 'Ready' ? heat(r.percent) : '';
    cell.title = `${r.node}: ${r.state}${r.reason ? ` (${r.reason})` : ''} · cpu ${fmt(r.percent)}%`;
    cell.append(text('span', r.node, 'cell-name'), text('span', r.state === 'Ready' ? `${fmt(r.percent, 0)}%` : r.state.toLowerCase(), 'cell-value'));
    if (state.open === r.node) cell.classList.add('open');
    cell.addEventListener('click', () => openNode(r.node));
    return cell;
  });
  $('cluster-map').replaceChildren(...cells);
  $('cluster-rows').replaceChildren(...sorted().map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.node = r.node;
    tr.dataset.state = r.state;
    tr.className = 'node-row' + (r.state === 'Ready' ? '' : ' down');
    const name = text('td', r.node, 'name');
    const st = text('td', r.state, 'state');
    if (r.reason) st.title = r.reason;
    const mem = memPercent(r);
    tr.append(name, st, text('td', `${fmt(r.percent)}%`, 'num cpu'), text('td', `${fmt(r.avg1m)}%`, 'num'),
      text('td', fmt(r.load, 2), 'num'), text('td', mem == null ? '–' : `${fmt(mem, 0)}% of ${gib(r.memory.totalBytes)}`, 'num'));
    tr.addEventListener('click', () => openNode(r.node));
    return tr;
  }));
  document.querySelectorAll('table.nodes th[data-sort]').forEach((th) => {
    th.dataset.dir = th.dataset.sort === state.sort ? (state.desc ? 'desc' : 'asc') : '';
  });
}

function onSummary(body) {
  state.rows = body.items || [];
  state.updates++;
  render();
}

// ---------- one node, through this agent ----------
function spark(canvas, points) {
  const ctx = canvas.getContext('2d');
  const w = (canvas.width = canvas.clientWidth * devicePixelRatio), h = (canvas.height = canvas.clientHeight * devicePixelRatio);
  ctx.clearRect(0, 0, w, h);
  if (points.length < 2) return;
  const t0 = points[0].t, t1 = points[points.length - 1].t;
  ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--cpu');
  ctx.lineWidth = devicePixelRatio;
  ctx.beginPath();
  let prev = null;
  for (const p of points) {  // a missing value (a gap in the history) breaks the line
    const x = ((p.t - t0) / Math.max(1, t1 - t0)) * w, y = h - (p.cpu / 100) * h;
    if (p.cpu == null) { prev = null; continue; }
    if (prev == null) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    prev = p;
  }
  ctx.stroke();
}

async function refreshNode(node, withHistory) {
  const box = $('cluster-node');
  const show = (id, fn) => { const el = box.querySelector(`#${id}`); if (el) fn(el); };
  try {
    const cpu = await getJson(nodePath(node, 'cpu'));
    show('cn-cpu', (el) => { el.textContent = `${fmt(cpu.percent)}%`; });
    show('cn-avg', (el) => { el.textContent = `${fmt(cpu.avg1m)}%`; });
    show('cn-load', (el) => { el.textContent = cpu.load ? `${fmt(cpu.load['1m'], 2)} / ${fmt(cpu.load['5m'], 2)} / ${fmt(cpu.load['15m'], 2)}` : '–'; });
    show('cn-cores', (el) => el.replaceChildren(...(cpu.perCore || []).map((p, i) => {
      const c = text('span', '', 'core'); c.style.background = heat(p); c.title = `cpu${i}: ${fmt(p)}%`; return c;
    })));
    const procs = await getJson(nodePath(node, 'processes?top=10'));
    show('cn-procs', (el) => el.replaceChildren(...(procs.processes || []).map((p) => {
      const tr = document.createElement('tr');
      tr.append(text('td', String(p.pid), 'num'), text('td', p.name || ''), text('td', `${fmt(p.cpuPercent)}%`, 'num'));
      return tr;
    })));
    if (withHistory) {
      const h = await getJson(nodePath(node, 'history?window=15m'));
      const points = (h.points || []).map((p) => ({ t: p.t, cpu: p.cpu }));
      show('cn-history', (el) => spark(el, points));
      const tasks = await getJson(nodePath(node, 'tasks?limit=50'));
      show('cn-tasks', (el) => el.replaceChildren(...(tasks.items || []).map((t) => {
        const tr = document.createElement('tr');
        const st = (t.status && (t.status.local || t.status)) || {};
        tr.append(text('td', `${t.metadata.namespace}/${t.metadata.name}`), text('td', st.phase || '–'),
          text('td', st.lastRun ? `${st.lastRun.outcome} · ${st.lastRun.node || node}` : '–'));
        return tr;
      })));
    }
    show('cn-error', (el) => { el.textContent = ''; });
  } catch (e) {
    show('cn-error', (el) => { el.textContent = `${node}: ${e.message}`; });
  }
}

function openNode(node) {
  const box = $('cluster-node');
  clearInterval(state.openTimer);
  if (state.open === node) { state.open = null; box.hidden = true; render(); return; }
  state.open = node;
  box.hidden = false;
  box.dataset.node = node;
  box.innerHTML = `
    <div class="card-head"><h2>Node <span class="open-name"></span></h2><span class="muted">through this agent</span>
      <button type="button" class="close" aria-label="close">×</button></div>
    <p id="cn-error" class="error" role="status"></p>
    <div class="cn-grid">
      <div><div class="big" id="cn-cpu">–</div><div class="label">CPU</div></div>
      <div><div class="big avg" id="cn-avg">–</div><div class="label">1-min avg</div></div>
      <div><div class="kv"><span>load 1 / 5 / 15</span><span id="cn-load">–</span></div><div id="cn-cores" class="cn-cores"></div></div>
    </div>
    <canvas id="cn-history" class="cn-history" aria-label="CPU over the last 15 minutes"></canvas>
    <p class="cn-history-label muted">CPU over the last 15 minutes (0–100%, gaps where the agent was not sampling)</p>
    <div class="cn-tables">
      <table class="procs"><thead><tr><th class="num">pid</th><th>process</th><th class="num">cpu</th></tr></thead><tbody id="cn-procs"></tbody></table>
      <table class="tasks"><thead><tr><th>task</th><th>phase</th><th>last run</th></tr></thead><tbody id="cn-tasks"></tbody></table>
    </div>`;
  box.querySelector('.open-name').textContent = node;
  box.querySelector('.close').addEventListener('click', () => openNode(node));
  render();
  refreshNode(node, true);
  state.openTimer = setInterval(() => { if (document.visibilityState === 'visible') refreshNode(node, false); }, NODE_MS);
}

async function start() {
  let host;
  try { host = await getJson('/api/v1/host'); } catch { return; }
  state.mode = host.mode;
  if (host.mode !== 'kubernetes') return; // standalone: no cluster, no view
  build();
  window.nodepulseBus.on(ADDRESS, onSummary);
  // #node=<name> (the Grafana dashboard's data link) opens that node's view
  const asked = new URLSearchParams(location.hash.slice(1)).get('node');
  if (asked && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(asked)) {
    openNode(asked);
    $('cluster').scrollIntoView();
  }
}

window.nodepulseCluster = {
  get updates() { return state.updates; },
  get nodes() { return state.rows.map((r) => ({ node: r.node, state: r.state, percent: r.percent, sampledAt: r.sampledAt })); },
  get open() { return state.open; },
  get mode() { return state.mode; },
};
start();
