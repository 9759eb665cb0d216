#include "layer.h"

#include <algorithm>

namespace specml {

std::map<std::string, LayerFactory>& LayerRegistry() {
  static std::map<std::string, LayerFactory> registry;
  return registry;
}

double LayerArgs::Number(const std::string& key) const {
  auto found = numbers.find(key);
  if (found == numbers.end()) Fail("needs " + key);
  return found->second;
}
double LayerArgs::Number(const std::string& key, double fallback) const {
  auto found = numbers.find(key);
  return found == numbers.end() ? fallback : found->second;
}
std::string LayerArgs::Text(const std::string& key, const std::string& fallback) const {
  auto found = texts.find(key);
  return found == texts.end() ? fallback : found->second;
}
void LayerArgs::Fail(const std::string& message) const {
  throw std::invalid_argument("model.layers[" + std::to_string(index) + "] (" + kind + ") " + message);
}

std::vector<long> Layer::WeightSizes() {
  std::vector<long> sizes;
  for (Param* param : Params()) sizes.push_back(static_cast<long>(param->value.size()));
  return sizes;
}
void Layer::ImportWeight(size_t k, const float* values) {
  Param* param = Params().at(k);
  std::copy(values, values + param->value.size(), param->value.begin());
}
void Layer::ExportWeight(size_t k, float* values, bool gradient) {
  const Param* param = Params().at(k);
  const std::vector<float>& source = gradient ? param->grad[0] : param->value;
  std::copy(source.begin(), source.end(), values);
}

}  // namespace specml
