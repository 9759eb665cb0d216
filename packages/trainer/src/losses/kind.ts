import type * as tf from '@tensorflow/tfjs-core';

/**
 * A regression loss on one number (the standardised target): its tfjs function (what a tfjs engine
 * minimises), its value for one residual (for the summed score), and how it scales back to the target's
 * units. The native engine has it under the same name (native/losses/<name>.cc, which registers itself);
 * a test compares the two lists and every loss's gradients.
 */
export interface RegressionLossKind<Name extends string = string> {
  /** Its `loss:` value and what it is, for the schema. */
  readonly schema: { readonly const: Name; readonly description: string };
  tfjs(targets: tf.Tensor2D, outputs: tf.Tensor2D): tf.Scalar;
  /** The loss of one residual (prediction − target). */
  of(residual: number): number;
  /** Trained on (y − mean) / std, the loss is std^power times the loss in the target's units: 2 for squares, 1 for absolutes. */
  readonly unitsPower: 1 | 2;
}

/** A regression loss kind, its name kept as a literal type. */
export const regressionLoss = <const Name extends string>(kind: RegressionLossKind<Name>): RegressionLossKind<Name> => kind;
