// AVX2+FMA instantiation of the elementwise kernels (8 lanes).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VW 8
#define VECTOR_TABLE rp_vector_avx2
#include "vector_template.h"
#pragma clang attribute pop
#else
#include "internal.h"
const rp_vector_kernels rp_vector_avx2;
#endif
