// The dashboard page: the runs table (filter, sort, select), live through server-sent events, and the
// charts of the selected runs and of a sweep, whose Vega-Lite specs the server builds with the same code as
// comparison.png. Plain browser JavaScript, no build step; everything comes from this server.
'use strict';

const state = {
  runs: new Map(),
  sweeps: new Map(),
  selected: new Set(),
  /** Whether the person chose the selection (then updates no longer change it). */
  chosen: false,
  sweepId: '',
  sweepChosen: false,
  filter: '',
  status: '',
  sort: { key: 'startedAt', descending: true },
};

/**
 * The table's columns: header, value for sorting, cell. A cell is built from DOM nodes whose text is set as
 * text: nothing a run folder holds is ever parsed as HTML (a run folder may come from anyone).
 */
const COLUMNS = [
  {
    title: '',
    sortable: false,
    cell: (run) => {
      const box = element('input', { type: 'checkbox', 'data-id': run.id, 'aria-label': `select ${run.id}` });
      box.checked = state.selected.has(run.id);
      return box;
    },
  },
  { title: 'run', key: 'id', value: (run) => run.id, cell: (run) => link(`/runs/${encodePath(run.id)}/report.html`, `${run.name}/${run.runId}`) },
  { title: 'status', key: 'status', value: (run) => run.status, cell: (run) => element('span', { class: `status ${run.status}` }, run.status) },
  { title: 'settings', key: 'settings', value: (run) => settingsText(run), cell: (run) => settingsText(run) },
  { title: 'epochs', key: 'epochs', value: (run) => run.epochsCompleted, cell: (run) => `${run.epochsCompleted}/${run.epochs}`, number: true },
  { title: 'test acc', key: 'final', value: (run) => headline(run.final), cell: (run) => headlineText(run.final), number: true },
  { title: 'val. acc', key: 'validation', value: (run) => validationHeadline(run.final), cell: (run) => validationText(run.final), number: true },
  { title: 'test acc at best val. epoch', key: 'best', value: (run) => headline(run.best), cell: (run) => (run.best ? `${headlineText(run.best)} (epoch ${run.best.epoch})` : '-'), number: true },
  { title: 'seconds', key: 'durationSeconds', value: (run) => run.durationSeconds, cell: (run) => fixed(run.durationSeconds, 1), number: true },
  { title: 'backend', key: 'backend', value: (run) => run.backend ?? '', cell: (run) => run.backend ?? '' },
  { title: 'worker', key: 'worker', value: (run) => run.worker ?? '', cell: (run) => run.worker ?? '' },
  { title: 'classes', key: 'classes', value: (run) => run.classCount, cell: (run) => classesText(run) },
  { title: 'started', key: 'startedAt', value: (run) => run.startedAt, cell: (run) => String(run.startedAt).replace('T', ' ').slice(0, 19) },
  {
    title: 'files',
    sortable: false,
    cell: (run) => {
      const links = document.createDocumentFragment();
      for (const file of ['curves.png', 'confusion.png', run.predictionsFile, 'metrics.csv', 'spec.yaml']) links.append(link(`/runs/${encodePath(run.id)}/${file}`, file.split('.')[0]), ' ');
      return links;
    },
  },
];

/** An element with attributes (set as values, never parsed) and text content. */
function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}
const link = (href, text) => element('a', { href, target: '_blank' }, text);

/** The spec keys shown in the table: those that differ between the runs listed (at most 4). */
let shownKeys = [];

const encodePath = (id) => id.split('/').map(encodeURIComponent).join('/');
const fixed = (value, digits = 4) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-');
/** A run's headline number to sort by, higher is better: test accuracy, or for a regression R² (or −RMSE). */
const headline = (metrics) => metrics?.test_accuracy ?? metrics?.test_r2 ?? (metrics?.test_rmse !== undefined ? -metrics.test_rmse : -Infinity);
/** The accuracy, or for a regression `rmse 3.21`. */
const headlineText = (metrics) => (metrics?.test_rmse !== undefined ? `rmse ${fixed(metrics.test_rmse)}` : fixed(metrics?.test_accuracy));
/** The final validation score (accuracy, or `rmse 3.21`), where the run has validation data. */
const validationHeadline = (metrics) => metrics?.validation_accuracy ?? (metrics?.validation_rmse !== undefined ? -metrics.validation_rmse : -Infinity);
const validationText = (metrics) => (metrics?.validation_rmse !== undefined ? `rmse ${fixed(metrics.validation_rmse)}` : metrics?.validation_accuracy !== undefined ? fixed(metrics.validation_accuracy) : '-');
/** `3: setosa, versicolor, virginica`: how many classes and the first few names (a regression: `a number`). */
const classesText = (run) => (run.task === 'regression' ? 'a number' : `${run.classCount}: ${run.classNames.slice(0, 4).join(', ')}${run.classCount > 4 ? ', …' : ''}`);
const settingsText = (run) => shownKeys.map((key) => `${key}=${run.settings[key] ?? '-'}`).join(' ');

function apply(change) {
  for (const run of change.runs) state.runs.set(run.id, run);
  for (const sweep of change.sweeps) state.sweeps.set(sweep.id, sweep);
  for (const id of change.removed ?? []) {
    state.runs.delete(id);
    state.sweeps.delete(id);
    state.selected.delete(id);
  }
}

const byStart = (a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0);

/** Until the person chooses: the latest sweep's trials, or else the last five runs. */
function defaultSelection() {
  const latest = [...state.sweeps.values()].sort(byStart)[0];
  if (!state.sweepChosen) state.sweepId = latest?.id ?? '';
  if (state.chosen) return;
  const name = latest?.id.split('/')[0];
  const trialIds = latest ? latest.trials.filter((trial) => trial.runId).map((trial) => `${name}/${trial.runId}`) : [];
  const ids = trialIds.length ? trialIds : [...state.runs.values()].sort(byStart).slice(0, 5).map((run) => run.id);
  state.selected = new Set(ids.slice(0, 50));
}

function visibleRuns() {
  const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const runs = [...state.runs.values()].filter((run) => {
    if (state.status && run.status !== state.status) return false;
    if (!words.length) return true;
    const text = `${run.id} ${run.status} ${run.backend ?? ''} ${run.worker ?? ''} ${Object.entries(run.settings).map(([k, v]) => `${k}=${v}`).join(' ')}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const keys = new Set(runs.flatMap((run) => Object.keys(run.settings)));
  shownKeys = [...keys].filter((key) => key !== 'name' && new Set(runs.map((run) => run.settings[key])).size > 1).slice(0, 4);
  const column = COLUMNS.find((c) => c.key === state.sort.key);
  const sign = state.sort.descending ? -1 : 1;
  return runs.sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

function renderTable() {
  const runs = visibleRuns();
  document.querySelector('#table thead tr').replaceChildren(
    ...COLUMNS.map((c) => {
      const header = element('th', c.key ? { 'data-key': c.key } : {}, c.title);
      if (c.key === state.sort.key) header.className = `sorted${state.sort.descending ? '' : ' up'}`;
      return header;
    }),
  );
  document.querySelector('#table tbody').replaceChildren(
    ...runs.map((run) => {
      const row = element('tr', { 'data-id': run.id });
      if (state.selected.has(run.id)) row.className = 'selected';
      for (const c of COLUMNS) {
        const cell = element('td', c.number ? { class: 'number' } : {});
        const content = c.cell(run);
        if (typeof content === 'string') cell.textContent = content;
        else cell.append(content);
        row.append(cell);
      }
      return row;
    }),
  );
  document.getElementById('counts').textContent = `${runs.length} of ${state.runs.size} runs, ${state.selected.size} selected`;
  // What the table now shows, for anyone (a test) that must wait for a render rather than for time.
  document.getElementById('table').dataset.sort = `${state.sort.key}:${state.sort.descending ? 'descending' : 'ascending'}`;
}

function renderSweepSelect() {
  const select = document.getElementById('sweep-select');
  const sweeps = [...state.sweeps.values()].sort(byStart);
  select.replaceChildren(
    ...(sweeps.length
      ? sweeps.map((sweep) => {
          const option = element('option', { value: sweep.id }, `${sweep.id} (${sweep.method}, ${sweep.trials.length}/${sweep.trialCount} trials, ${sweep.state})`);
          option.selected = sweep.id === state.sweepId;
          return option;
        })
      : [element('option', { value: '' }, 'no sweeps in this runs dir')]),
  );
}

/** Views on the page, finalized before they are replaced. */
const views = {};
let chartsQueued = false;
let chartsRunning = false;

/** Re-draws the charts, at most one request at a time (updates that land meanwhile are folded in). */
function renderCharts() {
  chartsQueued = true;
  if (chartsRunning) return;
  chartsRunning = true;
  (async () => {
    while (chartsQueued) {
      chartsQueued = false;
      const runs = [...state.selected].join(',');
      const query = new URLSearchParams({ runs, sweep: state.sweepId, epoch0: document.getElementById('epoch0').checked ? '1' : '0' });
      const specs = await (await fetch(`/api/charts?${query}`)).json();
      document.getElementById('selection-note').textContent = state.selected.size ? '' : 'Select runs in the table to draw their curves.';
      document.getElementById('verdict').textContent = specs.verdict ?? '';
      const sweep = state.sweeps.get(state.sweepId);
      document.getElementById('sweep-note').textContent = sweep ? `${sweep.keys.join(', ')} → ${sweep.metric.name} (${sweep.metric.goal}); finished trials only` : '';
      for (const name of ['curves', 'finals', 'parallel', 'scatter']) await draw(name, specs[name]);
    }
  })()
    .catch((error) => console.warn(`charts: ${error.message}`))
    .finally(() => {
      chartsRunning = false;
    });
}

async function draw(name, spec) {
  const container = document.getElementById(name);
  views[name]?.finalize();
  delete views[name];
  container.innerHTML = '';
  if (!spec) return;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'svg', container, hover: true });
  views[name] = view;
  await view.runAsync();
}

let renderQueued = false;
function scheduleRender(chartsToo) {
  if (chartsToo) renderCharts();
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderTable();
    renderSweepSelect();
  });
}

function listen() {
  const live = document.getElementById('live');
  const events = new EventSource('/api/events');
  events.onopen = () => {
    live.textContent = 'live';
    live.className = 'live on';
  };
  events.onerror = () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  };
  events.addEventListener('change', (event) => {
    const change = JSON.parse(event.data);
    apply(change);
    const before = [...state.selected].join(',');
    const sweepBefore = state.sweepId;
    defaultSelection();
    const touched = change.runs.some((run) => state.selected.has(run.id)) || change.sweeps.some((sweep) => sweep.id === state.sweepId) || change.removed.length > 0;
    scheduleRender(touched || before !== [...state.selected].join(',') || sweepBefore !== state.sweepId);
  });
}

function bind() {
  document.getElementById('filter').addEventListener('input', (event) => {
    state.filter = event.target.value;
    scheduleRender(false);
  });
  document.getElementById('status').addEventListener('change', (event) => {
    state.status = event.target.value;
    scheduleRender(false);
  });
  document.getElementById('epoch0').addEventListener('change', () => renderCharts());
  document.getElementById('select-none').addEventListener('click', () => {
    state.chosen = true;
    state.selected.clear();
    scheduleRender(true);
  });
  document.getElementById('sweep-select').addEventListener('change', (event) => {
    state.sweepChosen = true;
    state.sweepId = event.target.value;
    renderCharts();
  });
  document.querySelector('#table thead').addEventListener('click', (event) => {
    const key = event.target.closest('th')?.dataset.key;
    if (!key) return;
    state.sort = { key, descending: state.sort.key === key ? !state.sort.descending : true };
    scheduleRender(false);
  });
  document.querySelector('#table tbody').addEventListener('change', (event) => {
    const id = event.target.dataset.id;
    if (!id) return;
    state.chosen = true;
    if (event.target.checked) state.selected.add(id);
    else state.selected.delete(id);
    scheduleRender(true);
  });
}

async function start() {
  const snapshot = await (await fetch('/api/state')).json();
  document.getElementById('runs-dir').textContent = snapshot.runsDir;
  apply({ runs: snapshot.runs, sweeps: snapshot.sweeps, removed: [] });
  defaultSelection();
  bind();
  scheduleRender(true);
  listen();
}

start();
