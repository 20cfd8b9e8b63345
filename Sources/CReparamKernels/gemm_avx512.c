// AVX-512 instantiation: 12 × 32 tiles (24 accumulators of 16 floats).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define GEMM_NAME rp_sgemm_avx512
#define GEMM_NLL_NAME rp_sgemm_nll_avx512
#define GEMM_NLL_PACK_NAME rp_sgemm_nll_pack_avx512
#define VW 16
#define NV 2
#define MR 12
#include "gemm_template.h"
#define SPARSE_GEMM_NAME rp_sgemm_sparse_avx512
#define COUNT_NONZEROS_NAME rp_count_nonzeros_avx512
#include "sparse_gemm_template.h"
#pragma clang attribute pop
#endif
