// GEMM for a mostly-zero op(A), instantiated per ISA after gemm_template.h (same VW, vfloat), by
// a file that defines SPARSE_GEMM_NAME and COUNT_NONZEROS_NAME.
//
// Rows of op(A) are listed in groups: the k where any row of the group is nonzero; each chunk of
// C's columns then accumulates B's rows at those k in registers, GROUP rows at a time. MNIST
// images are 81% zero pixels, so the first layer's forward product and its weight gradient skip
// most multiply-adds. Column chunks are the outer loop, so the slice of B they read stays in L2
// while every group of the block passes over it.
//
// Each element of C is one FMA chain over its group's list in increasing k; the groups are fixed
// by the row index, so any split across threads (at group boundaries) gives bit-identical results.
// A zero of op(A) adds an exact zero, except against an infinite or NaN element of B, where the
// dense product gives NaN: there the result depends on whether another row of the group needs k.
#include <string.h>
#if VW == 16 && defined(__x86_64__)
#include <immintrin.h>
#endif

// GROUP rows of op(A) share one list: the k where any of them is nonzero, with all GROUP values
// at each (zeros included), so one load of B's row chunk feeds GROUP × nv accumulators. Measured
// on MNIST batches: the union of 4 images is 38% of pixels (one image: 19%), the union of 4
// neighbouring pixels over 128 images 28%.
#define GROUP RP_SPARSE_GROUP
#if VW == 16
#define CHUNK_MAX 6  // 24 accumulators of the 32 vector registers
#else
#define CHUNK_MAX 3  // 12 of 16
#endif

// The list of the `rows` (≤ GROUP) contiguous rows at `row` (stride ld, length k; missing rows
// read as zero): returns the number of k kept; index[q] is the q-th k and value[r·stride + q]
// is row r's element there. Both arrays need VW floats of slack past k.
static int compress_group(const float *row, long ld, int k, int rows, int *index, float *value, long stride) {
    typedef int vint __attribute__((vector_size(VW * 4)));
    int n = 0, p = 0;
    for (; p + VW <= k; p += VW) {
        vfloat x[GROUP];
        vint any = {0};
        for (int r = 0; r < GROUP; r++) {
            x[r] = r < rows ? *(const vfloat_unaligned *)(row + r * ld + p) : (vfloat){0};
            any |= (vint)(x[r] != 0.0f);
        }
#if VW == 16 && defined(__x86_64__)
        __mmask16 keep = _mm512_test_epi32_mask((__m512i)any, (__m512i)any);
        if (!keep) continue;  // the whole stretch is zero in every row: skip it
        _mm512_storeu_si512(index + n, _mm512_maskz_compress_epi32(keep, _mm512_add_epi32(_mm512_set1_epi32(p),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))));
        for (int r = 0; r < GROUP; r++) _mm512_storeu_ps(value + r * stride + n, _mm512_maskz_compress_ps(keep, (__m512)x[r]));
        n += __builtin_popcount(keep);
#else
        if (!__builtin_reduce_or(any)) continue;
        for (int j = 0; j < VW; j++) {  // branch-free append
            index[n] = p + j;
            for (int r = 0; r < GROUP; r++) value[r * stride + n] = x[r][j];
            n += any[j] != 0;
        }
#endif
    }
    for (; p < k; p++) {
        int any = 0;
        index[n] = p;
        for (int r = 0; r < GROUP; r++) {
            float x = r < rows ? row[r * ld + p] : 0.0f;
            value[r * stride + n] = x;
            any |= x != 0.0f;
        }
        n += any;
    }
    return n;
}

// dst[c·k + p] = a[p·lda + c] for c < cols: a transposed A's columns become contiguous rows.
static void transpose_block(const float *a, int lda, int k, int cols, float *dst) {
    int c8 = cols / 8 * 8, p8 = k / 8 * 8;
    for (int c = 0; c < c8; c += 8)
        for (int p = 0; p < p8; p += 8) transpose_8x8(a + (long)p * lda + c, lda, dst + (long)c * k + p, k);
    for (int c = 0; c < cols; c++)
        for (int p = c < c8 ? p8 : 0; p < k; p++) dst[(long)c * k + p] = a[(long)p * lda + c];
}

#ifdef SPARSE_ASM_4X3
_Static_assert(GROUP == 4, "sparse_accumulate_4x3 is written for groups of 4 rows");
// The 4-row × 3-vector loop of sparse_tile for 16 vector registers: 12 accumulators, 3 B vectors and
// the broadcast. Written in C, clang kept one accumulator on the stack (a store and a reload every k),
// and MNIST's 128·784·400 forward and weight gradient took 1.6× as long; the same FMAs in the same
// order, so the results are identical.
static inline __attribute__((always_inline)) void
sparse_accumulate_4x3(const int *index, const float *value, long stride, int count, const float *b, long ldb,
                      vfloat acc[GROUP][CHUNK_MAX]) {
    long q = 0, n = count, row_bytes = ldb * 4, row;
    const float *v0 = value, *v1 = value + stride, *v2 = value + 2 * stride, *v3 = value + 3 * stride;
    __asm__("1:\n\t"
            "movslq (%[index],%[q],4), %[row]\n\t"
            "imul %[row_bytes], %[row]\n\t"
            "add %[b], %[row]\n\t"
            "vmovups (%[row]), %%ymm12\n\t"
            "vmovups 32(%[row]), %%ymm13\n\t"
            "vmovups 64(%[row]), %%ymm14\n\t"
            "vbroadcastss (%[v0],%[q],4), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a00]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a01]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a02]\n\t"
            "vbroadcastss (%[v1],%[q],4), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a10]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a11]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a12]\n\t"
            "vbroadcastss (%[v2],%[q],4), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a20]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a21]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a22]\n\t"
            "vbroadcastss (%[v3],%[q],4), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a30]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a31]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a32]\n\t"
            "inc %[q]\n\t"
            "cmp %[q], %[n]\n\t"
            "jne 1b"
            : [a00] "+x"(acc[0][0]), [a01] "+x"(acc[0][1]), [a02] "+x"(acc[0][2]), [a10] "+x"(acc[1][0]),
              [a11] "+x"(acc[1][1]), [a12] "+x"(acc[1][2]), [a20] "+x"(acc[2][0]), [a21] "+x"(acc[2][1]),
              [a22] "+x"(acc[2][2]), [a30] "+x"(acc[3][0]), [a31] "+x"(acc[3][1]), [a32] "+x"(acc[3][2]),
              [q] "+r"(q), [row] "=&r"(row)
            : [index] "r"(index), [n] "r"(n), [row_bytes] "r"(row_bytes), [b] "r"(b), [v0] "r"(v0), [v1] "r"(v1),
              [v2] "r"(v2), [v3] "r"(v3)
            : "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
}
#endif

// One group's chunk of nv vectors (nv a constant in every expansion):
// C[i + r, j …] = alpha·Σ_q value[q, r]·B[index[q], j …] + beta·C (+ bias, ReLU), r < rows;
// lanes below first_lane are computed but not stored (the last vector of a row overlaps the one
// before it when the width is not a whole number of vectors).
static inline __attribute__((always_inline)) void
sparse_tile(const int nv, const int *index, const float *value, long stride, int count, const float *b, long ldb,
            int j, float alpha, float beta, float *c, long ldc, int rows, const float *bias, int act, int first_lane) {
    vfloat acc[GROUP][CHUNK_MAX];
#pragma clang loop unroll(full)
    for (int r = 0; r < GROUP; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) acc[r][v] = (vfloat){0};
#ifdef SPARSE_ASM_4X3
    if (nv == 3 && count > 0) {
        sparse_accumulate_4x3(index, value, stride, count, b + j, ldb, acc);
    } else
#endif
    for (int q = 0; q < count; q++) {
        const float *brow = b + (long)index[q] * ldb + j;
        vfloat bv[CHUNK_MAX];
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) bv[v] = *(const vfloat_unaligned *)(brow + v * VW);
#pragma clang loop unroll(full)
        for (int r = 0; r < GROUP; r++) {
            vfloat x = -(vfloat){0} + value[r * stride + q];
#pragma clang loop unroll(full)
            for (int v = 0; v < nv; v++) acc[r][v] += x * bv[v];
        }
    }
    for (int r = 0; r < rows; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) {
            vfloat_unaligned *out = (vfloat_unaligned *)(c + r * ldc + j + v * VW);
            vfloat y = beta == 0.0f ? alpha * acc[r][v] : alpha * acc[r][v] + beta * *out;
            y = bias != 0 || act != RP_ACT_IDENTITY ? epilogue(y, bias ? bias + j + v * VW : 0, act, VW) : y;
            if (first_lane == 0) *out = y;
            else for (int l = first_lane; l < VW; l++) c[r * ldc + j + v * VW + l] = y[l];
        }
}

#define SPARSE_TILE_CASE(NV) \
    case NV:                  \
        sparse_tile(NV, index, value, stride, count, b, ldb, j, alpha, beta, c, ldc, rows, bias, act, first_lane); \
        break;

static __attribute__((noinline)) void
sparse_tile_any(int nv, const int *index, const float *value, long stride, int count, const float *b, long ldb,
                int j, float alpha, float beta, float *c, long ldc, int rows, const float *bias, int act,
                int first_lane) {
    switch (nv) {
    SPARSE_TILE_CASE(1) SPARSE_TILE_CASE(2) SPARSE_TILE_CASE(3)
#if CHUNK_MAX == 6
    SPARSE_TILE_CASE(4) SPARSE_TILE_CASE(5) SPARSE_TILE_CASE(6)
#endif
    default: break;
    }
}

// Rows narrower than one vector, a column at a time, with the same FMA chain per element.
static void sparse_edge(const int *index, const float *value, long stride, int count, const float *b, long ldb,
                        int j0, int j1, float alpha, float beta, float *c, long ldc, int rows, const float *bias,
                        int act) {
    for (int r = 0; r < rows; r++)
        for (int j = j0; j < j1; j++) {
            float acc = 0.0f;
            for (int q = 0; q < count; q++)
                acc = __builtin_fmaf(value[r * stride + q], b[(long)index[q] * ldb + j], acc);
            float *out = c + r * ldc + j;
            vfloat y = {0};
            y[0] = beta == 0.0f ? alpha * acc : alpha * acc + beta * *out;
            if (bias || act != RP_ACT_IDENTITY) y = epilogue(y, bias ? bias + j : 0, act, 1);
            *out = y[0];
        }
}

// C rows [i0, i1) of alpha·op(A)·B + beta·C (+ bias, activation); B is K×N, not transposed; i0 is a
// multiple of GROUP (so the groups, and with them every result, do not depend on the split).
void SPARSE_GEMM_NAME(int ta, int i0, int i1, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act) {
    enum { BLOCK_GROUPS = 16 };  // groups listed at a time; their lists stay in L2 across the chunks
    const long stride = k + VW;  // one row's values, with the slack compress_group needs
    int *index = (int *)rp_scratch(1, (size_t)BLOCK_GROUPS * stride);
    float *value = rp_scratch(2, (size_t)BLOCK_GROUPS * GROUP * stride);
    float *transposed = ta ? rp_scratch(3, (size_t)BLOCK_GROUPS * GROUP * k) : 0;
    int counts[BLOCK_GROUPS];
    int vectors = n / VW, chunks = (vectors + CHUNK_MAX - 1) / CHUNK_MAX;
    for (int g0 = i0; g0 < i1; g0 += BLOCK_GROUPS * GROUP) {
        int block_rows = i1 - g0 < BLOCK_GROUPS * GROUP ? i1 - g0 : BLOCK_GROUPS * GROUP;
        int groups = (block_rows + GROUP - 1) / GROUP;
        if (ta) transpose_block(a + g0, lda, k, block_rows, transposed);
        for (int g = 0; g < groups; g++) {
            int rows = block_rows - g * GROUP < GROUP ? block_rows - g * GROUP : GROUP;
            const float *first = ta ? transposed + (long)g * GROUP * k : a + (long)(g0 + g * GROUP) * lda;
            counts[g] = compress_group(first, ta ? k : lda, k, rows, index + g * stride, value + g * GROUP * stride,
                                       stride);
        }
        // Chunks as even as the vectors allow (25 vectors in 6s: 5, 5, 5, 5, 5), then the edge.
        for (int chunk = 0, v0 = 0; chunk <= chunks; chunk++) {
            int v1 = chunk < chunks ? (int)((long)vectors * (chunk + 1) / chunks) : v0;
            for (int g = 0; g < groups; g++) {
                int i = g0 + g * GROUP, rows = i1 - i < GROUP ? i1 - i : GROUP;
                const int *gi = index + g * stride;
                const float *gv = value + g * GROUP * stride;
                if (chunk < chunks)
                    sparse_tile_any(v1 - v0, gi, gv, stride, counts[g], b, ldb, v0 * VW, alpha, beta,
                                    c + (long)i * ldc, ldc, rows, bias, act, 0);
                else if (vectors * VW < n && vectors > 0)  // one vector ending at n, storing the new lanes
                    sparse_tile_any(1, gi, gv, stride, counts[g], b, ldb, n - VW, alpha, beta, c + (long)i * ldc, ldc,
                                    rows, bias, act, VW - (n - vectors * VW));
                else if (vectors * VW < n)
                    sparse_edge(gi, gv, stride, counts[g], b, ldb, 0, n, alpha, beta, c + (long)i * ldc, ldc, rows,
                                bias, act);
            }
            v0 = v1;
        }
    }
}

// Nonzeros of op(A) (m × k); counting stops once the count passes limit (what it returns then
// is only known to exceed limit).
long COUNT_NONZEROS_NAME(int ta, int m, int k, const float *a, int lda, long limit) {
    typedef int vint __attribute__((vector_size(VW * 4)));
    int rows = ta ? k : m, width = ta ? m : k;
    long total = 0;
    for (int r = 0; r < rows && total <= limit; r++) {
        const float *row = a + (long)r * lda;
        vint counts = {0};
        int p = 0;
        for (; p + VW <= width; p += VW) counts -= (vint)(*(const vfloat_unaligned *)(row + p) != 0.0f);
        total += __builtin_reduce_add(counts);
        for (; p < width; p++) total += row[p] != 0.0f;
    }
    return total;
}
