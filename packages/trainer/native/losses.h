// The regression losses, by the names the spec uses (`loss:`), each the loss of one sample's error
// d = prediction − target (on the standardised target) and its slope dL/dd. Classification's softmax
// cross-entropy lives in network.cc, on the logits of all classes at once.
#pragma once

#include <string>
#include <vector>

namespace specml {

struct RegressionLoss {
  double (*value)(double error);
  double (*slope)(double error);
};

// The loss named `name`, or nullptr.
const RegressionLoss* FindRegressionLoss(const std::string& name);
std::vector<std::string> RegressionLossNames();

}  // namespace specml
