import type { Dataset } from '@specml/data';
import { layerMultiplyAdds, type ModelSpec } from '@specml/model-zoo';
import type { LayerTimings } from '@specml/reporter';
import type { TrainingProfile } from '@specml/trainer';

/**
 * The engine's training seconds per layer as summary.json keeps them, with each layer's arithmetic rate:
 * 2 operations per multiply-add, once forward and twice backward (the gradients of the input and of the
 * weights; the first layer with weights computes only the weights', nothing below it needing a gradient).
 * The engine's own flatten layers (before a dense layer that receives an image) are not the spec's layer at
 * their index, and have none.
 */
export function layerTimingsOf(profile: TrainingProfile, model: ModelSpec, dataset: Dataset): LayerTimings {
  const multiplyAdds = layerMultiplyAdds(model, dataset);
  const rate = (operations: number, seconds: number) => (seconds > 0 ? round((operations * profile.samples) / seconds / 1e9) : null);
  return {
    samples: profile.samples,
    optimizerSeconds: round(profile.optimizerSeconds),
    layers: profile.layers.map(({ kind, index, forwardSeconds, backwardSeconds, inputGradient }) => {
      const own = model.layers[index]?.type === kind ? multiplyAdds[index] : null;
      return {
        layer: kind,
        forwardSeconds: round(forwardSeconds),
        backwardSeconds: round(backwardSeconds),
        forwardGflops: own === null ? null : rate(2 * own, forwardSeconds),
        backwardGflops: own === null ? null : rate((inputGradient ? 4 : 2) * own, backwardSeconds),
      };
    }),
  };
}

/** Four significant digits: a rate or a time, however small. */
const round = (value: number) => Number(value.toPrecision(4));
