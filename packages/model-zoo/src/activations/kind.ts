import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { OnnxAttribute, OnnxGraph, OnnxValue } from '../onnx-graph.js';

/** The activations tfjs-layers computes inside a dense or conv layer, by its own name for them. */
export type TfjsFusedActivation = NonNullable<Parameters<typeof tfl.layers.dense>[0]['activation']>;

/**
 * Everything specml knows about one activation, the value of a layer's `activation:`: its name and what it
 * does (the schema's text), how tfjs-layers, the tfjs engine and ONNX compute it. One module per activation
 * under activations/, one line in activations/index.ts, and its file in the native engine's activations/.
 */
export interface ActivationKind<Name extends string> {
  readonly schema: { readonly const: Name; readonly description: string };
  /** Element by element. Softmax is not (it works over each sample's last axis); native convolutions take only these. */
  readonly elementwise: boolean;
  /** In a tfjs-layers model: inside the dense or conv layer under tfjs' name, or as layers after it (named from the layer's index; saved models keep these names). */
  readonly tfjsLayers: { readonly fused: TfjsFusedActivation } | { readonly after: (index: number) => tfl.layers.Layer[] };
  /** On a dense layer's output in the tfjs engine; `fusedMatMul` where tf.fused.matMul can apply it (and differentiate through it). */
  readonly apply: (x: tf.Tensor2D) => tf.Tensor;
  readonly fusedMatMul?: 'linear' | 'relu';
  /** Its ONNX nodes after `value`. */
  readonly toOnnx: (graph: OnnxGraph, value: OnnxValue) => OnnxValue;
}

/** An activation kind, its name kept as a literal type. */
export const activationKind = <const Name extends string>(kind: ActivationKind<Name>): ActivationKind<Name> => kind;

/** An element-wise ONNX operator (`floats`: attributes written as floats although whole). */
export const onnxElementwise =
  (opType: string, attributes: Record<string, OnnxAttribute> = {}, floats: readonly string[] = []) =>
  (graph: OnnxGraph, value: OnnxValue): OnnxValue => ({ name: graph.node(opType, [value.name], attributes, floats), shape: value.shape });
