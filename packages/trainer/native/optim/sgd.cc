// tf.train.sgd: w −= lr·g
#include "../optimizer.h"

namespace specml {
namespace {

class Sgd : public Optimizer {
 public:
  std::vector<std::string> Slots() const override { return {}; }
  void Update(Param& param, size_t begin, size_t end) override {
    float* __restrict w = param.value.data();
    const float* __restrict g = param.grad[0].data();
    const float rate = learningRate;
    for (size_t k = begin; k < end; ++k) w[k] -= rate * g[k];
  }
};

const RegisterOptimizer registered("sgd", [](const OptimizerArgs&) { return std::make_unique<Sgd>(); });

}  // namespace
}  // namespace specml
