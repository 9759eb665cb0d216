// Max pooling over square windows (tfjs' default valid padding); backward sends each gradient to the
// window's maximum, remembered from the forward pass.
#include <algorithm>

#include "../layer.h"

namespace specml {
namespace {

class MaxPooling2d : public Layer {
 public:
  MaxPooling2d(const LayerArgs& args, const Shape& input)
      : size_(static_cast<int>(args.Number("poolSize", 2))), stride_(static_cast<int>(args.Number("strides", size_))) {
    if (!input.image) args.Fail("needs an image-shaped input");
    auto side = [&](int length) { return (length - size_) / stride_ + 1; };
    if (input.height < size_ || input.width < size_) args.Fail("has an input smaller than its window");
    in = input;
    out = Shape{side(input.height), side(input.width), input.channels, true};
  }

  void Reserve(int batch) override {
    if (static_cast<long>(winners_.size()) < batch * out.size()) winners_.assign(batch * out.size(), 0);
  }

  void Forward(const float* x, float* y, int batch, const Context& context) override {
    const long planes = static_cast<long>(batch) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    for (long p = 0; p < planes; ++p) {
      const float* plane = x + p * inPlane;
      for (int oy = 0; oy < out.height; ++oy)
        for (int ox = 0; ox < out.width; ++ox) {
          long best = static_cast<long>(oy * stride_) * in.width + ox * stride_;
          for (int ky = 0; ky < size_; ++ky)
            for (int kx = 0; kx < size_; ++kx) {
              const long at = static_cast<long>(oy * stride_ + ky) * in.width + ox * stride_ + kx;
              if (plane[at] > plane[best]) best = at;
            }
          const long o = p * outPlane + static_cast<long>(oy) * out.width + ox;
          y[o] = plane[best];
          if (context.training) winners_[o] = static_cast<int32_t>(best);
        }
    }
  }

  void Backward(const float*, const float*, float* dy, float* dx, int batch, const Context&) override {
    if (!dx) return;
    const long planes = static_cast<long>(batch) * in.channels;
    const long inPlane = static_cast<long>(in.height) * in.width, outPlane = static_cast<long>(out.height) * out.width;
    std::fill(dx, dx + planes * inPlane, 0.f);
    for (long p = 0; p < planes; ++p)
      for (long o = 0; o < outPlane; ++o) dx[p * inPlane + winners_[p * outPlane + o]] += dy[p * outPlane + o];
  }

 private:
  int size_, stride_;
  std::vector<int32_t> winners_;
};

const RegisterLayer registered("maxPooling2d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<MaxPooling2d>(args, input); });

}  // namespace
}  // namespace specml
