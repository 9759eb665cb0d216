export { createMetricsCsv, appendMetricsRow, rewriteMetricsCsv, METRICS_COLUMNS, type MetricsRow } from './metrics-csv.js';
export { renderPredictionGrid, type PredictionGridInput } from './predictions-image.js';
export { registerFonts, fontFiles, FONT_FAMILY } from './fonts.js';
export { readImageFile } from './image-files.js';
export { renderLineChart, renderVegaLitePng, lineChartSpec, type LineChart, type LineSeries } from './charts.js';
