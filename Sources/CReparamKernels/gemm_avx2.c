// AVX2+FMA instantiation: 6 × 16 tiles (12 accumulators of 8 floats).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define GEMM_NAME rp_sgemm_avx2
#define VW 8
#define NV 2
#define MR 6
#include "gemm_template.h"
#define SPARSE_GEMM_NAME rp_sgemm_sparse_avx2
#define COUNT_NONZEROS_NAME rp_count_nonzeros_avx2
#include "sparse_gemm_template.h"
#pragma clang attribute pop
#endif
