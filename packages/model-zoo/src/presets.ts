import type { LayerSpec, PresetName } from './schema.js';

export interface Preset {
  readonly layers: readonly LayerSpec[];
  readonly initializer: 'pytorch' | 'glorotUniform' | 'heNormal';
}

/** The `model:` keys a preset fills in where the spec does not write them. */
export const PRESET_KEYS = ['layers', 'initializer'] as const satisfies readonly (keyof Preset)[];

/** Named models: a spec's `model.preset` fills in these layers and initializer where it does not set its own. */
export const PRESETS: Record<PresetName, Preset> = {
  'mlp-tutorial': {
    initializer: 'pytorch',
    layers: [
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  lenet5: {
    initializer: 'heNormal',
    layers: [
      { type: 'conv2d', filters: 6, kernelSize: 5, strides: 1, padding: 'same', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 16, kernelSize: 5, strides: 1, padding: 'valid', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 120, activation: 'relu' },
      { type: 'dense', units: 84, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
};
