// A table's other columns joining a text's vector before the model's first dense layer: [text | others], in
// the order tfjs' concatenate gives. The others are the last values of each input row, which the network
// keeps apart for the batch (Context::side); the text's part of the row went through the layers before.
#include "layer.h"

#include <algorithm>

namespace specml {
namespace {

class Join : public Layer {
 public:
  Join(const LayerArgs& args, const Shape& input) : side_(static_cast<int>(args.Number("features"))) {
    if (input.image) args.Fail("joins the table's other columns to a vector, but its input is an image (flatten it first)");
    if (side_ < 1) args.Fail("joins at least one other column");
    in = input;
    out = Shape{1, 1, input.channels + side_, false};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context& context) override {
    const long text = in.size(), joined = out.size();
    for (int b = 0; b < slice.count; ++b) {
      std::copy(x + b * text, x + (b + 1) * text, y + b * joined);
      const float* others = context.side + static_cast<long>(slice.first + b) * side_;
      std::copy(others, others + side_, y + b * joined + text);
    }
  }

  // The other columns are inputs: only the text's part of the gradient goes down, and is read.
  long OutputGradientRead() const override { return in.size(); }
  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (!dx) return;
    const long text = in.size(), joined = out.size();
    for (int b = 0; b < slice.count; ++b) std::copy(dy + b * joined, dy + b * joined + text, dx + b * text);
  }

 private:
  int side_;
};

}  // namespace

std::unique_ptr<Layer> MakeJoin(const LayerArgs& args, const Shape& input) { return std::make_unique<Join>(args, input); }

}  // namespace specml
