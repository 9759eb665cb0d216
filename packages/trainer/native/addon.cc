// N-API glue only: JavaScript values in, checked, handed to Network; results out. See network.h.
#include <napi.h>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "activation.h"
#include "augment.h"
#include "memory.h"
#include "network.h"

namespace specml {
namespace {

Napi::Array Strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t k = 0; k < values.size(); ++k) array.Set(static_cast<uint32_t>(k), values[k]);
  return array;
}

// capabilities() -> { layers: string[], optimizers: string[], losses: string[] (regression), activations: string[] }
Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("layers", Strings(info.Env(), LayerKinds()));
  result.Set("optimizers", Strings(info.Env(), OptimizerNames()));
  result.Set("losses", Strings(info.Env(), RegressionLossNames()));
  result.Set("activations", Strings(info.Env(), ActivationNames()));
  return result;
}

int IntegerOf(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (!value.IsNumber()) throw std::invalid_argument(std::string("native engine: ") + key + " must be a number");
  return value.As<Napi::Number>().Int32Value();
}

// Every number, boolean and string of a spec object, by key.
template <typename Args>
void ReadSettings(const Napi::Object& object, Args& args, const char* tag) {
  Napi::Array keys = object.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    const std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value value = object.Get(key);
    if (key == tag) continue;
    if (value.IsNumber()) args.numbers[key] = value.As<Napi::Number>().DoubleValue();
    else if (value.IsBoolean()) args.numbers[key] = value.As<Napi::Boolean>().Value() ? 1 : 0;
    else if constexpr (std::is_same_v<Args, LayerArgs>) {
      if (value.IsString()) args.texts[key] = value.As<Napi::String>().Utf8Value();
    }
  }
}

NetworkConfig ReadConfig(const Napi::Object& options) {
  NetworkConfig config;
  Napi::Object input = options.Get("input").As<Napi::Object>();
  // An image { height, width, channels }, or a vector { features } (a table's encoded row).
  config.input = input.Has("features") ? Shape{1, 1, IntegerOf(input, "features"), false}
                                       : Shape{IntegerOf(input, "height"), IntegerOf(input, "width"), IntegerOf(input, "channels"), true};
  if (config.input.height < 1 || config.input.width < 1 || config.input.channels < 1)
    throw std::invalid_argument("native engine: the input must have at least one value");
  config.classes = IntegerOf(options, "classes");
  config.seed = static_cast<uint64_t>(options.Get("seed").As<Napi::Number>().Int64Value());
  config.threads = options.Has("threads") && options.Get("threads").IsNumber() ? IntegerOf(options, "threads") : 1;
  if (options.Has("sideFeatures") && options.Get("sideFeatures").IsNumber()) config.sideFeatures = IntegerOf(options, "sideFeatures");
  if (options.Has("loss") && options.Get("loss").IsString()) config.loss = options.Get("loss").As<Napi::String>().Utf8Value();
  if (options.Has("classWeights") && options.Get("classWeights").IsArray()) {
    Napi::Array weights = options.Get("classWeights").As<Napi::Array>();
    if (static_cast<int>(weights.Length()) != config.classes) throw std::invalid_argument("native engine: classWeights needs one weight per class");
    for (uint32_t k = 0; k < weights.Length(); ++k) {
      const double weight = weights.Get(k).As<Napi::Number>().DoubleValue();
      if (!(weight > 0) || !std::isfinite(weight)) throw std::invalid_argument("native engine: class weights must be positive numbers");
      config.classWeights.push_back(static_cast<float>(weight));
    }
  }
  Napi::Array layers = options.Get("layers").As<Napi::Array>();
  for (uint32_t k = 0; k < layers.Length(); ++k) {
    Napi::Object layer = layers.Get(k).As<Napi::Object>();
    LayerArgs args;
    args.kind = layer.Get("type").As<Napi::String>().Utf8Value();
    args.index = layer.Has("index") ? IntegerOf(layer, "index") : static_cast<int>(k);
    ReadSettings(layer, args, "type");
    args.numbers.erase("index");
    config.layers.push_back(args);
  }
  Napi::Object optimizer = options.Get("optimizer").As<Napi::Object>();
  config.optimizer.name = optimizer.Get("name").As<Napi::String>().Utf8Value();
  ReadSettings(optimizer, config.optimizer, "name");
  return config;
}

class NativeNetwork : public Napi::ObjectWrap<NativeNetwork> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("NativeNetwork",
                DefineClass(env, "NativeNetwork",
                            {InstanceMethod("setWeights", &NativeNetwork::SetWeights), InstanceMethod("getWeights", &NativeNetwork::GetWeights),
                             InstanceMethod("trainBatches", &NativeNetwork::TrainBatches), InstanceMethod("evaluate", &NativeNetwork::Evaluate),
                             InstanceMethod("predict", &NativeNetwork::Predict), InstanceMethod("assess", &NativeNetwork::Assess), InstanceMethod("gradients", &NativeNetwork::Gradients), InstanceMethod("setLearningRate", &NativeNetwork::SetLearningRate),
                             InstanceMethod("getOptimizerState", &NativeNetwork::GetOptimizerState),
                             InstanceMethod("setOptimizerState", &NativeNetwork::SetOptimizerState),
                             InstanceMethod("trainingProfile", &NativeNetwork::TrainingProfileOf),
                             InstanceMethod("sparseRows", &NativeNetwork::SparseRowsOf),
                             InstanceMethod("dispose", &NativeNetwork::Dispose)}));
  }

  // new NativeNetwork({ input: {height, width, channels} or {features}, classes, layers: [{ type, index, ...settings }], optimizer, seed })
  explicit NativeNetwork(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeNetwork>(info) {
    try {
      network_ = std::make_unique<Network>(ReadConfig(info[0].As<Napi::Object>()));
    } catch (const std::exception& error) {
      throw Napi::Error::New(info.Env(), error.what());
    }
  }

 private:
  // Frees the buffers and the helper thread now rather than whenever the garbage collector gets to it.
  void Dispose(const Napi::CallbackInfo&) { network_.reset(); }

  Network& Live(const Napi::Env& env) {
    if (!network_) throw Napi::Error::New(env, "native engine: the network was disposed");
    return *network_;
  }

  // Checks what the loops index, so that a caller's mistake is a JavaScript error, not a crash: labels are a
  // Uint8Array of class indices (classification) or a Float32Array of standardised targets (regression), inputs
  // a typed array of count × size values or a set's non-zero inputs (sparseRows).
  int64_t CheckedCount(const Napi::Env& env, const Napi::Value& inputs, const Napi::Value& labels) {
    Live(env);
    const napi_typedarray_type wanted = network_->regression() ? napi_float32_array : napi_uint8_array;
    if (!inputs.IsObject() || !labels.IsTypedArray() || labels.As<Napi::TypedArray>().TypedArrayType() != wanted)
      throw Napi::TypeError::New(env, std::string("native engine: inputs must be a Uint8Array, a Float32Array or sparse rows, labels a ") +
                                          (network_->regression() ? "Float32Array of targets" : "Uint8Array of classes"));
    const size_t count = labels.As<Napi::TypedArray>().ElementLength();
    const size_t size = static_cast<size_t>(network_->input().size());
    if (inputs.IsTypedArray()) CheckDense(env, inputs.As<Napi::TypedArray>(), count, size);
    else CheckSparse(env, inputs.As<Napi::Object>(), count, size);
    if (network_->regression()) return static_cast<int64_t>(count);
    const uint8_t* label = labels.As<Napi::Uint8Array>().Data();
    for (size_t k = 0; k < count; ++k)
      if (label[k] >= network_->classes())
        throw Napi::RangeError::New(env, "native engine: label " + std::to_string(label[k]) + " at index " + std::to_string(k) +
                                             " is not below the class count " + std::to_string(network_->classes()));
    return static_cast<int64_t>(count);
  }
  static void CheckDense(const Napi::Env& env, const Napi::TypedArray& inputs, size_t count, size_t size) {
    const napi_typedarray_type type = inputs.TypedArrayType();
    if (type != napi_uint8_array && type != napi_float32_array) throw Napi::TypeError::New(env, "native engine: inputs must be a Uint8Array or Float32Array");
    if (inputs.ElementLength() != count * size)
      throw Napi::RangeError::New(env, "native engine: inputs hold " + std::to_string(inputs.ElementLength()) + " values, expected " + std::to_string(count) +
                                           " labels × " + std::to_string(size) + " inputs");
  }
  // Sparse rows as sparseRows() makes them: a row start per example and one more, increasing; indexes below the size.
  void CheckSparse(const Napi::Env& env, const Napi::Object& inputs, size_t count, size_t size) {
    if (!network_->TakesSparseRows()) throw Napi::TypeError::New(env, "native engine: a colour image's inputs cannot be given as sparse rows");
    const Napi::Value rowStart = inputs.Get("rowStart"), index = inputs.Get("index"), values = inputs.Get("values");
    const auto is = [](const Napi::Value& value, napi_typedarray_type type) { return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == type; };
    if (!is(rowStart, napi_uint32_array) || !is(index, napi_uint32_array) || !is(values, napi_float32_array))
      throw Napi::TypeError::New(env, "native engine: sparse rows are { rowStart: Uint32Array, index: Uint32Array, values: Float32Array }");
    const Napi::Uint32Array starts = rowStart.As<Napi::Uint32Array>(), indexes = index.As<Napi::Uint32Array>();
    const size_t entries = indexes.ElementLength();
    bool valid = starts.ElementLength() == count + 1 && values.As<Napi::Float32Array>().ElementLength() == entries && starts[0] == 0 && starts[count] == entries;
    for (size_t r = 0; valid && r < count; ++r) valid = starts[r] <= starts[r + 1];
    for (size_t k = 0; valid && k < entries; ++k) valid = indexes[k] < size;
    if (!valid) throw Napi::RangeError::New(env, "native engine: sparse rows do not match " + std::to_string(count) + " labels × " + std::to_string(size) + " inputs");
  }
  static Targets TargetsOf(const Napi::Value& value) {
    Targets targets;
    if (value.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) targets.values = value.As<Napi::Float32Array>().Data();
    else targets.classes = value.As<Napi::Uint8Array>().Data();
    return targets;
  }
  static Inputs InputsOf(const Napi::Value& value) {
    Inputs inputs;
    if (!value.IsTypedArray()) {
      const Napi::Object rows = value.As<Napi::Object>();
      inputs.sparse = SparseRows{rows.Get("rowStart").As<Napi::Uint32Array>().Data(), rows.Get("index").As<Napi::Uint32Array>().Data(),
                                 rows.Get("values").As<Napi::Float32Array>().Data()};
    } else if (value.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
      inputs.floats = value.As<Napi::Float32Array>().Data();
    } else {
      inputs.bytes = value.As<Napi::Uint8Array>().Data();
    }
    return inputs;
  }

  // sparseRows(inputs: Float32Array) -> { rowStart, index, values } (see SparseRows), which every pass takes in
  // place of the inputs, where the first layer reads them and fewer than 1 in kSparseSetShare inputs are not
  // zero (a bag of words); otherwise undefined. Made once per set: each batch is then read, not searched.
  // Given rows that are sparse already (a set read so from the dataset file), checks them and answers them
  // where they fit the same rule, or where the first layer reads dense inputs (token ids: each batch's rows are
  // then written out whole), so that the set's dense rows need never be made.
  Napi::Value SparseRowsOf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Network& network = Live(env);
    if (info[0].IsObject() && !info[0].IsTypedArray()) return SparseRowsKept(env, info[0].As<Napi::Object>());
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "native engine: sparseRows takes a Float32Array");
    const Napi::Float32Array inputs = info[0].As<Napi::Float32Array>();
    const size_t length = inputs.ElementLength(), size = static_cast<size_t>(network.input().size());
    if (!network.ReadsSparseRows() || length % size != 0) return env.Undefined();
    const float* x = inputs.Data();
    size_t found = 0;
    for (size_t i = 0; i < length; ++i) found += x[i] != 0.0f;
    if (found * kSparseSetShare >= length || found > UINT32_MAX) return env.Undefined();
    const size_t count = length / size;
    Napi::Uint32Array rowStart = Napi::Uint32Array::New(env, count + 1), index = Napi::Uint32Array::New(env, found);
    Napi::Float32Array values = Napi::Float32Array::New(env, found);
    uint32_t *starts = rowStart.Data(), *indexes = index.Data(), k = 0;
    float* kept = values.Data();
    for (size_t r = 0; r < count; ++r) {
      starts[r] = k;
      const float* row = x + r * size;
      for (size_t i = 0; i < size; ++i)
        if (row[i] != 0.0f) {
          indexes[k] = static_cast<uint32_t>(i);
          kept[k++] = row[i];
        }
    }
    starts[count] = k;
    Napi::Object rows = Napi::Object::New(env);
    rows.Set("rowStart", rowStart);
    rows.Set("index", index);
    rows.Set("values", values);
    return rows;
  }
  static constexpr size_t kSparseSetShare = 20;
  Napi::Value SparseRowsKept(const Napi::Env& env, const Napi::Object& rows) {
    if (!network_->TakesSparseRows()) return env.Undefined();
    const Napi::Value rowStart = rows.Get("rowStart");
    if (!rowStart.IsTypedArray() || rowStart.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array || rowStart.As<Napi::TypedArray>().ElementLength() == 0)
      throw Napi::TypeError::New(env, "native engine: sparse rows are { rowStart: Uint32Array, index: Uint32Array, values: Float32Array }");
    const size_t count = rowStart.As<Napi::TypedArray>().ElementLength() - 1, size = static_cast<size_t>(network_->input().size());
    CheckSparse(env, rows, count, size);
    if (!network_->ReadsSparseRows()) return rows;
    const size_t entries = rows.Get("index").As<Napi::TypedArray>().ElementLength();
    return entries * kSparseSetShare >= count * size ? env.Undefined() : Napi::Value(rows);
  }

  static Napi::Value Pair(Napi::Env env, const Score& score) {
    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(0u, Napi::Number::New(env, score.lossSum));
    result.Set(1u, Napi::Number::New(env, static_cast<double>(score.correct)));
    return result;
  }

  // trainBatches(inputs, labels, order, start, end, batchSize) -> [lossSum, correct]
  Napi::Value TrainBatches(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedCount(info.Env(), info[0], info[1]);
    if (!info[2].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "native engine: order must be a Uint32Array");
    Napi::Uint32Array order = info[2].As<Napi::Uint32Array>();
    const int64_t start = info[3].As<Napi::Number>().Int64Value();
    const int64_t end = info[4].As<Napi::Number>().Int64Value();
    const int batchSize = info[5].As<Napi::Number>().Int32Value();
    if (batchSize < 1 || start < 0 || start > end || end > static_cast<int64_t>(order.ElementLength()))
      throw Napi::RangeError::New(info.Env(), "native engine: need 0 <= start <= end <= order.length and batchSize >= 1");
    const uint32_t* indexes = order.Data();
    for (int64_t k = start; k < end; ++k)
      if (indexes[k] >= count) throw Napi::RangeError::New(info.Env(), "native engine: order holds an index past the last image");
    return Guarded(info.Env(), [&] { return Pair(info.Env(), network_->TrainBatches(InputsOf(info[0]), TargetsOf(info[1]), order.Data(), start, end, batchSize)); });
  }

  // An allocation that fails (a model or batch too large for this machine) is a JavaScript error that says
  // so, never an abort that leaves the run `running` with its lock.
  template <typename Work>
  static auto Guarded(Napi::Env env, Work work) -> decltype(work()) {
    try {
      return work();
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "native engine: out of memory");
    } catch (const std::length_error&) {
      throw Napi::Error::New(env, "native engine: out of memory");
    }
  }

  // trainingProfile() -> { layers: [{ kind, index, forwardSeconds, backwardSeconds, inputGradient }], optimizerSeconds, samples }
  Napi::Value TrainingProfileOf(const Napi::CallbackInfo& info) {
    const TrainingProfile profile = Live(info.Env()).Profile();
    Napi::Env env = info.Env();
    Napi::Array layers = Napi::Array::New(env, profile.layers.size());
    for (size_t l = 0; l < profile.layers.size(); ++l) {
      Napi::Object layer = Napi::Object::New(env);
      layer.Set("kind", profile.layers[l].kind);
      layer.Set("index", profile.layers[l].index);
      layer.Set("forwardSeconds", profile.layers[l].forwardSeconds);
      layer.Set("backwardSeconds", profile.layers[l].backwardSeconds);
      layer.Set("inputGradient", profile.layers[l].inputGradient);
      layers.Set(static_cast<uint32_t>(l), layer);
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("layers", layers);
    result.Set("optimizerSeconds", profile.optimizerSeconds);
    result.Set("samples", static_cast<double>(profile.samples));
    return result;
  }

  // evaluate(inputs, labels) -> [lossSum, correct]
  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedCount(info.Env(), info[0], info[1]);
    return Guarded(info.Env(), [&] { return Pair(info.Env(), network_->Evaluate(InputsOf(info[0]), TargetsOf(info[1]), count, nullptr)); });
  }

  // predict(inputs, labels) -> Float32Array of count × classes softmax probabilities (regression: count outputs)
  Napi::Value Predict(const Napi::CallbackInfo& info) { return PassWithOutputs(info).second; }

  // assess(inputs, labels) -> [lossSum, correct, Float32Array of predict's outputs]: both from one pass
  Napi::Value Assess(const Napi::CallbackInfo& info) {
    const auto [score, outputs] = PassWithOutputs(info);
    Napi::Array result = Pair(info.Env(), score).As<Napi::Array>();
    result.Set(2u, outputs);
    return result;
  }

  // One evaluation pass over (inputs, labels): the score, and every example's outputs in a new array.
  std::pair<Score, Napi::Float32Array> PassWithOutputs(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedCount(info.Env(), info[0], info[1]);
    Napi::Float32Array outputs = Napi::Float32Array::New(info.Env(), static_cast<size_t>(count) * network_->classes());
    const Score score = Guarded(info.Env(), [&] { return network_->Evaluate(InputsOf(info[0]), TargetsOf(info[1]), count, outputs.Data()); });
    return {score, outputs};
  }

  // gradients(inputs, labels) -> { lossSum, gradients: Float32Array[] } in the layout of getWeights()
  Napi::Value Gradients(const Napi::CallbackInfo& info) {
    const int64_t count = CheckedCount(info.Env(), info[0], info[1]);
    if (count < 1 || count > 4096) throw Napi::RangeError::New(info.Env(), "native engine: gradients take 1 to 4096 examples");
    const Score score = network_->Gradients(InputsOf(info[0]), TargetsOf(info[1]), count);
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("lossSum", score.lossSum);
    result.Set("gradients", ExportedWeights(info.Env(), Napi::Value(), true));
    return result;
  }

  void SetLearningRate(const Napi::CallbackInfo& info) { Live(info.Env()).SetLearningRate(info[0].As<Napi::Number>().FloatValue()); }

  static Napi::Float32Array ToArray(Napi::Env env, const std::vector<float>& values) {
    Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
    std::copy(values.begin(), values.end(), array.Data());
    return array;
  }

  // The weights (or gradients), layer by layer in tfjs' order and layout, written straight into Float32Arrays:
  // `reuse`'s when given (a kept copy overwritten, no new memory), else new ones.
  Napi::Array ExportedWeights(Napi::Env env, Napi::Value reuse, bool gradients) {
    const std::vector<long> sizes = Live(env).WeightSizes();
    const bool reusing = !reuse.IsUndefined() && !reuse.IsEmpty();
    Napi::Array out = reusing ? CheckedWeightArrays(env, reuse, sizes) : Napi::Array::New(env, sizes.size());
    std::vector<float*> targets;
    for (uint32_t k = 0; k < sizes.size(); ++k) {
      if (!reusing) out.Set(k, Napi::Float32Array::New(env, static_cast<size_t>(sizes[k])));
      targets.push_back(out.Get(k).As<Napi::Float32Array>().Data());
    }
    network_->ExportWeights(targets, gradients);
    return out;
  }

  // `value` as the model's weight arrays: an array of Float32Arrays, one per weight, each of its size.
  static Napi::Array CheckedWeightArrays(Napi::Env env, Napi::Value value, const std::vector<long>& sizes) {
    if (!value.IsArray()) throw Napi::TypeError::New(env, "native engine: weights must be an array of Float32Arrays");
    Napi::Array in = value.As<Napi::Array>();
    if (in.Length() != sizes.size())
      throw Napi::Error::New(env, "native engine: " + std::to_string(in.Length()) + " weight arrays given, the model has " + std::to_string(sizes.size()));
    for (uint32_t k = 0; k < in.Length(); ++k) {
      Napi::Value item = in.Get(k);
      if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "native engine: weight array " + std::to_string(k) + " is not a Float32Array");
      const size_t length = item.As<Napi::Float32Array>().ElementLength();
      if (static_cast<long>(length) != sizes[k])
        throw Napi::Error::New(env, "native engine: weight array " + std::to_string(k) + " has " + std::to_string(length) + " values, expected " + std::to_string(sizes[k]));
    }
    return in;
  }

  // getWeights(reuse?) -> Float32Array[]: `reuse` overwritten and returned when given.
  Napi::Value GetWeights(const Napi::CallbackInfo& info) { return ExportedWeights(info.Env(), info[0], false); }
  void SetWeights(const Napi::CallbackInfo& info) {
    Napi::Array in = CheckedWeightArrays(info.Env(), info[0], Live(info.Env()).WeightSizes());
    std::vector<const float*> weights;
    for (uint32_t k = 0; k < in.Length(); ++k) weights.push_back(in.Get(k).As<Napi::Float32Array>().Data());
    network_->SetWeights(weights);
  }

  // { step, tensors: [{ name, values }] }
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info) {
    Live(info.Env());
    Napi::Object state = Napi::Object::New(info.Env());
    state.Set("step", network_->step());
    const auto slots = network_->OptimizerSlots();
    Napi::Array tensors = Napi::Array::New(info.Env(), slots.size());
    for (size_t k = 0; k < slots.size(); ++k) {
      Napi::Object tensor = Napi::Object::New(info.Env());
      tensor.Set("name", slots[k].name);
      tensor.Set("values", ToArray(info.Env(), slots[k].values));
      tensors.Set(static_cast<uint32_t>(k), tensor);
    }
    state.Set("tensors", tensors);
    return state;
  }
  void SetOptimizerState(const Napi::CallbackInfo& info) {
    Live(info.Env());
    Napi::Object state = info[0].As<Napi::Object>();
    Napi::Array tensors = state.Get("tensors").As<Napi::Array>();
    std::vector<NamedArray> slots;
    for (uint32_t k = 0; k < tensors.Length(); ++k) {
      Napi::Object tensor = tensors.Get(k).As<Napi::Object>();
      Napi::Float32Array values = tensor.Get("values").As<Napi::Float32Array>();
      slots.push_back({tensor.Get("name").As<Napi::String>().Utf8Value(), std::vector<float>(values.Data(), values.Data() + values.ElementLength())});
    }
    try {
      network_->RestoreOptimizer(state.Get("step").As<Napi::Number>().DoubleValue(), slots);
    } catch (const std::exception& error) {
      throw Napi::Error::New(info.Env(), error.what());
    }
  }

  std::unique_ptr<Network> network_;
};

// The arguments of transformImages, checked: a caller's mistake is a JavaScript error, not a crash.
struct TransformArguments {
  Napi::Uint8Array source, target;
  Napi::Float64Array parameters;
  int height = 0, width = 0, channels = 0;
  int64_t count = 0;
};

TransformArguments CheckedTransform(const Napi::CallbackInfo& info, const char* name) {
  const Napi::Env env = info.Env();
  const std::string call = std::string(name) + "(source, target, [height, width, channels], parameters)";
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsArray() || !info[3].IsTypedArray()) throw Napi::TypeError::New(env, call);
  if (info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, std::string(name) + ": source and target must be Uint8Arrays, parameters a Float64Array");
  TransformArguments arguments;
  Napi::Array shape = info[2].As<Napi::Array>();
  arguments.height = shape.Get(0u).As<Napi::Number>().Int32Value();
  arguments.width = shape.Get(1u).As<Napi::Number>().Int32Value();
  arguments.channels = shape.Get(2u).As<Napi::Number>().Int32Value();
  arguments.source = info[0].As<Napi::Uint8Array>();
  arguments.target = info[1].As<Napi::Uint8Array>();
  arguments.parameters = info[3].As<Napi::Float64Array>();
  const size_t count = arguments.parameters.ElementLength() / kAugmentParameters;
  const size_t size = static_cast<size_t>(arguments.height) * arguments.width * arguments.channels;
  if (arguments.height < 1 || arguments.width < 1 || arguments.channels < 1 || arguments.source.ElementLength() != count * size ||
      arguments.target.ElementLength() != count * size || arguments.parameters.ElementLength() != count * kAugmentParameters ||
      arguments.source.Data() == arguments.target.Data())
    throw Napi::RangeError::New(env, std::string(name) + ": the sizes of source, target and parameters do not match the shape");
  arguments.count = static_cast<int64_t>(count);
  return arguments;
}

// transformImages(source: Uint8Array, target: Uint8Array, [height, width, channels], parameters: Float64Array)
void TransformImagesBinding(const Napi::CallbackInfo& info) {
  TransformArguments a = CheckedTransform(info, "transformImages");
  TransformImages(a.source.Data(), a.target.Data(), a.count, a.height, a.width, a.channels, a.parameters.Data(), 2);
}

// The same on a worker thread, resolving a Promise: the next epoch's images are made while this one trains.
// The arrays are held (persistent references) until it is done.
class TransformWorker : public Napi::AsyncWorker {
 public:
  TransformWorker(Napi::Env env, TransformArguments arguments)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), arguments_(arguments) {
    for (const Napi::Value& held : {Napi::Value(arguments.source), Napi::Value(arguments.target), Napi::Value(arguments.parameters)})
      held_.push_back(Napi::Persistent(held.As<Napi::Object>()));
    source_ = arguments.source.Data();
    target_ = arguments.target.Data();
    parameters_ = arguments.parameters.Data();
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    TransformImages(source_, target_, arguments_.count, arguments_.height, arguments_.width, arguments_.channels, parameters_, 1);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  TransformArguments arguments_;
  std::vector<Napi::ObjectReference> held_;
  const uint8_t* source_;
  uint8_t* target_;
  const double* parameters_;
};

// transformImagesInBackground(source, target, [height, width, channels], parameters) -> Promise<void>
Napi::Value TransformImagesInBackground(const Napi::CallbackInfo& info) {
  auto* worker = new TransformWorker(info.Env(), CheckedTransform(info, "transformImagesInBackground"));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// keepFreedMemory() -> bytes of heap advised for huge pages (memory.cc); the CLI's first step.
Napi::Value KeepFreedMemoryBinding(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(KeepFreedMemory()));
}

// exitAtOnce(code): ends the process with `code` without tearing down what the system frees anyway: Node's
// exit disposes both V8 heaps (the chart thread's too), some 0.1 s of unmapping after a one-second run.
// The CLI calls it once its work is written and stdout and stderr have taken their output (exitAfterWork waits
// for them: a pipe takes a large write only as its reader reads).
Napi::Value ExitAtOnce(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "exitAtOnce(code): expected an exit code");
  std::_Exit(info[0].As<Napi::Number>().Int32Value());
}

}  // namespace
}  // namespace specml

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("keepFreedMemory", Napi::Function::New(env, specml::KeepFreedMemoryBinding));
  specml::NativeNetwork::Init(env, exports);
  exports.Set("capabilities", Napi::Function::New(env, specml::Capabilities));
  exports.Set("transformImages", Napi::Function::New(env, specml::TransformImagesBinding));
  exports.Set("transformImagesInBackground", Napi::Function::New(env, specml::TransformImagesInBackground));
  exports.Set("exitAtOnce", Napi::Function::New(env, specml::ExitAtOnce));
  return exports;
}

NODE_API_MODULE(specml_native, InitAddon)
