// AVX-512 instantiation of the elementwise kernels (16 lanes).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define VW 16
#define VECTOR_TABLE rp_vector_avx512
#include "vector_template.h"
#pragma clang attribute pop
#else
#include "internal.h"
const rp_vector_kernels rp_vector_avx512;
#endif
