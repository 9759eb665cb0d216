// Global pooling over a sequence (an image of `positions` rows and one column, NCHW): one value per channel,
// the mean or the largest over every position. Like tfjs, the maximum's gradient goes to every position
// that holds it (padding positions share one vector, so ties are common).
#include <algorithm>

#include "../layer.h"

namespace specml {
namespace {

class GlobalPooling1d : public Layer {
 public:
  GlobalPooling1d(const LayerArgs& args, const Shape& input, bool maximum) : maximum_(maximum), positions_(input.height) {
    if (!input.image || input.width != 1) args.Fail("needs a sequence (the output of an embedding or conv1d layer)");
    in = input;
    out = Shape{1, 1, input.channels, false};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    for (int b = 0; b < slice.count; ++b)
      for (int c = 0; c < in.channels; ++c) {
        const float* row = x + b * in.size() + static_cast<long>(c) * positions_;
        float pooled = row[0];
        if (maximum_)
          for (int t = 1; t < positions_; ++t) pooled = std::max(pooled, row[t]);
        else {
          for (int t = 1; t < positions_; ++t) pooled += row[t];
          pooled /= static_cast<float>(positions_);
        }
        y[b * out.size() + c] = pooled;
      }
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (!dx) return;
    for (int b = 0; b < slice.count; ++b)
      for (int c = 0; c < in.channels; ++c) {
        const long at = b * in.size() + static_cast<long>(c) * positions_;
        const float gradient = dy[b * out.size() + c], pooled = y[b * out.size() + c];
        for (int t = 0; t < positions_; ++t)
          dx[at + t] = maximum_ ? (x[at + t] == pooled ? gradient : 0.f) : gradient / static_cast<float>(positions_);
      }
  }

 private:
  bool maximum_;
  int positions_;
};

const RegisterLayer average("globalAveragePooling1d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<GlobalPooling1d>(args, input, false); });
const RegisterLayer maximum("globalMaxPooling1d", [](const LayerArgs& args, const Shape& input) { return std::make_unique<GlobalPooling1d>(args, input, true); });

}  // namespace
}  // namespace specml
