import tf = require('@tensorflow/tfjs-core');

interface WasmBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so a convolution cannot be trained on it. This fills
 * the gap for NHWC float32 inputs: the filter gradient dW[kh, kw, ci, co] = Σ x[b, oh·s + kh − pad, ow·s +
 * kw − pad, ci] · dy[b, oh, ow, co], computed in JavaScript on the wasm heap. Registered once, only where
 * the backend lacks it.
 */
export function registerWasmConvGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm: only NHWC is supported');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const wasm = backend as unknown as WasmBackend;
      // The output first: allocating may grow the heap, which detaches views taken before.
      const out = wasm.makeOutput([...info.filterShape], 'float32');
      const input = wasm.typedArrayFromHeap(x);
      const gradient = wasm.typedArrayFromHeap(dy);
      const filter = wasm.typedArrayFromHeap(out);
      filter.fill(0);
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
      const { top, left } = info.padInfo;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let kh = 0; kh < filterHeight; kh++) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) continue;
            for (let ow = 0; ow < outWidth; ow++) {
              const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
              for (let kw = 0; kw < filterWidth; kw++) {
                const iw = ow * strideWidth + kw - left;
                if (iw < 0 || iw >= inWidth) continue;
                const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
                const filterBase = (kh * filterWidth + kw) * inChannels * outChannels;
                for (let ci = 0; ci < inChannels; ci++) {
                  const value = input[xBase + ci];
                  if (value === 0) continue;
                  const row = filterBase + ci * outChannels;
                  for (let co = 0; co < outChannels; co++) filter[row + co] += value * gradient[dyBase + co];
                }
              }
            }
          }
        }
      }
      return out;
    },
  });
}

/** out[segment] = Σ over rows r with ids[r] = segment of values[r] (rows of `width`); ids outside [0, segments) are dropped, as tfjs does. */
function segmentSum(values: Float32Array, ids: Int32Array, segments: number, width: number, sums: Float32Array): void {
  sums.fill(0);
  for (let r = 0; r < ids.length; r++) {
    const segment = ids[r];
    if (segment < 0 || segment >= segments) continue;
    for (let k = 0; k < width; k++) sums[segment * width + k] += values[r * width + k];
  }
}

/**
 * UnsortedSegmentSum is the gradient of Gather (an embedding's lookup). tfjs-backend-wasm 4.22 has none, and
 * tfjs-backend-cpu's makes a masked copy of the whole input per segment (per vocabulary token: an embedding
 * of 10,000 tokens took minutes and gigabytes per step); both are given this linear one.
 */
export function registerSegmentSum(backendName: 'wasm' | 'cpu'): void {
  const existing = tf.getKernel('UnsortedSegmentSum', backendName);
  if (existing?.kernelFunc === KERNELS[backendName]) return;
  if (existing) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: KERNELS[backendName] });
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array | Int32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** How a backend hands its tensors' memory over: where the sums go (and the tensor they become), and the values and ids to read. */
interface SegmentSumMemory {
  allocate(shape: number[]): { sums: Float32Array; output(): tf.TensorInfo };
  read(x: tf.TensorInfo, segmentIds: tf.TensorInfo): { values: Float32Array; ids: Int32Array };
}

/** UnsortedSegmentSum on a backend whose memory `memory` reads and allocates (taking the output first: see the wasm side). */
function segmentSumKernel(memory: (backend: unknown) => SegmentSumMemory): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    if (x.dtype !== 'float32') throw new Error('UnsortedSegmentSum: only float32 values are supported');
    const rowShape = x.shape.slice(segmentIds.shape.length);
    const { allocate, read } = memory(backend);
    const { sums, output } = allocate([numSegments, ...rowShape]);
    const { values, ids } = read(x, segmentIds);
    segmentSum(values, ids, numSegments, rowShape.reduce((a, b) => a * b, 1), sums);
    return output();
  };
}

const KERNELS: Record<'wasm' | 'cpu', tf.KernelFunc> = {
  // Views of the wasm heap, taken after the output's allocation (which may grow the heap and detach them).
  wasm: segmentSumKernel((backend) => {
    const wasm = backend as WasmBackend;
    return {
      allocate: (shape) => {
        const out = wasm.makeOutput(shape, 'float32');
        return { sums: wasm.typedArrayFromHeap(out), output: () => out };
      },
      read: (x, segmentIds) => ({ values: wasm.typedArrayFromHeap(x), ids: wasm.typedArrayFromHeap(segmentIds) as unknown as Int32Array }),
    };
  }),
  cpu: segmentSumKernel((backend) => {
    const cpu = backend as CpuBackend;
    return {
      allocate: (shape) => {
        const sums = new Float32Array(shape.reduce((a, b) => a * b, 1));
        return { sums, output: () => cpu.makeTensorInfo(shape, 'float32', sums) };
      },
      read: (x, segmentIds) => ({ values: cpu.data.get(x.dataId).values as Float32Array, ids: Int32Array.from(cpu.data.get(segmentIds.dataId).values) }),
    };
  }),
};
