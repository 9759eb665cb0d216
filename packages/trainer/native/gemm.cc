#include "gemm.h"

#include <cstring>

namespace specml {
namespace {

constexpr int kLanes = 16;
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // an unaligned load
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline Vec Splat(float x) { return Vec{} + x; }
inline float Sum(Vec v) {
  float total = 0;
  for (int k = 0; k < kLanes; ++k) total += v[k];
  return total;
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

// The last N % 16 columns, one scalar at a time.
template <int Rows>
inline void BroadcastTail(int width, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  for (int j = 0; j < width; ++j) {
    float acc[Rows];
    for (int r = 0; r < Rows; ++r) acc[r] = accumulate ? C[r * ldc + j] : 0.f;
    for (int k = 0; k < K; ++k) {
      const float b = B[k * ldb + j];
      for (int r = 0; r < Rows; ++r) acc[r] += A[r * aRow + k * aCol] * b;
    }
    for (int r = 0; r < Rows; ++r) C[r * ldc + j] = acc[r];
  }
}

template <int Rows>
void BroadcastRows(int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  int j = 0;
  for (; j + 4 * kLanes <= N; j += 4 * kLanes) BroadcastBlock<Rows, 4>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
  if (j + 2 * kLanes <= N) {
    BroadcastBlock<Rows, 2>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
    j += 2 * kLanes;
  }
  if (j + kLanes <= N) {
    BroadcastBlock<Rows, 1>(K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
    j += kLanes;
  }
  if (j < N) BroadcastTail<Rows>(N - j, K, A, aRow, aCol, B + j, ldb, C + j, ldc, accumulate);
}

template <int Rows, int Columns>
inline void DotBlock(int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec acc[Rows][Columns] = {};
  int k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    Vec a[Rows];
    for (int r = 0; r < Rows; ++r) a[r] = Load(A + r * lda + k);
    for (int c = 0; c < Columns; ++c) {
      const Vec b = Load(B + c * ldb + k);
      for (int r = 0; r < Rows; ++r) acc[r][c] += a[r] * b;
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < Columns; ++c) {
      float total = Sum(acc[r][c]);
      for (int t = k; t < K; ++t) total += A[r * lda + t] * B[c * ldb + t];
      C[r * ldc + c] = accumulate ? C[r * ldc + c] + total : total;
    }
}

template <int Rows>
void DotRows(int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  int j = 0;
  for (; j + 4 <= N; j += 4) DotBlock<Rows, 4>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate);
  for (; j < N; ++j) DotBlock<Rows, 1>(K, A, lda, B + j * ldb, ldb, C + j, ldc, accumulate);
}

}  // namespace

void GemmBroadcastA(int M, int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc,
                    bool accumulate) {
  int i = 0;
  for (; i + 4 <= M; i += 4) BroadcastRows<4>(N, K, A + i * aRow, aRow, aCol, B, ldb, C + i * ldc, ldc, accumulate);
  for (; i < M; ++i) BroadcastRows<1>(N, K, A + i * aRow, aRow, aCol, B, ldb, C + i * ldc, ldc, accumulate);
}

void GemmDot(int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  int i = 0;
  for (; i + 4 <= M; i += 4) DotRows<4>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
  for (; i < M; ++i) DotRows<1>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
}

}  // namespace specml
