#include "gemm.h"

#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <type_traits>

namespace specml {
namespace {

constexpr int kLanes = 16;
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));
typedef int Lanes __attribute__((vector_size(kLanes * sizeof(int))));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // an unaligned load
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline void StorePartial(float* p, Vec v, int n) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512>(v));
#else
  std::memcpy(p, &v, n * sizeof(float));
#endif
}
// The first n < 16 floats at p, the other lanes zero, without reading past p + n.
inline Vec LoadPartial(const float* p, int n) {
#if defined(__AVX512F__)
  return reinterpret_cast<Vec>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
#else
  Vec v{};
  std::memcpy(&v, p, n * sizeof(float));
  return v;
#endif
}
inline Vec Splat(float x) { return Vec{} + x; }
inline float Sum(Vec v) {
  float total = 0;
  for (int k = 0; k < kLanes; ++k) total += v[k];
  return total;
}

template <typename... Index>
inline Vec Shuffle(Vec a, Vec b, Index... index) {
#if defined(__clang__)
  return __builtin_shufflevector(a, b, index...);
#else
  return __builtin_shuffle(a, b, Lanes{index...});
#endif
}

// Sixteen vectors in, one vector of their sixteen horizontal sums out (lane k = Σ v[k]), by pairwise
// halving: 15 shuffle pairs instead of 16 scalar reductions.
inline Vec SumsOf16(const Vec (&v)[16]) {
  Vec eights[8], fours[4], twos[2];
  for (int k = 0; k < 8; ++k)
    eights[k] = Shuffle(v[2 * k], v[2 * k + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
                Shuffle(v[2 * k], v[2 * k + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  for (int k = 0; k < 4; ++k)
    fours[k] = Shuffle(eights[2 * k], eights[2 * k + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
               Shuffle(eights[2 * k], eights[2 * k + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  for (int k = 0; k < 2; ++k)
    twos[k] = Shuffle(fours[2 * k], fours[2 * k + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
              Shuffle(fours[2 * k], fours[2 * k + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  return Shuffle(twos[0], twos[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
         Shuffle(twos[0], twos[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

// A block of Rows × (Vectors·16) of C, held in registers while k runs over all of K.
template <int Rows, int Vectors>
inline void BroadcastBlock(int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec acc[Rows][Vectors];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v) acc[r][v] = accumulate ? Load(C + r * ldc + v * kLanes) : Vec{};
  for (int k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    Vec bv[Vectors];
    for (int v = 0; v < Vectors; ++v) bv[v] = Load(b + v * kLanes);
    for (int r = 0; r < Rows; ++r) {
      const Vec a = Splat(A[r * aRow + k * aCol]);
      for (int v = 0; v < Vectors; ++v) acc[r][v] += a * bv[v];
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v) Store(C + r * ldc + v * kLanes, acc[r][v]);
}

// The last N % 16 columns, as zero-padded vectors.
template <int Rows>
void BroadcastTail(int width, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec acc[Rows];
  for (int r = 0; r < Rows; ++r) acc[r] = accumulate ? LoadPartial(C + r * ldc, width) : Vec{};
  for (int k = 0; k < K; ++k) {
    const Vec b = LoadPartial(B + k * ldb, width);
    for (int r = 0; r < Rows; ++r) acc[r] += Splat(A[r * aRow + k * aCol]) * b;
  }
  for (int r = 0; r < Rows; ++r) StorePartial(C + r * ldc, acc[r], width);
}

// How many 16-float vectors of C one block holds per row: with AVX-512's 32 registers, 4 (six rows × four =
// 24 accumulators); with AVX2's 16 half-size registers a 16-float vector takes two, so one per row (six rows:
// 12 registers, plus B's and A's), else the accumulators spill to memory (measured: LeNet-5 at 5 GFLOP/s on
// an AVX2-only EPYC). Each C element still sums over k in order, so the blocking never changes a result.
#if defined(__AVX512F__)
constexpr int kBlockVectors = 4;
#else
constexpr int kBlockVectors = 1;
#endif

template <int Rows>
void BroadcastRows(int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  int j = 0;
  if constexpr (kBlockVectors >= 4) {
    for (; j + 4 * kLanes <= N; j += 4 * kLanes) BroadcastBlock<Rows, 4>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
    if (j + 2 * kLanes <= N) {
      BroadcastBlock<Rows, 2>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
      j += 2 * kLanes;
    }
  } else {
    for (; j + kLanes <= N; j += kLanes) BroadcastBlock<Rows, 1>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
  }
  if (j + kLanes <= N) {
    BroadcastBlock<Rows, 1>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
    j += kLanes;
  }
  if (j < N) BroadcastTail<Rows>(N - j, K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
}

struct Segments {
  int count;
  long a, b;
};

// Rows × Columns dot products, each over every segment; reduced with SumsOf16 when the block is 4 × 4.
template <int Rows, int Columns>
inline void DotBlock(int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate, Segments segments) {
  Vec acc[Rows * Columns] = {};
  const int vectorEnd = K - K % kLanes;
  for (int s = 0; s < segments.count; ++s) {
    const float* a0 = A + s * segments.a;
    const float* b0 = B + s * segments.b;
    for (int k = 0; k < vectorEnd; k += kLanes) {
      Vec a[Rows];
      for (int r = 0; r < Rows; ++r) a[r] = Load(a0 + r * lda + k);
      for (int c = 0; c < Columns; ++c) {
        const Vec b = Load(b0 + c * ldb + k);
        for (int r = 0; r < Rows; ++r) acc[r * Columns + c] += a[r] * b;
      }
    }
    if (vectorEnd < K) {  // the last K % 16 values as zero-padded vectors
      Vec a[Rows];
      for (int r = 0; r < Rows; ++r) a[r] = LoadPartial(a0 + r * lda + vectorEnd, K - vectorEnd);
      for (int c = 0; c < Columns; ++c) {
        const Vec b = LoadPartial(b0 + c * ldb + vectorEnd, K - vectorEnd);
        for (int r = 0; r < Rows; ++r) acc[r * Columns + c] += a[r] * b;
      }
    }
  }
  float sums[Rows * Columns];
  if constexpr (Rows * Columns == 16) {
    Store(sums, SumsOf16(acc));
  } else {
    for (int k = 0; k < Rows * Columns; ++k) sums[k] = Sum(acc[k]);
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Columns; ++c) {
      const float total = sums[r * Columns + c];
      C[r * ldc + c] = accumulate ? C[r * ldc + c] + total : total;
    }
}

template <int Rows>
void DotRows(int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate, Segments segments) {
  int j = 0;
  for (; j + 4 <= N; j += 4) DotBlock<Rows, 4>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate, segments);
  for (; j < N; ++j) DotBlock<Rows, 1>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate, segments);
}

}  // namespace

void GemmBroadcastA(int M, int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc,
                    bool accumulate) {
  // Six rows by 64 columns (24 accumulators) where M allows: each B vector loaded serves six FMAs.
  int i = 0;
  for (; i + 6 <= M; i += 6) BroadcastRows<6>(N, K, A + i * aRow, aRow, aCol, B, ldb, C + i * ldc, ldc, accumulate);
  const auto rows = [&](auto count) {
    constexpr int kRows = decltype(count)::value;
    BroadcastRows<kRows>(N, K, A + i * aRow, aRow, aCol, B, ldb, C + i * ldc, ldc, accumulate);
  };
  switch (M - i) {
    case 5: rows(std::integral_constant<int, 5>{}); break;
    case 4: rows(std::integral_constant<int, 4>{}); break;
    case 3: rows(std::integral_constant<int, 3>{}); break;
    case 2: rows(std::integral_constant<int, 2>{}); break;
    case 1: rows(std::integral_constant<int, 1>{}); break;
    default: break;
  }
}

void GemmDot(int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate, int segments,
             long aSegment, long bSegment) {
  const Segments blocks{segments, aSegment, bSegment};
  int i = 0;
  for (; i + 4 <= M; i += 4) DotRows<4>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate, blocks);
  for (; i < M; ++i) DotRows<1>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate, blocks);
}

}  // namespace specml
