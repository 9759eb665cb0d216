// As tf.losses.huberLoss with delta 1 (one standard deviation of the standardised target).
#include <cmath>

#include "../losses.h"

namespace specml {
namespace {
const RegisterRegressionLoss registered("huber", {[](double d) { return std::fabs(d) <= 1 ? 0.5 * d * d : std::fabs(d) - 0.5; },
                                                  [](double d) { return std::fabs(d) <= 1 ? d : Sign(d); }});
}  // namespace
}  // namespace specml
