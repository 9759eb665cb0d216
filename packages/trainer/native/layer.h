// The small interface every layer kind implements (one file per kind under layers/), and the registry the
// addon reports as its capabilities. Activations between layers are NCHW per image (channels, then rows,
// then columns), so a convolution is one matrix product per image; `flatten` turns them into the NHWC order
// tfjs flattens in, so dense weights mean the same on both engines.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace specml {

struct Shape {
  int height = 1, width = 1, channels = 1;
  bool image = false;  // false: a vector of `channels` features
  long size() const { return static_cast<long>(height) * width * channels; }
};

// A batch is worked on in kParts fixed slices (halves), each on its own thread where there are two. The
// slices and the order their gradients are summed in never depend on the thread count, so neither do the
// results.
constexpr int kParts = 2;

// Samples [first, first + count) of a batch; weight gradients go to part `part`.
struct Slice {
  int first = 0, count = 0, part = 0;
};

// The rows of a table (an embedding's: a row per token) that a step's batch read. The layer marks them in
// its backward pass, each slice in its own part; the network merges the parts and then zeroes, sums and
// updates those rows alone: a row no text of the batch holds keeps its value and its optimizer slots (the
// sparse update of TensorFlow's LazyAdam and PyTorch's SparseAdam; for SGD and Adagrad the same numbers as
// stepping every row, whose gradient there is zero). The rows are worked on in increasing order, runs of
// consecutive rows at once: a vocabulary is in order of frequency, so a batch reads most of its first rows.
class RowsRead {
 public:
  RowsRead(size_t rows, size_t rowLength) : rowLength_(rowLength) {
    for (auto& part : marked_) part.assign(rows, 0);
  }
  void Mark(int part, uint32_t row) { marked_[part][row] = 1; }
  // Collects the rows marked since the last merge as runs of consecutive rows, and clears the marks.
  void Merge() {
    runs_.clear();
    rowCount_ = 0;
    const size_t rows = marked_[0].size();
    for (size_t row = 0; row < rows;) {
      if (row + 8 <= rows && !AnyMarkedIn8(row)) {
        row += 8;
        continue;
      }
      if (!Marked(row)) {
        ++row;
        continue;
      }
      size_t end = row + 1;
      while (end < rows && Marked(end)) ++end;
      runs_.push_back({row, end});
      rowCount_ += end - row;
      row = end;
    }
    for (auto& part : marked_) std::fill(part.begin(), part.end(), 0);
  }
  // Calls work(begin, end) on the elements of half `half` of the merged rows (the first or the second half
  // of them, by count), a run of consecutive rows at a time.
  template <typename Work>
  void ForHalf(int half, const Work& work) const {
    const size_t middle = rowCount_ / 2, from = half == 0 ? 0 : middle, to = half == 0 ? middle : rowCount_;
    size_t before = 0;  // merged rows in the runs before this one
    for (const Run& run : runs_) {
      const size_t length = run.end - run.first, first = std::max(from, before), last = std::min(to, before + length);
      if (first < last) work((run.first + first - before) * rowLength_, (run.first + last - before) * rowLength_);
      before += length;
      if (before >= to) return;
    }
  }
  // The elements the last merge's rows hold.
  size_t elements() const { return rowCount_ * rowLength_; }

 private:
  struct Run {
    size_t first, end;
  };
  bool Marked(size_t row) const {
    for (const auto& part : marked_)
      if (part[row]) return true;
    return false;
  }
  bool AnyMarkedIn8(size_t row) const {
    for (const auto& part : marked_) {
      uint64_t eight;
      std::memcpy(&eight, part.data() + row, sizeof eight);
      if (eight) return true;
    }
    return false;
  }
  size_t rowLength_;
  std::vector<uint8_t> marked_[kParts];
  std::vector<Run> runs_;  // the last merge's rows: the only rows of the gradient that are not zero
  size_t rowCount_ = 0;
};

// A trainable array, its gradient (each slice accumulates into its own part; the network adds the parts
// into grad[0] in a fixed order after backward) and the optimizer's slots for it.
struct Param {
  std::string name;
  std::vector<float> value;
  std::vector<float> grad[kParts];
  float l2 = 0;  // adds l2·Σw² to the loss, so 2·l2·w to the gradient
  std::vector<std::vector<float>> slots;
  // Set for a table stepped by the rows its batch read (see RowsRead); null: every element every step.
  std::unique_ptr<RowsRead> rowsRead;
  explicit Param(std::string n, size_t size, float l2Factor = 0) : name(std::move(n)), value(size), l2(l2Factor) {
    for (auto& part : grad) part.assign(size, 0.f);
  }
};

// A set's rows as their non-zero inputs (a bag of words' few words of a large vocabulary): row r's are
// index/values[rowStart[r], rowStart[r + 1]), in increasing index.
struct SparseRows {
  const uint32_t* rowStart = nullptr;
  const uint32_t* index = nullptr;
  const float* values = nullptr;
};

// A batch of a sparse set: the set's row each example of the batch is.
struct SparseBatch {
  SparseRows set;
  std::vector<uint32_t> rows;
};

struct Context {
  bool training = false;
  // Dropout masks are a pure function of (seed, step, layer, element): no generator state to checkpoint.
  uint64_t seed = 0;
  uint64_t step = 0;
  int layerIndex = 0;
  // A text's model with a table's other columns: the batch's other columns, `features` per example after
  // the token ids (see MakeJoin); null otherwise.
  const float* side = nullptr;
  // The first layer's batch as non-zero inputs, where it reads them (ReadsSparseRows); its x is then null.
  const SparseBatch* sparse = nullptr;
  // How many leading values of each row of dL/dx the layer below reads (its OutputGradientRead): a layer may
  // leave the others unwritten. 0 where there is no layer below.
  long inputGradientRead = 0;
};

// A layer's settings from the spec: numbers (booleans as 0/1) and strings.
class LayerArgs {
 public:
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> texts;
  std::string kind;
  int index = 0;  // position in the spec's list, for messages

  double Number(const std::string& key) const;
  double Number(const std::string& key, double fallback) const;
  std::string Text(const std::string& key, const std::string& fallback) const;
  [[noreturn]] void Fail(const std::string& message) const;
};

class Layer {
 public:
  virtual ~Layer() = default;
  Shape in, out;

  // y = f(x) for the slice's samples, laid out one after the other from x and y (already at the slice).
  virtual void Forward(const float* x, float* y, const Slice& slice, const Context& context) = 0;
  // Given x, y and dL/dy (which it may overwrite), adds dL/dparams into the params' grad[slice.part] and
  // writes dL/dx unless dx is null (the first layer).
  virtual void Backward(const float* x, const float* y, float* dy, float* dx, const Slice& slice, const Context& context) = 0;
  // Scratch buffers for up to `batch` samples, allocated once, never per batch; called before every
  // training or evaluation pass, on one thread.
  virtual void Reserve(int batch, bool training) {
    (void)batch;
    (void)training;
  }
  // How many leading values of each row of dL/dy its Backward reads: all, but for a join, whose other columns
  // are data (the dense layer above it then computes 64 values of dL/dx a row, not 64 + a bag of 2,000 words).
  virtual long OutputGradientRead() const { return out.size(); }
  // Whether it takes its input batch as non-zero inputs (Context::sparse) when it is the first layer.
  virtual bool ReadsSparseRows() const { return false; }
  // Whether samples can be worked on in slices; batch normalisation needs the whole batch at once.
  virtual bool Splittable() const { return true; }
  // Rough operations per sample, to decide whether a second thread pays for the hand-over.
  virtual double WorkPerSample() const { return static_cast<double>(in.size() + out.size()); }
  virtual std::vector<Param*> Params() { return {}; }

  // Every weight in tfjs' order and layout (kernel, bias; batch norm's γ, β, moving mean, moving variance).
  virtual std::vector<long> WeightSizes();
  virtual void ImportWeight(size_t k, const float* values);
  // The weight's value, or its gradient (zeros for what is not trained, like batch norm's running averages).
  virtual void ExportWeight(size_t k, float* values, bool gradient = false);
};

// Not a kind of the spec (so not in the registry): the network inserts it where a table's other columns join
// a text's vector (the first dense layer), as the TypeScript side plans (`join` with `features`).
std::unique_ptr<Layer> MakeJoin(const LayerArgs& args, const Shape& input);

using LayerFactory = std::function<std::unique_ptr<Layer>(const LayerArgs&, const Shape&)>;
std::map<std::string, LayerFactory>& LayerRegistry();

struct RegisterLayer {
  RegisterLayer(const char* kind, LayerFactory factory) { LayerRegistry()[kind] = std::move(factory); }
};

}  // namespace specml
