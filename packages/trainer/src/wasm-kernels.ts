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
      const input = wasm.typedArrayFromHeap(x);
      const gradient = wasm.typedArrayFromHeap(dy);
      const out = wasm.makeOutput([...info.filterShape], 'float32');
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
