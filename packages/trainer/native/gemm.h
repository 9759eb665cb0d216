// The one matrix product every layer shares. Row-major float32, written with GCC/Clang vector extensions of
// the hardware's width under -march=native (16 floats with AVX-512, 8 with AVX2). Both forms keep a register
// block of C while they run over K, so B and C are read from memory once per block; the block's shape
// follows the register count, never a result.
#pragma once

namespace specml {

// C[M×N] = (accumulate ? C : 0) + A·B, where A's element (i, k) is A[i·aRow + k·aCol] (so A or Aᵀ stored
// row-major both fit), B is K×N with rows ldb apart and C's rows are ldc apart.
void GemmBroadcastA(int M, int N, int K, const float* A, long aRow, long aCol, const float* B, long ldb, float* C, long ldc,
                    bool accumulate);

// C[M×N] = (accumulate ? C : 0) + A·Bᵀ: every element is a dot product of a row of A (M×K, rows lda apart)
// and a row of B (N×K, rows ldb apart). With `segments` > 1 the dot products run on over that many
// blocks of K values, the s-th at A + s·aSegment and B + s·bSegment (a weight gradient summed over the
// images of a batch, each image's rows apart), and are reduced once at the end.
void GemmDot(int M, int N, int K, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate,
             int segments = 1, long aSegment = 0, long bSegment = 0);

}  // namespace specml
