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
    if (nonZeros.Gather(x, slice, inputs_, context)) {
      // y[b] += x[b][i] · W[i] for the inputs that are not zero: in the same order as the product below.
      for (int b = 0; b < batch; ++b) {
        float* out = y + static_cast<long>(b) * units_;
        for (long k = nonZeros.rowStart[b]; k < nonZeros.rowStart[b + 1]; ++k)
          AddScaled(nonZeros.value[k], kernel_.value.data() + static_cast<long>(nonZeros.index[k]) * units_, out);
      }
    } else {
      GemmBroadcastA(batch, units_, inputs_, nonZeros.rows, inputs_, 1, kernel_.value.data(), units_, y, units_, true);
    }
    activation_->forward(y, batch, units_);
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context& context) override {
    const int batch = slice.count;
    activation_->backward(y, dy, batch, units_);
    // dW += xᵀ·dy (A = xᵀ: element (i, b) is x[b·in + i]); db += Σ_b dy; dx = dy·Wᵀ
    float* kernelGradient = kernel_.grad[slice.part].data();
    NonZeros& nonZeros = nonZeros_[slice.part];
    if (nonZeros.Gathered(x, batch, context) ? nonZeros.sparse : nonZeros.Gather(x, slice, inputs_, context)) {
      for (int b = 0; b < batch; ++b)
        for (long k = nonZeros.rowStart[b]; k < nonZeros.rowStart[b + 1]; ++k)
          AddScaled(nonZeros.value[k], dy + static_cast<long>(b) * units_, kernelGradient + static_cast<long>(nonZeros.index[k]) * units_);
    } else {
      GemmBroadcastA(inputs_, units_, batch, nonZeros.rows, 1, inputs_, dy, units_, kernelGradient, units_, true);
    }
    float* biasGradient = bias_.grad[slice.part].data();
    for (int b = 0; b < batch; ++b) {
      const float* row = dy + static_cast<long>(b) * units_;
      for (int j = 0; j < units_; ++j) biasGradient[j] += row[j];
    }
    // Only the values the layer below reads (a join: the text's vector, not the other columns): each is its own
    // dot product, the same however many are computed.
    if (dx) GemmDot(batch, static_cast<int>(context.inputGradientRead), units_, dy, units_, kernel_.value.data(), units_, dx, inputs_, false);
  }

  // A first dense layer of many inputs reads a sparse set's non-zero inputs where they are (Context::sparse):
  // neither copied into a batch nor searched for in it.
  bool ReadsSparseRows() const override { return inputs_ >= kSparseInputs; }
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
    std::vector<long> rowStart;  // row b's entries are index[rowStart[b] .. rowStart[b + 1]), their inputs value[…]
    std::vector<int> index;
    std::vector<float> value;
    bool sparse = false;
    // Where the dense product reads the slice's inputs: x, or a sparse batch's slice made dense (dense).
    const float* rows = nullptr;
    std::vector<float> dense;
    // The training pass they were gathered for: backward of that batch, in that slice, reads them.
    const float* x = nullptr;
    int batch = 0;
    uint64_t step = 0;
    bool training = false;

    bool Gathered(const float* of, int count, const Context& context) const {
      return context.training && training && x == of && batch == count && step == context.step;
    }

    // Finds the slice's non-zero inputs, and whether they are few enough (fewer than 1 in kSparseShare)
    // for the sparse product: it stops counting as soon as they are not.
    bool Gather(const float* of, const Slice& slice, int inputs, const Context& context) {
      x = of;
      batch = slice.count;
      step = context.step;
      training = context.training;
      rows = of;
      sparse = false;
      if (context.sparse) return Take(*context.sparse, slice, inputs);
      if (inputs < kSparseInputs) return false;
      const long total = static_cast<long>(batch) * inputs;
      rowStart.resize(batch + 1);
      long found = 0;
      for (int b = 0; b < batch; ++b) {
        rowStart[b] = found;
        Reserve(found + inputs);
        const float* row = of + static_cast<long>(b) * inputs;
        int* next = index.data() + found;
        float* nextValue = value.data() + found;
        long kept = 0;
        // Every index is written, and kept only where its input is not zero: no branch to mispredict.
        for (int i = 0; i < inputs; ++i) {
          next[kept] = i;
          nextValue[kept] = row[i];
          kept += row[i] != 0.0f;
        }
        found += kept;
        if (found * kSparseShare >= total) return false;
      }
      rowStart[batch] = found;
      return sparse = true;
    }

    // The same from a sparse batch, whose rows list their non-zero inputs (the same ones, in the same order):
    // where they are too many for the sparse product, the slice is made dense for the dense one.
    bool Take(const SparseBatch& from, const Slice& slice, int inputs) {
      rowStart.resize(batch + 1);
      long found = 0;
      for (int b = 0; b < batch; ++b) {
        const uint32_t row = from.rows[slice.first + b];
        const uint32_t begin = from.set.rowStart[row], end = from.set.rowStart[row + 1];
        rowStart[b] = found;
        Reserve(found + (end - begin));
        std::copy(from.set.index + begin, from.set.index + end, index.begin() + found);
        std::copy(from.set.values + begin, from.set.values + end, value.begin() + found);
        found += end - begin;
      }
      rowStart[batch] = found;
      if (found * kSparseShare < static_cast<long>(batch) * inputs) return sparse = true;
      dense.assign(static_cast<size_t>(batch) * inputs, 0.f);
      for (int b = 0; b < batch; ++b)
        for (long k = rowStart[b]; k < rowStart[b + 1]; ++k) dense[static_cast<long>(b) * inputs + index[k]] = value[k];
      rows = dense.data();
      return false;
    }

    void Reserve(long entries) {
      if (static_cast<long>(index.size()) >= entries) return;
      index.resize(entries);
      value.resize(entries);
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
