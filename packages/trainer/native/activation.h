// Activations applied in place on a layer's output, and their derivatives written in terms of that output,
// so backward needs no copy of the pre-activation values. Each is one file in activations/ that registers
// itself under the name of its TypeScript kind (model-zoo's src/activations/). Softmax on the last layer is
// the loss's business (the network takes the logits); softmax inside the network is applied over each
// sample's features.
#pragma once

#include <string>
#include <vector>

#include "layer.h"

namespace specml {

struct ActivationKind {
  // `rows` samples of `width` values each, in place.
  void (*forward)(float* y, long rows, long width);
  // dy ← dy · f'(x), from y = f(x).
  void (*backward)(const float* y, float* dy, long rows, long width);
  // Element by element (softmax is not); convolutions take only these.
  bool elementwise;
};

// The activation a layer's spec names (linear where it names none); an unknown name fails the layer.
const ActivationKind& ParseActivation(const LayerArgs& args);
std::vector<std::string> ActivationNames();

// A static of this type in an activation's file adds it to the registry at load time.
struct RegisterActivation {
  RegisterActivation(const char* name, ActivationKind kind);
};

// Element by element over all rows: forward y ← f(y), backward dy ← dy · f'(y).
#define SPECML_ELEMENTWISE_ACTIVATION(name, forwardExpression, backwardExpression)              \
  const RegisterActivation registered(                                                          \
      name, {[](float* y, long rows, long width) {                                              \
               for (long k = 0, n = rows * width; k < n; ++k) y[k] = (forwardExpression);       \
             },                                                                                 \
             [](const float* y, float* dy, long rows, long width) {                             \
               for (long k = 0, n = rows * width; k < n; ++k) dy[k] = (backwardExpression);     \
             },                                                                                 \
             true})

}  // namespace specml
