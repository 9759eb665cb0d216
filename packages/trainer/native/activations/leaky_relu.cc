#include "../activation.h"

namespace specml {
namespace {
constexpr float kAlpha = 0.2f;  // the spec's slope below 0 (model-zoo's leaky-relu.ts)
SPECML_ELEMENTWISE_ACTIVATION("leakyRelu", y[k] > 0.f ? y[k] : kAlpha * y[k], y[k] > 0.f ? dy[k] : kAlpha * dy[k]);
}  // namespace
}  // namespace specml
