// tf.train.momentum: v = μ·v + g; w −= lr·v, or with Nesterov w −= lr·(g + μ·v)
#include "../optimizer.h"

namespace specml {
namespace {

class Momentum : public Optimizer {
 public:
  explicit Momentum(const OptimizerArgs& args)
      : momentum_(static_cast<float>(args.Number("momentum", 0.9))), nesterov_(args.Number("nesterov", 0) != 0) {}
  std::vector<std::string> Slots() const override { return {"velocity"}; }
  void Update(Param& param, size_t begin, size_t end) override {
    float* __restrict w = param.value.data();
    float* __restrict v = param.slots[0].data();
    const float* __restrict g = param.grad[0].data();
    const float rate = learningRate, mu = momentum_;
    if (nesterov_) {
      for (size_t k = begin; k < end; ++k) {
        v[k] = mu * v[k] + g[k];
        w[k] -= rate * (g[k] + mu * v[k]);
      }
    } else {
      for (size_t k = begin; k < end; ++k) {
        v[k] = mu * v[k] + g[k];
        w[k] -= rate * v[k];
      }
    }
  }

 private:
  float momentum_;
  bool nesterov_;
};

const RegisterOptimizer registered("momentum", [](const OptimizerArgs& args) { return std::make_unique<Momentum>(args); });

}  // namespace
}  // namespace specml
