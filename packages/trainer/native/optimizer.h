// The interface every optimizer implements (one file per optimizer under optim/). Each follows the tfjs
// optimizer of the same name, the engine's numerical reference.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "layer.h"

namespace specml {

// The optimizer's settings from the spec: every number (booleans as 0/1) by key.
class OptimizerArgs {
 public:
  std::string name;
  std::map<std::string, double> numbers;
  double Number(const std::string& key, double fallback) const {
    auto found = numbers.find(key);
    return found == numbers.end() ? fallback : found->second;
  }
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Names of the per-weight arrays it keeps (Adam: m and v).
  virtual std::vector<std::string> Slots() const = 0;
  // Called once per step before the updates; `step` counts from 1.
  virtual void BeginStep(double step) { (void)step; }
  // Applies one step to `param`'s elements [begin, end) from its grad; its slots are sized and zeroed by the
  // network. Each element's step reads that element alone, so the network may split a parameter's elements
  // between threads.
  virtual void Update(Param& param, size_t begin, size_t end) = 0;
  // Fills new slots (Adagrad starts its sums at initialAccumulatorValue).
  virtual float SlotStart(size_t slot) const {
    (void)slot;
    return 0.f;
  }
  float learningRate = 0.001f;
};

using OptimizerFactory = std::function<std::unique_ptr<Optimizer>(const OptimizerArgs&)>;
std::map<std::string, OptimizerFactory>& OptimizerRegistry();

struct RegisterOptimizer {
  RegisterOptimizer(const char* name, OptimizerFactory factory) { OptimizerRegistry()[name] = std::move(factory); }
};

}  // namespace specml
