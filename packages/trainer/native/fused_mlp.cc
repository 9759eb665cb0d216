// A fully fused trainer for a stack of dense layers ending in softmax cross-entropy: one call runs forward,
// loss, backward and the optimizer update for many batches, with no per-op dispatch. It mirrors the tfjs
// path exactly in what it computes (same initial weights in, same batches, same update rule); the tfjs path
// stays the numerical reference (see fused.test.ts).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace {

enum class Activation { Linear, Relu, Sigmoid, Tanh, Softmax };
enum class OptimizerKind { Sgd, Momentum, Adam };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  float learningRate = 0.001f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  float momentum = 0.9f;
  bool nesterov = false;
};

Activation parseActivation(const std::string& name) {
  if (name == "linear") return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "softmax") return Activation::Softmax;
  throw std::runtime_error("fused kernel: unsupported activation " + name);
}

// Pixel bytes scaled to [0, 1] exactly as JavaScript computes byte / 255 before storing a float32.
struct PixelTable {
  float value[256];
  PixelTable() {
    for (int i = 0; i < 256; ++i) value[i] = static_cast<float>(i / 255.0);
  }
};
const PixelTable kPixels;

// Adam's moments for inputs that are always zero (MNIST's border pixels) decay geometrically into
// subnormal floats, which x86 handles ~100× slower. Flush them to zero while the kernel runs; the values
// involved are below 1e-38 and change no update measurably. The caller's MXCSR is restored afterwards.
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

class FusedMlp : public Napi::ObjectWrap<FusedMlp> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function constructor = DefineClass(
        env, "FusedMlp",
        {InstanceMethod("setWeights", &FusedMlp::SetWeights), InstanceMethod("getWeights", &FusedMlp::GetWeights),
         InstanceMethod("trainBatches", &FusedMlp::TrainBatches), InstanceMethod("evaluate", &FusedMlp::Evaluate),
         InstanceMethod("predict", &FusedMlp::Predict),
         InstanceMethod("setLearningRate", &FusedMlp::SetLearningRate),
         InstanceMethod("getOptimizerState", &FusedMlp::GetOptimizerState),
         InstanceMethod("setOptimizerState", &FusedMlp::SetOptimizerState)});
    exports.Set("FusedMlp", constructor);
    return exports;
  }

  // new FusedMlp({ sizes: number[], activations: string[], optimizer: {...} })
  explicit FusedMlp(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FusedMlp>(info) {
    Napi::Object options = info[0].As<Napi::Object>();
    Napi::Array sizes = options.Get("sizes").As<Napi::Array>();
    Napi::Array activations = options.Get("activations").As<Napi::Array>();
    for (uint32_t i = 0; i < sizes.Length(); ++i) sizes_.push_back(sizes.Get(i).As<Napi::Number>().Int32Value());
    for (uint32_t i = 0; i < activations.Length(); ++i)
      activations_.push_back(parseActivation(activations.Get(i).As<Napi::String>().Utf8Value()));
    if (sizes_.size() < 2 || activations_.size() != sizes_.size() - 1)
      throw Napi::Error::New(info.Env(), "fused kernel: need sizes of length layers + 1");
    if (activations_.back() != Activation::Softmax)
      throw Napi::Error::New(info.Env(), "fused kernel: the last layer must be softmax");
    for (size_t l = 0; l + 1 < activations_.size(); ++l)
      if (activations_[l] == Activation::Softmax)
        throw Napi::Error::New(info.Env(), "fused kernel: softmax is only supported on the last layer");

    Napi::Object optimizer = options.Get("optimizer").As<Napi::Object>();
    std::string kind = optimizer.Get("name").As<Napi::String>().Utf8Value();
    if (kind == "sgd") optimizer_.kind = OptimizerKind::Sgd;
    else if (kind == "momentum") optimizer_.kind = OptimizerKind::Momentum;
    else if (kind == "adam") optimizer_.kind = OptimizerKind::Adam;
    else throw Napi::Error::New(info.Env(), "fused kernel: unsupported optimizer " + kind);
    auto number = [&](const char* key, float fallback) {
      Napi::Value value = optimizer.Get(key);
      return value.IsNumber() ? value.As<Napi::Number>().FloatValue() : fallback;
    };
    optimizer_.learningRate = number("learningRate", optimizer_.learningRate);
    optimizer_.beta1 = number("beta1", optimizer_.beta1);
    optimizer_.beta2 = number("beta2", optimizer_.beta2);
    optimizer_.epsilon = number("epsilon", optimizer_.epsilon);
    optimizer_.momentum = number("momentum", optimizer_.momentum);
    Napi::Value nesterov = optimizer.Get("nesterov");
    optimizer_.nesterov = nesterov.IsBoolean() && nesterov.As<Napi::Boolean>().Value();

    const size_t layers = activations_.size();
    params_.resize(2 * layers);
    first_.resize(2 * layers);
    second_.resize(2 * layers);
    for (size_t l = 0; l < layers; ++l) {
      const size_t kernel = static_cast<size_t>(sizes_[l]) * sizes_[l + 1];
      const size_t bias = sizes_[l + 1];
      params_[2 * l].assign(kernel, 0.f);
      params_[2 * l + 1].assign(bias, 0.f);
      first_[2 * l].assign(kernel, 0.f);
      first_[2 * l + 1].assign(bias, 0.f);
      second_[2 * l].assign(kernel, 0.f);
      second_[2 * l + 1].assign(bias, 0.f);
    }
    maxWidth_ = *std::max_element(sizes_.begin(), sizes_.end());
    gradientRow_.assign(maxWidth_, 0.f);
  }

 private:
  std::vector<int> sizes_;
  std::vector<Activation> activations_;
  OptimizerConfig optimizer_;
  // params_[2l] is layer l's kernel [in × out] row-major (tfjs' layout), params_[2l+1] its bias.
  std::vector<std::vector<float>> params_;
  // Adam's first and second moments; momentum's accumulator lives in first_.
  std::vector<std::vector<float>> first_, second_;
  double step_ = 0;
  int maxWidth_ = 0;
  int capacity_ = 0;
  // outputs_[0] is the batch input, outputs_[l + 1] layer l's activated output.
  std::vector<std::vector<float>> outputs_;
  std::vector<float> delta_, deltaBelow_, gradientRow_;
  float stepSize_ = 0, secondCorrection_ = 1;

  void EnsureCapacity(int batch) {
    if (batch <= capacity_) return;
    capacity_ = batch;
    outputs_.resize(sizes_.size());
    for (size_t l = 0; l < sizes_.size(); ++l) outputs_[l].assign(static_cast<size_t>(batch) * sizes_[l], 0.f);
    delta_.assign(static_cast<size_t>(batch) * maxWidth_, 0.f);
    deltaBelow_.assign(static_cast<size_t>(batch) * maxWidth_, 0.f);
  }

  void LoadInput(const uint8_t* images, const uint32_t* order, int64_t first, int batch) {
    const int pixels = sizes_[0];
    float* input = outputs_[0].data();
    for (int b = 0; b < batch; ++b) {
      const uint8_t* image = images + static_cast<size_t>(order ? order[first + b] : first + b) * pixels;
      float* row = input + static_cast<size_t>(b) * pixels;
      for (int p = 0; p < pixels; ++p) row[p] = kPixels.value[image[p]];
    }
  }

  // Forward pass; adds the summed cross-entropy and the count of correct argmax predictions. Leaves the
  // softmax probabilities in the last output buffer.
  void Forward(int batch, const uint8_t* labels, const uint32_t* order, int64_t first, double* lossSum,
               int64_t* correct) {
    const size_t layers = activations_.size();
    for (size_t l = 0; l < layers; ++l) {
      const int in = sizes_[l], out = sizes_[l + 1];
      const float* kernel = params_[2 * l].data();
      const float* bias = params_[2 * l + 1].data();
      for (int b = 0; b < batch; ++b) {
        const float* x = outputs_[l].data() + static_cast<size_t>(b) * in;
        float* y = outputs_[l + 1].data() + static_cast<size_t>(b) * out;
        std::copy(bias, bias + out, y);
        for (int i = 0; i < in; ++i) {
          const float a = x[i];
          if (a == 0.f) continue;  // MNIST is mostly background; ReLU outputs are often zero too.
          const float* w = kernel + static_cast<size_t>(i) * out;
          for (int j = 0; j < out; ++j) y[j] += a * w[j];
        }
        if (l + 1 < layers) {
          Activate(activations_[l], y, out);
          continue;
        }
        // Softmax with the cross-entropy taken from the logits (log-sum-exp), as tf.losses.softmaxCrossEntropy
        // does: finite for any finite logits, NaN or infinite once the weights are.
        const int label = labels[order ? order[first + b] : first + b];
        const int predicted = static_cast<int>(std::max_element(y, y + out) - y);
        const float top = y[predicted];
        const float labelLogit = y[label];
        float sum = 0.f;
        for (int j = 0; j < out; ++j) sum += (y[j] = std::exp(y[j] - top));
        for (int j = 0; j < out; ++j) y[j] /= sum;
        if (predicted == label) ++*correct;
        *lossSum += std::log(static_cast<double>(sum)) - (static_cast<double>(labelLogit) - top);
      }
    }
  }

  static void Activate(Activation activation, float* y, int n) {
    switch (activation) {
      case Activation::Linear:
        break;
      case Activation::Relu:
        for (int j = 0; j < n; ++j) y[j] = y[j] > 0.f ? y[j] : 0.f;
        break;
      case Activation::Sigmoid:
        for (int j = 0; j < n; ++j) y[j] = 1.f / (1.f + std::exp(-y[j]));
        break;
      case Activation::Tanh:
        for (int j = 0; j < n; ++j) y[j] = std::tanh(y[j]);
        break;
      case Activation::Softmax:  // only on the last layer, computed with the loss in Forward
        break;
    }
  }

  // Multiplies gradients wrt a layer's output by the activation's derivative, written in terms of the output.
  static void ActivationBackward(Activation activation, const float* y, float* g, size_t n) {
    switch (activation) {
      case Activation::Linear:
      case Activation::Softmax:
        break;
      case Activation::Relu:
        for (size_t k = 0; k < n; ++k) g[k] = y[k] > 0.f ? g[k] : 0.f;
        break;
      case Activation::Sigmoid:
        for (size_t k = 0; k < n; ++k) g[k] *= y[k] * (1.f - y[k]);
        break;
      case Activation::Tanh:
        for (size_t k = 0; k < n; ++k) g[k] *= 1.f - y[k] * y[k];
        break;
    }
  }

  void Update(float* __restrict param, const float* __restrict gradient, float* __restrict first,
              float* __restrict second, int n) {
    const OptimizerConfig& o = optimizer_;
    switch (o.kind) {
      case OptimizerKind::Sgd:
        for (int k = 0; k < n; ++k) param[k] -= o.learningRate * gradient[k];
        break;
      case OptimizerKind::Momentum:
        // tf.train.momentum (and torch.optim.SGD with momentum): v = μ·v + g; p -= lr·v, or lr·(g + μ·v) for Nesterov
        if (o.nesterov) {
          for (int k = 0; k < n; ++k) {
            first[k] = o.momentum * first[k] + gradient[k];
            param[k] -= o.learningRate * (gradient[k] + o.momentum * first[k]);
          }
        } else {
          for (int k = 0; k < n; ++k) {
            first[k] = o.momentum * first[k] + gradient[k];
            param[k] -= o.learningRate * first[k];
          }
        }
        break;
      case OptimizerKind::Adam:
        // torch.optim.Adam: p -= lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + ε)
        for (int k = 0; k < n; ++k) {
          const float g = gradient[k];
          first[k] = o.beta1 * first[k] + (1.f - o.beta1) * g;
          second[k] = o.beta2 * second[k] + (1.f - o.beta2) * g * g;
          param[k] -= stepSize_ * first[k] / (std::sqrt(second[k]) * secondCorrection_ + o.epsilon);
        }
        break;
    }
  }

  // One optimizer step on the batch whose forward pass has just run.
  void BackwardAndUpdate(int batch, const uint8_t* labels, const uint32_t* order, int64_t first) {
    const size_t layers = activations_.size();
    const int classes = sizes_.back();
    step_ += 1;
    if (optimizer_.kind == OptimizerKind::Adam) {
      stepSize_ = static_cast<float>(optimizer_.learningRate / (1.0 - std::pow(double(optimizer_.beta1), step_)));
      secondCorrection_ = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(double(optimizer_.beta2), step_)));
    }
    // d(mean cross-entropy)/d(logits) = (softmax − one-hot) / batch
    const float inverseBatch = 1.f / batch;
    for (int b = 0; b < batch; ++b) {
      const float* p = outputs_[layers].data() + static_cast<size_t>(b) * classes;
      float* d = delta_.data() + static_cast<size_t>(b) * classes;
      const int label = labels[order ? order[first + b] : first + b];
      for (int j = 0; j < classes; ++j) d[j] = (p[j] - (j == label ? 1.f : 0.f)) * inverseBatch;
    }
    for (size_t l = layers; l-- > 0;) {
      const int in = sizes_[l], out = sizes_[l + 1];
      const bool needsInputGradient = l > 0;
      float* kernel = params_[2 * l].data();
      float* kernelFirst = first_[2 * l].data();
      float* kernelSecond = second_[2 * l].data();
      const float* x = outputs_[l].data();
      const float* d = delta_.data();
      float* below = deltaBelow_.data();
      float* g = gradientRow_.data();
      // One pass over the kernel, row by row: the input gradient reads the row before it is updated.
      for (int i = 0; i < in; ++i) {
        float* w = kernel + static_cast<size_t>(i) * out;
        if (needsInputGradient) {
          for (int b = 0; b < batch; ++b) {
            const float* db = d + static_cast<size_t>(b) * out;
            float sum = 0.f;
#pragma omp simd reduction(+ : sum)
            for (int j = 0; j < out; ++j) sum += db[j] * w[j];
            below[static_cast<size_t>(b) * in + i] = sum;
          }
        }
        std::fill(g, g + out, 0.f);
        for (int b = 0; b < batch; ++b) {
          const float a = x[static_cast<size_t>(b) * in + i];
          if (a == 0.f) continue;
          const float* db = d + static_cast<size_t>(b) * out;
          for (int j = 0; j < out; ++j) g[j] += a * db[j];
        }
        Update(w, g, kernelFirst + static_cast<size_t>(i) * out, kernelSecond + static_cast<size_t>(i) * out, out);
      }
      std::fill(g, g + out, 0.f);
      for (int b = 0; b < batch; ++b) {
        const float* db = d + static_cast<size_t>(b) * out;
        for (int j = 0; j < out; ++j) g[j] += db[j];
      }
      Update(params_[2 * l + 1].data(), g, first_[2 * l + 1].data(), second_[2 * l + 1].data(), out);
      if (needsInputGradient) {
        ActivationBackward(activations_[l - 1], x, below, static_cast<size_t>(batch) * in);
        std::swap(delta_, deltaBelow_);
      }
    }
  }

  // Checks what the loops below index, so that a caller's mistake is a JavaScript error, not a crash.
  int64_t CheckedImageCount(const Napi::Env& env, const Napi::Value& images, const Napi::Value& labels) {
    if (!images.IsTypedArray() || !labels.IsTypedArray())
      throw Napi::TypeError::New(env, "fused kernel: images and labels must be Uint8Arrays");
    const size_t imageBytes = images.As<Napi::Uint8Array>().ElementLength();
    const size_t count = labels.As<Napi::Uint8Array>().ElementLength();
    if (imageBytes != count * static_cast<size_t>(sizes_[0]))
      throw Napi::RangeError::New(env, "fused kernel: images hold " + std::to_string(imageBytes) + " bytes, expected " +
                                           std::to_string(count) + " labels × " + std::to_string(sizes_[0]) + " pixels");
    const uint8_t* label = labels.As<Napi::Uint8Array>().Data();
    for (size_t k = 0; k < count; ++k)
      if (label[k] >= sizes_.back())
        throw Napi::RangeError::New(env, "fused kernel: label " + std::to_string(label[k]) + " at index " +
                                             std::to_string(k) + " is not below the class count " + std::to_string(sizes_.back()));
    return static_cast<int64_t>(count);
  }
  static const uint8_t* Bytes(const Napi::Value& value) { return value.As<Napi::Uint8Array>().Data(); }

  Napi::Value Pair(Napi::Env env, double lossSum, int64_t correct) {
    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(0u, Napi::Number::New(env, lossSum));
    result.Set(1u, Napi::Number::New(env, static_cast<double>(correct)));
    return result;
  }

  // trainBatches(images, labels, order, start, end, batchSize) -> [lossSum, correct]
  // Trains on order[start..end) in consecutive batches of batchSize (the last may be shorter).
  Napi::Value TrainBatches(const Napi::CallbackInfo& info) {
    const uint8_t* images = Bytes(info[0]);
    const uint8_t* labels = Bytes(info[1]);
    const uint32_t* order = info[2].As<Napi::Uint32Array>().Data();
    const int64_t start = info[3].As<Napi::Number>().Int64Value();
    const int64_t end = info[4].As<Napi::Number>().Int64Value();
    const int batchSize = info[5].As<Napi::Number>().Int32Value();
    const int64_t count = CheckedImageCount(info.Env(), info[0], info[1]);
    const int64_t orderLength = static_cast<int64_t>(info[2].As<Napi::Uint32Array>().ElementLength());
    if (batchSize < 1 || start < 0 || start > end || end > orderLength)
      throw Napi::RangeError::New(info.Env(), "fused kernel: need 0 <= start <= end <= order.length and batchSize >= 1");
    for (int64_t k = start; k < end; ++k)
      if (order[k] >= count) throw Napi::RangeError::New(info.Env(), "fused kernel: order holds an index past the last image");
    EnsureCapacity(batchSize);
    FlushDenormals flush;
    double lossSum = 0;
    int64_t correct = 0;
    for (int64_t first = start; first < end; first += batchSize) {
      const int batch = static_cast<int>(std::min<int64_t>(batchSize, end - first));
      LoadInput(images, order, first, batch);
      double batchLoss = 0;
      Forward(batch, labels, order, first, &batchLoss, &correct);
      lossSum += batchLoss;
      if (!std::isfinite(batchLoss)) break;  // diverged: the caller sees a non-finite loss and stops
      BackwardAndUpdate(batch, labels, order, first);
    }
    return Pair(info.Env(), lossSum, correct);
  }

  // Runs the forward pass over every image of a set in chunks, calling visit(first, batch) after each
  // chunk with the softmax probabilities in the last output buffer.
  template <typename Visit>
  void ForwardAll(const uint8_t* images, const uint8_t* labels, int64_t count, double* lossSum, int64_t* correct, Visit visit) {
    constexpr int kChunk = 256;
    EnsureCapacity(kChunk);
    FlushDenormals flush;
    for (int64_t first = 0; first < count; first += kChunk) {
      const int batch = static_cast<int>(std::min<int64_t>(kChunk, count - first));
      LoadInput(images, nullptr, first, batch);
      Forward(batch, labels, nullptr, first, lossSum, correct);
      visit(first, batch);
    }
  }

  // evaluate(images, labels) -> [lossSum, correct] over every image
  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedImageCount(info.Env(), info[0], info[1]);
    double lossSum = 0;
    int64_t correct = 0;
    ForwardAll(Bytes(info[0]), Bytes(info[1]), count, &lossSum, &correct, [](int64_t, int) {});
    return Pair(info.Env(), lossSum, correct);
  }

  // predict(images, labels) -> Float32Array of count × classes softmax probabilities
  Napi::Value Predict(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedImageCount(info.Env(), info[0], info[1]);
    const size_t classes = sizes_.back();
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), static_cast<size_t>(count) * classes);
    double lossSum = 0;
    int64_t correct = 0;
    ForwardAll(Bytes(info[0]), Bytes(info[1]), count, &lossSum, &correct, [&](int64_t first, int batch) {
      const float* probabilities = outputs_.back().data();
      std::copy(probabilities, probabilities + batch * classes, out.Data() + static_cast<size_t>(first) * classes);
    });
    return out;
  }

  static Napi::Array CopyOut(Napi::Env env, const std::vector<std::vector<float>>& buffers) {
    Napi::Array out = Napi::Array::New(env, buffers.size());
    for (size_t k = 0; k < buffers.size(); ++k) {
      Napi::Float32Array array = Napi::Float32Array::New(env, buffers[k].size());
      std::copy(buffers[k].begin(), buffers[k].end(), array.Data());
      out.Set(static_cast<uint32_t>(k), array);
    }
    return out;
  }

  static void CopyIn(const Napi::Env& env, Napi::Array in, std::vector<std::vector<float>>& buffers) {
    if (in.Length() != buffers.size()) throw Napi::Error::New(env, "fused kernel: wrong number of arrays");
    for (size_t k = 0; k < buffers.size(); ++k) {
      Napi::Float32Array array = in.Get(static_cast<uint32_t>(k)).As<Napi::Float32Array>();
      if (array.ElementLength() != buffers[k].size())
        throw Napi::Error::New(env, "fused kernel: array " + std::to_string(k) + " has the wrong length");
      std::copy(array.Data(), array.Data() + array.ElementLength(), buffers[k].begin());
    }
  }

  void SetLearningRate(const Napi::CallbackInfo& info) { optimizer_.learningRate = info[0].As<Napi::Number>().FloatValue(); }

  // [kernel0, bias0, kernel1, bias1, …]
  Napi::Value GetWeights(const Napi::CallbackInfo& info) { return CopyOut(info.Env(), params_); }
  void SetWeights(const Napi::CallbackInfo& info) { CopyIn(info.Env(), info[0].As<Napi::Array>(), params_); }

  // { step, first: Float32Array[], second: Float32Array[] }
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info) {
    Napi::Object state = Napi::Object::New(info.Env());
    state.Set("step", Napi::Number::New(info.Env(), step_));
    state.Set("first", CopyOut(info.Env(), first_));
    state.Set("second", CopyOut(info.Env(), second_));
    return state;
  }
  void SetOptimizerState(const Napi::CallbackInfo& info) {
    Napi::Object state = info[0].As<Napi::Object>();
    step_ = state.Get("step").As<Napi::Number>().DoubleValue();
    CopyIn(info.Env(), state.Get("first").As<Napi::Array>(), first_);
    CopyIn(info.Env(), state.Get("second").As<Napi::Array>(), second_);
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) { return FusedMlp::Init(env, exports); }

}  // namespace

NODE_API_MODULE(fused_mlp, Init)
