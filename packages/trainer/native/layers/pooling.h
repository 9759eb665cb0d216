// What the pooling layers share: a square window of poolSize moved by strides (default: the window) over
// each channel of an image, with tfjs' valid padding; the subclasses say what a window gives.
#pragma once

#include "../layer.h"

namespace specml {

class Pooling2d : public Layer {
 public:
  Pooling2d(const LayerArgs& args, const Shape& input)
      : size_(static_cast<int>(args.Number("poolSize", 2))), stride_(static_cast<int>(args.Number("strides", size_))) {
    if (!input.image) args.Fail("needs an image-shaped input");
    auto side = [&](int length) { return (length - size_) / stride_ + 1; };
    if (input.height < size_ || input.width < size_) args.Fail("has an input smaller than its window");
    in = input;
    out = Shape{side(input.height), side(input.width), input.channels, true};
  }

 protected:
  int size_, stride_;
};

}  // namespace specml
