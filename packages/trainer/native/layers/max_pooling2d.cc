// Max pooling over square windows (tfjs' default valid padding); backward sends each gradient to the
// window's maximum (the first one, on ties), remembered from the forward pass.
#include <algorithm>

#include "pooling.h"

namespace specml {
namespace {

class MaxPooling2d : public Pooling2d {
 public:
  using Pooling2d::Pooling2d;

  void Reserve(int batch, bool) override {
    if (static_cast<long>(winners_.size()) < batch * out.size()) winners_.assign(batch * out.size(), 0);
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    const long planes = static_cast<long>(slice.count) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    int32_t* winners = winners_.data() + slice.first * out.size();
    for (long p = 0; p < planes; ++p) {
      const float* plane = x + p * inPlane;
      float* outputs = y + p * outPlane;
      int32_t* won = winners + p * outPlane;
      for (int oy = 0; oy < out.height; ++oy) {
        const int top = oy * stride_;
        for (int ox = 0; ox < out.width; ++ox) {
          const int left = ox * stride_;
          int best = top * in.width + left;
          if (size_ == 2) {  // the common window, unrolled
            const int candidates[3] = {best + 1, best + in.width, best + in.width + 1};
            for (int candidate : candidates)
              if (plane[candidate] > plane[best]) best = candidate;
          } else {
            for (int ky = 0; ky < size_; ++ky)
              for (int kx = 0; kx < size_; ++kx) {
                const int at = (top + ky) * in.width + left + kx;
                if (plane[at] > plane[best]) best = at;
              }
          }
          outputs[oy * out.width + ox] = plane[best];
          won[oy * out.width + ox] = best;
        }
      }
    }
  }

  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (!dx) return;
    const long planes = static_cast<long>(slice.count) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    const int32_t* winners = winners_.data() + slice.first * out.size();
    std::fill(dx, dx + planes * inPlane, 0.f);
    for (long p = 0; p < planes; ++p)
      for (long o = 0; o < outPlane; ++o) dx[p * inPlane + winners[p * outPlane + o]] += dy[p * outPlane + o];
  }

 private:
  std::vector<int32_t> winners_;
};

const RegisterLayer registered("maxPooling2d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<MaxPooling2d>(args, input); });

}  // namespace
}  // namespace specml
