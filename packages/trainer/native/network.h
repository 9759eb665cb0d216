// A model as a list of layers plus its loss: softmax cross-entropy on the last one's logits (classification)
// or a regression loss on its one output (losses.h), trained by one optimizer.
// The plan (shapes, buffers) is fixed at construction; training, evaluation and prediction reuse the same
// buffers, so nothing is allocated per batch.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layer.h"
#include "losses.h"
#include "optimizer.h"
#include "parallel.h"

namespace specml {

struct NetworkConfig {
  Shape input;  // as tfjs sees the image: height, width, channels (pixels arrive HWC)
  int classes = 0;
  std::vector<LayerArgs> layers;
  OptimizerArgs optimizer;
  uint64_t seed = 0;
  int threads = 1;  // 1 or 2; the results are the same either way
  // "softmaxCrossEntropy" (classification), or a regression loss's name (then `classes` is 1: one output).
  std::string loss = "softmaxCrossEntropy";
  // Classification: each class's weight in the training gradient (Keras' class_weight); empty: all 1. The
  // loss reported stays the unweighted cross-entropy, as the tfjs engines report it.
  std::vector<float> classWeights;
  // A text read as a sequence with a table's other columns: each input row is the token ids, then this many
  // other values, which a `join` layer adds to the text's vector (0: none).
  int sideFeatures = 0;
};

struct Score {
  double lossSum = 0;  // summed, not mean, loss
  int64_t correct = 0;  // classification: how many argmaxes were the label
};

// What the examples should give: a class index each (classification) or a standardised number each
// (regression). Exactly one of the two is set.
struct Targets {
  const uint8_t* classes = nullptr;
  const float* values = nullptr;
};

struct NamedArray {
  std::string name;
  std::vector<float> values;
};

// The examples' inputs, one after another in HWC order: pixel bytes (scaled by 1/255 on loading) or ready
// floats (a table's encoded rows), or a float set's non-zero inputs (SparseRows, for a first layer that reads
// them). Exactly one of the three is set.
struct Inputs {
  const uint8_t* bytes = nullptr;
  const float* floats = nullptr;
  SparseRows sparse;  // set where its rowStart is
};

// Where training time went, per layer (the spec's layers, with the flattens and the join the engine adds): seconds of
// forward and backward over the training batches.
struct LayerProfile {
  std::string kind;
  int index = 0;  // the spec layer it is (an added flatten or join: the dense layer it comes before)
  double forwardSeconds = 0, backwardSeconds = 0;
  bool inputGradient = false;  // whether its backward computes its input's gradient (the layers above the first with weights)
};

struct TrainingProfile {
  std::vector<LayerProfile> layers;
  double optimizerSeconds = 0;  // the parameter updates
  int64_t samples = 0;          // training samples the seconds are over
};

class Network {
 public:
  explicit Network(const NetworkConfig& config);

  // One optimizer step per batch of `batchSize` examples over order[start, end); stops early at a
  // non-finite loss (the caller sees it in the score).
  Score TrainBatches(const Inputs& inputs, const Targets& targets, const uint32_t* order, int64_t start, int64_t end, int batchSize);
  // The loss and accuracy over `count` images; with `probabilities`, also every image's softmax output.
  Score Evaluate(const Inputs& inputs, const Targets& targets, int64_t count, float* probabilities);
  int EvaluationChunk() const;

  // The gradient of the mean loss over `count` images (in training mode, as one batch) without a step:
  // the numerical check against tfjs. Returns the summed loss; ExportWeights(…, true) then reads the gradients.
  Score Gradients(const Inputs& inputs, const Targets& targets, int64_t count);

  std::vector<long> WeightSizes();
  void SetWeights(const std::vector<const float*>& weights);
  // Every weight (or gradient) array into `targets`, one per WeightSizes() entry, each of that size.
  void ExportWeights(const std::vector<float*>& targets, bool gradients = false);

  double step() const { return step_; }
  std::vector<NamedArray> OptimizerSlots();
  void RestoreOptimizer(double step, const std::vector<NamedArray>& slots);
  void SetLearningRate(float rate) { optimizer_->learningRate = rate; }

  // Where training time went since the network was built (evaluation and prediction not counted).
  TrainingProfile Profile() const;

  // Whether the first layer can read a float set as its non-zero inputs (a dense layer of many inputs).
  bool ReadsSparseRows() const { return config_.sideFeatures == 0 && layers_.front()->ReadsSparseRows(); }
  // Whether a set may be given as sparse rows at all: read so by the first layer, or each batch's rows written
  // out whole (LoadDensified), which any input whose rows are stored as the layers read them allows (not a
  // colour image, whose HWC rows are read CHW).
  bool TakesSparseRows() const { return ReadsSparseRows() || InputAsStored(); }
  bool InputAsStored() const { return static_cast<long>(config_.input.height) * config_.input.width == 1 || config_.input.channels == 1; }

  const Shape& input() const { return config_.input; }
  int classes() const { return config_.classes; }
  bool regression() const { return regression_ != nullptr; }

 private:
  void Reserve(int batch, bool training);
  void LoadInput(const Inputs& inputs, const uint32_t* order, int64_t first, int batch);
  void LoadTokensAndSide(const float* rows, const uint32_t* order, int64_t first, int batch);
  void LoadDensified(const SparseRows& rows, const uint32_t* order, int64_t first, int batch);
  void LoadSparse(const SparseRows& rows, const uint32_t* order, int64_t first, int batch);
  void Forward(int batch, bool training);
  void Backward(int batch);
  // Runs work(slice) on the batch's slices (the whole batch as one slice for a layer that needs it).
  void ForSlices(int batch, const Layer& layer, const std::function<void(const Slice&)>& work);
  void ForParamHalves(const std::vector<Param*>& params, const std::function<void(Param&, size_t, size_t)>& work);
  // Scores the logits; when `gradient` is set, writes d(mean loss)/d(logits) there.
  void ScoreLogits(const Targets& targets, const uint32_t* order, int64_t first, int batch, Score* score, float* gradient,
                   float* probabilities);
  std::vector<Param*> AllParams();

  NetworkConfig config_;
  const RegressionLoss* regression_ = nullptr;  // null: classification
  std::vector<std::unique_ptr<Layer>> layers_;
  size_t firstTrained_ = 0;  // the first layer with weights
  std::unique_ptr<Optimizer> optimizer_;
  double step_ = 0;
  int capacity_ = 0;
  long widest_ = 0;
  // activations_[0] holds the input batch where it is gathered or converted, activations_[l + 1] layer l's
  // output; input_ is where the first layer reads the batch: activations_[0], or the caller's rows themselves
  // where they are already the batch (consecutive float rows, as evaluation and prediction read them).
  std::vector<std::vector<float>> activations_;
  const float* input_ = nullptr;
  // Layer l's input from example `first` on; null for a first layer that reads the batch's non-zero inputs.
  const float* LayerInput(size_t l, long first) const {
    if (l == 0 && sparseInput_) return nullptr;
    return (l == 0 ? input_ : activations_[l].data()) + first * layers_[l]->in.size();
  }
  std::vector<float> gradient_, gradientBelow_;
  std::vector<float> side_;  // the batch's other columns (sideFeatures per example), kept apart from its token ids
  SparseBatch sparse_;       // the batch's rows, where the set arrived as non-zero inputs
  bool sparseInput_ = false;
  Context ContextFor(bool training, size_t l) const {
    return Context{training, config_.seed, static_cast<uint64_t>(step_), static_cast<int>(l), side_.empty() ? nullptr : side_.data(),
                   l == 0 && sparseInput_ ? &sparse_ : nullptr, l > 0 ? layers_[l - 1]->OutputGradientRead() : 0};
  }
  SliceRunner runner_;
  // Per layer: training seconds forward [0] and backward [1]; the optimizer's; the samples trained.
  std::vector<std::array<double, 2>> layerSeconds_;
  double optimizerSeconds_ = 0;
  int64_t trainedSamples_ = 0;
};

// What the engine can train, from the registries: reported to TypeScript instead of restated there.
std::vector<std::string> LayerKinds();
std::vector<std::string> OptimizerNames();

}  // namespace specml
