#include "losses.h"

#include <map>

namespace specml {
namespace {

// Function-local, so that it exists before any file's registration runs.
std::map<std::string, RegressionLoss>& Losses() {
  static std::map<std::string, RegressionLoss> losses;
  return losses;
}

}  // namespace

RegisterRegressionLoss::RegisterRegressionLoss(const char* name, RegressionLoss loss) { Losses()[name] = loss; }

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
