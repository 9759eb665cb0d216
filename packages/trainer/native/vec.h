// One hardware register of floats, as GCC/Clang vector extensions under -march=native: the matrix product
// (gemm.cc) and the embedding's pooling (layers/embedding.cc) hold their sums in these.
#pragma once

#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace specml {

// One hardware register of floats: 16 with AVX-512, 8 with AVX2. A wider vector than the hardware's is
// two registers that GCC spills to the stack (LeNet-5 ran at 10 GFLOP/s on an AVX2-only EPYC with
// 16-float vectors); the width never changes a result (see gemm.cc's broadcast and dot forms).
#if defined(__AVX512F__)
constexpr int kWidth = 16;
#else
constexpr int kWidth = 8;
#endif
typedef float Vec __attribute__((vector_size(kWidth * sizeof(float))));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline Vec LoadPartial(const float* p, int n) {
#if defined(__AVX512F__)
  return reinterpret_cast<Vec>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
#else
  Vec v{};
  std::memcpy(&v, p, n * sizeof(float));
  return v;
#endif
}
inline void StorePartial(float* p, Vec v, int n) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512>(v));
#else
  std::memcpy(p, &v, n * sizeof(float));
#endif
}
// A lane-by-lane comparison's result (all bits set where true), and what a vector `?:` selects by.
typedef int VecMask __attribute__((vector_size(kWidth * sizeof(int))));

}  // namespace specml
