// A trainable vector per token id. The input is a text's token ids (floats holding whole numbers: 0 the
// padding, 1 a token outside the vocabulary, then the vocabulary), the output a sequence: an image of
// `positions` rows, one column and `dimension` channels, NCHW like every image here, so conv1d, the global
// poolings and flatten read it as they read images. tfjs stores the table [tokens, dimension], as here.
// The gradient touches only the batch's tokens' rows, and only those rows are stepped (RowsRead: the table of
// the spam e-mails has 10,000 rows, a batch of 32 reads some 2,000 of them).
// Followed by a global pooling, the network gives the pair to this layer (`pooling`: that layer's kind): it then
// outputs the pooled vector, reading each token's row once, instead of writing the sequence for the pooling to read
// back (the spam e-mails: 600 positions × 64 values a text). Bit for bit the pair's results: the same maxima and
// sums in the same order, and the gradient added to the rows that held the maximum (the pair adds zeros to the others).
#include <algorithm>

#include "../layer.h"
#include "../vec.h"

namespace specml {
namespace {

class Embedding : public Layer {
 public:
  Embedding(const LayerArgs& args, const Shape& input)
      : tokens_(static_cast<int>(args.Number("tokens"))),
        dimension_(static_cast<int>(args.Number("dimension"))),
        positions_(static_cast<int>(input.size())),
        pooling_(PoolingOf(args)),
        table_("embeddings", static_cast<size_t>(tokens_) * dimension_) {
    if (input.image) args.Fail("reads token ids, a vector, but its input is an image");
    if (tokens_ < 2) args.Fail("needs a vocabulary");
    table_.rowsRead = std::make_unique<RowsRead>(tokens_, dimension_);
    in = input;
    out = pooling_ == Pooling::kNone ? Shape{positions_, 1, dimension_, true} : Shape{1, 1, dimension_, false};
  }

  void Forward(const float* x, float* y, const Slice& slice, const Context&) override {
    if (pooling_ != Pooling::kNone) return ForwardPooled(x, y, slice);
    for (int b = 0; b < slice.count; ++b) {
      const float* ids = x + static_cast<long>(b) * positions_;
      float* sequence = y + b * out.size();
      for (int t = 0; t < positions_; ++t) {
        const float* row = RowOf(ids[t]);
        for (int d = 0; d < dimension_; ++d) sequence[static_cast<long>(d) * positions_ + t] = row[d];
      }
    }
  }

  void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context&) override {
    float* gradient = table_.grad[slice.part].data();
    if (pooling_ != Pooling::kNone) BackwardPooled(x, y, dy, gradient, slice);
    else
      for (int b = 0; b < slice.count; ++b) {
        const float* ids = x + static_cast<long>(b) * positions_;
        const float* sequence = dy + b * out.size();
        for (int t = 0; t < positions_; ++t) {
          table_.rowsRead->Mark(slice.part, IdOf(ids[t]));
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
  enum class Pooling { kNone, kMaximum, kAverage };
  static Pooling PoolingOf(const LayerArgs& args) {
    const std::string pooling = args.Text("pooling", "");
    if (pooling.empty()) return Pooling::kNone;
    if (pooling == "globalMaxPooling1d") return Pooling::kMaximum;
    if (pooling == "globalAveragePooling1d") return Pooling::kAverage;
    args.Fail("cannot pool by " + pooling);
  }

  // As GlobalPooling1d: the first position's value, then the maximum (or the sum, divided at the end) in order.
  void ForwardPooled(const float* x, float* y, const Slice& slice) const {
    for (int b = 0; b < slice.count; ++b) {
      const float* ids = x + static_cast<long>(b) * positions_;
      float* pooled = y + static_cast<long>(b) * dimension_;
      int d = 0;
      for (; d + 4 * kWidth <= dimension_; d += 4 * kWidth) PoolBlocks<4>(ids, d, pooled + d);
      for (; d + kWidth <= dimension_; d += kWidth) PoolBlocks<1>(ids, d, pooled + d);
      for (; d < dimension_; ++d) {
        float value = RowOf(ids[0])[d];
        for (int t = 1; t < positions_; ++t)
          if (pooling_ == Pooling::kAverage) value += RowOf(ids[t])[d];
          else if (RowOf(ids[t]) != RowOf(ids[t - 1])) value = std::max(value, RowOf(ids[t])[d]);
        pooled[d] = pooling_ == Pooling::kAverage ? value / static_cast<float>(positions_) : value;
      }
    }
  }

  // Values [d, d + Blocks·kWidth) of a text's pooled vector, held in registers while its positions are read: the
  // first position's value, then the maximum (or the sum, divided at the end) in order. The maximum with a row
  // it already took is itself: a text's padding (hundreds of 0 ids at its end) is read once, not once a position.
  template <int Blocks>
  void PoolBlocks(const float* ids, int d, float* pooled) const {
    Vec values[Blocks];
    for (int v = 0; v < Blocks; ++v) values[v] = Load(RowOf(ids[0]) + d + v * kWidth);
    for (int t = 1; t < positions_; ++t) {
      const float* row = RowOf(ids[t]) + d;
      if (pooling_ == Pooling::kAverage) {
        for (int v = 0; v < Blocks; ++v) values[v] += Load(row + v * kWidth);
      } else if (RowOf(ids[t]) != RowOf(ids[t - 1])) {
        for (int v = 0; v < Blocks; ++v) {
          const Vec next = Load(row + v * kWidth);
          values[v] = values[v] < next ? next : values[v];  // std::max's choice, lane by lane
        }
      }
    }
    for (int v = 0; v < Blocks; ++v) {
      if (pooling_ == Pooling::kAverage) values[v] /= static_cast<float>(positions_);
      Store(pooled + v * kWidth, values[v]);
    }
  }

  void BackwardPooled(const float* x, const float* y, const float* dy, float* gradient, const Slice& slice) {
    for (int b = 0; b < slice.count; ++b) {
      const float* ids = x + static_cast<long>(b) * positions_;
      const float *pooled = y + static_cast<long>(b) * dimension_, *above = dy + static_cast<long>(b) * dimension_;
      for (int t = 0, end; t < positions_; t = end) {
        const int id = IdOf(ids[t]);
        for (end = t + 1; end < positions_ && IdOf(ids[end]) == id; ++end) {
        }
        if (end + kAhead < positions_) {
          __builtin_prefetch(RowOf(ids[end + kAhead]));
          __builtin_prefetch(gradient + static_cast<long>(IdOf(ids[end + kAhead])) * dimension_, 1);
        }
        table_.rowsRead->Mark(slice.part, id);
        AddToRow(RowOf(ids[t]), pooled, above, gradient + static_cast<long>(id) * dimension_, end - t);
      }
    }
  }

  // Adds the pooling's gradient to a token's row once per position of a run of `repeats` positions holding the
  // token, in order, as the two layers apart add them (a text's padding is a run of hundreds of 0 ids): the
  // row's sums are held in registers, four vectors side by side, while the run's additions are made.
  void AddToRow(const float* row, const float* pooled, const float* above, float* rowGradient, int repeats) const {
    int d = 0;
    for (; d + 4 * kWidth <= dimension_; d += 4 * kWidth) AddToBlocks<4>(row + d, pooled + d, above + d, rowGradient + d, repeats);
    for (; d + kWidth <= dimension_; d += kWidth) AddToBlocks<1>(row + d, pooled + d, above + d, rowGradient + d, repeats);
    for (; d < dimension_; ++d)
      if (pooling_ == Pooling::kAverage || row[d] == pooled[d])
        for (int k = 0; k < repeats; ++k) rowGradient[d] += Share(above[d]);
  }

  static constexpr int kAhead = 4;

  template <int Blocks>
  void AddToBlocks(const float* row, const float* pooled, const float* above, float* rowGradient, int repeats) const {
    Vec sums[Blocks], shares[Blocks];
    VecMask takes[Blocks];
    for (int v = 0; v < Blocks; ++v) {
      sums[v] = Load(rowGradient + v * kWidth);
      shares[v] = pooling_ == Pooling::kAverage ? Load(above + v * kWidth) / static_cast<float>(positions_) : Load(above + v * kWidth);
      takes[v] = pooling_ == Pooling::kAverage ? VecMask{} - 1 : Load(row + v * kWidth) == Load(pooled + v * kWidth);
    }
    for (int k = 0; k < repeats; ++k)
      for (int v = 0; v < Blocks; ++v) sums[v] = takes[v] ? sums[v] + shares[v] : sums[v];
    for (int v = 0; v < Blocks; ++v) Store(rowGradient + v * kWidth, sums[v]);
  }

  // A position's share of dL/dpooled: all of it for the maximum (where the position holds it), 1/positions of the average.
  float Share(float above) const { return pooling_ == Pooling::kAverage ? above / static_cast<float>(positions_) : above; }

  // The data's ids are whole numbers below tokens_; anything else reads as the unknown token.
  int IdOf(float value) const { return value >= 0.f && value < static_cast<float>(tokens_) ? static_cast<int>(value) : 1; }
  const float* RowOf(float id) const { return table_.value.data() + static_cast<long>(IdOf(id)) * dimension_; }

  int tokens_, dimension_, positions_;
  Pooling pooling_;
  Param table_;
};

const RegisterLayer registered("embedding", [](const LayerArgs& args, const Shape& input) { return std::make_unique<Embedding>(args, input); });

}  // namespace
}  // namespace specml
