// 2-D convolution, one image at a time: im2col turns the image into a K × P matrix (K = channels·kh·kw
// rows, P = output positions), and one product with the kernel W [filters × K] gives the NCHW output.
// tfjs stores the kernel [kh, kw, in, filters]; it is transposed on import and export.
#include <algorithm>

#include "../activation.h"
#include "../gemm.h"

namespace specml {
namespace {

class Conv2d : public Layer {
 public:
  Conv2d(const LayerArgs& args, const Shape& input)
      : activation_(ParseActivation(args)),
        filters_(static_cast<int>(args.Number("filters"))),
        size_(static_cast<int>(args.Number("kernelSize"))),
        stride_(static_cast<int>(args.Number("strides", 1))),
        channels_(input.channels),
        depth_(input.channels * size_ * size_),
        kernel_("kernel", static_cast<size_t>(filters_) * depth_, static_cast<float>(args.Number("l2", 0))),
        bias_("bias", filters_) {
    if (!input.image) args.Fail("needs an image-shaped input");
    if (activation_ == Activation::Softmax) args.Fail("has a softmax activation, which the native engine applies to dense layers only");
    const bool same = args.Text("padding", "valid") == "same";
    auto side = [&](int size) { return same ? (size + stride_ - 1) / stride_ : (size - size_) / stride_ + 1; };
    const int outHeight = side(input.height), outWidth = side(input.width);
    if (outHeight < 1 || outWidth < 1) args.Fail("has an input smaller than its kernel");
    // tfjs' "same": the total padding max((out − 1)·stride + k − in, 0), the smaller half on top and left.
    padTop_ = same ? std::max((outHeight - 1) * stride_ + size_ - input.height, 0) / 2 : 0;
    padLeft_ = same ? std::max((outWidth - 1) * stride_ + size_ - input.width, 0) / 2 : 0;
    in = input;
    out = Shape{outHeight, outWidth, filters_, true};
    positions_ = static_cast<long>(outHeight) * outWidth;
    columns_.assign(static_cast<size_t>(depth_) * positions_, 0.f);
  }

  void Forward(const float* x, float* y, int batch, const Context&) override {
    for (int b = 0; b < batch; ++b) {
      float* image = y + b * out.size();
      Im2col(x + b * in.size());
      for (int f = 0; f < filters_; ++f) std::fill(image + f * positions_, image + (f + 1) * positions_, bias_.value[f]);
      GemmBroadcastA(filters_, positions_, depth_, kernel_.value.data(), depth_, 1, columns_.data(), positions_, image, positions_, true);
    }
    Activate(activation_, y, 1, batch * out.size());
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, int batch, const Context&) override {
    ActivationBackward(activation_, y, dy, 1, batch * out.size());
    for (int b = 0; b < batch; ++b) {
      const float* gradient = dy + b * out.size();
      Im2col(x + b * in.size());
      // dW += dy·columnsᵀ, db += Σ over positions
      GemmDot(filters_, depth_, positions_, gradient, positions_, columns_.data(), positions_, kernel_.grad.data(), depth_, true);
      for (int f = 0; f < filters_; ++f) {
        float sum = 0.f;
        for (long p = 0; p < positions_; ++p) sum += gradient[f * positions_ + p];
        bias_.grad[f] += sum;
      }
      if (!dx) continue;
      // dcolumns = Wᵀ·dy, then every column entry is added back to the pixel it was copied from.
      GemmBroadcastA(depth_, positions_, filters_, kernel_.value.data(), 1, depth_, gradient, positions_, columns_.data(), positions_, false);
      Col2im(dx + b * in.size());
    }
  }

  std::vector<Param*> Params() override { return {&kernel_, &bias_}; }

  void ImportWeight(size_t k, const float* values) override {
    if (k == 1) return Layer::ImportWeight(k, values);
    for (int f = 0; f < filters_; ++f)
      for (int r = 0; r < depth_; ++r) kernel_.value[static_cast<size_t>(f) * depth_ + r] = values[TfjsIndex(f, r)];
  }
  void ExportWeight(size_t k, float* values, bool gradient) override {
    if (k == 1) return Layer::ExportWeight(k, values, gradient);
    const std::vector<float>& source = gradient ? kernel_.grad : kernel_.value;
    for (int f = 0; f < filters_; ++f)
      for (int r = 0; r < depth_; ++r) values[TfjsIndex(f, r)] = source[static_cast<size_t>(f) * depth_ + r];
  }

 private:
  // Row r of the columns is (channel, ky, kx); tfjs' kernel is [ky][kx][channel][filter].
  long TfjsIndex(int filter, int row) const {
    const int channel = row / (size_ * size_), ky = row / size_ % size_, kx = row % size_;
    return ((static_cast<long>(ky) * size_ + kx) * channels_ + channel) * filters_ + filter;
  }

  template <typename Visit>
  void ForEachTap(Visit visit) {
    for (int c = 0; c < channels_; ++c)
      for (int ky = 0; ky < size_; ++ky)
        for (int kx = 0; kx < size_; ++kx) {
          float* row = columns_.data() + ((static_cast<long>(c) * size_ + ky) * size_ + kx) * positions_;
          for (int oy = 0; oy < out.height; ++oy) {
            const int iy = oy * stride_ + ky - padTop_;
            float* cells = row + static_cast<long>(oy) * out.width;
            const bool inside = iy >= 0 && iy < in.height;
            for (int ox = 0; ox < out.width; ++ox) {
              const int ix = ox * stride_ + kx - padLeft_;
              visit(cells[ox], inside && ix >= 0 && ix < in.width ? (static_cast<long>(c) * in.height + iy) * in.width + ix : -1);
            }
          }
        }
  }
  void Im2col(const float* image) {
    ForEachTap([&](float& cell, long pixel) { cell = pixel >= 0 ? image[pixel] : 0.f; });
  }
  void Col2im(float* gradient) {
    std::fill(gradient, gradient + in.size(), 0.f);
    ForEachTap([&](float& cell, long pixel) {
      if (pixel >= 0) gradient[pixel] += cell;
    });
  }

  Activation activation_;
  int filters_, size_, stride_, channels_, depth_;
  int padTop_ = 0, padLeft_ = 0;
  long positions_ = 0;
  Param kernel_, bias_;
  std::vector<float> columns_;
};

const RegisterLayer registered("conv2d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Conv2d>(args, input); });

}  // namespace
}  // namespace specml
