import type { RngState } from '@specml/data';
import type { ModelWeights } from '@specml/model-zoo';
import type { BackendName } from './backend.js';
import type { EpochMetrics } from './metrics.js';

/** An optimizer's state as plain data; its layout is the backend's own, so a checkpoint resumes on the same backend. */
export interface OptimizerState {
  step: number;
  tensors: { name: string; values: Float32Array }[];
  /** Extra scalars an optimizer keeps (tfjs Adam's running β powers), restored verbatim for bit-exact resumes. */
  scalars: number[];
}

/** Everything needed to continue training after `epoch` exactly as if it had never stopped. */
export interface Checkpoint {
  epoch: number;
  backend: BackendName;
  rngState: RngState;
  metrics: EpochMetrics[];
  weights: ModelWeights;
  optimizer: OptimizerState;
  /** Early stopping with restoreBest: the weights of the best epoch so far, and which epoch that was. */
  best?: { epoch: number; weights: ModelWeights };
}

const MAGIC = 'SPECMLCK';
/** Version 3 adds the best epoch's weights; version 2 files (without them) are read as before. */
const VERSION = 3;
const READABLE_VERSIONS = new Set([2, 3]);

interface Header {
  version: number;
  epoch: number;
  backend: BackendName;
  rngState: RngState;
  metrics: EpochMetrics[];
  weights: number[];
  optimizer: { step: number; tensors: { name: string; length: number }[]; scalars: number[] };
  best?: { epoch: number; weights: number[] };
}

/** One file: magic, header length, JSON header, then every float array back to back. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  return Buffer.concat(checkpointParts(checkpoint));
}

/**
 * The checkpoint file's bytes as parts to write one after another: the header, then views of the float
 * arrays (a finished run's last checkpoint is written while its pictures are drawn; copying the weights and
 * the optimizer's moments into one buffer first cost as long as writing them).
 */
export function checkpointParts(checkpoint: Checkpoint): Uint8Array[] {
  const arrays = [
    ...checkpoint.weights,
    ...checkpoint.optimizer.tensors.map((tensor) => tensor.values),
    ...(checkpoint.best?.weights ?? []),
  ];
  const header: Header = {
    version: VERSION,
    epoch: checkpoint.epoch,
    backend: checkpoint.backend,
    rngState: checkpoint.rngState,
    metrics: checkpoint.metrics,
    weights: checkpoint.weights.map((array) => array.length),
    optimizer: {
      step: checkpoint.optimizer.step,
      tensors: checkpoint.optimizer.tensors.map((tensor) => ({ name: tensor.name, length: tensor.values.length })),
      scalars: checkpoint.optimizer.scalars,
    },
    ...(checkpoint.best ? { best: { epoch: checkpoint.best.epoch, weights: checkpoint.best.weights.map((array) => array.length) } } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(align4(MAGIC.length + 4 + json.length));
  head.set(new TextEncoder().encode(MAGIC));
  new DataView(head.buffer).setUint32(MAGIC.length, json.length, true);
  head.set(json, MAGIC.length + 4);
  return [head, ...arrays.map((array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength))];
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const corrupt = (why: string) => new Error(`${source}: not a usable checkpoint: ${why}`);
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw corrupt('wrong magic bytes');
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + jsonLength)));
  } catch {
    throw corrupt('unreadable header');
  }
  if (!READABLE_VERSIONS.has(header.version)) throw corrupt(`version ${header.version}, expected ${VERSION}`);
  const headerEnd = align4(MAGIC.length + 4 + jsonLength);
  const lengths = [...header.weights, ...header.optimizer.tensors.map((tensor) => tensor.length), ...(header.best?.weights ?? [])];
  const floats = lengths.reduce((sum, length) => sum + length, 0);
  if (bytes.length !== headerEnd + floats * 4) throw corrupt(`expected ${headerEnd + floats * 4} bytes, found ${bytes.length}`);
  // ArrayBuffer#slice copies (and aligns); a Node Buffer's own slice() would be a view of the whole file.
  const body = new Float32Array(bytes.buffer.slice(bytes.byteOffset + headerEnd, bytes.byteOffset + bytes.length));
  let offset = 0;
  const take = (length: number) => body.slice(offset, (offset += length));
  const weights = header.weights.map((length) => take(length));
  const tensors = header.optimizer.tensors.map((tensor) => ({ name: tensor.name, values: take(tensor.length) }));
  const best = header.best ? { epoch: header.best.epoch, weights: header.best.weights.map((length) => take(length)) } : undefined;
  return {
    epoch: header.epoch,
    backend: header.backend,
    rngState: header.rngState,
    metrics: header.metrics,
    weights,
    optimizer: { step: header.optimizer.step, tensors, scalars: header.optimizer.scalars },
    ...(best ? { best } : {}),
  };
}

function align4(value: number): number {
  return Math.ceil(value / 4) * 4;
}
