// The names of a run folder's files: the run format's one list (the runner writes them, the reporter, the
// dashboard and the queue read them). Its own module, so that sweep folders can name them without a cycle.

/** The files and folders of a run folder, named once for everything that writes or reads one. */
export const RUN_FILES = {
  summary: 'summary.json',
  metrics: 'metrics.csv',
  spec: 'spec.yaml',
  checkpoint: 'checkpoint.bin',
  model: 'model',
  report: 'report.html',
  lock: 'lock.json',
  /** For a table's run: how rows become inputs (column types, training statistics), for predict. */
  table: 'table.json',
  /** For a table's run: every test row's true and predicted class and probabilities. */
  predictions: 'predictions.csv',
  /** A classifier's precision, recall, F1 and support per class on the test set. */
  perClass: 'per-class.csv',
  /** A classifier's confusion matrix on the test set, as counts. */
  confusion: 'confusion.csv',
  // The pictures (their order and captions in the report: RUN_PICTURES).
  curvesPicture: 'curves.png',
  predictedVersusTruePicture: 'predicted-vs-true.png',
  residualsPicture: 'residuals.png',
  confusionPicture: 'confusion.png',
  /** An image classifier's first test images with their predicted classes (a table's run has predictions.csv instead). */
  predictionsPicture: 'predictions.png',
  misclassifiedPicture: 'misclassified.png',
} as const;
