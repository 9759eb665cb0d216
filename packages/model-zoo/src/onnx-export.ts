import { createRequire } from 'node:module';
import type OnnxProto from 'onnx-proto';
import type { TableEncoding, Task } from '@specml/data';
import { planLayers, tokensAt, type LayerPlan, type ModelInput } from './build.js';
import type { LayerBehaviour } from './layers/kind.js';
import { LAYER_KINDS } from './layers/index.js';
import { ONNX_ML_DOMAIN, OnnxGraph, type OnnxAttribute, type OnnxValue } from './onnx-graph.js';
import { rawRowsSupported, tableInputToOnnx, type RawColumnInput } from './onnx-table.js';
import type { LayerSpec, ModelSpec } from './schema.js';

let onnxProto: typeof OnnxProto | undefined;
/** ONNX's protocol buffers (with protobufjs, a third of a megabyte of code), loaded by the first export, not by every command. */
const onnx = () => (onnxProto ??= createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx;

/** The opset and IR version written: ONNX Runtime 1.x and onnx 1.12's checker accept both. */
export const ONNX_OPSET = 13;
const IR_VERSION = 7;
/** The ONNX-ML operator set of Imputer and OneHotEncoder (a table's raw-row inputs). */
const ONNX_ML_OPSET = 2;

export interface OnnxExportOptions {
  /** A classifier's output is `probabilities`, a regression's `prediction` (see ONNX_NAMES). */
  readonly task: Task;
  /** Written into the model's metadata, for whoever loads it elsewhere (none for a regression). */
  readonly classNames: readonly string[];
  /** More metadata (the run, specml's version). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * A table model's encoding: the graph then takes raw rows, one input per column (see onnx-table.ts),
   * where every column kind has an ONNX encoding; otherwise (text) the encoded `features`.
   */
  readonly table?: TableEncoding;
}

/**
 * The input and output names of an exported model: `pixels` for an image model, `features` for a table's;
 * `probabilities` out of a classifier, `prediction` (the number, in the target's units) out of a regression.
 */
export const ONNX_NAMES = { input: 'pixels', features: 'features', output: 'probabilities', prediction: 'prediction' } as const;

/** The name of an exported model's output, and what it holds, for messages and the model's metadata. */
export function onnxOutputOf(task: Task): { name: string; description: string } {
  return task === 'regression'
    ? { name: ONNX_NAMES.prediction, description: `${ONNX_NAMES.prediction} [batch, 1], the predicted number in the target's units` }
    : { name: ONNX_NAMES.output, description: `${ONNX_NAMES.output} [batch, classes]` };
}

/**
 * A model as ONNX (opset 13): its input is `pixels`, float32 [batch, height, width, channels] with values
 * 0–255 as the image files hold them (the graph divides by 255, as training did), or for a table's model
 * `features`, float32 [batch, features] encoded as in training; its output (onnxOutputOf)
 * `probabilities`, [batch, classes], or a regression's `prediction`, [batch, 1]. The batch dimension is dynamic. Each layer kind writes its own nodes
 * (toOnnx beside its module); `weights` are the model's, in tfjs order.
 */
export function exportOnnx(spec: ModelSpec, input: ModelInput, weights: readonly Float32Array[], options: OnnxExportOptions): Uint8Array {
  const graph = new OnnxGraph('');
  const plan = planLayers(spec, input);
  if (plan.problems.length > 0) throw new Error(`the model does not fit its input: ${plan.problems.map((problem) => `model.layers[${problem.index}]: ${problem.message}`).join('; ')}`);
  const image = input.inputShape.length === 3;
  const inputName = image ? ONNX_NAMES.input : ONNX_NAMES.features;
  const raw = !image && options.table !== undefined && rawRowsSupported(options.table) ? tableInputToOnnx(graph, options.table) : undefined;
  const value: OnnxValue = image
    ? { name: graph.node('Transpose', [graph.node('Div', [inputName, graph.initializer([], Float32Array.of(255), 'pixel_scale')])], { perm: [0, 3, 1, 2] }), shape: [...input.inputShape] }
    : { name: raw?.encoded ?? inputName, shape: [...input.inputShape] };
  const output = graph.vector(layersToOnnx(spec, input, plan, graph, value, weights));
  const outputName = onnxOutputOf(options.task).name;
  graph.nodes.push({ opType: 'Identity', inputs: [output.name], outputs: [outputName], attributes: {}, floats: new Set() });

  const { DataType } = onnx().TensorProto;
  const tensorType = (dims: Array<number | string>, elemType: number = DataType.FLOAT) => ({
    tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) } },
  });
  const rawInput = (column: RawColumnInput) => ({ name: column.name, type: tensorType(['batch', 1], column.type === 'float' ? DataType.FLOAT : DataType.STRING) });
  const model = onnx().ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }, ...(raw ? [{ domain: ONNX_ML_DOMAIN, version: ONNX_ML_OPSET }] : [])],
    producerName: 'specml',
    graph: {
      name: 'specml',
      node: graph.nodes.map((node, index) => ({
        name: `${node.opType}_${index}`,
        opType: node.opType,
        ...(node.domain ? { domain: node.domain } : {}),
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes).map(([name, attribute]) => onnxAttribute(name, attribute, node.floats.has(name))),
      })),
      initializer: graph.initializers.map((tensor) => ({ name: tensor.name, dims: [...tensor.dims], dataType: tensor.data instanceof BigInt64Array ? DataType.INT64 : DataType.FLOAT, rawData: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) })),
      input: raw ? raw.inputs.map(rawInput) : [{ name: inputName, type: tensorType(['batch', ...input.inputShape]) }],
      valueInfo: graph.valueInfo.map((value) => ({ name: value.name, type: tensorType([...value.dims]) })),
      output: [{ name: outputName, type: tensorType(['batch', output.shape[0]]) }],
    },
    metadataProps: Object.entries({
      ...(options.task === 'classification' ? { class_names: JSON.stringify(options.classNames) } : {}),
      output: onnxOutputOf(options.task).description,
      input: raw ? describeRawInputs(raw.inputs) : describeInput(inputName, input),
      ...options.metadata,
    }).map(([key, value]) => ({ key, value })),
  });
  return onnx().ModelProto.encode(model).finish();
}

/** The model's layers as nodes after `input`, each kind writing its own; returns the last layer's output. */
function layersToOnnx(spec: ModelSpec, input: ModelInput, plan: LayerPlan, graph: OnnxGraph, value: OnnxValue, weights: readonly Float32Array[]): OnnxValue {
  const ids = input.inputShape[0] - (input.sideFeatures ?? 0);
  const others = plan.join ? { name: graph.columns(value.name, ids, input.inputShape[0]), shape: [input.inputShape[0] - ids] } : undefined;
  if (others) value = { name: graph.columns(value.name, 0, ids), shape: [ids] };
  let next = 0;
  spec.layers.forEach((layer, index) => {
    // A table's other columns join the text's vector before the first dense layer, as in training.
    if (others && index === plan.join?.index) {
      const text = graph.vector(value);
      value = { name: graph.node('Concat', [text.name, others.name], { axis: 1 }), shape: [text.shape[0] + others.shape[0]] };
    }
    const kind = LAYER_KINDS[layer.type] as unknown as LayerBehaviour<LayerSpec>;
    const count = kind.weightShapes(layer, plan.inputShapes[index], tokensAt(input, index)).length;
    value = kind.toOnnx(layer, graph, value, weights.slice(next, next + count));
    next += count;
  });
  if (next !== weights.length) throw new Error(`the model has ${weights.length} weight arrays, its layers ${next}`);
  return value;
}

/** What the graph's one input holds: pixels, a text's token ids, or a table's encoded row. */
function describeInput(name: string, input: ModelInput): string {
  if (input.inputShape.length === 3) return `${name}: float32 [batch, ${input.inputShape.join(', ')}], pixel values 0-255 (the graph divides by 255)`;
  if (input.vocabularySize !== undefined) {
    const others = input.sideFeatures ? `; the last ${input.sideFeatures} are the other columns encoded as in training (table_encoding)` : '';
    return `${name}: float32 [batch, ${input.inputShape[0]}], a text's token ids (0 pads, 1 is a token outside the vocabulary, 2 on are the vocabulary of table_encoding, in its order)${others}`;
  }
  return `${name}: float32 [batch, ${input.inputShape[0]}], the row's columns encoded as in training (table.json, also in table_encoding: numbers standardised, categories one-hot, text a bag of words over its vocabulary)`;
}

/** An ONNX file's metadata (key → value), as exportOnnx writes it: for whoever reads an export back. */
export function onnxMetadataOf(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(onnx().ModelProto.decode(bytes).metadataProps.map((property) => [property.key ?? '', property.value ?? '']));
}

/** What the raw inputs are, for the model's metadata and `export`'s message. */
export function describeRawInputs(inputs: readonly RawColumnInput[]): string {
  return `one input per column, [batch, 1]: ${inputs.map((column) => `${column.name} (${column.type === 'float' ? 'float32, NaN where missing' : 'string, trimmed, empty where missing'})`).join(', ')}`;
}

function onnxAttribute(name: string, value: OnnxAttribute, asFloat: boolean) {
  const { AttributeType } = onnx().AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value) && value.some((item) => typeof item === 'string')) return { name, type: AttributeType.STRINGS, strings: (value as string[]).map((item) => new TextEncoder().encode(item)) };
  if (Array.isArray(value)) return asFloat ? { name, type: AttributeType.FLOATS, floats: [...(value as number[])] } : { name, type: AttributeType.INTS, ints: [...(value as number[])] };
  if (asFloat || !Number.isInteger(value)) return { name, type: AttributeType.FLOAT, f: value as number };
  return { name, type: AttributeType.INT, i: value as number };
}
