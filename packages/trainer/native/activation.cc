#include "activation.h"

#include <algorithm>

namespace specml {

void Activate(Activation activation, float* y, long rows, long width) {
  const long n = rows * width;
  switch (activation) {
    case Activation::Linear:
      break;
    case Activation::Relu:
      for (long k = 0; k < n; ++k) y[k] = y[k] > 0.f ? y[k] : 0.f;
      break;
    case Activation::LeakyRelu:
      for (long k = 0; k < n; ++k) y[k] = y[k] > 0.f ? y[k] : kLeakyAlpha * y[k];
      break;
    case Activation::Elu:
      for (long k = 0; k < n; ++k) y[k] = y[k] > 0.f ? y[k] : std::expm1(y[k]);
      break;
    case Activation::Selu:
      for (long k = 0; k < n; ++k) y[k] = y[k] > 0.f ? kSeluScale * y[k] : kSeluScale * kSeluAlpha * std::expm1(y[k]);
      break;
    case Activation::Sigmoid:
      for (long k = 0; k < n; ++k) y[k] = 1.f / (1.f + std::exp(-y[k]));
      break;
    case Activation::Tanh:
      for (long k = 0; k < n; ++k) y[k] = std::tanh(y[k]);
      break;
    case Activation::Softmax:
      for (long r = 0; r < rows; ++r) {
        float* row = y + r * width;
        const float top = *std::max_element(row, row + width);
        float sum = 0.f;
        for (long j = 0; j < width; ++j) sum += (row[j] = std::exp(row[j] - top));
        for (long j = 0; j < width; ++j) row[j] /= sum;
      }
      break;
  }
}

void ActivationBackward(Activation activation, const float* y, float* dy, long rows, long width) {
  const long n = rows * width;
  switch (activation) {
    case Activation::Linear:
      break;
    case Activation::Relu:
      for (long k = 0; k < n; ++k) dy[k] = y[k] > 0.f ? dy[k] : 0.f;
      break;
    case Activation::LeakyRelu:
      for (long k = 0; k < n; ++k) dy[k] = y[k] > 0.f ? dy[k] : kLeakyAlpha * dy[k];
      break;
    case Activation::Elu:  // y = eˣ − 1 below 0, so f' = y + 1
      for (long k = 0; k < n; ++k) dy[k] = y[k] > 0.f ? dy[k] : dy[k] * (y[k] + 1.f);
      break;
    case Activation::Selu:  // y = sα(eˣ − 1) below 0, so f' = y + sα
      for (long k = 0; k < n; ++k) dy[k] = y[k] > 0.f ? kSeluScale * dy[k] : dy[k] * (y[k] + kSeluScale * kSeluAlpha);
      break;
    case Activation::Sigmoid:
      for (long k = 0; k < n; ++k) dy[k] *= y[k] * (1.f - y[k]);
      break;
    case Activation::Tanh:
      for (long k = 0; k < n; ++k) dy[k] *= 1.f - y[k] * y[k];
      break;
    case Activation::Softmax:  // dx = y ⊙ (dy − Σ dy·y), per row
      for (long r = 0; r < rows; ++r) {
        const float* yr = y + r * width;
        float* g = dy + r * width;
        float dot = 0.f;
        for (long j = 0; j < width; ++j) dot += g[j] * yr[j];
        for (long j = 0; j < width; ++j) g[j] = yr[j] * (g[j] - dot);
      }
      break;
  }
}

}  // namespace specml
