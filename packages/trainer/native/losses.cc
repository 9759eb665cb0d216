#include "losses.h"

#include <cmath>
#include <map>

namespace specml {
namespace {

double Sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }

// As tf.losses: meanSquaredError, absoluteDifference, huberLoss with delta 1.
const std::map<std::string, RegressionLoss>& Losses() {
  static const std::map<std::string, RegressionLoss> losses = {
      {"meanSquaredError", {[](double d) { return d * d; }, [](double d) { return 2 * d; }}},
      {"meanAbsoluteError", {[](double d) { return std::fabs(d); }, [](double d) { return Sign(d); }}},
      {"huber", {[](double d) { return std::fabs(d) <= 1 ? 0.5 * d * d : std::fabs(d) - 0.5; }, [](double d) { return std::fabs(d) <= 1 ? d : Sign(d); }}},
  };
  return losses;
}

}  // namespace

const RegressionLoss* FindRegressionLoss(const std::string& name) {
  auto found = Losses().find(name);
  return found == Losses().end() ? nullptr : &found->second;
}

std::vector<std::string> RegressionLossNames() {
  std::vector<std::string> names;
  for (const auto& entry : Losses()) names.push_back(entry.first);
  return names;
}

}  // namespace specml
