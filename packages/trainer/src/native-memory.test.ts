import { createRng } from '@specml/data';
import { initialWeights, type ModelSpec } from '@specml/model-zoo';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from './native-addon.js';
import { buildNativeNetwork, nativeNetworkOptions } from './native-engine.js';

// Evaluation buffers are sized by bytes, not by a fixed 256 examples: 1024×1024 colour images (once a
// std::bad_alloc and an abort, with the run left `running`) evaluate within a few hundred MiB.
describe.skipIf(!loadNativeAddon().ok)('the native engine\'s memory is bounded by plan', () => {
  it('evaluates and predicts twenty 1024×1024×3 images without reserving 256 of them at once', () => {
    const spec: ModelSpec = {
      initializer: 'heNormal',
      layers: [
        { type: 'conv2d', filters: 2, kernelSize: 3, strides: 4, padding: 'same', activation: 'relu' },
        { type: 'maxPooling2d', poolSize: 4 },
        { type: 'dense', units: 2, activation: 'softmax' },
      ],
    };
    const input = { inputShape: [1024, 1024, 3] };
    const attempt = buildNativeNetwork(nativeNetworkOptions(spec, input, { name: 'sgd', learningRate: 0.01 }, 1));
    if (!attempt.ok) throw new Error(attempt.reason);
    const network = attempt.value;
    network.setWeights(initialWeights(spec, input, createRng(1)));
    const count = 20;
    const images = new Uint8Array(count * 1024 * 1024 * 3).map((_, i) => (i * 2654435761) % 251);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
    const before = process.memoryUsage().rss;
    const [lossSum] = network.evaluate(images, labels);
    const probabilities = network.predict(images, labels);
    // 256 examples' activations would be several GiB; the bound is 256 MiB of them.
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 * 2 ** 20);
    expect(Number.isFinite(lossSum)).toBe(true);
    expect(probabilities).toHaveLength(count * 2);
    network.dispose();
  });
});
