#include <cmath>

#include "../activation.h"

namespace specml {
namespace {
constexpr float kScale = 1.0507009873554805f, kAlpha = 1.6732632423543772f;
// y = sα(eˣ − 1) below 0, so f' = y + sα there.
SPECML_ELEMENTWISE_ACTIVATION("selu", y[k] > 0.f ? kScale * y[k] : kScale * kAlpha * std::expm1(y[k]), y[k] > 0.f ? kScale * dy[k] : dy[k] * (y[k] + kScale * kAlpha));
}  // namespace
}  // namespace specml
