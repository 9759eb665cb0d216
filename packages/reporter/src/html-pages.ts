import { existsSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { lineChartSpec, renderVegaLiteSvg } from './charts.js';
import { writeFileAtomic } from './files.js';
import { metricsColumnsOf, selectionColumn, TASK_COLUMNS } from '@specml/data';
import { findRunFolders, readRuns, summaryIfReadable, type MetricsRecord, type RunRecord, type RunSummary } from './run-folders.js';
import { RUN_FILES } from './run-files.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { readRegularFile } from '@specml/data';

/** The pictures a run folder may hold, in the order its report shows them. */
export const RUN_PICTURES = [
  [RUN_FILES.curvesPicture, 'Loss and accuracy (or R²) per epoch'],
  [RUN_FILES.predictedVersusTruePicture, 'Predicted against true values of the test rows'],
  [RUN_FILES.residualsPicture, 'Errors of the test rows'],
  [RUN_FILES.confusionPicture, 'Confusion matrix'],
  [RUN_FILES.predictionsPicture, 'Predictions on the first test images'],
  [RUN_FILES.misclassifiedPicture, 'The most confident mistakes'],
] as const;

const escape = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!);

const STYLE = `
  body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; color: #1a1a1a; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.7rem; text-align: left; white-space: nowrap; }
  th { white-space: normal; vertical-align: bottom; }
  th[data-sort] { cursor: pointer; user-select: none; background: #f3f4f7; }
  th[data-order="asc"]::after { content: " ▲"; } th[data-order="desc"]::after { content: " ▼"; }
  td.long { white-space: normal; min-width: 24rem; }
  pre { background: #f6f7f9; padding: 0.8rem; overflow: auto; }
  img { max-width: 100%; border: 1px solid #eee; }
  .status-completed { color: #17803d; } .status-diverged, .status-failed { color: #c0392b; } .status-interrupted, .status-running { color: #a06000; }
`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>
${body}
${script ? `<script>${script}</script>` : ''}
</body>
</html>
`;
}

const number = (value: number | undefined | null, digits = 4) => (value === undefined || value === null || !Number.isFinite(value) ? '' : value.toFixed(digits));

/** The most test rows the report shows from predictions.csv (the file has them all). */
const SHOWN_PREDICTIONS = 50;

/** The first rows of a CSV file of the run folder (untrusted: bounded, parsed, never rendered unescaped), or []. */
function csvRowsOf(dir: string, name: string, rows: number): string[][] {
  const file = join(dir, name);
  if (!existsSync(file)) return [];
  try {
    return parseCsv(readRegularFile(file), { relax_column_count: true, to_line: rows + 1 }) as string[][];
  } catch {
    return [];
  }
}

/** Cells longer than this (a review's text) wrap, so that a table stays within the page. */
const LONG_CELL = 40;

/** Rows as an HTML table, every cell escaped; `marked` rows get the failed colour. */
function htmlTable([header, ...body]: string[][], marked: (row: string[]) => boolean = () => false): string {
  return `<table><thead><tr>${header.map((cell) => `<th>${escape(cell)}</th>`).join('')}</tr></thead><tbody>${body
    .map((row) => `<tr${marked(row) ? ' class="status-failed"' : ''}>${row.map((cell) => `<td${cell.length > LONG_CELL ? ' class="long"' : ''}>${escape(cell)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A classifier's precision, recall and F1 per class (the first 50 classes), from per-class.csv. */
function perClassTable(dir: string): string {
  const rows = csvRowsOf(dir, RUN_FILES.perClass, SHOWN_PREDICTIONS);
  return rows.length > 1 ? `<h2>Per class on the test set (${RUN_FILES.perClass})</h2>\n${htmlTable(rows)}\n` : '';
}

/** The most test rows read from predictions.csv to find the most confident mistakes (the file is the run's own, but untrusted). */
const MAX_SCANNED_PREDICTIONS = 200_000;
const SHOWN_MISTAKES = 20;

/** A table's run: its first test rows' predictions as an HTML table (every cell escaped), and a classifier's most confident mistakes. */
function predictionsTable(dir: string, task: RunSummary['task']): string {
  // A classifier's file is read once for both tables (a text's holds every test row's text: parsing it was most of
  // the report's time); a regression's only as far as the rows shown.
  const [header, ...rows] = csvRowsOf(dir, RUN_FILES.predictions, task === 'regression' ? SHOWN_PREDICTIONS : MAX_SCANNED_PREDICTIONS);
  if (!header) return '';
  const body = rows.slice(0, SHOWN_PREDICTIONS);
  // A classifier's rows are in test order (wrong ones marked); a regression's, largest error first.
  const regression = header[1] === 'true_value';
  const wrong = (row: string[]) => !regression && row[1] !== row[2];
  const title = regression ? `The ${body.length} test rows with the largest errors (all in ${RUN_FILES.predictions})` : `Predictions on the first ${body.length} test rows (all in ${RUN_FILES.predictions})`;
  return `<h2>${escape(title)}</h2>\n${htmlTable([header, ...body], wrong)}\n${regression ? '' : mistakesTable(header, rows)}`;
}

/** A classifier's test rows it was most sure of and wrong about (with a text column, what to read first). */
function mistakesTable(header: string[], body: string[][]): string {
  const probabilityOf = (row: string[]) => Number(row[header.indexOf(`probability_${row[2]}`)]);
  const mistakes = body.filter((row) => row[1] !== row[2] && Number.isFinite(probabilityOf(row)));
  if (mistakes.length === 0) return '';
  const shown = mistakes.sort((a, b) => probabilityOf(b) - probabilityOf(a)).slice(0, SHOWN_MISTAKES);
  return `<h2>${escape(`The ${shown.length} most confident of ${mistakes.length} mistakes on the test rows`)}</h2>\n${htmlTable([header, ...shown])}\n`;
}

/** `epoch 12: validation accuracy 0.9312, test accuracy 0.9250 there`, or why a run has no best epoch. */
function bestEpochText(summary: RunSummary): string {
  if (!summary.best) return 'none: without validation data only the final epoch is reported (set data.validationSplit to choose an epoch without looking at the test set)';
  const chosenBy = selectionColumn(summary.task);
  const { headline } = TASK_COLUMNS[summary.task];
  return `epoch ${summary.best.epoch}: ${chosenBy.replace('_', ' ')} ${number(summary.best[chosenBy])}, ${headline.replace('_', ' ')} ${number(summary.best[headline])} there`;
}

/** A static page for one run: its summary, resolved spec, metrics and pictures. */
export function renderRunReport(run: RunRecord, indexHref?: string): string {
  const { summary } = run;
  const facts: Array<[string, unknown]> = [
    ['status', summary.status],
    ['backend', summary.backend],
    ['epochs', `${summary.epochsCompleted} of ${summary.epochs}`],
    ...Object.entries(summary.final ?? { test_loss: undefined }).map(([column, value]): [string, unknown] => [`final ${column.replace('_', ' ')}`, number(value)]),
    ['best epoch (chosen on validation data)', bestEpochText(summary)],
    ['baseline (a model that learnt nothing)', summary.baseline ? `${Object.entries(summary.baseline).filter(([key]) => key !== 'description').map(([column, value]) => `${column.replace('_', ' ')} ${number(value as number)}`).join(', ')}: ${summary.baseline.description}` : ''],
    ['trainable parameters', summary.parameters?.toLocaleString('en-US') ?? ''],
    ['seed', summary.seed],
    ['wall time', `${number(summary.durationSeconds, 1)} s`],
    ['peak memory', `${number(summary.peakRssMiB, 0)} MiB`],
    ['started', summary.startedAt],
    ['spec file', summary.specFile],
  ];
  const columns = metricsColumnsOf(summary.task, run.metrics.some((row) => row.validation_loss !== undefined));
  const metricsTable = `<table><thead><tr>${columns.map((column) => `<th>${column}</th>`).join('')}</tr></thead><tbody>${run.metrics
    .map((row) => `<tr>${columns.map((column) => `<td>${number(row[column], column === 'epoch' ? 0 : 4)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const pictures = perClassTable(run.dir) + predictionsTable(run.dir, summary.task) + RUN_PICTURES.filter(([file]) => existsSync(join(run.dir, file)))
    .map(([file, caption]) => `<h2>${caption}</h2><img src="${file}" alt="${escape(caption)}">`)
    .join('\n');
  const body = `
<p>${indexHref ? `<a href="${escape(indexHref)}">← all runs</a>` : ''}</p>
<h1>${escape(summary.name)} / ${escape(summary.runId)}</h1>
<table>${facts.map(([key, value]) => `<tr><th>${escape(key)}</th><td class="${key === 'status' ? `status-${escape(value)}` : ''}">${escape(value ?? '')}</td></tr>`).join('')}</table>
${summary.error ? `<h2>Error</h2><pre>${escape(summary.error)}</pre>` : ''}
<h2>Metrics</h2>
${metricsTable}
${pictures}
<h2>Resolved spec</h2>
<pre>${escape(stringifyYaml(run.spec))}</pre>`;
  return page(`${summary.name} / ${summary.runId}`, body);
}

/** The spec values the index shows for every run. */
function keySettings(spec: Record<string, any>): Record<string, string> {
  return {
    dataset: spec.data?.dataset ?? '',
    layers: (spec.model?.layers ?? []).map((layer: { units?: number }) => layer.units).join('-'),
    optimizer: spec.optimizer ? `${spec.optimizer.name} ${typeof spec.optimizer.learningRate === 'number' ? Number(spec.optimizer.learningRate.toPrecision(6)) : (spec.optimizer.learningRate ?? '')}` : '',
    batch: String(spec.batchSize ?? ''),
    epochs: String(spec.epochs ?? ''),
  };
}

const SORT_SCRIPT = `
document.querySelectorAll('#runs th[data-sort]').forEach(function (header, column) {
  header.addEventListener('click', function () {
    var body = document.querySelector('#runs tbody');
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.dataset.order !== 'asc';
    document.querySelectorAll('#runs th').forEach(function (other) { delete other.dataset.order; });
    header.dataset.order = ascending ? 'asc' : 'desc';
    var key = function (row) { var cell = row.cells[column]; return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent; };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      var order = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
`;

/**
 * What the index shows of each run that can change while it is written (status, report or not), as one
 * string: a writer compares it before and after writing, and writes again if another run moved meanwhile.
 */
export function runsIndexState(runsDir: string): string {
  return findRunFolders([runsDir])
    .map((dir) => `${dir}:${summaryIfReadable(dir)?.status ?? '?'}:${existsSync(join(dir, RUN_FILES.report))}`)
    .join('\n');
}

/**
 * The most runs the index's chart draws, the most recent: a chart's cost grows with its lines, and a
 * hundred lines in one chart (a sweep's trials) show nothing; the table lists every run.
 */
export const CHARTED_RUNS = 12;

/**
 * Rewrites `<runsDir>/index.html` from the run folders on disk: a sortable table of every run linking to
 * its report, and the test accuracy per epoch of the CHARTED_RUNS most recent. Rebuilt from disk and
 * replaced atomically, so runs finishing at the same time cannot lose each other's rows.
 */
export async function writeRunsIndex(runsDir: string): Promise<{ path: string; warnings: string[] }> {
  const { runs, warnings } = runsNewestFirst(runsDir);
  const columns = ['name', 'run id', 'dataset', 'layers', 'optimizer', 'batch', 'epochs', 'status', 'final test acc (rmse)', 'test acc (rmse) at best validation epoch', 'wall time (s)'];
  const rows = runs.map((run) => {
    const settings = keySettings(run.spec);
    const report = relative(runsDir, join(run.dir, RUN_FILES.report));
    const link = existsSync(join(run.dir, RUN_FILES.report)) ? `<a href="${escape(report)}">${escape(run.summary.runId)}</a>` : escape(run.summary.runId);
    const cells = [
      escape(run.summary.name),
      link,
      escape(settings.dataset),
      escape(settings.layers),
      escape(settings.optimizer),
      escape(settings.batch),
      escape(settings.epochs),
      `<span class="status-${escape(run.summary.status)}">${escape(run.summary.status)}</span>`,
      number(run.summary.final?.test_accuracy ?? run.summary.final?.test_rmse),
      number(run.summary.best?.test_accuracy ?? run.summary.best?.test_rmse),
      number(run.summary.durationSeconds, 1),
    ];
    return `<tr>${cells.map((cell, index) => `<td${index === 1 ? ` data-value="${escape(run.summary.runId)}"` : ''}>${cell}</td>`).join('')}</tr>`;
  });
  const charted = runs.slice(0, CHARTED_RUNS);
  const chart = runs.length ? await indexChartSvg(charted) : '<p>No runs yet.</p>';
  const body = `
<h1>Runs in ${escape(runsDir)}</h1>
<p>${runs.length} run${runs.length === 1 ? '' : 's'}. Click a column to sort; a run id opens its report.</p>
<table id="runs"><thead><tr>${columns.map((column) => `<th data-sort>${column}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<h2>Test accuracy per epoch${charted.length < runs.length ? ` of the ${charted.length} most recent runs` : ''}</h2>
<div id="chart">${chart}</div>`;
  const path = join(runsDir, 'index.html');
  writeFileAtomic(path, page(`specml runs: ${runsDir}`, body, SORT_SCRIPT));
  return { path, warnings };
}

/**
 * Has the chart thread draw the runs index's chart now, from the runs on disk, for writeRunsIndex to find
 * drawn: a run asks for it once its metrics are final, while it saves its model and its pictures are drawn,
 * instead of after them. Best-effort: what goes wrong here goes wrong again, and is told, in writeRunsIndex.
 */
export function drawRunsIndexChartAhead(runsDir: string): void {
  try {
    // Only the newest folders are read (a run's id, its folder's name, starts with its time): a large runs dir
    // is read whole once, by writeRunsIndex, not twice. Where they are not the runs it charts, it draws anew.
    const newest = findRunFolders([runsDir]).sort((a, b) => basename(b).localeCompare(basename(a)));
    const charted: RunRecord[] = [];
    for (const dir of newest) {
      if (charted.length === CHARTED_RUNS) break;
      const { runs } = readRuns([dir]);
      charted.push(...runs);
    }
    charted.sort(newestFirst);
    if (charted.length) indexChartSvg(charted).catch(() => undefined);
  } catch {
    // told by writeRunsIndex
  }
}

function runsNewestFirst(runsDir: string): { runs: RunRecord[]; warnings: string[] } {
  const { runs, warnings } = readRuns(findRunFolders([runsDir]));
  return { runs: runs.sort(newestFirst), warnings };
}

const newestFirst = (a: RunRecord, b: RunRecord) => b.summary.runId.localeCompare(a.summary.runId);

/** A run's test accuracy per trained epoch: epoch 0 (untrained, ≈ chance) would flatten the differences. */
const trainedAccuracy = (rows: readonly MetricsRecord[]) => rows.filter((row) => row.epoch > 0 && row.test_accuracy !== undefined).map((row) => ({ x: row.epoch, y: row.test_accuracy! }));

/** The last index chart asked for, by its spec: one drawn ahead is taken as it is, any other chart drawn anew. */
let lastIndexChart: { spec: string; svg: Promise<string> } | undefined;

function indexChartSvg(charted: readonly RunRecord[]): Promise<string> {
  const series = charted.map((run) => ({ name: `${run.summary.name}/${run.summary.runId}`, points: trainedAccuracy(run.metrics) }));
  const spec = lineChartSpec({ title: '', xTitle: 'epoch', yTitle: 'test accuracy', series });
  const key = JSON.stringify(spec);
  if (lastIndexChart?.spec === key) return lastIndexChart.svg;
  const svg = renderVegaLiteSvg(spec);
  lastIndexChart = { spec: key, svg };
  // A chart that failed is drawn again when asked for again.
  svg.catch(() => {
    if (lastIndexChart?.svg === svg) lastIndexChart = undefined;
  });
  return svg;
}
