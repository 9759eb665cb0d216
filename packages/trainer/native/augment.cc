// data.augment's image transform (flip, whole-pixel shift, bilinear turn) at native speed: the same
// arithmetic as transformImages in @specml/data (augment.ts), in double precision and in the same order,
// so that both write the same bytes (a test compares them).
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "augment.h"

namespace specml {
namespace {

void CopyShifted(const uint8_t* source, uint8_t* target, int height, int width, int channels, bool flipX, bool flipY, int dx, int dy) {
  const long rowStride = static_cast<long>(width) * channels;
  for (int y = 0; y < height; ++y) {
    const int sy = y - dy;
    uint8_t* row = target + y * rowStride;
    if (sy < 0 || sy >= height) {
      for (long k = 0; k < rowStride; ++k) row[k] = 0;
      continue;
    }
    const uint8_t* sourceRow = source + (flipY ? height - 1 - sy : sy) * rowStride;
    for (int x = 0; x < width; ++x) {
      const int sx = x - dx;
      uint8_t* to = row + x * channels;
      if (sx < 0 || sx >= width) {
        for (int c = 0; c < channels; ++c) to[c] = 0;
        continue;
      }
      const uint8_t* at = sourceRow + (flipX ? width - 1 - sx : sx) * channels;
      for (int c = 0; c < channels; ++c) to[c] = at[c];
    }
  }
}

// The image with a one-pixel black border (`padded` holds (height + 2) × (width + 2) pixels): the four
// neighbours of any source point inside [-1, width) × [-1, height) can then be read without a bounds check,
// and a neighbour outside the image adds 0, as in the TypeScript version.
void RotateShifted(const uint8_t* source, uint8_t* target, uint8_t* padded, int height, int width, int channels, bool flipX, bool flipY, double dx,
                   double dy, double cos, double sin) {
  const long rowStride = static_cast<long>(width) * channels;
  const long paddedStride = static_cast<long>(width + 2) * channels;
  for (int y = 0; y < height; ++y)
    for (long k = 0; k < rowStride; ++k) padded[(y + 1) * paddedStride + channels + k] = source[y * rowStride + k];
  const double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
  const double signX = flipX ? -1 : 1, signY = flipY ? -1 : 1;
  const double stepX = signX * cos, stepY = signY * -sin;
  for (int y = 0; y < height; ++y) {
    const double uy = y - dy - cy;
    const double ux0 = -dx - cx;
    double sx = signX * (cos * ux0 + sin * uy) + cx;
    double sy = signY * (-sin * ux0 + cos * uy) + cy;
    uint8_t* to = target + y * rowStride;
    for (int x = 0; x < width; ++x, sx += stepX, sy += stepY, to += channels) {
      // floor(s) < -1 exactly when s < -1, and floor(s) >= width exactly when s >= width.
      if (!(sx >= -1 && sy >= -1 && sx < width && sy < height)) {
        for (int c = 0; c < channels; ++c) to[c] = 0;
        continue;
      }
      // For s >= -1, truncating s + 1 is floor(s) + 1, without a rounding instruction.
      const int x0 = static_cast<int>(sx + 1) - 1, y0 = static_cast<int>(sy + 1) - 1;
      const double fx = sx - x0, fy = sy - y0;
      const double w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      const uint8_t* at = padded + (y0 + 1) * paddedStride + static_cast<long>(x0 + 1) * channels;
      for (int c = 0; c < channels; ++c) {
        const double value = 0 + w00 * at[c] + w10 * at[channels + c] + w01 * at[paddedStride + c] + w11 * at[paddedStride + channels + c];
        to[c] = static_cast<uint8_t>(value + 0.5);
      }
    }
  }
}

}  // namespace

void TransformImages(const uint8_t* source, uint8_t* target, int64_t count, int height, int width, int channels, const double* parameters, int threads) {
  const long size = static_cast<long>(height) * width * channels;
  // Images are independent: two threads take half each (the bytes written do not depend on who wrote them).
  auto range = [&](int64_t first, int64_t last) {
    std::vector<uint8_t> padded(static_cast<size_t>(height + 2) * (width + 2) * channels, 0);
    for (int64_t i = first; i < last; ++i) {
      const double* p = parameters + i * kAugmentParameters;
      const bool flipX = p[0] == 1, flipY = p[1] == 1;
      if (p[5] == 0)
        CopyShifted(source + i * size, target + i * size, height, width, channels, flipX, flipY, static_cast<int>(p[2]), static_cast<int>(p[3]));
      else
        RotateShifted(source + i * size, target + i * size, padded.data(), height, width, channels, flipX, flipY, p[2], p[3], p[4], p[5]);
    }
  };
  if (threads < 2 || count < 256 || std::thread::hardware_concurrency() < 2) return range(0, count);
  std::thread second(range, count / 2, count);
  range(0, count / 2);
  second.join();
}

}  // namespace specml
