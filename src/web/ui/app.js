// The rpm dashboard: the process table (polled), a live log tail and the notices of
// GET /api/events (both streamed with fetch, so the token can travel as a header).
'use strict';

const TOKEN_KEY = 'rpm-web-token';
const rowsEl = document.getElementById('rows');
const errorEl = document.getElementById('error');
const logEl = document.getElementById('log');
const eventsEl = document.getElementById('events');
let selected = null;
let logAbort = null;

function token() { return localStorage.getItem(TOKEN_KEY) || ''; }

function askToken() {
  const given = prompt('The token in RPM_HOME/web.token (needed for actions):', token());
  if (given !== null) { localStorage.setItem(TOKEN_KEY, given.trim()); }
  return token();
}

function headers() {
  const t = token();
  return t ? { Authorization: 'Bearer ' + t } : {};
}

async function call(method, path) {
  let response = await fetch(path, { method, headers: headers() });
  if (response.status === 401) {
    askToken();
    response = await fetch(path, { method, headers: headers() });
  }
  return response;
}

function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let n = bytes, i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}

function duration(ms) {
  if (ms == null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function actionButton(label, id, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', async (e) => {
    e.stopPropagation();
    b.disabled = true;
    try {
      const r = await call('POST', `/api/processes/${id}/${action}`);
      if (!r.ok) { showError((await r.json()).error || r.statusText); }
    } catch (err) { showError(String(err)); }
    b.disabled = false;
    refresh();
  });
  return b;
}

function showError(text) {
  errorEl.textContent = text;
  errorEl.hidden = !text;
}

function render(rows) {
  rowsEl.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement('tr');
    tr.appendChild(cell('no app yet: rpm start …', 'muted')).colSpan = 10;
    rowsEl.appendChild(tr);
  }
  for (const p of rows) {
    const tr = document.createElement('tr');
    tr.dataset.id = p.id;
    tr.className = 'app-row' + (p.id === selected ? ' selected' : '');
    tr.append(cell(p.id, 'num'), cell(p.name), cell(p.namespace),
      cell(p.status, 'status-' + p.status), cell(p.pid ?? '-', 'num'),
      cell(p.cpu.toFixed(1) + '%', 'num'), cell(human(p.memory), 'num'),
      cell(p.restarts, 'num'), cell(duration(p.uptime_ms), 'num'));
    const actions = document.createElement('td');
    actions.append(actionButton('restart', p.id, 'restart'), ' ', actionButton('stop', p.id, 'stop'));
    tr.appendChild(actions);
    tr.addEventListener('click', () => follow(p));
    rowsEl.appendChild(tr);
  }
}

async function refresh() {
  try {
    const r = await call('GET', '/api/processes');
    if (!r.ok) { showError((await r.json()).error || r.statusText); return; }
    const rows = await r.json();
    render(rows);
    if (selected === null && rows.length) follow(rows[0]);
    showError('');
    document.getElementById('connection').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    document.getElementById('connection').textContent = 'cannot reach rpm web';
  }
}

// Reads a Server-Sent Events stream and calls `onData` with each event's data.
async function stream(path, signal, onData) {
  const r = await fetch(path, { headers: headers(), signal });
  if (!r.ok || !r.body) return;
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onData(data);
    }
  }
}

function follow(p) {
  selected = p.id;
  document.getElementById('log-title').textContent = `${p.name} (id ${p.id})`;
  for (const tr of rowsEl.children) tr.classList.toggle('selected', Number(tr.dataset.id) === p.id);
  if (logAbort) logAbort.abort();
  logAbort = new AbortController();
  logEl.replaceChildren();
  stream(`/api/processes/${p.id}/logs?follow=1&lines=100`, logAbort.signal, (data) => {
    const line = JSON.parse(data);
    const span = document.createElement('span');
    span.textContent = line.message + '\n';
    if (line.stream === 'err') span.className = 'err';
    logEl.appendChild(span);
    while (logEl.childNodes.length > 1000) logEl.removeChild(logEl.firstChild);
    logEl.scrollTop = logEl.scrollHeight;
  }).catch(() => {});
}

function listenEvents() {
  stream('/api/events', undefined, (data) => {
    const n = JSON.parse(data);
    const li = document.createElement('li');
    const what = n.event === 'status' ? `${n.from} → ${n.to}` :
      n.event === 'exited' ? `exited (${n.signal || 'code ' + n.code})` :
      n.event === 'restarting' ? `restarting (${n.reason})` : n.event;
    li.textContent = `${new Date(n.at).toLocaleTimeString()} ${n.name} (id ${n.id}) ${what}`;
    eventsEl.prepend(li);
    while (eventsEl.childNodes.length > 200) eventsEl.removeChild(eventsEl.lastChild);
    refresh();
  }).catch(() => {}).finally(() => setTimeout(listenEvents, 2000));
}

document.getElementById('token-button').addEventListener('click', askToken);
refresh();
setInterval(refresh, 2000);
listenEvents();
