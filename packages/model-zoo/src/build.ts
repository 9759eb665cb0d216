import tf = require('@tensorflow/tfjs-core');
import tfl = require('@tensorflow/tfjs-layers');
import type { Rng } from '@specml/data';
import { LAYER_KINDS } from './layers/index.js';
import { isVector, type LayerBehaviour } from './layers/kind.js';
import type { Activation, DenseLayerSpec, LayerSpec, ModelSpec } from './schema.js';

/** A model that is a plain stack of dense layers on the flattened image: what the fast paths can train. */
export interface DenseStack {
  /** Input size, then each layer's units. */
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  /** L2 factor per layer (0 for none). */
  readonly l2: readonly number[];
}

export interface ModelInput {
  /** [height, width, channels] for images, [features] for a table's rows (a text read as a sequence: its maxLength token ids, then any sideFeatures). */
  readonly inputShape: readonly number[];
  /** Set where the input is a text's token ids (0 padding, 1 unknown, then the vocabulary): how many ids there are. */
  readonly vocabularySize?: number;
  /**
   * Set where the token ids are followed by a table's other columns (their encoding, this many values at the
   * end of each row): they join the text's vector at the model's first dense layer.
   */
  readonly sideFeatures?: number;
}

/** The layer where a table's other columns join a text's vector: the first dense layer (-1: none, or nothing to join). */
export const joinIndexOf = (spec: ModelSpec, input: ModelInput): number => (input.sideFeatures ? spec.layers.findIndex((layer) => layer.type === 'dense') : -1);

/** The vocabulary the layer at `index` reads token ids of: the first layer's, where the model's input is tokens. */
export const tokensAt = (input: ModelInput, index: number): number | undefined => (index === 0 ? input.vocabularySize : undefined);

/** The model's weights layer by layer: kernel and bias per dense or conv layer, four arrays per batch norm. */
export type ModelWeights = Float32Array[];

export function isDenseStack(spec: ModelSpec): boolean {
  return spec.layers.every((layer) => layer.type === 'dense');
}

/** The dense stack a model is, or undefined when it has other layers. */
export function denseStackOf(spec: ModelSpec, input: ModelInput): DenseStack | undefined {
  if (!isDenseStack(spec)) return undefined;
  const layers = spec.layers as DenseLayerSpec[];
  return {
    sizes: [input.inputShape.reduce((a, b) => a * b, 1), ...layers.map((layer) => layer.units)],
    activations: layers.map((layer) => layer.activation),
    l2: layers.map((layer) => layer.l2 ?? 0),
  };
}

/** A layer's kind from the registry, typed for that layer. */
const kindOf = <L extends LayerSpec>(layer: L) => LAYER_KINDS[layer.type] as unknown as LayerBehaviour<L>;

export interface LayerPlan {
  /** Each layer's input shape (without the batch axis): at the join, the text's vector and the other columns together. */
  readonly inputShapes: number[][];
  /** Each layer's own output shape (a layer that does not fit its input: that input, unchanged). */
  readonly outputShapes: number[][];
  readonly outputShape: number[];
  /** Shapes of every weight, in tfjs order. */
  readonly weightShapes: number[][];
  /** Layers whose input shape does not fit, with why. */
  readonly problems: Array<{ index: number; message: string }>;
  /** Where a table's other columns join a text's vector (joinIndexOf), and the text's shape there (flattened first where it is not a vector). */
  readonly join?: { readonly index: number; readonly textShape: readonly number[] };
}

/** Follows the image's shape through the layers: the basis of the semantic checks and of the weights. */
export function planLayers(spec: ModelSpec, input: ModelInput): LayerPlan {
  const side = input.sideFeatures ?? 0;
  let shape: number[] = side > 0 ? [input.inputShape[0] - side] : [...input.inputShape];
  const inputShapes: number[][] = [];
  const outputShapes: number[][] = [];
  const weightShapes: number[][] = [];
  const problems: LayerPlan['problems'] = [];
  if (input.vocabularySize !== undefined && spec.layers[0]?.type !== 'embedding') {
    problems.push({ index: 0, message: `the model's input is a text's token ids (a column read as encoding: sequence), which only an embedding layer reads: start model.layers with one ({ type: embedding, dimension: 32 })` });
  }
  const joinAt = joinIndexOf(spec, input);
  if (side > 0 && joinAt < 0) {
    problems.push({ index: Math.max(spec.layers.length - 1, 0), message: `the table's other columns join the text's vector at the first dense layer, and the model has none: end it with one ({ type: dense, units: 2, activation: softmax })` });
  }
  let join: LayerPlan['join'];
  spec.layers.forEach((layer, index) => {
    if (index === joinAt) {
      join = { index, textShape: shape };
      shape = [shape.reduce((a, b) => a * b, 1) + side];
    }
    inputShapes.push(shape);
    const next = kindOf(layer).outputShape(layer, shape, tokensAt(input, index));
    if (typeof next === 'string') {
      problems.push({ index, message: next });
      outputShapes.push(shape);
      return;
    }
    weightShapes.push(...kindOf(layer).weightShapes(layer, shape, tokensAt(input, index)));
    outputShapes.push(next);
    shape = next;
  });
  return { inputShapes, outputShapes, outputShape: shape, weightShapes, problems, ...(join ? { join } : {}) };
}

/** Multiply-adds of one forward pass of one image through the dense and convolution layers (the rest is small). */
export function forwardMultiplyAdds(spec: ModelSpec, input: ModelInput): number {
  return layerMultiplyAdds(spec, input).reduce<number>((sum, count) => sum + (count ?? 0), 0);
}

/** Each layer's multiply-adds in one forward pass of one example; null for a kind that does none to speak of (pooling, dropout, …). */
export function layerMultiplyAdds(spec: ModelSpec, input: ModelInput): Array<number | null> {
  const plan = planLayers(spec, input);
  return spec.layers.map((layer, index) => kindOf(layer).multiplyAdds?.(layer, plan.inputShapes[index], plan.outputShapes[index]) ?? null);
}

/** One row per layer: its kind, its output shape (without the batch) and its trainable parameter count (Keras' summary()). */
export function modelSummary(spec: ModelSpec, input: ModelInput): { rows: Array<{ layer: string; outputShape: readonly number[]; parameters: number }>; total: number } {
  const plan = planLayers(spec, input);
  const fitting = plan.problems.length > 0 ? Math.min(...plan.problems.map((problem) => problem.index)) : spec.layers.length;
  const rows = spec.layers.slice(0, fitting).map((layer, index) => {
    const parameters = kindOf(layer).weightShapes(layer, plan.inputShapes[index], tokensAt(input, index)).reduce((sum, weight) => sum + weight.reduce((a, b) => a * b, 1), 0);
    const detail = 'activation' in layer && layer.activation ? ` ${layer.activation}` : '';
    const joined = plan.join?.index === index ? ` (+${input.sideFeatures} other columns)` : '';
    return { layer: `${layer.type}${detail}${joined}`, outputShape: plan.outputShapes[index], parameters };
  });
  return { rows, total: rows.reduce((sum, row) => sum + row.parameters, 0) };
}

/** The model summary as a small text table, for the console. */
export function formatModelSummary(summary: ReturnType<typeof modelSummary>): string {
  const lines = [['layer', 'output shape', 'parameters'], ...summary.rows.map((row, index) => [`${index + 1} ${row.layer}`, `[${row.outputShape.join(', ')}]`, row.parameters.toLocaleString('en-US')])];
  const widths = [0, 1, 2].map((column) => Math.max(...lines.map((line) => line[column].length)));
  const format = (line: string[]) => `  ${line[0].padEnd(widths[0])}  ${line[1].padEnd(widths[1])}  ${line[2].padStart(widths[2])}`;
  return `${lines.map(format).join('\n')}\n  total: ${summary.total.toLocaleString('en-US')} trainable parameters\n`;
}

export function parameterCount(spec: ModelSpec, input: ModelInput): number {
  return planLayers(spec, input).weightShapes.reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Draws the initial weights layer by layer, in tfjs order, from the spec's initializer and the seeded
 * stream (each kind says how: a kernel is a fan_in × units matrix in tfjs' row-major layout; batch norm
 * starts at γ = 1, β = 0, mean 0, variance 1).
 */
export function initialWeights(spec: ModelSpec, input: ModelInput, rng: Rng): ModelWeights {
  const plan = planLayers(spec, input);
  return spec.layers.flatMap((layer, index) => {
    const kind = kindOf(layer);
    return kind.initialWeights(kind.weightShapes(layer, plan.inputShapes[index], tokensAt(input, index)), spec.initializer, rng);
  });
}

/**
 * Builds the tfjs model: image-shaped input, the spec's layers (a flatten added before the first dense
 * layer, softmax as a layer of its own so training can take the logits), holding `weights`. This is the
 * model that is saved, evaluated and loaded in the browser, whatever trained it. A text with the table's
 * other columns beside it is a graph rather than a stack (joinedModel).
 */
export function buildModel(spec: ModelSpec, input: ModelInput, weights: ModelWeights): tfl.LayersModel {
  const plan = planLayers(spec, input);
  if (plan.problems.length > 0) throw new Error(`model.layers[${plan.problems[0].index}]: ${plan.problems[0].message}`);
  const model = plan.join ? joinedModel(spec, input, plan, plan.join) : stackedModel(spec, input, plan);
  setModelWeights(model, weights);
  return model;
}

function stackedModel(spec: ModelSpec, input: ModelInput, plan: LayerPlan): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.inputLayer({ inputShape: [...input.inputShape], name: input.inputShape.length === 3 ? 'image' : 'features' }));
  spec.layers.forEach((layer, index) => {
    for (const built of kindOf(layer).build(layer, plan.inputShapes[index], index + 1, tokensAt(input, index))) model.add(built);
  });
  return model;
}

/**
 * A row of token ids followed by the table's other columns: the ids go through the layers up to the first
 * dense one, where the text's vector (flattened if need be) and the other columns are concatenated, in that
 * order, as the native engine's join does. tfjs has no slicing layer, so each part is cut out by cropping
 * the row seen as a one-pixel-wide image: standard layers, so the saved model loads anywhere.
 */
function joinedModel(spec: ModelSpec, input: ModelInput, plan: LayerPlan, join: NonNullable<LayerPlan['join']>): tfl.LayersModel {
  const width = input.inputShape[0];
  const side = input.sideFeatures!;
  const features = tfl.input({ shape: [width], name: 'features' });
  const column = tfl.layers.reshape({ targetShape: [width, 1, 1], name: 'row_as_column' }).apply(features) as tfl.SymbolicTensor;
  const part = (name: string, cropping: [number, number], size: number) =>
    tfl.layers.reshape({ targetShape: [size], name }).apply(tfl.layers.cropping2D({ cropping: [cropping, [0, 0]], name: `${name}_cut` }).apply(column)) as tfl.SymbolicTensor;
  let value = part('token_ids', [0, side], width - side);
  const others = part('other_columns', [width - side, 0], side);
  spec.layers.forEach((layer, index) => {
    if (index === join.index) {
      if (!isVector(join.textShape)) value = tfl.layers.flatten({ name: `flatten_${index + 1}` }).apply(value) as tfl.SymbolicTensor;
      value = tfl.layers.concatenate({ name: `join_${index + 1}` }).apply([value, others]) as tfl.SymbolicTensor;
    }
    for (const built of kindOf(layer).build(layer, plan.inputShapes[index], index + 1, tokensAt(input, index))) value = built.apply(value) as tfl.SymbolicTensor;
  });
  return tfl.model({ inputs: features, outputs: value });
}

// Layer by layer, each layer's weights in its own order (batch norm: γ, β, running mean, running variance).
// The model-level order (model.weights) lists every trainable weight before any non-trainable one instead.
export function setModelWeights(model: tfl.LayersModel, weights: ModelWeights): void {
  let next = 0;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const tensors = layer.weights.map((variable) => tf.tensor(weights[next++], variable.shape as number[]));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  if (next !== weights.length) throw new Error(`the model holds ${next} weight arrays, ${weights.length} were given`);
}

export function getModelWeights(model: tfl.LayersModel): ModelWeights {
  return model.layers.flatMap((layer) => layer.getWeights().map((tensor) => (tensor.dataSync() as Float32Array).slice()));
}

/** The model's output before its final softmax layer, if it has one (a regression's ends linear): what the loss is computed on. */
export function logitsOf(model: tfl.LayersModel, x: tf.Tensor, training: boolean): tf.Tensor2D {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const last = layers.at(-1);
  const endsInSoftmax = last?.getClassName() === 'Activation' && (last.getConfig() as { activation?: string }).activation === 'softmax';
  if (!(model instanceof tfl.Sequential)) return (endsInSoftmax ? beforeSoftmax(model, last!) : model).apply(x, { training }) as tf.Tensor2D;
  let h = x;
  for (const layer of endsInSoftmax ? layers.slice(0, -1) : layers) h = layer.apply(h, { training }) as tf.Tensor;
  return h as tf.Tensor2D;
}

const logitModels = new WeakMap<tfl.LayersModel, tfl.LayersModel>();
/** A graph model up to its softmax layer's input, sharing its layers (made once per model). */
function beforeSoftmax(model: tfl.LayersModel, softmax: tfl.layers.Layer): tfl.LayersModel {
  let logits = logitModels.get(model);
  if (!logits) {
    logits = tfl.model({ inputs: model.inputs, outputs: softmax.input as tfl.SymbolicTensor });
    logitModels.set(model, logits);
  }
  return logits;
}
