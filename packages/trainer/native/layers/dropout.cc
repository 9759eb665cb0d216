// Inverted dropout: while training, each value is kept with probability 1 − rate and scaled by 1/(1 − rate).
// The mask is a hash of (seed, step, layer, element), so it needs no generator state in a checkpoint and
// does not depend on how the work is split.
#include <algorithm>

#include "../layer.h"
#include "../random.h"

namespace specml {
namespace {

class Dropout : public Layer {
 public:
  Dropout(const LayerArgs& args, const Shape& input) : rate_(static_cast<float>(args.Number("rate"))) {
    if (rate_ < 0.f || rate_ >= 1.f) args.Fail("needs 0 <= rate < 1");
    in = out = input;
  }

  void Reserve(int batch, bool) override {
    if (static_cast<long>(kept_.size()) < batch * in.size()) kept_.assign(batch * in.size(), 0);
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context& context) override {
    const long n = slice.count * in.size(), first = slice.first * in.size();
    if (!context.training) {
      std::copy(x, x + n, y);
      return;
    }
    const float scale = 1.f / (1.f - rate_);
    const uint64_t stream = MixKey(context.seed, context.step, static_cast<uint64_t>(context.layerIndex));
    uint8_t* kept = kept_.data() + first;
    for (long k = 0; k < n; ++k) {
      kept[k] = UnitFloat(Mix(stream + static_cast<uint64_t>(first + k))) >= rate_;
      y[k] = kept[k] ? x[k] * scale : 0.f;
    }
  }

  void Backward(const float*, const float*, float* dy, float* dx, const Slice& slice, const Context&) override {
    if (!dx) return;
    const float scale = 1.f / (1.f - rate_);
    const uint8_t* kept = kept_.data() + slice.first * in.size();
    for (long k = 0; k < slice.count * in.size(); ++k) dx[k] = kept[k] ? dy[k] * scale : 0.f;
  }

 private:
  float rate_;
  std::vector<uint8_t> kept_;
};

const RegisterLayer registered("dropout", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Dropout>(args, input); });

}  // namespace
}  // namespace specml
