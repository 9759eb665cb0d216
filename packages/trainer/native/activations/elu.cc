#include <cmath>

#include "../activation.h"

namespace specml {
namespace {
// y = eˣ − 1 below 0, so f' = y + 1 there.
SPECML_ELEMENTWISE_ACTIVATION("elu", y[k] > 0.f ? y[k] : std::expm1(y[k]), y[k] > 0.f ? dy[k] : dy[k] * (y[k] + 1.f));
}  // namespace
}  // namespace specml
