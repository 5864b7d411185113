/**
 * The dashboard's one page: self-contained (styles, script and the worker statechart SVG
 * inline; nothing fetched but its own `/events` and `/api/*`), so it works offline. Its
 * script applies the `/events` stream: a `transition` moves a worker's mark on the chart at
 * once; a `status` (not older than the last applied event) redraws the header and table.
 * The stream is asked for with the page's token, so once this page's control is gone, a
 * control started later on the same port (a new token) refuses it: the page then stops,
 * disables its buttons and says to open the address the new control printed, instead of
 * showing that control as its own and failing its commands.
 *
 * Test hooks, stable by contract: each state node of the chart (`#state:<path>`) carries
 * `data-count` (workers in it) and the class `marked`; each table row is
 * `tr[data-worker=<id>]` with `data-state` and `data-generation`; `#master` has
 * `data-state`, `data-health`, `data-restarting` and `data-generation`; `#link` has
 * `data-link`: `connecting`, `live`, `lost`, `stopped` or `replaced`.
 */
import { tokenHeader, tokenParam } from './request-guard.js';

export interface DashboardPage {
  token: string;
  /** CSP nonce of the inline style and script. */
  nonce: string;
  /** The worker statechart as an SVG document (Graphviz output). */
  workerSvg: string;
}

export function renderDashboardPage({ token, nonce, workerSvg }: DashboardPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="clusterchart-token" content="${escapeHtml(token)}">
<title>clusterchart</title>
<style nonce="${nonce}">${styles}</style>
</head>
<body>
<header>
  <h1>clusterchart</h1>
  <div id="master">
    <span class="badge" id="master-state">…</span>
    <span class="badge" id="master-health">…</span>
    <span id="master-facts"></span>
  </div>
  <div id="actions">
    <button type="button" id="restart">Restart</button>
    <button type="button" id="size-down" title="Remove one worker">Size −1</button>
    <button type="button" id="size-up" title="Add one worker">Size +1</button>
    <span id="link" class="badge off" data-link="connecting">connecting…</span>
  </div>
  <p id="notice" hidden></p>
</header>
<main>
  <section id="chart">
    <h2>Worker statechart</h2>
    <div id="chart-svg">${inlineSvg(workerSvg)}</div>
  </section>
  <section id="workers">
    <h2>Workers <span id="worker-count"></span></h2>
    <div class="table-wrap"><table>
      <thead><tr><th>id</th><th>pid</th><th>state</th><th>gen</th><th>slot</th><th>uptime</th><th>restarts</th><th>conns</th><th>memory</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <h2>Events</h2>
    <ol id="events" reversed></ol>
  </section>
</main>
<script nonce="${nonce}">${script}</script>
</body>
</html>
`;
}

/** Graphviz's SVG without its XML prolog and doctype, for inline use in HTML. */
function inlineSvg(svg: string): string {
  const at = svg.indexOf('<svg');
  return at === -1 ? '' : svg.slice(at).replace(/<!--[\s\S]*?-->\n?/g, '');
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const styles = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --ok: #12805c; --warn: #b54708; --bad: #b42318; --mark: #fde68a; --mark-line: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: #f8fafc; }
header { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 8px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 999px; background: #eef2f6; font-weight: 600; }
.badge.ok { background: #d1fadf; color: var(--ok); }
.badge.warn { background: #fef0c7; color: var(--warn); }
.badge.bad { background: #fee4e2; color: var(--bad); }
.badge.off { background: #eef2f6; color: var(--muted); }
#master-facts { color: var(--muted); margin-left: 8px; }
#notice { flex-basis: 100%; margin: 0; padding: 8px 12px; border-radius: 6px; background: #fee4e2; color: var(--bad); font-weight: 600; }
#actions { display: flex; gap: 8px; align-items: center; margin-left: auto; }
button { font: inherit; padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button:hover:not(:disabled) { background: #f2f4f7; }
button:disabled { opacity: .5; cursor: default; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(380px, 2fr); gap: 20px; padding: 20px; }
@media (max-width: 1000px) { main { grid-template-columns: 1fr; } }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px; min-width: 0; }
#chart-svg svg { width: 100%; height: auto; max-height: 78vh; }
#chart-svg .state.marked > path, #chart-svg .state.marked > polygon { fill: var(--mark); stroke: var(--mark-line); stroke-width: 2; }
#chart-svg .cc-badge circle { fill: var(--mark-line); }
#chart-svg .cc-badge text { fill: #fff; font: 700 11px system-ui, sans-serif; }
.table-wrap { overflow-x: auto; margin-bottom: 16px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eaecf0; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.state { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
tr.leaving td { color: var(--muted); }
#events { margin: 0; padding-left: 44px; max-height: 40vh; overflow: auto; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
#events li { padding: 1px 0; }
#events time { color: var(--muted); margin-right: 8px; }
#events .link { color: var(--muted); border-top: 1px solid var(--line); }
#events .bad { color: var(--bad); }
`;

const script = `
'use strict';
const token = document.querySelector('meta[name="clusterchart-token"]').content;
const svgNs = 'http://www.w3.org/2000/svg';
const workers = new Map();
let lastSeq = 0;
let master = null;
// What the page knows of its control's stream: connecting, live, lost (it broke; the browser
// retries), stopped (it broke after a status that said so; still retried, to notice a
// successor), replaced (the port answers, but not with this page's stream: final).
let link = 'connecting';

const $ = (id) => document.getElementById(id);
const nodes = [...document.querySelectorAll('#chart-svg g.state')].filter((g) => g.classList.contains('node'));
const nodeOf = new Map(nodes.map((g) => [g.id.slice('state:'.length), g]));
for (const g of nodes) g.dataset.count = '0';

function mark() {
  const counts = new Map();
  for (const w of workers.values()) counts.set(w.state, (counts.get(w.state) || 0) + 1);
  for (const [path, g] of nodeOf) {
    const n = counts.get(path) || 0;
    if (g.dataset.count !== String(n)) g.dataset.count = String(n);
    g.classList.toggle('marked', n > 0);
    let badge = g.querySelector('.cc-badge');
    if (n === 0) { if (badge) badge.remove(); continue; }
    if (!badge) {
      const box = g.getBBox();
      badge = document.createElementNS(svgNs, 'g');
      badge.setAttribute('class', 'cc-badge');
      const circle = document.createElementNS(svgNs, 'circle');
      circle.setAttribute('cx', String(box.x + box.width - 2));
      circle.setAttribute('cy', String(box.y + 2));
      circle.setAttribute('r', '9');
      const text = document.createElementNS(svgNs, 'text');
      text.setAttribute('x', String(box.x + box.width - 2));
      text.setAttribute('y', String(box.y + 6));
      text.setAttribute('text-anchor', 'middle');
      badge.append(circle, text);
      g.append(badge);
    }
    badge.querySelector('text').textContent = String(n);
  }
}

const fmtMs = (ms) => {
  if (ms == null) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
};
const fmtBytes = (b) => (b == null ? '—' : (b / 1048576).toFixed(1) + ' MiB');
const name = (w) => '#' + w.id + '[' + (w.pid == null ? '?' : w.pid) + ']';
const leaving = (state) => state === 'disconnecting' || state.startsWith('exiting') || state === 'exited';

function renderTable() {
  const body = document.querySelector('#workers tbody');
  const rows = [...workers.values()].sort((a, b) => a.id - b.id).map((w) => {
    const tr = document.createElement('tr');
    tr.dataset.worker = String(w.id);
    tr.dataset.state = w.state;
    tr.dataset.generation = String(w.generation);
    if (leaving(w.state)) tr.className = 'leaving';
    const cells = [w.id, w.pid == null ? '—' : w.pid, w.state, w.generation, w.slot, fmtMs(w.uptime), w.restarts == null ? '—' : w.restarts, w.connections == null ? '—' : w.connections, fmtBytes(w.memory)];
    cells.forEach((value, i) => {
      const td = document.createElement('td');
      if (i === 2) td.className = 'state';
      td.textContent = String(value);
      tr.append(td);
    });
    return tr;
  });
  body.replaceChildren(...rows);
  $('worker-count').textContent = '(' + workers.size + ')';
}

function renderMaster() {
  if (!master) return;
  const el = $('master');
  el.dataset.state = master.state;
  el.dataset.health = master.health;
  el.dataset.restarting = String(master.restarting);
  el.dataset.generation = String(master.generation);
  const state = $('master-state');
  state.textContent = master.state + (master.restarting ? ' · restarting' : '');
  state.className = 'badge ' + (master.state === 'running' ? 'ok' : master.state === 'stopped' ? 'bad' : 'warn');
  const health = $('master-health');
  health.textContent = 'health ' + master.health;
  health.className = 'badge ' + (master.health === 'ok' ? 'ok' : master.health === 'danger' ? 'warn' : 'bad');
  $('master-facts').textContent = 'size ' + (master.size == null ? '—' : master.size) + ' · generation ' + master.generation + ' · pid ' + master.pid;
  const running = master.state === 'running' && link === 'live';
  $('restart').disabled = !running;
  $('size-up').disabled = !running;
  $('size-down').disabled = !running || workers.size === 0 || master.size === 0;
}

function log(text, className) {
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString(undefined, { hour12: false });
  li.append(time, document.createTextNode(text));
  if (className) li.className = className;
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

// Which give-up limit the crashes passed, as giveup and restartAbandoned say it.
function passed(e, inARow) {
  return e.exits + (e.cause === 'window' ? ' unexpected exits in ' + e.window + ' ms' : inARow);
}

function describe(e) {
  switch (e.type) {
    case 'fork': case 'online': case 'ready': case 'disconnect': case 'shutdown': case 'terminate': case 'kill':
      return e.type + ' ' + name(e.worker);
    case 'exit':
      return 'exit ' + name(e.worker) + ' ' + (e.exit.signal || 'code ' + e.exit.code) + ' (' + e.exit.phase + (e.exit.expected ? ', expected' : ', unexpected') + ')';
    case 'startRestart': return 'rolling restart to generation ' + e.generation;
    case 'restart': return 'rolling restart done: generation ' + e.generation;
    case 'restartAbandoned': return 'rolling restart to generation ' + e.generation + ' abandoned: ' + passed(e, ' crashes in a row') + '; the older workers keep serving';
    case 'setSize': case 'resize': return e.type + ' ' + (e.size == null ? '—' : e.size);
    case 'memoryLimit': return 'over maxMemory ' + name(e.worker) + ': ' + Math.round(e.memory / 1048576) + ' MiB (limit ' + Math.round(e.limit / 1048576) + ' MiB), replaced';
    case 'danger': return 'danger: forks held back ' + e.delay + ' ms';
    case 'giveup': return 'gave up: ' + passed(e, ' crashes in a row at startup or before minRestartAge');
    case 'error': return 'error: ' + e.error.message;
    default: return e.type;
  }
}

const linkBadges = {
  live: ['live', 'ok'],
  lost: ['connection lost · retrying', 'warn'],
  stopped: ['control stopped', 'off'],
  replaced: ['control gone', 'bad'],
};
// The line each change of link writes in the event list, so what came before and after is told apart.
const linkLines = {
  live: 'connected to the control',
  lost: 'connection to the control lost',
  stopped: 'control stopped',
  replaced: 'this port no longer serves the control of this page: the page stops here',
};
function setLink(next) {
  if (next === link) return;
  const reconnected = next === 'live' && link !== 'connecting';
  link = next;
  const badge = $('link');
  badge.dataset.link = next;
  badge.textContent = linkBadges[next][0];
  badge.className = 'badge ' + linkBadges[next][1];
  if (next !== 'live' || reconnected) log(linkLines[next], next === 'replaced' ? 'bad link' : 'link');
  for (const id of ['restart', 'size-up', 'size-down']) $(id).disabled = next !== 'live';
  renderMaster();
}

const source = new EventSource('/events?${tokenParam}=' + encodeURIComponent(token));
source.addEventListener('open', () => setLink('live'));
source.addEventListener('error', () => {
  lastSeq = 0;
  // CLOSED: the port answered, but not with this page's stream (EventSource gives up on any
  // answer but a 200 event stream): its control is gone and another dashboard (a new
  // token) or another server took the port. CONNECTING: the browser retries by itself.
  if (source.readyState === EventSource.CLOSED) {
    const notice = $('notice');
    notice.textContent = 'The control this page belonged to is gone, and what answers on this port now is not its dashboard (each run has its own token). Open the address the running control printed.';
    notice.hidden = false;
    setLink('replaced');
  } else {
    setLink(master && master.state === 'stopped' ? 'stopped' : 'lost');
  }
});
source.addEventListener('status', (m) => {
  const { seq, status } = JSON.parse(m.data);
  if (seq < lastSeq) return;
  lastSeq = seq;
  master = status.master;
  workers.clear();
  for (const w of status.workers) workers.set(w.id, w);
  mark(); renderTable(); renderMaster();
});
source.addEventListener('transition', (m) => {
  const t = JSON.parse(m.data);
  lastSeq = Math.max(lastSeq, t.seq);
  const w = workers.get(t.worker.id) || { ...t.worker, uptime: null, restarts: null, connections: null, memory: null };
  w.pid = t.worker.pid;
  w.state = t.to;
  workers.set(t.worker.id, w);
  mark(); renderTable();
  log(name(t.worker) + ' ' + (t.from === null ? '' : t.from + ' ') + '→ ' + t.to);
});
source.addEventListener('event', (m) => {
  const e = JSON.parse(m.data);
  lastSeq = Math.max(lastSeq, e.seq);
  if (e.type === 'exit') { workers.delete(e.worker.id); mark(); renderTable(); renderMaster(); }
  log(describe(e), e.type === 'error' || e.type === 'giveup' || e.type === 'restartAbandoned' || e.type === 'danger' || (e.type === 'exit' && !e.exit.expected) ? 'bad' : '');
});

async function command(path, button) {
  button.disabled = true;
  try {
    const res = await fetch(path, { method: 'POST', headers: { '${tokenHeader}': token } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) log(path + ': ' + res.status + ' ' + ((body.error && body.error.message) || res.statusText), 'bad');
  } catch (error) {
    log(path + ': ' + error.message, 'bad');
  } finally {
    renderMaster();
  }
}
$('restart').addEventListener('click', (e) => command('/api/restart', e.currentTarget));
$('size-up').addEventListener('click', (e) => command('/api/add', e.currentTarget));
$('size-down').addEventListener('click', (e) => command('/api/remove', e.currentTarget));
`;
