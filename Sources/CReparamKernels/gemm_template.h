// One blocked SGEMM driver, instantiated per ISA by the including file, which defines:
//   GEMM_NAME  the driver's name       VW  floats per vector     NV  vectors per tile row
//   MR         rows per micro-tile     (the tile is MR × NR with NR = VW·NV)
// Design (measured on Zen 4): a transposed B is packed into NR-wide strips of a ≤ 768 KB block
// that stays in L2, a non-transposed B is read in place (only its narrow edge is packed) unless
// IN_PLACE_SPAN_KB says its rows lie too far apart for the tile's MR rows of reuse and A has
// PACK_MIN_ROWS rows or more; A is never packed (k-major panels of it measured 0.95-1.06× on AVX2) —
// the micro-kernel broadcasts straight from A's rows (or, for a transposed A, from its contiguous
// columns); K is split into even blocks of at most 512 (384 cost 1-5% at k = 784: one more pass
// over C). Optionally (GEMM_NLL_NAME) a second driver adds each finished tile's Bernoulli loss to
// per-row sums instead of storing it. Each B strip meets all row tiles of a ≤ 256 KB block of A before
// the next strip (strip in L1, A block in L2): L2 then delivers A once per strip, m·k·n/NR floats,
// instead of B once per row tile, m·k·n/MR. Against that opposite order the geometric mean of the
// VAE's GEMM shapes on 2 threads rose 9% (AVX2) and 15% (AVX-512); A blocks of 128 KB or no
// blocking were slower at m = 5000.
#include "internal.h"
#include "vector_math.h"
#include <string.h>

#define NR (VW * NV)
#define KC_MAX 512
#define PACK_FLOATS (768 * 1024 / 4)
#ifndef A_BLOCK_KB
#define A_BLOCK_KB 256
#endif
#define A_BLOCK_FLOATS (A_BLOCK_KB * 1024 / 4)
// A non-transposed B is read in place only while the rows of its K block span at most this many KB
// (0: always). Beyond that a strip's kc lines, ldb floats apart, no longer stay in L1 for the row
// tiles that reuse it (with ldb a multiple of 512 floats every line falls in the same few sets).
#ifndef IN_PLACE_SPAN_KB
#define IN_PLACE_SPAN_KB 0
#endif
// ... but with fewer rows of A than this, B is read in place whatever its span: the copy of its k·n
// floats costs more than the row tiles' reuse saves (AVX2, Zen 4, one thread, packed ÷ in place:
// m = 1 3.1×, 8 1.7×, 16 1.3×, 32 1.1-1.2×, 64 0.96-1.04×, 100-128 0.92-1.01×).
#define PACK_MIN_ROWS 64
// Steps of k per turn of the micro-kernel's loop (1: not unrolled). A 6 × 16 AVX2 step is 12 FMAs and
// 8 loads, 6 cycles at best, plus 7 instructions of loop arithmetic; in the minutes when this host slows
// the 6 × 16 tile (to 80 GF/s on one thread while AVX-512's 12 × 32, 27 instructions per 24 cycles with
// its broadcasts folded into the FMAs, keeps 110) four steps a turn, 22 instructions a step, took
// 0.87-0.95 of its time (Zen 4, in-process alternation); in quiet minutes both paths run at ~115.
// Eight spill on AVX2, and AVX-512's tile spills at four.
#ifndef K_UNROLL
#define K_UNROLL 1
#endif

// Whether a non-transposed B (kc rows of a K block, ldb apart) is packed rather than read in place.
static inline int packs_spread_b(int m, int kc, long ldb) {
    return IN_PLACE_SPAN_KB && m >= PACK_MIN_ROWS && (long)kc * ldb > IN_PLACE_SPAN_KB * 256L;
}

typedef void (*tile_fn)(int kc, const float *a, long stride, const float *bp, long b_step, float *c,
                        long ldc, int nr, float alpha, float beta, const float *bias, int act);

// The epilogue of a finished tile row: + bias (when given), then the activation `act` (an
// rp_activation; ReLU keeps NaN) with the vector functions rp_bias_activation uses, so fused and
// separate passes agree bit for bit.
static inline __attribute__((always_inline)) vfloat epilogue(vfloat x, const float *bias, int act, int lanes) {
    if (bias) {
        vfloat b = {0};
        if (lanes == VW) b = *(const vfloat_unaligned *)bias;
        else for (int j = 0; j < lanes; j++) b[j] = bias[j];
        x = x + b;
    }
    switch (act) {
    case RP_ACT_RELU: {
        typedef int vint_mask __attribute__((vector_size(VW * 4)));
        vint_mask keep = (x > 0.0f) | (x != x);
        return (vfloat)((vint_mask)x & keep);
    }
    case RP_ACT_TANH: return v_tanh(x);
    case RP_ACT_SIGMOID: return v_sigmoid(x);
    default: return x;
    }
}

// acc[i][v] accumulates row i of the tile (nv of its NV vectors: 1 for narrow edges); `stride`
// is A's row stride (a_transposed == 0) or its k stride (a_transposed == 1); `b_step` is NR for
// a packed strip or B's row stride when the strip is read in place. mr, nv and a_transposed are
// constants in every instantiation. no_builtin: clang turned the zeroing of acc into a memset call
// of the whole array (1.5 KB, then reloaded into registers), 1% of a flow-VAE epoch.
static inline __attribute__((always_inline, no_builtin("memset"))) void
tile_product(const int mr, const int nv, const int a_transposed, int kc, const float *a, long stride,
             const float *bp, long b_step, vfloat acc[MR][NV]) {
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) acc[i][v] = (vfloat){0};
    const long row_step = a_transposed ? 1 : stride;
    const long k_step = a_transposed ? stride : 1;
    int p = 0;
#if K_UNROLL > 1
    // K_UNROLL steps of k per turn, the same FMAs in the same order: the loop's address arithmetic and
    // branch once a turn instead of once a step (see K_UNROLL).
    for (; p + K_UNROLL <= kc; p += K_UNROLL) {
#pragma clang loop unroll(full)
        for (int u = 0; u < K_UNROLL; u++) {
            vfloat b[NV];
#pragma clang loop unroll(full)
            for (int v = 0; v < nv; v++) b[v] = *(const vfloat_unaligned *)(bp + u * b_step + v * VW);
#pragma clang loop unroll(full)
            for (int i = 0; i < mr; i++) {
                vfloat ai = -(vfloat){0} + a[i * row_step + u * k_step];
#pragma clang loop unroll(full)
                for (int v = 0; v < nv; v++) acc[i][v] += ai * b[v];
            }
        }
        a += K_UNROLL * k_step;
        bp += K_UNROLL * b_step;
    }
#endif
    for (; p < kc; p++) {
        vfloat b[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) b[v] = *(const vfloat_unaligned *)(bp + v * VW);
#pragma clang loop unroll(full)
        for (int i = 0; i < mr; i++) {
            vfloat ai = -(vfloat){0} + a[i * row_step];  // −0 + x is exactly x: a pure broadcast
#pragma clang loop unroll(full)
            for (int v = 0; v < nv; v++) acc[i][v] += ai * b[v];
        }
        a += k_step;
        bp += b_step;
    }
}

static inline __attribute__((always_inline, no_builtin("memset"))) void
tile_body(const int mr, const int nv, const int a_transposed, int kc, const float *a, long stride,
          const float *bp, long b_step, float *c, long ldc, int nr, float alpha, float beta,
          const float *bias, int act) {
    const int epilogued = bias != 0 || act != RP_ACT_IDENTITY;
    vfloat acc[MR][NV];
    tile_product(mr, nv, a_transposed, kc, a, stride, bp, b_step, acc);
    if (nr == nv * VW) {
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++) {
                vfloat_unaligned *out = (vfloat_unaligned *)(c + i * ldc + v * VW);
                vfloat x = beta == 0.0f ? alpha * acc[i][v] : alpha * acc[i][v] + beta * *out;
                *out = epilogued ? epilogue(x, bias ? bias + v * VW : 0, act, VW) : x;
            }
    } else {
        // Edge tile: same arithmetic per element, through a small buffer.
        float edge[MR][NR] __attribute__((aligned(64)));
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++) {
                vfloat old = {0};
                if (beta != 0.0f)
                    for (int j = 0; j < VW && v * VW + j < nr; j++) old[j] = c[i * ldc + v * VW + j];
                vfloat x = beta == 0.0f ? alpha * acc[i][v] : alpha * acc[i][v] + beta * old;
                int lanes = nr - v * VW < VW ? nr - v * VW : VW;
                *(vfloat *)&edge[i][v * VW] = epilogued ? epilogue(x, bias ? bias + v * VW : 0, act, lanes) : x;
            }
        for (int i = 0; i < mr; i++) memcpy(c + i * ldc, edge[i], (size_t)nr * sizeof(float));
    }
}

#define TILE_VARIANT(R, W, VECTORS, T)                                                          \
    static __attribute__((noinline, no_builtin("memset"))) void tile_##R##_##W##_##T(int kc, const float *a,         \
        long stride, const float *bp, long b_step, float *c, long ldc, int nr, float alpha,     \
        float beta, const float *bias, int act) {                                              \
        tile_body(R, VECTORS, T, kc, a, stride, bp, b_step, c, ldc, nr, alpha, beta, bias, act);  \
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

typedef float v8 __attribute__((vector_size(32), aligned(4)));

// dst[r·dst_stride + c] = src[c·src_stride + r] for an 8 × 8 block, in three rounds of shuffles
// (the plain strided copy compiled to scatters and was 40% of the packing time).
static inline __attribute__((always_inline)) void
transpose_8x8(const float *src, long src_stride, float *dst, long dst_stride) {
    v8 r0 = *(const v8 *)src, r1 = *(const v8 *)(src + src_stride);
    v8 r2 = *(const v8 *)(src + 2 * src_stride), r3 = *(const v8 *)(src + 3 * src_stride);
    v8 r4 = *(const v8 *)(src + 4 * src_stride), r5 = *(const v8 *)(src + 5 * src_stride);
    v8 r6 = *(const v8 *)(src + 6 * src_stride), r7 = *(const v8 *)(src + 7 * src_stride);
    // Pairs of rows interleaved: t0 = (r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]), …
    v8 t0 = __builtin_shufflevector(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13), t1 = __builtin_shufflevector(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t2 = __builtin_shufflevector(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13), t3 = __builtin_shufflevector(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t4 = __builtin_shufflevector(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13), t5 = __builtin_shufflevector(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t6 = __builtin_shufflevector(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13), t7 = __builtin_shufflevector(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15);
    // Quads: u0 = column 0 of rows 0–3 | column 4 of rows 0–3, u1 = columns 1 and 5, …
    v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13), u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13), u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13), u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13), u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    *(v8 *)dst = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
    *(v8 *)(dst + dst_stride) = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
    *(v8 *)(dst + 2 * dst_stride) = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
    *(v8 *)(dst + 3 * dst_stride) = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
    *(v8 *)(dst + 4 * dst_stride) = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    *(v8 *)(dst + 5 * dst_stride) = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    *(v8 *)(dst + 6 * dst_stride) = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    *(v8 *)(dst + 7 * dst_stride) = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
}

// Zeroes each packed column q outside its K run [k_begin[q], k_end[q]), whole vectors at a time (a
// column at a time, one float per row, this took a fifth of the GEMM driver's time in a flow VAE step).
static void mask_strips(const rp_gemm_extents *extents, int p0, int kc, int j0, int nc, float *packed) {
    typedef int vint __attribute__((vector_size(VW * 4)));
    typedef int vint_unaligned __attribute__((vector_size(VW * 4), aligned(4)));
    for (int j = 0; j < nc; j += NR) {
        int width = nc - j < NR ? nc - j : NR;
        vint lo[NV], hi[NV];
        for (int q = 0; q < NR; q++) {
            // Padding columns are zero already: any run will do for them.
            int l = q < width ? extents->k_begin[j0 + j + q] - p0 : 0;
            int h = q < width ? extents->k_end[j0 + j + q] - p0 : kc;
            lo[q / VW][q % VW] = l, hi[q / VW][q % VW] = h;
        }
        float *strip = packed + (long)j * kc;
        for (int p = 0; p < kc; p++)
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) {
                vint keep = (p >= lo[v]) & (p < hi[v]);
                vint_unaligned *x = (vint_unaligned *)(strip + (long)p * NR + v * VW);
                *x = *x & keep;
            }
    }
}

// Packs op(B)[p0 … p0+kc) × [j0 … j0+nc) into NR-wide strips, k-major, zero-padded; with K
// extents, each column also reads as zero outside its own K range, so a tile that runs over the
// union of its columns' ranges computes each column's masked product exactly.
static void pack_b(int b_transposed, const float *b, long ldb, int p0, int kc, int j0, int nc,
                   float *packed, const rp_gemm_extents *extents) {
    int j_start = 0;
    if (!b_transposed) {
        // Full strips row by row, whole vectors: each row of B is read once from start to end (strip
        // by strip, NR floats copied one at a time, took 35 of 370 µs for 100×200×784 on AVX2).
        j_start = nc / NR * NR;
        for (int p = 0; p < kc; p++) {
            const float *src = b + (long)(p0 + p) * ldb + j0;
            for (int j = 0; j < j_start; j += NR)
#pragma clang loop unroll(full)
                for (int v = 0; v < NV; v++)
                    *(vfloat_unaligned *)(packed + (long)j * kc + (long)p * NR + v * VW) =
                        *(const vfloat_unaligned *)(src + j + v * VW);
        }
    }
    for (int j = j_start; j < nc; j += NR) {
        int width = nc - j < NR ? nc - j : NR;
        float *strip = packed + (long)j * kc;
        if (!b_transposed) {
            const float *src = b + (long)p0 * ldb + j0 + j;
            for (int p = 0; p < kc; p++) {
                float *dst = strip + (long)p * NR;
                // Whole-vector zeros first: the padding loop became a memset call per row, 2% of
                // a flow-VAE epoch in narrow edge strips.
                for (int v = 0; v < NV; v++) *(vfloat_unaligned *)(dst + v * VW) = (vfloat){0};
                for (int q = 0; q < width; q++) dst[q] = src[(long)p * ldb + q];
            }
        } else {
            // op(B)'s columns are B's rows: 8 × 8 blocks transposed in registers, then the edges.
            int q_full = width / 8 * 8, p_full = kc / 8 * 8;
            for (int q0 = 0; q0 < q_full; q0 += 8)
                for (int p = 0; p < p_full; p += 8)
                    transpose_8x8(b + (long)(j0 + j + q0) * ldb + p0 + p, ldb, strip + (long)p * NR + q0, NR);
            for (int q = 0; q < width; q++) {
                const float *src = b + (long)(j0 + j + q) * ldb + p0;
#pragma clang loop vectorize(disable)
                for (int p = q < q_full ? p_full : 0; p < kc; p++) strip[(long)p * NR + q] = src[p];
            }
            for (int q = width; q < NR; q++)
#pragma clang loop vectorize(disable)
                for (int p = 0; p < kc; p++) strip[(long)p * NR + q] = 0.0f;
        }
    }
    if (extents && extents->k_begin) mask_strips(extents, p0, kc, j0, nc, packed);
}

// The hull [*first, *last) of the runs [begin[q], end[q]) of columns q in [j, j + nr).
static inline void run_hull(const int *begin, const int *end, int j, int nr, int *first, int *last) {
    *first = begin[j], *last = end[j];
    for (int q = j + 1; q < j + nr; q++) {
        *first = begin[q] < *first ? begin[q] : *first;
        *last = end[q] > *last ? end[q] : *last;
    }
}

// The extents of columns [j, j + nr): their K hull intersected with [*lo, *hi), and their row
// hull as [*r0, *r1).
static inline void strip_extent(const rp_gemm_extents *e, int j, int nr, int *lo, int *hi, int *r0, int *r1) {
    if (e->k_begin) {
        int first, last;
        run_hull(e->k_begin, e->k_end, j, nr, &first, &last);
        *lo = first > *lo ? first : *lo;
        *hi = last < *hi ? last : *hi;
    }
    if (e->row_begin) run_hull(e->row_begin, e->row_end, j, nr, r0, r1);
}

void GEMM_NAME(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act,
               const rp_gemm_extents *extents) {
    int k_blocks = (k + KC_MAX - 1) / KC_MAX;
    int kc_even = (k + k_blocks - 1) / k_blocks;
    int nc_max = (PACK_FLOATS / kc_even) / NR * NR;
    if (nc_max < NR) nc_max = NR;
    int mc_max = (A_BLOCK_FLOATS / kc_even) / MR * MR;
    if (mc_max < MR) mc_max = MR;
    float *packed = rp_scratch(0, (size_t)kc_even * (size_t)((nc_max < n ? nc_max : n) + NR));
    for (int j0 = 0; j0 < n; j0 += nc_max) {
        int nc = n - j0 < nc_max ? n - j0 : nc_max;
        // A non-transposed B's full strips are read in place (its rows are contiguous, and with
        // few rows of A the copy cost as much as it saved); only a narrow edge strip is packed.
        // With K extents every strip is packed, which is where B's entries outside them are dropped.
        int in_place = tb || extents || packs_spread_b(m, kc_even, ldb) ? 0 : nc / NR * NR;
        for (int p0 = 0; p0 < k; p0 += kc_even) {
            int kc = k - p0 < kc_even ? k - p0 : kc_even;
            if (in_place < nc) pack_b(tb, b, ldb, p0, kc, j0 + in_place, nc - in_place, packed, extents);
            float block_beta = p0 == 0 ? beta : 1.0f;
            int last_block = p0 + kc >= k;  // the epilogue applies once, to the finished sum
            for (int m0 = 0; m0 < m; m0 += mc_max)
            for (int j = 0; j < nc; j += NR) {
                int nr = nc - j < NR ? nc - j : NR;
                const float *bp = j < in_place ? b + (long)p0 * ldb + j0 + j : packed + (long)(j - in_place) * kc;
                long b_step = j < in_place ? ldb : NR;
                int lo = p0, hi = p0 + kc, r0 = 0, r1 = m;
                if (extents) strip_extent(extents, j0 + j, nr, &lo, &hi, &r0, &r1);
                for (int i0 = m0; i0 < m && i0 < m0 + mc_max; i0 += MR) {
                    int mr = m - i0 < MR ? m - i0 : MR;
                    const float *a_block = ta ? a + (long)p0 * lda + i0 : a + (long)i0 * lda + p0;
                    // A tile outside the wanted rows, or with no K left, stores the product of nothing.
                    int tile_k = hi > lo && i0 < r1 && i0 + mr > r0 ? hi - lo : 0;
                    int tile_lo = tile_k == 0 ? p0 : lo;
                    const float *a_tile = ta ? a_block + (long)(tile_lo - p0) * lda : a_block + (tile_lo - p0);
                    tiles[nr <= VW][ta ? 1 : 0][mr](tile_k, a_tile, lda, bp + (long)(tile_lo - p0) * b_step, b_step,
                                                    c + (long)i0 * ldc + j0 + j, ldc, nr, alpha, block_beta,
                                                    last_block && bias ? bias + j0 + j : 0,
                                                    last_block ? act : RP_ACT_IDENTITY);
                }
            }
        }
    }
}

#ifdef GEMM_NLL_NAME
// The Bernoulli negative log-likelihood of the logits A·B + bias, summed per row, without writing the
// logits: each finished tile adds its terms softplus(l) − x·l to its rows' VW-lane sums. Row r scores
// against target row (row0 + r) mod x_rows. Per row the lanes meet the columns in the order the
// standalone kernel (rp_bernoulli_logits_nll_rows) takes them, whole vectors of VW in column order and
// the last n mod VW columns one by one in double, and the logits are the tiles' own: the two agree bit
// for bit. A decoder's logits for −L_5000 (5350 × 784 floats a chunk) were written to memory and read
// back only to be summed.
static inline __attribute__((always_inline, no_builtin("memset"))) void
nll_tile_body(const int mr, const int nv, int kc, const float *a, long lda, const float *bp, long b_step, int nr,
              const float *bias, const float *x, long ldx, int x_row, int x_rows, vfloat *sums, double *tails) {
    vfloat acc[MR][NV];
    tile_product(mr, nv, 0, kc, a, lda, bp, b_step, acc);
    // Unrolled, so the tile's 2·mr exp → log1p chains overlap (a row at a time, each waits out its latency).
    const int t0 = x_row % x_rows;  // one division per tile, not one per row
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++) {
        const int t = t0 + i < x_rows ? t0 + i : (t0 + i) % x_rows;
        const float *target = x + (long)t * ldx;
#pragma clang loop unroll(full)
        for (int v = 0; v < nv; v++) {
            int lanes = nr - v * VW < VW ? nr - v * VW : VW;
            vfloat l = epilogue(acc[i][v], bias ? bias + v * VW : 0, RP_ACT_IDENTITY, lanes);
            if (lanes == VW) sums[i] += v_bernoulli_nll(l, LOADV(target + v * VW));
            else
                for (int e = 0; e < lanes; e++)
                    tails[i] += (double)v_bernoulli_nll(splat(l[e]), splat(target[v * VW + e]))[0];
        }
    }
}

typedef void (*nll_tile_fn)(int kc, const float *a, long lda, const float *bp, long b_step, int nr,
                            const float *bias, const float *x, long ldx, int x_row, int x_rows, vfloat *sums,
                            double *tails);
#define NLL_TILE_VARIANT(R, W, VECTORS)                                                                   \
    static __attribute__((noinline, no_builtin("memset"))) void nll_tile_##R##_##W(                      \
        int kc, const float *a, long lda, const float *bp, long b_step, int nr, const float *bias,          \
        const float *x, long ldx, int x_row, int x_rows, vfloat *sums, double *tails) {                    \
        nll_tile_body(R, VECTORS, kc, a, lda, bp, b_step, nr, bias, x, ldx, x_row, x_rows, sums, tails);  \
    }
#define NLL_TILE_SET(R) NLL_TILE_VARIANT(R, narrow, 1) NLL_TILE_VARIANT(R, full, NV)
NLL_TILE_SET(1) NLL_TILE_SET(2) NLL_TILE_SET(3) NLL_TILE_SET(4) NLL_TILE_SET(5) NLL_TILE_SET(6)
#if MR == 12
NLL_TILE_SET(7) NLL_TILE_SET(8) NLL_TILE_SET(9) NLL_TILE_SET(10) NLL_TILE_SET(11) NLL_TILE_SET(12)
#define NLL_TILE_REST(W) , nll_tile_7_##W, nll_tile_8_##W, nll_tile_9_##W, nll_tile_10_##W, nll_tile_11_##W, \
    nll_tile_12_##W
#else
#define NLL_TILE_REST(W)
#endif
#define NLL_TILE_ROW(W) {0, nll_tile_1_##W, nll_tile_2_##W, nll_tile_3_##W, nll_tile_4_##W, nll_tile_5_##W, \
    nll_tile_6_##W NLL_TILE_REST(W)}
static const nll_tile_fn nll_tiles[2][MR + 1] = {NLL_TILE_ROW(full), NLL_TILE_ROW(narrow)};

// Whether the product of m rows reads B (k × n, ldb) packed, by the main driver's rule; when it does, packs
// columns [j0, j1) (j0 a multiple of NR) as strips at packed + j0·k. The caller packs once for all threads
// (each taking a share of the strips) and splits the rows: split rows each packing all of B cost the
// AVX2 path the gain.
int GEMM_NLL_PACK_NAME(int m, int k, const float *b, int ldb, float *packed, int j0, int j1) {
    int spread = packs_spread_b(m, k, ldb);
    if (spread && j1 > j0) pack_b(0, b, ldb, 0, k, j0, j1 - j0, packed + (long)j0 * k, 0);
    return spread;
}

// out[r] = Σ_j −log Bernoulli(x[(row0 + r) mod x_rows][j] | (A·B + bias)[r][j]) for r < m; A is m × k
// (row stride lda), B k × n (ldb), k ≤ KC_MAX (one K block: the tiles finish their sums). `packed`: all
// of B packed by GEMM_NLL_PACK_NAME, or NULL to read B in place.
void GEMM_NLL_NAME(int m, int n, int k, const float *a, int lda, const float *b, int ldb, const float *bias,
                   const float *x, int ldx, int x_rows, int row0, const float *packed, float *out) {
    int mc_max = (A_BLOCK_FLOATS / k) / MR * MR;
    if (mc_max < MR) mc_max = MR;
    // Read in place, B's full strips need no copy; only a narrow last strip is packed (here, once).
    int in_place = packed ? 0 : n / NR * NR;
    float *edge = 0;
    if (in_place < n && !packed) {
        edge = rp_scratch(0, (size_t)k * NR);
        pack_b(0, b, ldb, 0, k, in_place, n - in_place, edge, 0);
    }
    vfloat *sums = (vfloat *)rp_scratch(1, (size_t)m * VW);
    double *tails = (double *)rp_scratch(2, (size_t)m * 2);
    for (int i = 0; i < m; i++) sums[i] = (vfloat){0}, tails[i] = 0;
    for (int m0 = 0; m0 < m; m0 += mc_max)
        for (int j = 0; j < n; j += NR) {
            int nr = n - j < NR ? n - j : NR;
            const float *bp = packed ? packed + (long)j * k : j < in_place ? b + j : edge;
            long b_step = j < in_place ? ldb : NR;
            for (int i0 = m0; i0 < m && i0 < m0 + mc_max; i0 += MR) {
                int mr = m - i0 < MR ? m - i0 : MR;
                nll_tiles[nr <= VW][mr](k, a + (long)i0 * lda, lda, bp, b_step, nr, bias ? bias + j : 0, x + j, ldx,
                                        row0 + i0, x_rows, sums + i0, tails + i0);
            }
        }
    for (int i = 0; i < m; i++) {
        double total = tails[i];
        for (int e = 0; e < VW; e++) total += sums[i][e];
        out[i] = (float)total;
    }
}
#endif
