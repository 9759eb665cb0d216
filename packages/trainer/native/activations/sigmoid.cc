#include <cmath>

#include "../activation.h"

namespace specml {
namespace {
SPECML_ELEMENTWISE_ACTIVATION("sigmoid", 1.f / (1.f + std::exp(-y[k])), dy[k] * (y[k] * (1.f - y[k])));
}  // namespace
}  // namespace specml
