// AVX-512 instantiation: 12 × 32 tiles (24 accumulators of 16 floats).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define GEMM_NAME rp_sgemm_avx512
#define VW 16
#define NV 2
#define MR 12
#include "gemm_template.h"
#define SPARSE_GEMM_NAME rp_sgemm_sparse_avx512
#define COUNT_NONZEROS_NAME rp_count_nonzeros_avx512
#include "sparse_gemm_template.h"
#pragma clang attribute pop
#else
#include "internal.h"
void rp_sgemm_avx512(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int relu) {
    rp_sgemm_portable(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
}
void rp_sgemm_sparse_avx512(int ta, int i0, int i1, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int relu) {
    rp_sgemm_sparse_portable(ta, i0, i1, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
}
long rp_count_nonzeros_avx512(int ta, int m, int k, const float *a, int lda, long limit) {
    return rp_count_nonzeros_portable(ta, m, k, a, lda, limit);
}
#endif
