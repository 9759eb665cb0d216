import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@specml/data';
import type { BackendChoice } from './schema.js';
import { registerWasmConvGradient } from './wasm-kernels.js';

export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'fused' | TfjsBackendName;

/** What trains the model, and which tfjs backend holds the model for saving and prediction. */
export interface BackendSelection {
  readonly name: BackendName;
  readonly tfjsBackend: TfjsBackendName;
}

/** Whether the fused kernel can train a spec, and if not, why (for the error of an explicit `backend: fused`). */
export type Fusability = { fusable: true } | { fusable: false; reason: string };

export interface FusedMlpOptions {
  sizes: readonly number[];
  activations: readonly string[];
  optimizer: Record<string, unknown>;
}

/** The native class compiled from native/fused_mlp.cc. */
export interface FusedMlpHandle {
  setWeights(weights: Float32Array[]): void;
  getWeights(): Float32Array[];
  trainBatches(images: Uint8Array, labels: Uint8Array, order: Uint32Array, start: number, end: number, batchSize: number): [number, number];
  evaluate(images: Uint8Array, labels: Uint8Array): [number, number];
  predict(images: Uint8Array, labels: Uint8Array): Float32Array;
  setLearningRate(learningRate: number): void;
  getOptimizerState(): { step: number; first: Float32Array[]; second: Float32Array[] };
  setOptimizerState(state: { step: number; first: Float32Array[]; second: Float32Array[] }): void;
}

interface FusedKernelModule {
  FusedMlp: new (options: FusedMlpOptions) => FusedMlpHandle;
}

type Loaded<T> = { ok: true; value: T } | { ok: false; reason: string };

let fusedKernel: Loaded<FusedKernelModule> | undefined;

/** Loads the addon built by `npm ci` (packages/trainer/build/Release/fused_mlp.node), once. */
export function loadFusedKernel(): Loaded<FusedKernelModule> {
  if (!fusedKernel) {
    try {
      const require = createRequire(import.meta.url);
      fusedKernel = { ok: true, value: require('../build/Release/fused_mlp.node') as FusedKernelModule };
    } catch (error) {
      fusedKernel = {
        ok: false,
        reason: `the fused kernel is not built (${firstLine(error)}); run \`npm run build:native -w @specml/trainer\` to build it and see why it failed`,
      };
    }
  }
  return fusedKernel;
}

const tfjsBackendLoaders: Record<TfjsBackendName, () => Promise<unknown>> = {
  tensorflow: async () => {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // silence TensorFlow's C++ start-up chatter
    return import('@tensorflow/tfjs-node' as string);
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmConvGradient();
  },
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

const tfjsLoadFailures = new Map<TfjsBackendName, string>();

/** Imports and activates a tfjs backend; returns why not when it cannot. */
export async function activateTfjsBackend(name: TfjsBackendName): Promise<Loaded<TfjsBackendName>> {
  if (tf.getBackend() === name) return { ok: true, value: name };
  const failure = tfjsLoadFailures.get(name);
  if (failure) return { ok: false, reason: failure };
  try {
    await tfjsBackendLoaders[name]();
    if (await tf.setBackend(name)) return { ok: true, value: name };
    throw new Error('tf.setBackend returned false');
  } catch (error) {
    const reason =
      name === 'tensorflow'
        ? `@tensorflow/tfjs-node is not installed or does not load here (${firstLine(error)}); it is an optional dependency that npm skips where its native TensorFlow library cannot be downloaded`
        : `@tensorflow/tfjs-backend-${name} does not load (${firstLine(error)})`;
    tfjsLoadFailures.set(name, reason);
    return { ok: false, reason };
  }
}

const TFJS_ORDER: readonly TfjsBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Picks the backend for a run. `auto` prefers the fused kernel for models it can train (it is several
 * times faster than any tfjs backend on small dense stacks), then tfjs-node, wasm, cpu. An explicit choice
 * that cannot be honoured is a UserError saying why.
 */
export async function selectBackend(choice: BackendChoice, fusability: Fusability): Promise<BackendSelection> {
  // Production mode silences the cpu backend's "install tfjs-node" banner (it goes through tfjs' warn).
  tf.enableProdMode();
  if (choice === 'fused' || (choice === 'auto' && fusability.fusable && loadFusedKernel().ok)) {
    if (!fusability.fusable) throw new UserError(`backend: fused cannot train this spec: ${fusability.reason} (use backend: auto)`);
    const kernel = loadFusedKernel();
    if (!kernel.ok) throw new UserError(`backend: fused is not available: ${kernel.reason} (or use backend: auto)`);
    // The tfjs side only holds the final model for saving and prediction; the cpu backend loads fastest.
    const companion = await activateTfjsBackend('cpu');
    if (!companion.ok) throw new Error(companion.reason);
    return { name: 'fused', tfjsBackend: 'cpu' };
  }
  if (choice !== 'auto') {
    const loaded = await activateTfjsBackend(choice);
    if (!loaded.ok) throw new UserError(`backend: ${choice} is not available: ${loaded.reason} (use backend: auto)`);
    return { name: choice, tfjsBackend: choice };
  }
  const reasons: string[] = [];
  for (const name of TFJS_ORDER) {
    const loaded = await activateTfjsBackend(name);
    if (loaded.ok) return { name, tfjsBackend: name };
    reasons.push(loaded.reason);
  }
  throw new Error(`no tfjs backend loads: ${reasons.join('; ')}`);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
