#include "../activation.h"

namespace specml {
namespace {
SPECML_ELEMENTWISE_ACTIVATION("relu", y[k] > 0.f ? y[k] : 0.f, y[k] > 0.f ? dy[k] : 0.f);
}  // namespace
}  // namespace specml
