// Average pooling over square windows (tfjs' default valid padding); backward spreads each gradient evenly
// over its window.
#include <algorithm>

#include "pooling.h"

namespace specml {
namespace {

class AveragePooling2d : public Pooling2d {
 public:
  using Pooling2d::Pooling2d;

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    const long planes = static_cast<long>(slice.count) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    const float scale = 1.f / static_cast<float>(size_ * size_);
    for (long p = 0; p < planes; ++p) {
      const float* plane = x + p * inPlane;
      float* outputs = y + p * outPlane;
      for (int oy = 0; oy < out.height; ++oy)
        for (int ox = 0; ox < out.width; ++ox) {
          float sum = 0.f;
          for (int ky = 0; ky < size_; ++ky)
            for (int kx = 0; kx < size_; ++kx) sum += plane[(oy * stride_ + ky) * in.width + ox * stride_ + kx];
          outputs[oy * out.width + ox] = sum * scale;
        }
    }
  }

  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (!dx) return;
    const long planes = static_cast<long>(slice.count) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    const float scale = 1.f / static_cast<float>(size_ * size_);
    std::fill(dx, dx + planes * inPlane, 0.f);
    for (long p = 0; p < planes; ++p) {
      float* gradients = dx + p * inPlane;
      const float* upstream = dy + p * outPlane;
      for (int oy = 0; oy < out.height; ++oy)
        for (int ox = 0; ox < out.width; ++ox) {
          const float share = upstream[oy * out.width + ox] * scale;
          for (int ky = 0; ky < size_; ++ky)
            for (int kx = 0; kx < size_; ++kx) gradients[(oy * stride_ + ky) * in.width + ox * stride_ + kx] += share;
        }
    }
  }

};

const RegisterLayer registered("averagePooling2d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<AveragePooling2d>(args, input); });

}  // namespace
}  // namespace specml
