#include "gemm.h"

#include <cstring>
#include <type_traits>

#include "vec.h"

namespace specml {
namespace {

// A block of Rows × (Vectors·kWidth) of C, held in registers while k runs over all of K: each C element
// sums its products over k in order, in one lane, whatever the width or the block.
template <int Rows, int Vectors>
inline void BroadcastBlock(int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec acc[Rows][Vectors];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v) acc[r][v] = accumulate ? Load(C + r * ldc + v * kWidth) : Vec{};
  for (int k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    Vec bv[Vectors];
    for (int v = 0; v < Vectors; ++v) bv[v] = Load(b + v * kWidth);
    for (int r = 0; r < Rows; ++r) {
      const Vec a = Vec{} + A[r * aRow + k * aCol];
      for (int v = 0; v < Vectors; ++v) acc[r][v] += a * bv[v];
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v) Store(C + r * ldc + v * kWidth, acc[r][v]);
}

// The last N % kWidth columns, as zero-padded vectors.
template <int Rows>
void BroadcastTail(int width, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec acc[Rows];
  for (int r = 0; r < Rows; ++r) acc[r] = accumulate ? LoadPartial(C + r * ldc, width) : Vec{};
  for (int k = 0; k < K; ++k) {
    const Vec b = LoadPartial(B + k * ldb, width);
    for (int r = 0; r < Rows; ++r) acc[r] += (Vec{} + A[r * aRow + k * aCol]) * b;
  }
  for (int r = 0; r < Rows; ++r) StorePartial(C + r * ldc, acc[r], width);
}

// How many vectors of C one block holds per row: six rows × four with AVX-512's 32 registers (24
// accumulators), six rows × two with AVX2's 16 (12 accumulators, BLIS's Haswell kernel shape), so that
// each B vector loaded serves six FMAs and nothing spills.
#if defined(__AVX512F__)
constexpr int kBlockVectors = 4;
#else
constexpr int kBlockVectors = 2;
#endif

template <int Rows>
void BroadcastRows(int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  int j = 0;
  for (; j + kBlockVectors * kWidth <= N; j += kBlockVectors * kWidth)
    BroadcastBlock<Rows, kBlockVectors>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
  if constexpr (kBlockVectors >= 4) {
    if (j + 2 * kWidth <= N) {
      BroadcastBlock<Rows, 2>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
      j += 2 * kWidth;
    }
  }
  if (j + kWidth <= N) {
    BroadcastBlock<Rows, 1>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
    j += kWidth;
  }
  if (j < N) BroadcastTail<Rows>(N - j, K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
}

struct Segments {
  int count;
  long a, b;
};

// The dot form sums each element's products in 16 lanes (lane j takes k ≡ j mod 16), then adds the lanes by
// pairwise halving. Both are fixed whatever the hardware or the block shape, so every element's result is
// too: AVX-512 holds the 16 lanes in one register, AVX2 in two.
constexpr int kLanes = 16;
constexpr int kParts = kLanes / kWidth;

inline float PairwiseSum(const float (&lanes)[kLanes]) {
  float halves[8], quarters[4];
  for (int j = 0; j < 8; ++j) halves[j] = lanes[j] + lanes[j + 8];
  for (int j = 0; j < 4; ++j) quarters[j] = halves[j] + halves[j + 4];
  return (quarters[0] + quarters[2]) + (quarters[1] + quarters[3]);
}

// Part q of the 16 lanes at p, of which only the first n are K's (the rest zero, nothing read past them).
inline Vec LoadPart(const float* p, int q, int n) {
  const int count = n - q * kWidth;
  return count >= kWidth ? Load(p + q * kWidth) : count > 0 ? LoadPartial(p + q * kWidth, count) : Vec{};
}

// Rows × Columns dot products, each over every segment, accumulated in kParts registers per element.
template <int Rows, int Columns>
inline void DotBlock(int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate, Segments segments) {
  Vec acc[Rows * Columns][kParts] = {};
  const auto step = [&](const float* a0, const float* b0, int n) {
    Vec a[Rows][kParts];
    for (int r = 0; r < Rows; ++r)
      for (int q = 0; q < kParts; ++q) a[r][q] = LoadPart(a0 + r * lda, q, n);
    for (int c = 0; c < Columns; ++c) {
      Vec b[kParts];
      for (int q = 0; q < kParts; ++q) b[q] = LoadPart(b0 + c * ldb, q, n);
      for (int r = 0; r < Rows; ++r)
        for (int q = 0; q < kParts; ++q) acc[r * Columns + c][q] += a[r][q] * b[q];
    }
  };
  const int vectorEnd = K - K % kLanes;
  for (int s = 0; s < segments.count; ++s) {
    const float* a0 = A + s * segments.a;
    const float* b0 = B + s * segments.b;
    for (int k = 0; k < vectorEnd; k += kLanes) step(a0 + k, b0 + k, kLanes);
    if (vectorEnd < K) step(a0 + vectorEnd, b0 + vectorEnd, K - vectorEnd);  // the last K % 16 values, zero-padded
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Columns; ++c) {
      float lanes[kLanes];
      std::memcpy(lanes, acc[r * Columns + c], sizeof lanes);
      const float total = PairwiseSum(lanes);
      C[r * ldc + c] = accumulate ? C[r * ldc + c] + total : total;
    }
}

// How many rows and columns of C one dot block holds: 4 × 4 with AVX-512's 32 registers (16 accumulators),
// 2 × 2 with AVX2's 16 (4 elements × 2 registers), so that nothing spills.
#if defined(__AVX512F__)
constexpr int kDotBlock = 4;
#else
constexpr int kDotBlock = 2;
#endif

template <int Rows>
void DotRows(int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate, Segments segments) {
  int j = 0;
  for (; j + kDotBlock <= N; j += kDotBlock) DotBlock<Rows, kDotBlock>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate, segments);
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
  for (; i + kDotBlock <= M; i += kDotBlock) DotRows<kDotBlock>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate, blocks);
  for (; i < M; ++i) DotRows<1>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate, blocks);
}

}  // namespace specml
