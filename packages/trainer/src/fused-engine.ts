import type { ImageSet } from '@specml/data';
import type { DenseStack, ModelWeights } from '@specml/model-zoo';
import { loadFusedKernel, type FusedMlpHandle, type Fusability } from './backend.js';
import type { OptimizerState } from './checkpoint.js';
import type { Score, TrainingEngine } from './engine.js';
import type { OptimizerSpec } from './schema.js';

const FUSED_OPTIMIZERS = new Set(['sgd', 'momentum', 'adam']);
const FUSED_HIDDEN_ACTIVATIONS = new Set(['relu', 'sigmoid', 'tanh', 'linear']);

export function fusability(stack: DenseStack | undefined, optimizer: OptimizerSpec): Fusability {
  if (!stack) return { fusable: false, reason: 'it trains only stacks of dense layers' };
  if (!FUSED_OPTIMIZERS.has(optimizer.name)) {
    return { fusable: false, reason: `it supports the optimizers ${[...FUSED_OPTIMIZERS].join(', ')}, not ${optimizer.name}` };
  }
  const hidden = stack.activations.slice(0, -1).find((activation) => !FUSED_HIDDEN_ACTIVATIONS.has(activation));
  if (hidden) return { fusable: false, reason: `it supports hidden activations ${[...FUSED_HIDDEN_ACTIVATIONS].join(', ')}, not ${hidden}` };
  if (stack.activations.at(-1) !== 'softmax') return { fusable: false, reason: 'the last layer must be softmax' };
  if (stack.l2.some((factor) => factor > 0)) return { fusable: false, reason: 'it has no L2 regularisation' };
  return { fusable: true };
}

export class FusedEngine implements TrainingEngine {
  readonly backend = 'fused';
  private readonly kernel: FusedMlpHandle;

  constructor(
    stack: DenseStack,
    initial: ModelWeights,
    optimizer: OptimizerSpec,
    private readonly train: ImageSet,
    private readonly batchSize: number,
  ) {
    const loaded = loadFusedKernel();
    if (!loaded.ok) throw new Error(loaded.reason);
    this.kernel = new loaded.value.FusedMlp({ sizes: stack.sizes, activations: stack.activations, optimizer });
    this.kernel.setWeights(initial);
  }

  trainRange(order: Uint32Array, start: number, end: number): Score {
    const [lossSum, correct] = this.kernel.trainBatches(this.train.images, this.train.labels, order, start, end, this.batchSize);
    return { lossSum, correct };
  }

  evaluate(set: ImageSet): Score {
    const [lossSum, correct] = this.kernel.evaluate(set.images, set.labels);
    return { lossSum, correct };
  }

  predict(set: ImageSet): Float32Array {
    return this.kernel.predict(set.images, set.labels);
  }

  weights(): ModelWeights {
    return this.kernel.getWeights();
  }

  setLearningRate(learningRate: number): void {
    this.kernel.setLearningRate(learningRate);
  }

  async optimizerState(): Promise<OptimizerState> {
    const { step, first, second } = this.kernel.getOptimizerState();
    const tensors = [
      ...first.map((values, index) => ({ name: `first_${index}`, values })),
      ...second.map((values, index) => ({ name: `second_${index}`, values })),
    ];
    return { step, tensors, scalars: [] };
  }

  async restoreOptimizerState(state: OptimizerState): Promise<void> {
    const half = state.tensors.length / 2;
    this.kernel.setOptimizerState({
      step: state.step,
      first: state.tensors.slice(0, half).map((tensor) => tensor.values),
      second: state.tensors.slice(half).map((tensor) => tensor.values),
    });
  }

  dispose(): void {}
}
