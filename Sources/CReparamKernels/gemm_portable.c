// Portable instantiation (baseline vector ISA of the target): 6 × 8 tiles of 4-float vectors.
#define GEMM_NAME rp_sgemm_portable
#define GEMM_NLL_NAME rp_sgemm_nll_portable
#define GEMM_NLL_PACK_NAME rp_sgemm_nll_pack_portable
#define VW 4
#define NV 2
#define MR 6
#include "gemm_template.h"
#define SPARSE_GEMM_NAME rp_sgemm_sparse_portable
#define COUNT_NONZEROS_NAME rp_count_nonzeros_portable
#include "sparse_gemm_template.h"
