#include <map>

#include "activation.h"

namespace specml {
namespace {

// Function-local, so that it exists before any file's registration runs.
std::map<std::string, ActivationKind>& Activations() {
  static std::map<std::string, ActivationKind> activations;
  return activations;
}

}  // namespace

RegisterActivation::RegisterActivation(const char* name, ActivationKind kind) { Activations()[name] = kind; }

const ActivationKind& ParseActivation(const LayerArgs& args) {
  const std::string name = args.Text("activation", "linear");
  auto found = Activations().find(name);
  if (found == Activations().end()) args.Fail("has activation " + name + ", which the native engine does not know");
  return found->second;
}

std::vector<std::string> ActivationNames() {
  std::vector<std::string> names;
  for (const auto& entry : Activations()) names.push_back(entry.first);
  return names;
}

}  // namespace specml
