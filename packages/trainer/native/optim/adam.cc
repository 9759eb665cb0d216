// tf.train.adam: m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; w −= lr·m̂ / (√v̂ + ε), with the bias
// corrections m̂ = m/(1 − β1ᵗ) and v̂ = v/(1 − β2ᵗ) computed from the step count in double precision.
#include <cmath>

#include "../optimizer.h"

namespace specml {
namespace {

class Adam : public Optimizer {
 public:
  explicit Adam(const OptimizerArgs& args)
      : beta1_(static_cast<float>(args.Number("beta1", 0.9))),
        beta2_(static_cast<float>(args.Number("beta2", 0.999))),
        epsilon_(static_cast<float>(args.Number("epsilon", 1e-8))) {}
  std::vector<std::string> Slots() const override { return {"m", "v"}; }
  void BeginStep(double step) override {
    firstCorrection_ = static_cast<float>(1.0 / (1.0 - std::pow(double(beta1_), step)));
    secondCorrection_ = static_cast<float>(1.0 / (1.0 - std::pow(double(beta2_), step)));
  }
  void Update(Param& param, size_t begin, size_t end) override {
    float* __restrict w = param.value.data();
    float* __restrict m = param.slots[0].data();
    float* __restrict v = param.slots[1].data();
    const float* __restrict g = param.grad[0].data();
    const float rate = learningRate, b1 = beta1_, b2 = beta2_, eps = epsilon_;
    const float c1 = firstCorrection_, c2 = secondCorrection_;
    for (size_t k = begin; k < end; ++k) {
      m[k] = b1 * m[k] + (1.f - b1) * g[k];
      v[k] = b2 * v[k] + (1.f - b2) * g[k] * g[k];
      w[k] -= rate * (m[k] * c1) / (std::sqrt(v[k] * c2) + eps);
    }
  }

 private:
  float beta1_, beta2_, epsilon_;
  float firstCorrection_ = 1, secondCorrection_ = 1;
};

const RegisterOptimizer registered("adam", [](const OptimizerArgs& args) { return std::make_unique<Adam>(args); });

}  // namespace
}  // namespace specml
