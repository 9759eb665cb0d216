#include "network.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace specml {
namespace {

// Pixel bytes scaled to [0, 1] exactly as JavaScript computes byte / 255 before storing a float32.
struct PixelTable {
  float value[256];
  PixelTable() {
    for (int i = 0; i < 256; ++i) value[i] = static_cast<float>(i / 255.0);
  }
};
const PixelTable kPixels;

// Adam's moments for inputs that are always zero (MNIST's border pixels) decay into subnormal floats, which
// x86 handles ~100× slower. Flush them to zero while the engine runs; the caller's MXCSR is restored after.
class FlushDenormals {
 public:
  FlushDenormals() {
#if defined(__SSE__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040);  // FTZ | DAZ
#endif
  }
  ~FlushDenormals() {
#if defined(__SSE__)
    _mm_setcsr(saved_);
#endif
  }

 private:
  unsigned int saved_ = 0;
};

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr int kEvaluationChunk = 256;
constexpr int64_t kEvaluationBytes = int64_t{256} << 20;

}  // namespace

std::map<std::string, OptimizerFactory>& OptimizerRegistry() {
  static std::map<std::string, OptimizerFactory> registry;
  return registry;
}

std::vector<std::string> LayerKinds() {
  std::vector<std::string> kinds;
  for (const auto& entry : LayerRegistry()) kinds.push_back(entry.first);
  return kinds;
}

std::vector<std::string> OptimizerNames() {
  std::vector<std::string> names;
  for (const auto& entry : OptimizerRegistry()) names.push_back(entry.first);
  return names;
}

Network::Network(const NetworkConfig& config) : config_(config), runner_(config.threads) {
  if (config_.layers.empty()) throw std::invalid_argument("model.layers: the native engine needs at least one layer");
  LayerArgs& last = config_.layers.back();
  if (config_.loss == "softmaxCrossEntropy") {
    if (last.kind != "dense" || last.Text("activation", "linear") != "softmax")
      last.Fail("must be a dense layer with softmax: the native engine minimises softmax cross-entropy");
    last.texts["activation"] = "linear";  // the loss takes the logits and applies softmax itself
  } else {
    regression_ = FindRegressionLoss(config_.loss);
    if (!regression_) throw std::invalid_argument("loss: the native engine has no loss " + config_.loss);
    if (last.kind != "dense" || last.Text("activation", "linear") != "linear" || config_.classes != 1)
      last.Fail("must be a dense layer with units: 1 and linear activation: a regression predicts one number");
  }

  Shape shape = config_.input;
  widest_ = shape.size();
  if (config_.sideFeatures != 0 && (config_.sideFeatures < 0 || config_.sideFeatures >= shape.size() || shape.image))
    throw std::invalid_argument("native engine: sideFeatures must leave a vector's first values to the text");
  shape.channels -= config_.sideFeatures;  // the first layer reads the token ids only
  int joins = 0;
  for (LayerArgs& args : config_.layers) {
    if (args.kind == "join") {
      if (++joins > 1 || static_cast<int>(args.Number("features")) != config_.sideFeatures) args.Fail("must join the sideFeatures, once");
      layers_.push_back(MakeJoin(args, shape));
    } else {
      auto factory = LayerRegistry().find(args.kind);
      if (factory == LayerRegistry().end()) args.Fail("is a layer type the native engine does not have");
      layers_.push_back(factory->second(args, shape));
    }
    layerSeconds_.push_back({0, 0});
    shape = layers_.back()->out;
    widest_ = std::max(widest_, shape.size());
  }
  if (config_.sideFeatures > 0 && joins == 0) throw std::invalid_argument("model.layers: sideFeatures need a join layer");
  if (shape.image || shape.size() != config_.classes)
    throw std::invalid_argument("model.layers: the last layer must output one value per class (" + std::to_string(config_.classes) + ")");

  auto optimizer = OptimizerRegistry().find(config_.optimizer.name);
  if (optimizer == OptimizerRegistry().end())
    throw std::invalid_argument("optimizer.name: the native engine has no optimizer " + config_.optimizer.name);
  optimizer_ = optimizer->second(config_.optimizer);
  while (firstTrained_ + 1 < layers_.size() && layers_[firstTrained_]->Params().empty()) ++firstTrained_;
  optimizer_->learningRate = static_cast<float>(config_.optimizer.Number("learningRate", 0.001));
  for (Param* param : AllParams()) {
    param->slots.clear();
    const size_t slots = optimizer_->Slots().size();
    for (size_t s = 0; s < slots; ++s) param->slots.emplace_back(param->value.size(), optimizer_->SlotStart(s));
  }
}

std::vector<Param*> Network::AllParams() {
  std::vector<Param*> params;
  for (auto& layer : layers_)
    for (Param* param : layer->Params()) params.push_back(param);
  return params;
}

void Network::Reserve(int batch, bool training) {
  for (auto& layer : layers_) layer->Reserve(std::max(batch, 1), training);
  if (batch <= capacity_) return;
  capacity_ = batch;
  activations_.resize(layers_.size() + 1);
  activations_[0].assign(batch * config_.input.size(), 0.f);
  for (size_t l = 0; l < layers_.size(); ++l) {
    activations_[l + 1].assign(batch * layers_[l]->out.size(), 0.f);
  }
  side_.assign(static_cast<size_t>(batch) * config_.sideFeatures, 0.f);
  gradient_.assign(batch * widest_, 0.f);
  gradientBelow_.assign(batch * widest_, 0.f);
}

void Network::LoadInput(const Inputs& inputs, const uint32_t* order, int64_t first, int batch) {
  const Shape& shape = config_.input;
  const long size = shape.size(), plane = static_cast<long>(shape.height) * shape.width;
  const bool asStored = InputAsStored();
  sparseInput_ = inputs.sparse.rowStart != nullptr && ReadsSparseRows();
  if (sparseInput_) return LoadSparse(inputs.sparse, order, first, batch);
  if (inputs.sparse.rowStart) return LoadDensified(inputs.sparse, order, first, batch);
  if (config_.sideFeatures > 0) {
    if (!inputs.floats) throw std::invalid_argument("native engine: a text's rows with other columns arrive as floats");
    return LoadTokensAndSide(inputs.floats, order, first, batch);
  }
  if (inputs.floats && !order && asStored) {
    // Consecutive rows that need no conversion are read where they are: a bag of words' rows are 80 KB each.
    input_ = inputs.floats + first * size;
    return;
  }
  float* input = activations_[0].data();
  input_ = input;
  for (int b = 0; b < batch; ++b) {
    const int64_t offset = static_cast<int64_t>(order ? order[first + b] : first + b) * size;
    float* target = input + b * size;
    if (inputs.floats) {
      const float* example = inputs.floats + offset;
      if (asStored) std::copy(example, example + size, target);
      else
        for (long p = 0; p < plane; ++p)  // HWC → CHW
          for (int c = 0; c < shape.channels; ++c) target[c * plane + p] = example[p * shape.channels + c];
      continue;
    }
    const uint8_t* image = inputs.bytes + offset;
    if (shape.channels == 1) {
      for (long p = 0; p < size; ++p) target[p] = kPixels.value[image[p]];
      continue;
    }
    for (long p = 0; p < plane; ++p)  // HWC bytes → CHW floats
      for (int c = 0; c < shape.channels; ++c) target[c * plane + p] = kPixels.value[image[p * shape.channels + c]];
  }
}

// A row of token ids then other columns: the ids to the first layer's input, the rest to side_ (the join's).
void Network::LoadTokensAndSide(const float* rows, const uint32_t* order, int64_t first, int batch) {
  const long size = config_.input.size(), side = config_.sideFeatures, ids = size - side;
  float* input = activations_[0].data();
  input_ = input;
  for (int b = 0; b < batch; ++b) {
    const float* row = rows + static_cast<int64_t>(order ? order[first + b] : first + b) * size;
    std::copy(row, row + ids, input + b * ids);
    std::copy(row + ids, row + size, side_.data() + b * side);
  }
}

// A sparse set's batch for a first layer that reads dense inputs (token ids; a text beside other columns): each
// row written out whole into the batch's buffers, as LoadTokensAndSide and the plain copy lay them out. The
// set's dense rows are then never made (a sequence with a bag of words beside it: 2,783 floats a row, 18 MB
// for 1,600 e-mails, where its non-zero entries take 1.3 MB).
void Network::LoadDensified(const SparseRows& rows, const uint32_t* order, int64_t first, int batch) {
  if (!InputAsStored()) throw std::invalid_argument("native engine: a colour image's inputs cannot be given as sparse rows");
  const long side = config_.sideFeatures, ids = static_cast<long>(config_.input.size()) - side;
  float* input = activations_[0].data();
  input_ = input;
  std::fill(input, input + static_cast<size_t>(batch) * ids, 0.f);
  std::fill(side_.data(), side_.data() + static_cast<size_t>(batch) * side, 0.f);
  for (int b = 0; b < batch; ++b) {
    const uint32_t row = static_cast<uint32_t>(order ? order[first + b] : first + b);
    for (uint32_t k = rows.rowStart[row]; k < rows.rowStart[row + 1]; ++k) {
      const long at = rows.index[k];
      if (at < ids) input[b * ids + at] = rows.values[k];
      else side_[b * side + at - ids] = rows.values[k];
    }
  }
}

// The batch's examples as rows of the sparse set: the first layer reads their non-zero inputs there.
void Network::LoadSparse(const SparseRows& rows, const uint32_t* order, int64_t first, int batch) {
  sparse_.set = rows;
  sparse_.rows.resize(batch);
  for (int b = 0; b < batch; ++b) sparse_.rows[b] = static_cast<uint32_t>(order ? order[first + b] : first + b);
}

void Network::ForSlices(int batch, const Layer& layer, const std::function<void(const Slice&)>& work) {
  if (!layer.Splittable() || batch < kParts) return work(Slice{0, batch, 0});
  const int half = (batch + 1) / 2;
  // A second thread costs a few microseconds to hand over to: below this much work, one thread is faster.
  constexpr double kParallelWork = 1e6;
  runner_.Run([&](int part) { work(part == 0 ? Slice{0, half, 0} : Slice{half, batch - half, 1}); }, layer.WorkPerSample() * batch >= kParallelWork);
}

void Network::Forward(int batch, bool training) {
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Context context = ContextFor(training, l);
    Layer& layer = *layers_[l];
    const long outSize = layer.out.size();
    const Clock::time_point started = Clock::now();
    ForSlices(batch, layer, [&](const Slice& slice) {
      layer.Forward(LayerInput(l, slice.first), activations_[l + 1].data() + slice.first * outSize, slice, context);
    });
    if (training) layerSeconds_[l][0] += SecondsSince(started);
  }
}

TrainingProfile Network::Profile() const {
  TrainingProfile profile;
  for (size_t l = 0; l < layers_.size(); ++l) {
    // An embedding that pools (the pooling layer after it, given to it) is both layers' time.
    const LayerArgs& args = config_.layers[l];
    const std::string pooling = args.Text("pooling", "");
    profile.layers.push_back({pooling.empty() ? args.kind : args.kind + " + " + pooling, args.index, layerSeconds_[l][0], layerSeconds_[l][1], l > firstTrained_});
  }
  profile.optimizerSeconds = optimizerSeconds_;
  profile.samples = trainedSamples_;
  return profile;
}

void Network::ScoreLogits(const Targets& targets, const uint32_t* order, int64_t first, int batch, Score* score, float* gradient,
                          float* probabilities) {
  const int classes = config_.classes;
  const float inverseBatch = 1.f / batch;
  const float* logits = activations_.back().data();
  if (regression_) {
    // One output per example against its standardised target; `probabilities` receives the outputs.
    for (int b = 0; b < batch; ++b) {
      const double error = static_cast<double>(logits[b]) - targets.values[order ? order[first + b] : first + b];
      score->lossSum += regression_->value(error);
      if (gradient) gradient[b] = static_cast<float>(regression_->slope(error)) * inverseBatch;
      if (probabilities) probabilities[b] = logits[b];
    }
    return;
  }
  for (int b = 0; b < batch; ++b) {
    const float* row = logits + static_cast<long>(b) * classes;
    const int label = targets.classes[order ? order[first + b] : first + b];
    const int predicted = static_cast<int>(std::max_element(row, row + classes) - row);
    const float top = row[predicted];
    float sum = 0.f;
    for (int j = 0; j < classes; ++j) sum += std::exp(row[j] - top);
    // log-sum-exp, as tf.losses.softmaxCrossEntropy: finite for any finite logits
    score->lossSum += std::log(static_cast<double>(sum)) - (static_cast<double>(row[label]) - top);
    if (predicted == label) ++score->correct;
    const float weight = config_.classWeights.empty() ? 1.f : config_.classWeights[label];
    for (int j = 0; j < classes; ++j) {
      const float p = std::exp(row[j] - top) / sum;
      if (gradient) gradient[static_cast<long>(b) * classes + j] = (p - (j == label ? 1.f : 0.f)) * (weight * inverseBatch);
      if (probabilities) probabilities[static_cast<long>(b) * classes + j] = p;
    }
  }
}

Score Network::TrainBatches(const Inputs& inputs, const Targets& targets, const uint32_t* order, int64_t start, int64_t end,
                            int batchSize) {
  Reserve(batchSize, true);
  FlushDenormals flush;
  const std::vector<Param*> params = AllParams();
  Score total;
  for (int64_t first = start; first < end; first += batchSize) {
    const int batch = static_cast<int>(std::min<int64_t>(batchSize, end - first));
    LoadInput(inputs, order, first, batch);
    Forward(batch, true);
    Score score;
    ScoreLogits(targets, order, first, batch, &score, gradient_.data(), nullptr);
    total.lossSum += score.lossSum;
    total.correct += score.correct;
    if (!std::isfinite(score.lossSum)) break;  // diverged: the caller sees a non-finite loss and stops

    Backward(batch);
    const Clock::time_point updating = Clock::now();
    step_ += 1;
    optimizer_->BeginStep(step_);
    ForParamHalves(params, [&](Param& param, size_t begin, size_t end) {
      if (param.l2 > 0) {
        const float twice = 2.f * param.l2;
        for (size_t k = begin; k < end; ++k) param.grad[0][k] += twice * param.value[k];
      }
      optimizer_->Update(param, begin, end);
    });
    optimizerSeconds_ += SecondsSince(updating);
    trainedSamples_ += batch;
  }
  return total;
}

// Element-wise work on every parameter (zeroing the gradients, adding the slices', the update), each parameter's
// elements in two halves, one per thread where the parameters are many enough to pay for the hand-over: each
// element is computed on its own, so the split never changes a result. A table stepped by rows (RowsRead) is
// worked on in the rows its last batch read, half of them on each thread.
void Network::ForParamHalves(const std::vector<Param*>& params, const std::function<void(Param&, size_t, size_t)>& work) {
  size_t elements = 0;
  for (const Param* param : params) elements += param->rowsRead ? param->rowsRead->elements() : param->value.size();
  constexpr size_t kParallelElements = 1 << 16;
  runner_.Run(
      [&](int half) {
        for (Param* param : params) {
          if (param->rowsRead) {
            param->rowsRead->ForHalf(half, [&](size_t begin, size_t end) { work(*param, begin, end); });
            continue;
          }
          const size_t size = param->value.size(), middle = size / 2;
          work(*param, half == 0 ? 0 : middle, half == 0 ? middle : size);
        }
      },
      elements >= kParallelElements);
}

void Network::Backward(int batch) {
  const std::vector<Param*> params = AllParams();
  // A table stepped by rows is zeroed in the rows the last batch read: its other rows are zero already.
  ForParamHalves(params, [](Param& param, size_t begin, size_t end) {
    for (auto& part : param.grad) std::fill(part.begin() + begin, part.begin() + end, 0.f);
  });
  // Below the first layer with weights no gradient is needed (the layers there have none, the input is data): the
  // backward pass ends there, and that layer computes only its weights' (an MLP's flatten skips a 784-wide product).
  for (size_t l = layers_.size(); l-- > firstTrained_;) {
    const Context context = ContextFor(true, l);
    Layer& layer = *layers_[l];
    const long inSize = layer.in.size(), outSize = layer.out.size();
    const Clock::time_point started = Clock::now();
    ForSlices(batch, layer, [&](const Slice& slice) {
      layer.Backward(LayerInput(l, slice.first), activations_[l + 1].data() + slice.first * outSize, gradient_.data() + slice.first * outSize,
                     l > firstTrained_ ? gradientBelow_.data() + slice.first * inSize : nullptr, slice, context);
    });
    layerSeconds_[l][1] += SecondsSince(started);
    std::swap(gradient_, gradientBelow_);
  }
  for (Param* param : params)
    if (param->rowsRead) param->rowsRead->Merge();
  // The slices' gradients, summed in a fixed order.
  ForParamHalves(params, [](Param& param, size_t begin, size_t end) {
    for (int part = 1; part < kParts; ++part)
      for (size_t k = begin; k < end; ++k) param.grad[0][k] += param.grad[part][k];
  });
}

Score Network::Gradients(const Inputs& inputs, const Targets& targets, int64_t count) {
  Reserve(static_cast<int>(count), true);
  LoadInput(inputs, nullptr, 0, static_cast<int>(count));
  Forward(static_cast<int>(count), true);
  Score score;
  ScoreLogits(targets, nullptr, 0, static_cast<int>(count), &score, gradient_.data(), nullptr);
  Backward(static_cast<int>(count));
  return score;
}

// Examples per evaluation chunk: 256, or fewer where that many would need more than kEvaluationBytes of
// activations (large images): sized by bytes, so that evaluation never allocates gigabytes.
int Network::EvaluationChunk() const {
  int64_t floats = static_cast<int64_t>(config_.input.size()) + 2 * static_cast<int64_t>(widest_);
  for (const auto& layer : layers_) floats += layer->out.size();
  // Twice the activations, for what layers keep beside them (im2col columns, masks).
  return static_cast<int>(std::clamp<int64_t>(kEvaluationBytes / (floats * static_cast<int64_t>(sizeof(float)) * 2), 1, kEvaluationChunk));
}

Score Network::Evaluate(const Inputs& inputs, const Targets& targets, int64_t count, float* probabilities) {
  const int chunk = EvaluationChunk();
  Reserve(chunk, false);
  FlushDenormals flush;
  Score score;
  for (int64_t first = 0; first < count; first += chunk) {
    const int batch = static_cast<int>(std::min<int64_t>(chunk, count - first));
    LoadInput(inputs, nullptr, first, batch);
    Forward(batch, false);
    ScoreLogits(targets, nullptr, first, batch, &score, nullptr, probabilities ? probabilities + first * config_.classes : nullptr);
  }
  return score;
}

std::vector<long> Network::WeightSizes() {
  std::vector<long> sizes;
  for (auto& layer : layers_)
    for (long size : layer->WeightSizes()) sizes.push_back(size);
  return sizes;
}

void Network::SetWeights(const std::vector<const float*>& weights) {
  size_t next = 0;
  for (auto& layer : layers_)
    for (size_t k = 0; k < layer->WeightSizes().size(); ++k) layer->ImportWeight(k, weights.at(next++));
}

void Network::ExportWeights(const std::vector<float*>& targets, bool gradients) {
  size_t next = 0;
  for (auto& layer : layers_)
    for (size_t k = 0; k < layer->WeightSizes().size(); ++k) layer->ExportWeight(k, targets.at(next++), gradients);
}

std::vector<NamedArray> Network::OptimizerSlots() {
  std::vector<NamedArray> slots;
  const std::vector<std::string> names = optimizer_->Slots();
  const std::vector<Param*> params = AllParams();
  for (size_t p = 0; p < params.size(); ++p)
    for (size_t s = 0; s < names.size(); ++s) slots.push_back({std::to_string(p) + "/" + params[p]->name + "/" + names[s], params[p]->slots[s]});
  return slots;
}

void Network::RestoreOptimizer(double step, const std::vector<NamedArray>& slots) {
  const std::vector<Param*> params = AllParams();
  const size_t perParam = optimizer_->Slots().size();
  if (slots.size() != params.size() * perParam)
    throw std::invalid_argument("the checkpoint's optimizer state has " + std::to_string(slots.size()) + " arrays, this model needs " +
                                std::to_string(params.size() * perParam));
  for (size_t k = 0; k < slots.size(); ++k) {
    std::vector<float>& target = params[k / perParam]->slots[k % perParam];
    if (slots[k].values.size() != target.size()) throw std::invalid_argument("the checkpoint's optimizer array " + slots[k].name + " has the wrong length");
    target = slots[k].values;
  }
  step_ = step;
}

}  // namespace specml
