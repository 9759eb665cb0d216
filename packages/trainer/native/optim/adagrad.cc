// tf.train.adagrad: a = a + g²; w −= lr·g/√(a + ε), ε being tfjs' float32 epsilon 1e-7, a starting at
// initialAccumulatorValue.
#include <cmath>

#include "../optimizer.h"

namespace specml {
namespace {

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(const OptimizerArgs& args) : initial_(static_cast<float>(args.Number("initialAccumulatorValue", 0.1))) {}
  std::vector<std::string> Slots() const override { return {"accumulator"}; }
  float SlotStart(size_t) const override { return initial_; }
  void Update(Param& param, size_t begin, size_t end) override {
    float* __restrict w = param.value.data();
    float* __restrict a = param.slots[0].data();
    const float* __restrict g = param.grad[0].data();
    const float rate = learningRate;
    for (size_t k = begin; k < end; ++k) {
      a[k] += g[k] * g[k];
      w[k] -= rate * g[k] / std::sqrt(a[k] + 1e-7f);
    }
  }

 private:
  float initial_;
};

const RegisterOptimizer registered("adagrad", [](const OptimizerArgs& args) { return std::make_unique<Adagrad>(args); });

}  // namespace
}  // namespace specml
