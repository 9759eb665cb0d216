#pragma once
#include <cstdint>

namespace specml {

// Numbers per image: flip x (0/1), flip y (0/1), shift x, shift y (pixels), cos and sin of the angle.
constexpr int kAugmentParameters = 6;

// Writes each of `count` HWC byte images of `source`, transformed by its parameters, into `target`, on up to
// `threads` threads (1 or 2; the bytes written do not depend on it).
void TransformImages(const uint8_t* source, uint8_t* target, int64_t count, int height, int width, int channels, const double* parameters, int threads);

}  // namespace specml
