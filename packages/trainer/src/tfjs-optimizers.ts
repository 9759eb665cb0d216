import tf = require('@tensorflow/tfjs-core');
import type { OptimizerState } from './checkpoint.js';
import { OPTIMIZER_KINDS } from './optimizers/index.js';
import type { OptimizerSpec } from './schema.js';


/** Changes a tfjs optimizer's learning rate between steps (SGD and momentum cache it as a tensor). */
export function setTfjsLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const withSetter = optimizer as unknown as { setLearningRate?: (rate: number) => void; learningRate: number };
  if (withSetter.setLearningRate) withSetter.setLearningRate(learningRate);
  else withSetter.learningRate = learningRate;
}

export function createTfjsOptimizer(spec: OptimizerSpec): tf.Optimizer {
  return (OPTIMIZER_KINDS[spec.name] as { tfjs(spec: OptimizerSpec): tf.Optimizer }).tfjs(spec);
}

/** tf.train.adam keeps β1^t and β2^t as running products in private variables. */
function adamPowers(optimizer: tf.Optimizer): tf.Variable[] {
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return adam.accBeta1 && adam.accBeta2 ? [adam.accBeta1, adam.accBeta2] : [];
}

/** A tfjs optimizer's step count, slots and (for Adam) running β powers, as plain data. */
export async function exportOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const [iterations, ...slots] = await optimizer.getWeights();
  return {
    step: (await iterations.tensor.data())[0],
    tensors: await Promise.all(slots.map(async ({ name, tensor }) => ({ name, values: (await tensor.data()) as Float32Array }))),
    scalars: adamPowers(optimizer).map((power) => power.dataSync()[0]),
  };
}

/**
 * Restores a state exported from an optimizer over the same list of variables. Slots come per variable in
 * the order of the variable list, group after group (Adam: every m, then every v), each named
 * "<variable>/<slot>"; they are matched to `variables` by position.
 */
export async function importOptimizerState(optimizer: tf.Optimizer, variables: readonly tf.Variable[], state: OptimizerState): Promise<void> {
  await optimizer.setWeights([
    { name: 'iter', tensor: tf.scalar(state.step, 'int32') },
    ...state.tensors.map(({ name, values }, index) => {
      const variable = variables[index % variables.length];
      return { name: `${variable.name}/${name.split('/').at(-1)}`, tensor: tf.tensor(values, variable.shape) };
    }),
  ]);
  // setWeights recomputes Adam's β^t with pow(); the saved running products keep a resumed run bit-identical.
  adamPowers(optimizer).forEach((power, index) => power.assign(tf.scalar(state.scalars[index])));
}
