// One blocked SGEMM driver, instantiated per ISA by the including file, which defines:
//   GEMM_NAME  the driver's name       VW  floats per vector     NV  vectors per tile row
//   MR         rows per micro-tile     (the tile is MR × NR with NR = VW·NV)
// Design (measured on Zen 4): B is packed into NR-wide strips of a ≤ 768 KB block that stays in
// L2; A is never packed — the micro-kernel broadcasts straight from A's rows (or, for a
// transposed A, from its contiguous columns); K is split into even blocks of at most 384.
#include "internal.h"
#include <string.h>

#define NR (VW * NV)
#define KC_MAX 384
#define PACK_FLOATS (768 * 1024 / 4)

typedef float vfloat __attribute__((vector_size(VW * 4)));
typedef float vfloat_unaligned __attribute__((vector_size(VW * 4), aligned(4)));

typedef void (*tile_fn)(int kc, const float *a, long stride, const float *bp, float *c, long ldc,
                        int nr, float alpha, float beta);

// acc[i][v] accumulates row i of the tile (nv of its NV vectors: 1 for narrow edges); `stride`
// is A's row stride (a_transposed == 0) or its k stride (a_transposed == 1). mr, nv and
// a_transposed are constants in every instantiation.
static inline __attribute__((always_inline)) void
tile_body(const int mr, const int nv, const int a_transposed, int kc, const float *a, long stride,
          const float *bp, float *c, long ldc, int nr, float alpha, float beta) {
    vfloat acc[MR][NV];
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) acc[i][v] = (vfloat){0};
    const long row_step = a_transposed ? 1 : stride;
    const long k_step = a_transposed ? stride : 1;
    for (int p = 0; p < kc; p++) {
        vfloat b[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) b[v] = *(const vfloat *)(bp + v * VW);
#pragma clang loop unroll(full)
        for (int i = 0; i < mr; i++) {
            vfloat ai = -(vfloat){0} + a[i * row_step];  // −0 + x is exactly x: a pure broadcast
#pragma clang loop unroll(full)
            for (int v = 0; v < nv; v++) acc[i][v] += ai * b[v];
        }
        a += k_step;
        bp += NR;
    }
    if (nr == nv * VW) {
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++) {
                vfloat_unaligned *out = (vfloat_unaligned *)(c + i * ldc + v * VW);
                *out = beta == 0.0f ? alpha * acc[i][v] : alpha * acc[i][v] + beta * *out;
            }
    } else {
        // Edge tile: same arithmetic per element, through a small buffer.
        float edge[MR][NR] __attribute__((aligned(64)));
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++) {
                vfloat old = {0};
                if (beta != 0.0f)
                    for (int j = 0; j < VW && v * VW + j < nr; j++) old[j] = c[i * ldc + v * VW + j];
                *(vfloat *)&edge[i][v * VW] =
                    beta == 0.0f ? alpha * acc[i][v] : alpha * acc[i][v] + beta * old;
            }
        for (int i = 0; i < mr; i++) memcpy(c + i * ldc, edge[i], (size_t)nr * sizeof(float));
    }
}

#define TILE_VARIANT(R, W, VECTORS, T)                                                          \
    static __attribute__((noinline)) void tile_##R##_##W##_##T(int kc, const float *a,         \
        long stride, const float *bp, float *c, long ldc, int nr, float alpha, float beta) {    \
        tile_body(R, VECTORS, T, kc, a, stride, bp, c, ldc, nr, alpha, beta);                   \
    }
#define TILE_SET(R) TILE_VARIANT(R, narrow, 1, 0) TILE_VARIANT(R, narrow, 1, 1)                 \
    TILE_VARIANT(R, full, NV, 0) TILE_VARIANT(R, full, NV, 1)
TILE_SET(1) TILE_SET(2) TILE_SET(3) TILE_SET(4) TILE_SET(5) TILE_SET(6)
#if MR == 12
TILE_SET(7) TILE_SET(8) TILE_SET(9) TILE_SET(10) TILE_SET(11) TILE_SET(12)
#elif MR != 6
#error "MR must be 6 or 12"
#endif

#define TILE_ROW(W, T) {0, tile_1_##W##_##T, tile_2_##W##_##T, tile_3_##W##_##T, tile_4_##W##_##T, \
    tile_5_##W##_##T, tile_6_##W##_##T TILE_ROW_REST(W, T)}
#if MR == 12
#define TILE_ROW_REST(W, T) , tile_7_##W##_##T, tile_8_##W##_##T, tile_9_##W##_##T, \
    tile_10_##W##_##T, tile_11_##W##_##T, tile_12_##W##_##T
#else
#define TILE_ROW_REST(W, T)
#endif
// tiles[narrow][a_transposed][mr]; narrow tiles cover edges at most VW columns wide.
static const tile_fn tiles[2][2][MR + 1] = {
    {TILE_ROW(full, 0), TILE_ROW(full, 1)},
    {TILE_ROW(narrow, 0), TILE_ROW(narrow, 1)},
};

// Packs op(B)[p0 … p0+kc) × [j0 … j0+nc) into NR-wide strips, k-major, zero-padded.
static void pack_b(int b_transposed, const float *b, long ldb, int p0, int kc, int j0, int nc,
                   float *packed) {
    for (int j = 0; j < nc; j += NR) {
        int width = nc - j < NR ? nc - j : NR;
        float *strip = packed + (long)j * kc;
        if (!b_transposed) {
            const float *src = b + (long)p0 * ldb + j0 + j;
            for (int p = 0; p < kc; p++) {
                float *dst = strip + (long)p * NR;
                for (int q = 0; q < width; q++) dst[q] = src[(long)p * ldb + q];
                for (int q = width; q < NR; q++) dst[q] = 0.0f;
            }
        } else {
            for (int q = 0; q < width; q++) {
                const float *src = b + (long)(j0 + j + q) * ldb + p0;
                for (int p = 0; p < kc; p++) strip[(long)p * NR + q] = src[p];
            }
            for (int q = width; q < NR; q++)
                for (int p = 0; p < kc; p++) strip[(long)p * NR + q] = 0.0f;
        }
    }
}

void GEMM_NAME(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc) {
    int k_blocks = (k + KC_MAX - 1) / KC_MAX;
    int kc_even = (k + k_blocks - 1) / k_blocks;
    int nc_max = (PACK_FLOATS / kc_even) / NR * NR;
    if (nc_max < NR) nc_max = NR;
    float *packed = rp_scratch(0, (size_t)kc_even * (size_t)((nc_max < n ? nc_max : n) + NR));
    for (int j0 = 0; j0 < n; j0 += nc_max) {
        int nc = n - j0 < nc_max ? n - j0 : nc_max;
        for (int p0 = 0; p0 < k; p0 += kc_even) {
            int kc = k - p0 < kc_even ? k - p0 : kc_even;
            pack_b(tb, b, ldb, p0, kc, j0, nc, packed);
            float block_beta = p0 == 0 ? beta : 1.0f;
            for (int i0 = 0; i0 < m; i0 += MR) {
                int mr = m - i0 < MR ? m - i0 : MR;
                const float *a_block = ta ? a + (long)p0 * lda + i0 : a + (long)i0 * lda + p0;
                for (int j = 0; j < nc; j += NR) {
                    int nr = nc - j < NR ? nc - j : NR;
                    tiles[nr <= VW][ta ? 1 : 0][mr](kc, a_block, lda, packed + (long)j * kc, c + (long)i0 * ldc + j0 + j, ldc,
                         nr, alpha, block_beta);
                }
            }
        }
    }
}
