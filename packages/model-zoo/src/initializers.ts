import { drawnFloats, normalSample, registryOf, uniformFloats, type Rng } from '@specml/data';

/** Initial values of one dense layer: kernel [fanIn × units] row-major (tfjs' layout) and bias [units]. */
export interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

type DenseInitializer = (fanIn: number, units: number, rng: Rng) => DenseWeights;

/** One way a spec's weights can start: its `model.initializer` value and text, and a dense layer's weights from it. */
interface InitializerKind<Name extends string> {
  readonly schema: { readonly const: Name; readonly description: string };
  readonly dense: DenseInitializer;
}
const initializerKind = <const Name extends string>(kind: InitializerKind<Name>): InitializerKind<Name> => kind;

const pytorch = initializerKind({
  schema: { const: 'pytorch', description: 'pytorch: weights and biases uniform in ±1/√fan_in (torch.nn.Linear\'s and Conv2d\'s default)' },
  // torch.nn.Linear.reset_parameters: kaiming_uniform_(a=√5) gives bound 1/√fan_in for weights, and the
  // bias uses the same bound.
  dense: (fanIn, units, rng) => {
    const bound = 1 / Math.sqrt(fanIn);
    return { kernel: uniformFloats(fanIn * units, bound, rng), bias: uniformFloats(units, bound, rng) };
  },
});

const glorotUniform = initializerKind({
  schema: { const: 'glorotUniform', description: 'glorotUniform: Keras\' default, zero biases' },
  dense: (fanIn, units, rng) => ({ kernel: uniformFloats(fanIn * units, Math.sqrt(6 / (fanIn + units)), rng), bias: new Float32Array(units) }),
});

const heNormal = initializerKind({
  schema: { const: 'heNormal', description: 'heNormal: normal with std √(2/fan_in), zero biases' },
  dense: (fanIn, units, rng) => {
    const std = Math.sqrt(2 / fanIn);
    return { kernel: drawnFloats(fanIn * units, () => normalSample(rng) * std), bias: new Float32Array(units) };
  },
});

/** Every initializer, the schema's order: adding one is its kind here and an entry in the list; the schema follows. */
const INITIALIZER_REGISTRY = registryOf([pytorch, glorotUniform, heNormal]);

/** The ways a spec's weights can start (model.initializer). */
export const INITIALIZERS = INITIALIZER_REGISTRY.names;
export type InitializerName = (typeof INITIALIZERS)[number];
/** What each does, for the schema's description. */
export const INITIALIZER_DESCRIPTIONS = INITIALIZER_REGISTRY.schemas.map((schema) => schema.description);

/** A dense (or convolution) layer's starting weights, by initializer. */
export const denseInitialWeights = (initializer: InitializerName, fanIn: number, units: number, rng: Rng): DenseWeights => INITIALIZER_REGISTRY.byName[initializer].dense(fanIn, units, rng);
