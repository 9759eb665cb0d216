import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tf = require('@tensorflow/tfjs-core');
import tfl = require('@tensorflow/tfjs-layers');
import { readRegularFile, UnreadableFileError, UserError } from '@specml/data';

const WEIGHTS_FILE = 'weights.bin';

/**
 * Saves a model in the tfjs layers format (model.json + weights.bin) into `dir`: loadable with
 * tf.loadLayersModel in Node (file://) and in a browser (http://).
 */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;

/**
 * Loads a model saved by saveModel, without needing tfjs-node's file system handler. A damaged model (not
 * JSON, not a tfjs layers model, weights.bin shorter or longer than its manifest says) is a UserError
 * naming the file, since a person can fix it (train the run again), not an internal error.
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const jsonPath = join(dir, 'model.json');
  const weightsPath = join(dir, WEIGHTS_FILE);
  const damaged = (what: string) => new UserError(`${what} (the saved model is damaged or not specml's: train the run again)`);
  let modelJson: { modelTopology?: unknown; weightsManifest?: Array<{ weights?: tf.io.WeightsManifestEntry[] }> };
  try {
    modelJson = JSON.parse(readRegularFile(jsonPath, MAX_MODEL_JSON_BYTES));
  } catch (error) {
    throw damaged(`${jsonPath}: not a readable model description: ${error instanceof UnreadableFileError ? error.reason : (error as Error).message.split('\n')[0]}`);
  }
  const weightSpecs = Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest.flatMap((group) => (Array.isArray(group?.weights) ? group.weights : [])) : [];
  if (typeof modelJson?.modelTopology !== 'object' || modelJson.modelTopology === null || weightSpecs.length === 0) throw damaged(`${jsonPath}: not a tfjs layers model (no modelTopology or weightsManifest)`);
  const expected = weightSpecs.reduce((sum, spec) => sum + (Array.isArray(spec.shape) ? spec.shape.reduce((product, size) => product * size, 1) : Number.NaN) * (BYTES_PER_VALUE[spec.dtype] ?? Number.NaN), 0);
  if (!Number.isFinite(expected)) throw damaged(`${jsonPath}: its weightsManifest names weights of an unknown shape or type`);
  let weights: Buffer;
  try {
    weights = readFileSync(weightsPath);
  } catch (error) {
    throw damaged(`${weightsPath}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (weights.length !== expected) throw damaged(`${weightsPath}: holds ${weights.length} bytes, but model.json describes ${expected}${weights.length < expected ? ' (truncated?)' : ''}`);
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
    );
  } catch (error) {
    throw damaged(`${jsonPath}: tfjs cannot build this model: ${(error as Error).message.split('\n')[0]}`);
  }
}
