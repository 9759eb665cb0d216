import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tableInputOf, UserError } from '@specml/data';
import { describeRawInputs, ONNX_NAMES, exportOnnx, getModelWeights, onnxOutputOf, rawInputsOf, rawRowsSupported } from '@specml/model-zoo';
import { RUN_FILES, summaryIfReadable, writeFileAtomic } from '@specml/reporter';
import { activateTfjsBackend, loadModel } from '@specml/trainer';
import { SPECML_VERSION } from '../executors/queue-protocol.js';
import { trainingInput } from './predict.js';
import { loadSpec } from '../spec/load-spec.js';

/** Where `export` writes by default: beside the run's tfjs model. */
export const onnxFileOf = (runDir: string) => join(runDir, 'model.onnx');

/**
 * Writes a completed run's model as ONNX (see exportOnnx: input `pixels` [batch, height, width, channels]
 * 0–255 or a table's `features`, output `probabilities` or a regression's `prediction`, the class names in
 * the metadata); returns the file, its size and what its input and output are (for the message). A folder
 * that is not a run, a run without a model and an output path in a missing folder are UserErrors, each one
 * sentence; nothing is written then.
 */
export async function exportRunToOnnx(runDir: string, out = onnxFileOf(runDir), force = false): Promise<{ file: string; bytes: number; input: string; output: string }> {
  const summary = summaryIfReadable(runDir);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory() || !summary) {
    throw new UserError(`--run ${runDir}: not a run folder (it has no readable ${RUN_FILES.summary}; give a run folder, e.g. runs/baseline/<run-id>)`);
  }
  const modelDir = join(runDir, RUN_FILES.model);
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new UserError(`--run ${runDir}: this run has no saved model (${RUN_FILES.model}/model.json; it is ${summary.status}): export a completed run`);
  }
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) throw new UserError(`--out ${out}: the folder ${dirname(out)} does not exist (create it, or choose another --out)`);
  // The run's own model.onnx is replaced by a new export; any other existing file is somebody's, and kept.
  if (out !== onnxFileOf(runDir) && existsSync(out) && !force) throw new UserError(`--out ${out}: the file exists; choose another --out, or add --force to replace it`);
  const backend = await activateTfjsBackend('cpu');
  if (!backend.ok) throw new Error(backend.reason);
  const model = await loadModel(modelDir);
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  // Layer by layer, as the kinds expect them (a model's own getWeights() puts batch norm's moving statistics last).
  const weights = getModelWeights(model);
  model.dispose();
  // The run's spec.yaml is read as `exp` reads a spec: a hand-edited mistake is reported at its line.
  const spec = loadSpec(join(runDir, RUN_FILES.spec)).spec.model;
  // A table's model reads rows encoded as table.json says (statistics, categories, a text column's vocabulary
  // and tokenizer settings): that goes with it, so that the file alone can be used elsewhere.
  const { table } = trainingInput(runDir);
  const encoding: Record<string, string> = table ? { table_encoding: JSON.stringify(table) } : {};
  // A text read as a sequence: the model's input is token ids, and its embedding's table is as long as the vocabulary.
  const { vocabularySize, sideFeatures } = table ? tableInputOf(table) : {};
  const tokenInput = { ...(vocabularySize === undefined ? {} : { vocabularySize }), ...(sideFeatures === undefined ? {} : { sideFeatures }) };
  const bytes = exportOnnx(spec, { inputShape, ...tokenInput }, weights, { task: summary.task, classNames: summary.classNames, table, metadata: { run: `${summary.name}/${summary.runId}`, producer: `specml ${SPECML_VERSION}`, ...encoding } });
  writeFileAtomic(out, bytes);
  const input = inputShape.length === 3
    ? `${ONNX_NAMES.input} [batch, ${inputShape.join(', ')}] (height, width, channels) 0-255`
    : table && rawRowsSupported(table)
      ? `the table's columns as they are (${describeRawInputs(rawInputsOf(table))})`
      : vocabularySize !== undefined
        ? `${ONNX_NAMES.features} [batch, ${inputShape[0]}] (a text's token ids: 0 pads, 1 is a token outside the vocabulary, 2 on are the vocabulary in ${RUN_FILES.table}, in its order${sideFeatures ? `; the last ${sideFeatures} are the other columns encoded as in ${RUN_FILES.table}` : ''}; the tokenizer has no ONNX operator)`
        : `${ONNX_NAMES.features} [batch, ${inputShape[0]}] (the table's columns encoded as in ${RUN_FILES.table}; a text column's tokenizer has no ONNX operator)`;
  return { file: out, bytes: bytes.length, input, output: onnxOutputOf(summary.task).description };
}
