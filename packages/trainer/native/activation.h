// Activations applied in place on a layer's output, and their derivatives written in terms of that output,
// so backward needs no copy of the pre-activation values. Softmax on the last layer is the loss's business
// (the network takes the logits); softmax inside the network is applied over each sample's features.
#pragma once

#include <cmath>
#include <string>

#include "layer.h"

namespace specml {

enum class Activation { Linear, Relu, LeakyRelu, Elu, Selu, Sigmoid, Tanh, Softmax };

constexpr float kLeakyAlpha = 0.2f;  // tfjs' leakyReLU as the spec documents it
constexpr float kSeluScale = 1.0507009873554805f, kSeluAlpha = 1.6732632423543772f;

inline Activation ParseActivation(const LayerArgs& args) {
  const std::string name = args.Text("activation", "linear");
  if (name == "linear") return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "leakyRelu") return Activation::LeakyRelu;
  if (name == "elu") return Activation::Elu;
  if (name == "selu") return Activation::Selu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "softmax") return Activation::Softmax;
  args.Fail("has activation " + name + ", which the native engine does not know");
}

// `rows` samples of `width` values each (softmax works per row; the others element-wise).
void Activate(Activation activation, float* y, long rows, long width);
// dy ← dy · f'(x), from y = f(x).
void ActivationBackward(Activation activation, const float* y, float* dy, long rows, long width);

}  // namespace specml
