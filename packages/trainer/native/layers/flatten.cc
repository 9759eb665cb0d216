// An image becomes a vector in tfjs' order (row, column, channel), from this engine's NCHW.
#include "../layer.h"

namespace specml {
namespace {

class Flatten : public Layer {
 public:
  Flatten(const LayerArgs&, const Shape& input) {
    in = input;
    out = Shape{1, 1, static_cast<int>(input.size()), false};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override { Permute(x, y, slice.count, false); }
  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (dx) Permute(dy, dx, slice.count, true);
  }

 private:
  // NCHW index (c·H + y)·W + x ↔ NHWC index (y·W + x)·C + c
  void Permute(const float* from, float* to, int batch, bool backward) const {
    const long size = in.size(), plane = static_cast<long>(in.height) * in.width;
    for (int b = 0; b < batch; ++b) {
      const float* source = from + b * size;
      float* target = to + b * size;
      for (int c = 0; c < in.channels; ++c)
        for (long p = 0; p < plane; ++p) {
          const long nchw = c * plane + p, nhwc = p * in.channels + c;
          if (backward) target[nchw] = source[nhwc];
          else target[nhwc] = source[nchw];
        }
    }
  }
};

const RegisterLayer registered("flatten", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Flatten>(args, input); });

}  // namespace
}  // namespace specml
