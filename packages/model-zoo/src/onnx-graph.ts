// A small builder of an ONNX graph (nodes, initializers, values with their shapes) that each layer kind's
// toOnnx() writes into; onnx-export.ts turns it into a ModelProto. Images travel through the graph in
// ONNX's NCHW layout (Conv and the pooling operators know no other), sequences (a text's tokens) likewise
// channels first, [batch, channels, positions]; a vector is [batch, features].

/** A value in the graph: its name, and its shape without the batch as tfjs has it (an image: [height, width, channels]; a sequence: [positions, channels]). */
export interface OnnxValue {
  readonly name: string;
  readonly shape: readonly number[];
}

export type OnnxAttribute = number | readonly number[] | string | readonly string[];

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
  /** Attributes that are floats although they hold whole numbers (epsilon 1, alpha 1). */
  readonly floats: ReadonlySet<string>;
  /** The operator set: '' for ONNX's own, 'ai.onnx.ml' for the ML operators (Imputer, OneHotEncoder). */
  readonly domain?: string;
}

/** The ML operators' set (ONNX-ML), for the preprocessing of table rows. */
export const ONNX_ML_DOMAIN = 'ai.onnx.ml';

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  /** Weights and constants are float32; shapes and indices (Reshape, Slice) int64. */
  readonly data: Float32Array | BigInt64Array;
}

/** A float tensor's declared shape (`batch` for the dynamic batch axis): for outputs ONNX's shape inference cannot type (the ML operators'). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims: readonly (number | 'batch')[];
}

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly valueInfo: OnnxValueInfo[] = [];
  private count = 0;

  constructor(private readonly prefix: string) {}

  /** A node with one output; returns the output's name. `floats` names the attributes to write as floats. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}, floats: readonly string[] = [], domain = ''): string {
    const output = `${this.prefix}${opType.toLowerCase()}_${++this.count}`;
    this.nodes.push({ opType, inputs, outputs: [output], attributes, floats: new Set(floats), ...(domain ? { domain } : {}) });
    return output;
  }

  /** A constant tensor (weights); returns its name. */
  initializer(dims: readonly number[], data: Float32Array, label = 'weight'): string {
    const name = `${this.prefix}${label}_${++this.count}`;
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A constant int64 tensor (a shape, slice bounds); returns its name. */
  integers(values: readonly number[], label = 'integers'): string {
    const name = `${this.prefix}${label}_${++this.count}`;
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values, (value) => BigInt(value)) });
    return name;
  }

  /** Columns [start, end) of a [batch, features] value; returns the slice's name. */
  columns(value: string, start: number, end: number): string {
    return this.node('Slice', [value, this.integers([start], 'slice_start'), this.integers([end], 'slice_end'), this.integers([1], 'slice_axis')]);
  }

  /** The value as a vector [batch, features], flattened in tfjs' order (an image's NHWC, row by row). */
  vector(value: OnnxValue): OnnxValue {
    if (value.shape.length === 1) return value;
    const channelsLast = this.node('Transpose', [value.name], { perm: value.shape.length === 3 ? [0, 2, 3, 1] : [0, 2, 1] });
    return { name: this.node('Flatten', [channelsLast], { axis: 1 }), shape: [value.shape.reduce((a, b) => a * b, 1)] };
  }

  /** Applies `apply` to an image in NHWC and brings the result back to NCHW. */
  channelsLast(value: OnnxValue, apply: (nhwc: string) => string): string {
    const nhwc = this.node('Transpose', [value.name], { perm: [0, 2, 3, 1] });
    return this.node('Transpose', [apply(nhwc)], { perm: [0, 3, 1, 2] });
  }
}

/** tfjs' conv kernel [height, width, in, out] as ONNX's [out, in, height, width]. */
export function onnxConvKernel(kernel: Float32Array, size: number, inputs: number, filters: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let i = 0; i < inputs; i++)
        for (let o = 0; o < filters; o++) out[((o * inputs + i) * size + y) * size + x] = kernel[((y * size + x) * inputs + i) * filters + o];
  return out;
}
