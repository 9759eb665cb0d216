// A trainable vector per token id. The input is a text's token ids (floats holding whole numbers: 0 the
// padding, 1 a token outside the vocabulary, then the vocabulary), the output a sequence: an image of
// `positions` rows, one column and `dimension` channels, NCHW like every image here, so conv1d, the global
// poolings and flatten read it as they read images. tfjs stores the table [tokens, dimension], as here.
// The gradient touches only the batch's tokens' rows; the optimizer then updates the whole table, as tfjs'
// dense optimizers do (their Adam moves a row whose gradient is zero by its momentum too).
#include <algorithm>

#include "../layer.h"

namespace specml {
namespace {

class Embedding : public Layer {
 public:
  Embedding(const LayerArgs& args, const Shape& input)
      : tokens_(static_cast<int>(args.Number("tokens"))),
        dimension_(static_cast<int>(args.Number("dimension"))),
        positions_(static_cast<int>(input.size())),
        table_("embeddings", static_cast<size_t>(tokens_) * dimension_) {
    if (input.image) args.Fail("reads token ids, a vector, but its input is an image");
    if (tokens_ < 2) args.Fail("needs a vocabulary");
    in = input;
    out = Shape{positions_, 1, dimension_, true};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    for (int b = 0; b < slice.count; ++b) {
      const float* ids = x + static_cast<long>(b) * positions_;
      float* sequence = y + b * out.size();
      for (int t = 0; t < positions_; ++t) {
        const float* row = table_.value.data() + static_cast<long>(IdOf(ids[t])) * dimension_;
        for (int d = 0; d < dimension_; ++d) sequence[static_cast<long>(d) * positions_ + t] = row[d];
      }
    }
  }

  void Backward(const float* x, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    float* gradient = table_.grad[slice.part].data();
    for (int b = 0; b < slice.count; ++b) {
      const float* ids = x + static_cast<long>(b) * positions_;
      const float* sequence = dy + b * out.size();
      for (int t = 0; t < positions_; ++t) {
        float* row = gradient + static_cast<long>(IdOf(ids[t])) * dimension_;
        for (int d = 0; d < dimension_; ++d) row[d] += sequence[static_cast<long>(d) * positions_ + t];
      }
    }
    // Token ids have no gradient; a layer below (there is none in a spec) would read zeros.
    if (dx) std::fill(dx, dx + static_cast<long>(slice.count) * in.size(), 0.f);
  }

  std::vector<Param*> Params() override { return {&table_}; }
  double WorkPerSample() const override { return static_cast<double>(positions_) * dimension_; }

 private:
  // The data's ids are whole numbers below tokens_; anything else reads as the unknown token.
  int IdOf(float value) const { return value >= 0.f && value < static_cast<float>(tokens_) ? static_cast<int>(value) : 1; }

  int tokens_, dimension_, positions_;
  Param table_;
};

const RegisterLayer registered("embedding", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Embedding>(args, input); });

}  // namespace
}  // namespace specml
