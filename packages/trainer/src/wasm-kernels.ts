import * as tf from '@tensorflow/tfjs-core';

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

/**
 * tfjs-backend-wasm 4.22 has no UnsortedSegmentSum either, which the gradient of Gather (an embedding's
 * lookup) is: out[segment] = Σ over rows r with segmentIds[r] = segment of x[r]. Registered once, only where
 * the backend lacks it; ids outside [0, numSegments) are dropped, as tfjs' cpu backend does.
 */
export function registerWasmSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
      if (x.dtype !== 'float32') throw new Error('UnsortedSegmentSum on wasm: only float32 values are supported');
      const wasm = backend as unknown as WasmBackend;
      const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
      const width = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
      const values = wasm.typedArrayFromHeap(x);
      const ids = wasm.typedArrayFromHeap(segmentIds) as unknown as Int32Array;
      const sums = wasm.typedArrayFromHeap(out);
      sums.fill(0);
      for (let r = 0; r < rows; r++) {
        const segment = ids[r];
        if (segment < 0 || segment >= numSegments) continue;
        for (let k = 0; k < width; k++) sums[segment * width + k] += values[r * width + k];
      }
      return out;
    },
  });
}
