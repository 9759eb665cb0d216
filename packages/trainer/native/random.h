// Counter-based randomness: a value is a hash of its coordinates, so streams need no state and give the
// same numbers however work is split or resumed.
#pragma once

#include <cstdint>

namespace specml {

// SplitMix64's finaliser: a bijective mix with good avalanche.
inline uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t MixKey(uint64_t a, uint64_t b, uint64_t c) { return Mix(Mix(Mix(a) ^ b) ^ c) << 20; }

// The top 24 bits as a float in [0, 1).
inline float UnitFloat(uint64_t bits) { return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f); }

}  // namespace specml
