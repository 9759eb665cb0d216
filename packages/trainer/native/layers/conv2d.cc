// 2-D convolution, one image at a time: im2col turns the image into a K × P matrix (K = channels·kh·kw
// rows, P = output positions), and one product with the kernel W [filters × K] gives the NCHW output.
// conv1d is the same with a kernel one column wide: a sequence is an image of `positions` rows, one column.
// While training, the columns of every image of the batch are kept for backward where they take little
// memory (else backward rebuilds them in groups that fit in cache), so the kernel's gradient is one long
// dot product per weight over many images. tfjs stores the kernel [kh, kw, in, filters]; it is transposed on
// import and export.
#include <algorithm>

#include "../activation.h"
#include "../gemm.h"

namespace specml {
namespace {

class Conv2d : public Layer {
 public:
  Conv2d(const LayerArgs& args, const Shape& input, bool oneColumn)
      : activation_(&ParseActivation(args)),
        filters_(static_cast<int>(args.Number("filters"))),
        sizeY_(static_cast<int>(args.Number("kernelSize"))),
        sizeX_(oneColumn ? 1 : sizeY_),
        stride_(static_cast<int>(args.Number("strides", 1))),
        channels_(input.channels),
        depth_(input.channels * sizeY_ * sizeX_),
        kernel_("kernel", static_cast<size_t>(filters_) * depth_, static_cast<float>(args.Number("l2", 0))),
        bias_("bias", filters_) {
    if (!input.image) args.Fail("needs an image-shaped input");
    if (!activation_->elementwise) args.Fail("has a " + args.Text("activation", "linear") + " activation, which the native engine applies to dense layers only");
    const bool same = args.Text("padding", "valid") == "same";
    auto side = [&](int size, int kernel) { return same ? (size + stride_ - 1) / stride_ : (size - kernel) / stride_ + 1; };
    const int outHeight = side(input.height, sizeY_), outWidth = side(input.width, sizeX_);
    if (outHeight < 1 || outWidth < 1) args.Fail("has an input smaller than its kernel");
    // tfjs' "same": the total padding max((out − 1)·stride + k − in, 0), the smaller half on top and left.
    padTop_ = same ? std::max((outHeight - 1) * stride_ + sizeY_ - input.height, 0) / 2 : 0;
    padLeft_ = same ? std::max((outWidth - 1) * stride_ + sizeX_ - input.width, 0) / 2 : 0;
    in = input;
    out = Shape{outHeight, outWidth, filters_, true};
    positions_ = static_cast<long>(outHeight) * outWidth;
    const long perImage = static_cast<long>(depth_) * positions_;
    group_ = static_cast<int>(std::max(1L, kGroupFloats / perImage));
    for (auto& columns : columns_) columns.assign(group_ * perImage, 0.f);
  }

  void Reserve(int batch, bool training) override {
    // Only a training batch keeps its columns (evaluation needs none for backward), and only if they are small.
    const long needed = batch * static_cast<long>(depth_) * positions_;
    keptImages_ = training && needed <= kKeptFloats ? batch : 0;
    if (static_cast<long>(kept_.size()) < keptImages_ * static_cast<long>(depth_) * positions_) kept_.assign(needed, 0.f);
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context& context) override {
    const long perImage = static_cast<long>(depth_) * positions_;
    const bool keep = context.training && keptImages_ >= slice.first + slice.count;
    for (int b = 0; b < slice.count; ++b) {
      float* image = y + b * out.size();
      float* columns = keep ? kept_.data() + (slice.first + b) * perImage : columns_[slice.part].data();
      Im2col(x + b * in.size(), columns);
      for (int f = 0; f < filters_; ++f) std::fill(image + f * positions_, image + (f + 1) * positions_, bias_.value[f]);
      GemmBroadcastA(filters_, positions_, depth_, kernel_.value.data(), depth_, 1, columns, positions_, image, positions_, true);
    }
    activation_->forward(y, 1, slice.count * out.size());
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context&) override {
    activation_->backward(y, dy, 1, slice.count * out.size());
    const long perImage = static_cast<long>(depth_) * positions_;
    const bool kept = keptImages_ >= slice.first + slice.count;
    float* kernelGradient = kernel_.grad[slice.part].data();
    float* biasGradient = bias_.grad[slice.part].data();
    const int group = kept ? slice.count : group_;
    for (int first = 0; first < slice.count; first += group) {
      const int images = std::min(group, slice.count - first);
      const float* gradient = dy + first * out.size();
      float* columns = kept ? kept_.data() + (slice.first + first) * perImage : columns_[slice.part].data();
      if (!kept)
        for (int b = 0; b < images; ++b) Im2col(x + (first + b) * in.size(), columns + b * perImage);
      // dW += Σ over the group's images of dy·columnsᵀ; db += Σ over images and positions
      GemmDot(filters_, depth_, positions_, gradient, positions_, columns, positions_, kernelGradient, depth_, true, images, out.size(), perImage);
      for (int b = 0; b < images; ++b)
        for (int f = 0; f < filters_; ++f) biasGradient[f] += SumOf(gradient + b * out.size() + f * positions_, positions_);
      if (!dx) continue;
      // dcolumns = Wᵀ·dy, then every column entry is added back to the pixel it was copied from.
      float* scratch = columns_[slice.part].data();
      for (int b = 0; b < images; ++b) {
        GemmBroadcastA(depth_, positions_, filters_, kernel_.value.data(), 1, depth_, gradient + b * out.size(), positions_, scratch, positions_, false);
        Col2im(scratch, dx + (first + b) * in.size());
      }
    }
  }

  std::vector<Param*> Params() override { return {&kernel_, &bias_}; }
  double WorkPerSample() const override { return static_cast<double>(filters_) * depth_ * positions_; }

  void ImportWeight(size_t k, const float* values) override {
    if (k == 1) return Layer::ImportWeight(k, values);
    for (int f = 0; f < filters_; ++f)
      for (int r = 0; r < depth_; ++r) kernel_.value[static_cast<size_t>(f) * depth_ + r] = values[TfjsIndex(f, r)];
  }
  void ExportWeight(size_t k, float* values, bool gradient) override {
    if (k == 1) return Layer::ExportWeight(k, values, gradient);
    const std::vector<float>& source = gradient ? kernel_.grad[0] : kernel_.value;
    for (int f = 0; f < filters_; ++f)
      for (int r = 0; r < depth_; ++r) values[TfjsIndex(f, r)] = source[static_cast<size_t>(f) * depth_ + r];
  }

 private:
  // Row r of the columns is (channel, ky, kx); tfjs' kernel is [ky][kx][channel][filter] (conv1d's
  // [k][channel][filter] is the same with one kx).
  long TfjsIndex(int filter, int row) const {
    const int channel = row / (sizeY_ * sizeX_), ky = row / sizeX_ % sizeY_, kx = row % sizeX_;
    return ((static_cast<long>(ky) * sizeX_ + kx) * channels_ + channel) * filters_ + filter;
  }

  // Sixteen running sums, added up at the end: vectorised, and in a fixed order.
  static float SumOf(const float* values, long count) {
    float lanes[16] = {};
    long p = 0;
    for (; p + 16 <= count; p += 16)
      for (int k = 0; k < 16; ++k) lanes[k] += values[p + k];
    for (; p < count; ++p) lanes[p % 16] += values[p];
    float total = 0.f;
    for (float lane : lanes) total += lane;
    return total;
  }

  // Row (c, ky, kx) of the columns holds, for every output position, the input pixel that tap reads (0 in
  // the padding). Each output row's in-image span is found once, so stride-1 rows are straight copies.
  template <typename Row>
  void ForEachTapRow(float* columns, Row row) {
    for (int c = 0; c < channels_; ++c)
      for (int ky = 0; ky < sizeY_; ++ky)
        for (int kx = 0; kx < sizeX_; ++kx) {
          float* cells = columns + ((static_cast<long>(c) * sizeY_ + ky) * sizeX_ + kx) * positions_;
          // Output columns ox whose input column ox·stride + kx − padLeft lies in [0, width).
          const int firstX = std::max(0, (padLeft_ - kx + stride_ - 1) / stride_);
          const int lastX = std::min(out.width, (in.width + padLeft_ - kx + stride_ - 1) / stride_);
          for (int oy = 0; oy < out.height; ++oy) {
            const int iy = oy * stride_ + ky - padTop_;
            float* line = cells + static_cast<long>(oy) * out.width;
            const bool inside = iy >= 0 && iy < in.height && firstX < lastX;
            const long pixel = inside ? (static_cast<long>(c) * in.height + iy) * in.width + firstX * stride_ + kx - padLeft_ : 0;
            row(line, inside ? firstX : out.width, inside ? lastX : out.width, pixel);
          }
        }
  }
  void Im2col(const float* image, float* columns) {
    // Plain loops rather than memcpy/memset: the rows are a few dozen floats, too short for a call to pay.
    ForEachTapRow(columns, [&](float* line, int first, int last, long pixel) {
      std::fill(line, line + first, 0.f);
      if (stride_ == 1) std::copy(image + pixel, image + pixel + (last - first), line + first);
      else
        for (int ox = first; ox < last; ++ox) line[ox] = image[pixel + static_cast<long>(ox - first) * stride_];
      std::fill(line + last, line + out.width, 0.f);
    });
  }
  void Col2im(float* columns, float* gradient) {
    std::fill(gradient, gradient + in.size(), 0.f);
    ForEachTapRow(columns, [&](float* line, int first, int last, long pixel) {
      float* target = gradient + pixel;
      if (stride_ == 1)
        for (int ox = first; ox < last; ++ox) target[ox - first] += line[ox];
      else
        for (int ox = first; ox < last; ++ox) target[static_cast<long>(ox - first) * stride_] += line[ox];
    });
  }

  const ActivationKind* activation_;
  int filters_, sizeY_, sizeX_, stride_, channels_, depth_;
  int padTop_ = 0, padLeft_ = 0;
  long positions_ = 0;
  int group_ = 1;
  Param kernel_, bias_;
  // Each slice's columns: a group of images for backward, the first image's place for forward.
  std::vector<float> columns_[kParts];
  static constexpr long kGroupFloats = 256 * 1024;  // 1 MiB: a group's columns stay in L2
  // The columns of the training batch, kept from forward for backward, up to 64 MiB; keptImages_ is how
  // many images the current pass keeps (0: backward rebuilds them).
  std::vector<float> kept_;
  int keptImages_ = 0;
  static constexpr long kKeptFloats = 16L * 1024 * 1024;
};

const RegisterLayer registered("conv2d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Conv2d>(args, input, false); });
const RegisterLayer registeredOneColumn("conv1d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Conv2d>(args, input, true); });

}  // namespace
}  // namespace specml
