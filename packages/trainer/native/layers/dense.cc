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

  void Forward(const float* x, float* y, const Slice& slice, const Context& context) override {
    const int batch = slice.count;
    for (int b = 0; b < batch; ++b) std::copy(bias_.value.begin(), bias_.value.end(), y + static_cast<long>(b) * units_);
    NonZeros& nonZeros = nonZeros_[slice.part];
    if (nonZeros.Gather(x, batch, inputs_, context)) {
      // y[b] += x[b][i] · W[i] for the inputs that are not zero: in the same order as the product below.
      for (int b = 0; b < batch; ++b) {
        const float* row = x + static_cast<long>(b) * inputs_;
        float* out = y + static_cast<long>(b) * units_;
        for (long k = nonZeros.rowStart[b]; k < nonZeros.rowStart[b + 1]; ++k) {
          const int i = nonZeros.index[k];
          AddScaled(row[i], kernel_.value.data() + static_cast<long>(i) * units_, out);
        }
      }
    } else {
      GemmBroadcastA(batch, units_, inputs_, x, inputs_, 1, kernel_.value.data(), units_, y, units_, true);
    }
    activation_->forward(y, batch, units_);
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context& context) override {
    const int batch = slice.count;
    activation_->backward(y, dy, batch, units_);
    // dW += xᵀ·dy (A = xᵀ: element (i, b) is x[b·in + i]); db += Σ_b dy; dx = dy·Wᵀ
    float* kernelGradient = kernel_.grad[slice.part].data();
    NonZeros& nonZeros = nonZeros_[slice.part];
    if (nonZeros.Gathered(x, batch, context) ? nonZeros.sparse : nonZeros.Gather(x, batch, inputs_, context)) {
      for (int b = 0; b < batch; ++b) {
        const float* row = x + static_cast<long>(b) * inputs_;
        for (long k = nonZeros.rowStart[b]; k < nonZeros.rowStart[b + 1]; ++k) {
          const int i = nonZeros.index[k];
          AddScaled(row[i], dy + static_cast<long>(b) * units_, kernelGradient + static_cast<long>(i) * units_);
        }
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
  // The non-zero inputs are found in one pass over the batch, in forward, and a training batch's backward
  // reuses them: with 20,000 inputs a row, reading the rows again cost more than the arithmetic.
  struct NonZeros {
    std::vector<long> rowStart;  // row b's entries are index[rowStart[b] .. rowStart[b + 1])
    std::vector<int> index;
    bool sparse = false;
    // The training pass they were gathered for: backward of that batch, in that slice, reads them.
    const float* x = nullptr;
    int batch = 0;
    uint64_t step = 0;
    bool training = false;

    bool Gathered(const float* of, int count, const Context& context) const {
      return context.training && training && x == of && batch == count && step == context.step;
    }

    // Finds the batch's non-zero inputs, and whether they are few enough (fewer than 1 in kSparseShare)
    // for the sparse product: it stops counting as soon as they are not.
    bool Gather(const float* of, int count, int inputs, const Context& context) {
      x = of;
      batch = count;
      step = context.step;
      training = context.training;
      sparse = false;
      if (inputs < kSparseInputs) return false;
      const long total = static_cast<long>(count) * inputs;
      rowStart.resize(count + 1);
      long found = 0;
      for (int b = 0; b < count; ++b) {
        rowStart[b] = found;
        if (static_cast<long>(index.size()) < found + inputs) index.resize(found + inputs);
        const float* row = of + static_cast<long>(b) * inputs;
        int* next = index.data() + found;
        long kept = 0;
        // Every index is written, and kept only where its input is not zero: no branch to mispredict.
        for (int i = 0; i < inputs; ++i) {
          next[kept] = i;
          kept += row[i] != 0.0f;
        }
        found += kept;
        if (found * kSparseShare >= total) return false;
      }
      rowStart[count] = found;
      return sparse = true;
    }
  };

  void AddScaled(float scale, const float* from, float* to) const {
    for (int j = 0; j < units_; ++j) to[j] += scale * from[j];
  }

  static constexpr int kSparseInputs = 256;
  static constexpr long kSparseShare = 20;  // fewer than 1 in 20 inputs non-zero

  const ActivationKind* activation_;
  int inputs_, units_;
  Param kernel_, bias_;
  NonZeros nonZeros_[kParts];
};

const RegisterLayer registered("dense", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Dense>(args, input); });

}  // namespace
}  // namespace specml
