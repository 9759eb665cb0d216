// As tf.losses.absoluteDifference.
#include <cmath>

#include "../losses.h"

namespace specml {
namespace {
const RegisterRegressionLoss registered("meanAbsoluteError", {[](double d) { return std::fabs(d); }, [](double d) { return Sign(d); }});
}  // namespace
}  // namespace specml
