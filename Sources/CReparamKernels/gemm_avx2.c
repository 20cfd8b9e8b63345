// AVX2+FMA instantiation: 6 × 16 tiles (12 accumulators of 8 floats).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define GEMM_NAME rp_sgemm_avx2
#define GEMM_NLL_NAME rp_sgemm_nll_avx2
#define GEMM_NLL_PACK_NAME rp_sgemm_nll_pack_avx2
#define VW 8
#define NV 2
#define MR 6
#define K_UNROLL 4
// 6-row tiles reuse each B line half as often as AVX-512's 12: packing B whose rows lie far apart made
// 5350×784×200, 128×400×784, 512³ and 100×1024×200 1.19-1.39× faster on one thread (Zen 4), the VAE
// step 5% faster.
#define IN_PLACE_SPAN_KB 192
#include "gemm_template.h"
#define SPARSE_GEMM_NAME rp_sgemm_sparse_avx2
#define COUNT_NONZEROS_NAME rp_count_nonzeros_avx2
#define SPARSE_ASM_4X3  // RP_SPARSE_GROUP is 4
#include "sparse_gemm_template.h"
#pragma clang attribute pop
#endif
