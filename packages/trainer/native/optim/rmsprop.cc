// tf.train.rmsprop (not centred): s = ρ·s + (1 − ρ)·g²; u = μ·u + lr·g/√(s + ε); w −= u
#include <cmath>

#include "../optimizer.h"

namespace specml {
namespace {

class RmsProp : public Optimizer {
 public:
  explicit RmsProp(const OptimizerArgs& args)
      : decay_(static_cast<float>(args.Number("decay", 0.9))),
        momentum_(static_cast<float>(args.Number("momentum", 0))),
        epsilon_(static_cast<float>(args.Number("epsilon", 1e-8))) {}
  std::vector<std::string> Slots() const override { return {"rms", "momentum"}; }
  void Update(Param& param, size_t begin, size_t end) override {
    float* __restrict w = param.value.data();
    float* __restrict s = param.slots[0].data();
    float* __restrict u = param.slots[1].data();
    const float* __restrict g = param.grad[0].data();
    const float rate = learningRate, rho = decay_, mu = momentum_, eps = epsilon_;
    for (size_t k = begin; k < end; ++k) {
      s[k] = rho * s[k] + (1.f - rho) * g[k] * g[k];
      u[k] = mu * u[k] + rate * g[k] / std::sqrt(s[k] + eps);
      w[k] -= u[k];
    }
  }

 private:
  float decay_, momentum_, epsilon_;
};

const RegisterOptimizer registered("rmsprop", [](const OptimizerArgs& args) { return std::make_unique<RmsProp>(args); });

}  // namespace
}  // namespace specml
