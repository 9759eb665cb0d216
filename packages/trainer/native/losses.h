// The regression losses, by the names the spec uses (`loss:`), each the loss of one sample's error
// d = prediction − target (on the standardised target) and its slope dL/dd. Each is one file in losses/
// that registers itself, under the name of its TypeScript kind (src/losses/). Classification's softmax
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

// A static of this type in a loss's file adds it to the registry at load time.
struct RegisterRegressionLoss {
  RegisterRegressionLoss(const char* name, RegressionLoss loss);
};

// The sign of x (0 at 0), for the slopes of absolute values.
inline double Sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }

}  // namespace specml
