// Batch normalisation over each channel (the last axis in tfjs: a vector's features, an image's channels).
// Training uses the batch's mean and (biased) variance and moves the running averages as tfjs-layers does:
// moving ← moving − (moving − batch)·(1 − momentum); evaluation uses the running averages.
#include <algorithm>
#include <cmath>

#include "../layer.h"

namespace specml {
namespace {

class BatchNormalization : public Layer {
 public:
  BatchNormalization(const LayerArgs& args, const Shape& input)
      : momentum_(static_cast<float>(args.Number("momentum", 0.99))),
        epsilon_(static_cast<float>(args.Number("epsilon", 0.001))),
        channels_(input.channels),
        plane_(static_cast<long>(input.height) * input.width),
        gamma_("gamma", channels_),
        beta_("beta", channels_),
        movingMean_(channels_, 0.f),
        movingVariance_(channels_, 1.f),
        mean_(channels_),
        inverseDeviation_(channels_) {
    in = out = input;
    std::fill(gamma_.value.begin(), gamma_.value.end(), 1.f);
  }

  void Reserve(int batch, bool) override {
    if (static_cast<long>(normalized_.size()) < batch * in.size()) normalized_.assign(batch * in.size(), 0.f);
  }

  bool Splittable() const override { return false; }

  void Forward(const float* x, float* y, const Slice& slice, const Context& context) override {
    const int batch = slice.count;
    const long count = static_cast<long>(batch) * plane_;
    for (int c = 0; c < channels_; ++c) {
      float mean = movingMean_[c], variance = movingVariance_[c];
      if (context.training) {
        double sum = 0, squares = 0;
        ForChannel(batch, c, [&](long at) { sum += x[at]; });
        mean = static_cast<float>(sum / count);
        ForChannel(batch, c, [&](long at) { squares += (x[at] - mean) * static_cast<double>(x[at] - mean); });
        variance = static_cast<float>(squares / count);
        movingMean_[c] -= (movingMean_[c] - mean) * (1.f - momentum_);
        movingVariance_[c] -= (movingVariance_[c] - variance) * (1.f - momentum_);
      }
      const float inverse = 1.f / std::sqrt(variance + epsilon_);
      mean_[c] = mean;
      inverseDeviation_[c] = inverse;
      const float gamma = gamma_.value[c], beta = beta_.value[c];
      ForChannel(batch, c, [&](long at) {
        const float normalized = (x[at] - mean) * inverse;
        if (context.training) normalized_[at] = normalized;
        y[at] = normalized * gamma + beta;
      });
    }
  }

  // With x̂ the normalised input and N the values per channel:
  // dγ = Σ dy·x̂, dβ = Σ dy, dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    const int batch = slice.count;
    const long count = static_cast<long>(batch) * plane_;
    for (int c = 0; c < channels_; ++c) {
      double sum = 0, dot = 0;
      ForChannel(batch, c, [&](long at) {
        sum += dy[at];
        dot += static_cast<double>(dy[at]) * normalized_[at];
      });
      gamma_.grad[slice.part][c] += static_cast<float>(dot);
      beta_.grad[slice.part][c] += static_cast<float>(sum);
      if (!dx) continue;
      const float meanGradient = static_cast<float>(sum / count), meanDot = static_cast<float>(dot / count);
      const float scale = gamma_.value[c] * inverseDeviation_[c];
      ForChannel(batch, c, [&](long at) { dx[at] = scale * (dy[at] - meanGradient - normalized_[at] * meanDot); });
    }
  }

  std::vector<Param*> Params() override { return {&gamma_, &beta_}; }

  std::vector<long> WeightSizes() override { return {channels_, channels_, channels_, channels_}; }
  void ImportWeight(size_t k, const float* values) override {
    if (k < 2) return Layer::ImportWeight(k, values);
    std::vector<float>& target = k == 2 ? movingMean_ : movingVariance_;
    std::copy(values, values + channels_, target.begin());
  }
  void ExportWeight(size_t k, float* values, bool gradient) override {
    if (k < 2) return Layer::ExportWeight(k, values, gradient);
    if (gradient) return std::fill(values, values + channels_, 0.f);
    const std::vector<float>& source = k == 2 ? movingMean_ : movingVariance_;
    std::copy(source.begin(), source.end(), values);
  }

 private:
  // Every index of channel c in NCHW (or, for a vector, feature c of every sample).
  template <typename Visit>
  void ForChannel(int batch, int c, Visit visit) const {
    for (int b = 0; b < batch; ++b) {
      const long start = (static_cast<long>(b) * channels_ + c) * plane_;
      for (long p = 0; p < plane_; ++p) visit(start + p);
    }
  }

  float momentum_, epsilon_;
  int channels_;
  long plane_;
  Param gamma_, beta_;
  std::vector<float> movingMean_, movingVariance_, mean_, inverseDeviation_, normalized_;
};

const RegisterLayer registered("batchNormalization", [](const LayerArgs& args, const Shape& input) {
  return std::make_unique<BatchNormalization>(args, input);
});

}  // namespace
}  // namespace specml
