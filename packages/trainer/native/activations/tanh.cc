#include <cmath>

#include "../activation.h"

namespace specml {
namespace {
SPECML_ELEMENTWISE_ACTIVATION("tanh", std::tanh(y[k]), dy[k] * (1.f - y[k] * y[k]));
}  // namespace
}  // namespace specml
