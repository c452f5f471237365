// Who uses the CPU: the node's pressure (beside load) and the busiest pods (or, standalone, cgroups), live from
// nodepulse.usage.sample, carried by the page's one SockJS connection (window.nodepulseBus, app/live.js). Sortable
// by clicking a column head; throttled rows marked.
const ADDRESS = 'nodepulse.usage.sample';
const state = { sort: 'cpuPercent', desc: true, last: null, samples: 0 };
const $ = (id) => document.getElementById(id);

function fmt(v, digits = 1) { return v == null ? '–' : Number(v).toFixed(digits); }
function text(tag, t, cls) { const e = document.createElement(tag); e.textContent = t; if (cls) e.className = cls; return e; }

function renderPressure(p) {
  const box = $('pressure');
  if (!box) return;
  if (!p) { box.textContent = 'no PSI on this kernel'; box.dataset.available = 'false'; return; }
  box.dataset.available = 'true';
  box.textContent = ['cpu', 'memory', 'io'].filter((r) => p[r])
    .map((r) => `${r} ${fmt(p[r].some.avg10)}%`).join(' · ');
  box.title = 'share of time some task waited (avg10); full: ' + ['memory', 'io'].filter((r) => p[r] && p[r].full)
    .map((r) => `${r} ${fmt(p[r].full.avg10)}%`).join(', ');
}

function rowsOf(pods) {
  const isPods = pods.items.length > 0;
  return (isPods ? pods.items : pods.cgroups).map((g) => ({
    key: g.uid || g.cgroup,
    label: isPods ? (g.name ? `${g.namespace}/${g.name}` : `pod ${g.uid.slice(0, 8)}`) : g.cgroup,
    sub: isPods ? `${g.qos} · ${(g.containers || []).length} container(s)` : '',
    cpuPercent: g.cpuPercent,
    throttledPercent: g.throttledPercent,
    throttledSeconds: g.throttling ? g.throttling.throttledSeconds : null,
    pressure: g.pressure ? g.pressure.some.avg10 : null,
    containers: (g.containers || []).map((c) => `${c.name || c.id.slice(0, 12)} ${fmt(c.cpuPercent)}%`).join(', '),
  }));
}

function render() {
  const pods = state.last;
  const body = $('pods');
  if (!body || !pods) return;
  $('pods-kind').textContent = pods.items.length > 0 ? `${pods.count} pods` : 'cgroups by path';
  const rows = rowsOf(pods);
  const k = state.sort;
  rows.sort((a, b) => {
    const x = a[k] == null ? -Infinity : a[k];
    const y = b[k] == null ? -Infinity : b[k];
    const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
    return state.desc ? -c : c;
  });
  body.replaceChildren(...rows.slice(0, 20).map((r) => {
    const tr = document.createElement('tr');
    tr.className = 'pod' + (r.throttledPercent > 0 ? ' throttled' : '');
    tr.dataset.key = r.key;
    const name = text('td', r.label, 'name');
    name.title = r.containers || r.label;
    if (r.sub) name.append(text('div', r.sub, 'sub muted'));
    tr.append(name, text('td', fmt(r.cpuPercent) + (r.cpuPercent == null ? '' : '%'), 'num cpu'),
      text('td', r.throttledPercent > 0 ? `⚠ ${fmt(r.throttledPercent, 0)}%` : fmt(r.throttledPercent, 0), 'num thr'),
      text('td', fmt(r.throttledSeconds, 2), 'num'), text('td', fmt(r.pressure), 'num'));
    return tr;
  }));
  if (rows.length === 0) body.replaceChildren(Object.assign(document.createElement('tr'), { innerHTML: '<td colspan="5" class="empty">no cgroups</td>' }));
  document.querySelectorAll('table.pods th[data-sort]').forEach((th) => {
    th.dataset.dir = th.dataset.sort === state.sort ? (state.desc ? 'desc' : 'asc') : '';
  });
}

function onUsage(s) {
  state.samples++;
  renderPressure(s.pressure);
  state.last = s.pods;
  render();
}

document.querySelectorAll('table.pods th[data-sort]').forEach((th) => th.addEventListener('click', () => {
  state.desc = th.dataset.sort === state.sort ? !state.desc : th.dataset.sort !== 'label';
  state.sort = th.dataset.sort;
  render();
}));

window.nodepulseUsage = { get samples() { return state.samples; }, get sort() { return state.sort; } };
window.nodepulseBus.on(ADDRESS, onUsage);
