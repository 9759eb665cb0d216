import tf = require('@tensorflow/tfjs-core');
import type { ModelInput, ModelSpec } from '@specml/model-zoo';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A table stepped by the rows its batch read: an embedding's, a row per token id. */
export interface RowTable {
  readonly variable: tf.Variable;
  /** Which rows a batch of `size` examples (each `exampleSize` floats, token ids first) reads: 1 per row read. */
  rowsRead(inputs: Float32Array, size: number): Uint8Array;
}

/**
 * The model's embedding table, where its first layer is one: the batch's token ids are the first values of
 * each example (a table's other columns follow them). An id outside the vocabulary reads as the unknown
 * token (1), as the native engine reads it.
 */
export function embeddingTable(model: tfl.LayersModel, spec: ModelSpec, input: ModelInput): RowTable | undefined {
  if (spec.layers[0]?.type !== 'embedding' || input.vocabularySize === undefined) return undefined;
  const tokens = input.vocabularySize;
  const exampleSize = input.inputShape.reduce((a, b) => a * b, 1);
  const positions = exampleSize - (input.sideFeatures ?? 0);
  return {
    variable: model.getLayer('embedding_1').trainableWeights[0].read() as tf.Variable,
    rowsRead(inputs, size) {
      const read = new Uint8Array(tokens);
      for (let example = 0; example < size; example++)
        for (let t = 0; t < positions; t++) {
          const id = inputs[example * exampleSize + t];
          read[id >= 0 && id < tokens ? Math.floor(id) : 1] = 1;
        }
      return read;
    },
  };
}

/**
 * Runs one optimizer step (`step`, whose result it returns) in which `tables` change only in the rows the batch read: a row no example
 * of the batch holds keeps its value and its optimizer slots. That is the native engine's update of an
 * embedding (RowsRead in native/layer.h; TensorFlow's LazyAdam, PyTorch's SparseAdam). tfjs' optimizers step
 * every row, Adam moving one of zero gradient by its momentum: the rows not read are copied before the step
 * and put back after it. Slots the step creates (its first) start at values a zero gradient leaves as they are.
 */
export function stepRowsRead<T>(optimizer: tf.Optimizer, tables: readonly RowTable[], inputs: Float32Array, size: number, step: () => T): T {
  const kept = tables.map((table) => {
    const arrays = [table.variable, ...slotsOf(optimizer, table.variable)];
    const rows = table.variable.shape[0];
    return { read: tf.tensor2d(table.rowsRead(inputs, size), [rows, 1], 'bool'), arrays, copies: arrays.map((array) => tf.clone(array)) };
  });
  const stepped = step();
  for (const { read, arrays, copies } of kept) {
    // assign shares the new values' data with the variable: the tensors that held them go with the tidy.
    tf.tidy(() => arrays.forEach((array, index) => array.assign(tf.where(read, array, copies[index]))));
    tf.dispose([read, ...copies]);
  }
  return stepped;
}

/**
 * The optimizer's slot variables of `variable` (Adam's m and v, momentum's, RMSprop's, Adagrad's sums). tfjs
 * keeps them in arrays of { originalName: '<variable>/<slot>', variable } (the names getWeights saves them
 * under); its public getWeights is asynchronous, a training step is not.
 */
function slotsOf(optimizer: tf.Optimizer, variable: tf.Variable): tf.Variable[] {
  const prefix = `${variable.name}/`;
  return Object.values(optimizer).flatMap((field: unknown) =>
    Array.isArray(field) ? field.filter((slot): slot is { originalName: string; variable: tf.Variable } => typeof slot?.originalName === 'string' && slot.originalName.startsWith(prefix) && slot.variable instanceof tf.Variable).map((slot) => slot.variable) : [],
  );
}
