// Fully connected: y = f(x·W + b), W stored [in × out] as tfjs does.
#include <algorithm>

#include "../activation.h"
#include "../gemm.h"

namespace specml {
namespace {

class Dense : public Layer {
 public:
  Dense(const LayerArgs& args, const Shape& input)
      : activation_(&ParseActivation(args)),
        inputs_(static_cast<int>(input.size())),
        units_(static_cast<int>(args.Number("units"))),
        kernel_("kernel", static_cast<size_t>(inputs_) * units_, static_cast<float>(args.Number("l2", 0))),
        bias_("bias", units_) {
    if (input.image) args.Fail("needs a vector input: flatten the image first");
    in = input;
    out = Shape{1, 1, units_, false};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    const int batch = slice.count;
    for (int b = 0; b < batch; ++b) std::copy(bias_.value.begin(), bias_.value.end(), y + static_cast<long>(b) * units_);
    if (MostlyZeros(x, batch)) {
      // y[b] += x[b][i] · W[i] for the inputs that are not zero: in the same order as the product below.
      for (int b = 0; b < batch; ++b) {
        const float* row = x + static_cast<long>(b) * inputs_;
        float* out = y + static_cast<long>(b) * units_;
        for (int i = 0; i < inputs_; ++i)
          if (row[i] != 0.0f) AddScaled(row[i], kernel_.value.data() + static_cast<long>(i) * units_, out);
      }
    } else {
      GemmBroadcastA(batch, units_, inputs_, x, inputs_, 1, kernel_.value.data(), units_, y, units_, true);
    }
    activation_->forward(y, batch, units_);
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context&) override {
    const int batch = slice.count;
    activation_->backward(y, dy, batch, units_);
    // dW += xᵀ·dy (A = xᵀ: element (i, b) is x[b·in + i]); db += Σ_b dy; dx = dy·Wᵀ
    float* kernelGradient = kernel_.grad[slice.part].data();
    if (MostlyZeros(x, batch)) {
      for (int b = 0; b < batch; ++b) {
        const float* row = x + static_cast<long>(b) * inputs_;
        for (int i = 0; i < inputs_; ++i)
          if (row[i] != 0.0f) AddScaled(row[i], dy + static_cast<long>(b) * units_, kernelGradient + static_cast<long>(i) * units_);
      }
    } else {
      GemmBroadcastA(inputs_, units_, batch, x, 1, inputs_, dy, units_, kernelGradient, units_, true);
    }
    float* biasGradient = bias_.grad[slice.part].data();
    for (int b = 0; b < batch; ++b) {
      const float* row = dy + static_cast<long>(b) * units_;
      for (int j = 0; j < units_; ++j) biasGradient[j] += row[j];
    }
    if (dx) GemmDot(batch, inputs_, units_, dy, units_, kernel_.value.data(), units_, dx, inputs_, false);
  }

  std::vector<Param*> Params() override { return {&kernel_, &bias_}; }
  double WorkPerSample() const override { return static_cast<double>(inputs_) * units_; }

 private:
  // A text column's bag of words is almost all zeros (a review's 100 tokens of a 10,000-token vocabulary):
  // such a batch is multiplied by the kernel rows its non-zero inputs touch, not by all of them (100 times
  // less work there), adding in the same order as the dense product. The test is on the batch's values, so
  // a run always takes the same path; images (MNIST: a fifth of the pixels are ink) stay on the dense product.
  bool MostlyZeros(const float* x, int batch) const {
    if (inputs_ < kSparseInputs) return false;
    const long total = static_cast<long>(batch) * inputs_;
    long nonZero = 0;
    for (long k = 0; k < total; ++k) nonZero += x[k] != 0.0f;
    return nonZero * kSparseShare < total;
  }

  void AddScaled(float scale, const float* from, float* to) const {
    for (int j = 0; j < units_; ++j) to[j] += scale * from[j];
  }

  static constexpr int kSparseInputs = 256;
  static constexpr long kSparseShare = 20;  // fewer than 1 in 20 inputs non-zero

  const ActivationKind* activation_;
  int inputs_, units_;
  Param kernel_, bias_;
};

const RegisterLayer registered("dense", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Dense>(args, input); });

}  // namespace
}  // namespace specml
