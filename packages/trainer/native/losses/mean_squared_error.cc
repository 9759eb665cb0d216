// As tf.losses.meanSquaredError.
#include "../losses.h"

namespace specml {
namespace {
const RegisterRegressionLoss registered("meanSquaredError", {[](double d) { return d * d; }, [](double d) { return 2 * d; }});
}  // namespace
}  // namespace specml
