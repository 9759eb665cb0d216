// Over each row's `width` values; backward dx = y ⊙ (dy − Σ dy·y), per row.
#include <algorithm>
#include <cmath>

#include "../activation.h"

namespace specml {
namespace {

void Forward(float* y, long rows, long width) {
  for (long r = 0; r < rows; ++r) {
    float* row = y + r * width;
    const float top = *std::max_element(row, row + width);
    float sum = 0.f;
    for (long j = 0; j < width; ++j) sum += (row[j] = std::exp(row[j] - top));
    for (long j = 0; j < width; ++j) row[j] /= sum;
  }
}

void Backward(const float* y, float* dy, long rows, long width) {
  for (long r = 0; r < rows; ++r) {
    const float* yr = y + r * width;
    float* g = dy + r * width;
    float dot = 0.f;
    for (long j = 0; j < width; ++j) dot += g[j] * yr[j];
    for (long j = 0; j < width; ++j) g[j] = yr[j] * (g[j] - dot);
  }
}

const RegisterActivation registered("softmax", {Forward, Backward, false});

}  // namespace
}  // namespace specml
