// Elementwise, fused and random-fill kernels, instantiated per ISA by the including file, which
// defines VW (lanes) and VECTOR_TABLE (the rp_vector_kernels table to define).
#include "internal.h"
#include "vector_math.h"
#include <math.h>

static inline vfloat unary_v(int op, vfloat x) {
    switch (op) {
    case RP_UNARY_EXP: return v_exp(x);
    case RP_UNARY_LOG: return v_log(x);
    case RP_UNARY_LOG1P: return v_log1p(x);
    case RP_UNARY_EXPM1: return v_expm1(x);
    case RP_UNARY_TANH: return v_tanh(x);
    case RP_UNARY_SIGMOID: return v_sigmoid(x);
    case RP_UNARY_SOFTPLUS: return v_softplus(x);
    case RP_UNARY_LOG_SIGMOID: return v_log_sigmoid(x);
    case RP_UNARY_RELU: return select_f(x > 0.0f, x, select_f(x != x, x, splat(0.0f)));
    case RP_UNARY_NEG: return -x;
    case RP_UNARY_SQUARE: return x * x;
    case RP_UNARY_SQRT: return vsqrt(x);
    case RP_UNARY_ABS: return vabs(x);
    default: return 1.0f / x;  // RP_UNARY_RECIPROCAL
    }
}

// Each op's case is its own vectorized loop: the switch sits outside the loop.
#define UNARY_CASE(OPCODE)                                                                    \
    case OPCODE: {                                                                            \
        size_t i = 0;                                                                         \
        for (; i + VW <= n; i += VW) STOREV(y + i, unary_v(OPCODE, LOADV(x + i)));            \
        if (i < n) {                                                                          \
            vfloat tail = {0};                                                                \
            for (size_t j = 0; j < n - i; j++) tail[j] = x[i + j];                            \
            tail = unary_v(OPCODE, tail);                                                     \
            for (size_t j = 0; j < n - i; j++) y[i + j] = tail[j];                            \
        }                                                                                     \
        break;                                                                                \
    }

static void unary(int op, const float *x, float *y, size_t n) {
    switch (op) {
    UNARY_CASE(RP_UNARY_EXP) UNARY_CASE(RP_UNARY_LOG) UNARY_CASE(RP_UNARY_LOG1P)
    UNARY_CASE(RP_UNARY_EXPM1) UNARY_CASE(RP_UNARY_TANH) UNARY_CASE(RP_UNARY_SIGMOID)
    UNARY_CASE(RP_UNARY_SOFTPLUS) UNARY_CASE(RP_UNARY_LOG_SIGMOID) UNARY_CASE(RP_UNARY_RELU)
    UNARY_CASE(RP_UNARY_NEG) UNARY_CASE(RP_UNARY_SQUARE) UNARY_CASE(RP_UNARY_SQRT)
    UNARY_CASE(RP_UNARY_ABS) UNARY_CASE(RP_UNARY_RECIPROCAL)
    default: break;
    }
}

/// g · op'(x), written with y = op(x) where that is cheaper.
static inline vfloat unary_backward_v(int op, vfloat x, vfloat y, vfloat g) {
    switch (op) {
    case RP_UNARY_EXP: return g * y;
    case RP_UNARY_LOG: return g / x;
    case RP_UNARY_LOG1P: return g / (x + 1.0f);
    case RP_UNARY_EXPM1: return g * (y + 1.0f);
    case RP_UNARY_TANH: return g * (1.0f - y * y);
    case RP_UNARY_SIGMOID: return g * y * (1.0f - y);
    case RP_UNARY_SOFTPLUS: return g * v_sigmoid(x);
    case RP_UNARY_LOG_SIGMOID: return g * v_sigmoid(-x);
    case RP_UNARY_RELU: return select_f(x > 0.0f, g, splat(0.0f));
    case RP_UNARY_NEG: return -g;
    case RP_UNARY_SQUARE: return 2.0f * x * g;
    case RP_UNARY_SQRT: return g * 0.5f / y;
    case RP_UNARY_ABS: return select_f(x > 0.0f, g, select_f(x < 0.0f, -g, splat(0.0f)));
    default: return -g * y * y;  // RP_UNARY_RECIPROCAL
    }
}

#define UNARY_BACKWARD_CASE(OPCODE)                                                           \
    case OPCODE: {                                                                            \
        size_t i = 0;                                                                         \
        for (; i + VW <= n; i += VW)                                                          \
            STOREV(gx + i, unary_backward_v(OPCODE, LOADV(x + i), LOADV(y + i), LOADV(g + i)));\
        for (; i < n; i++) {                                                                  \
            vfloat r = unary_backward_v(OPCODE, splat(x[i]), splat(y[i]), splat(g[i]));       \
            gx[i] = r[0];                                                                     \
        }                                                                                     \
        break;                                                                                \
    }

static void unary_backward(int op, const float *x, const float *y, const float *g, float *gx, size_t n) {
    switch (op) {
    UNARY_BACKWARD_CASE(RP_UNARY_EXP) UNARY_BACKWARD_CASE(RP_UNARY_LOG)
    UNARY_BACKWARD_CASE(RP_UNARY_LOG1P) UNARY_BACKWARD_CASE(RP_UNARY_EXPM1)
    UNARY_BACKWARD_CASE(RP_UNARY_TANH) UNARY_BACKWARD_CASE(RP_UNARY_SIGMOID)
    UNARY_BACKWARD_CASE(RP_UNARY_SOFTPLUS) UNARY_BACKWARD_CASE(RP_UNARY_LOG_SIGMOID)
    UNARY_BACKWARD_CASE(RP_UNARY_RELU) UNARY_BACKWARD_CASE(RP_UNARY_NEG)
    UNARY_BACKWARD_CASE(RP_UNARY_SQUARE) UNARY_BACKWARD_CASE(RP_UNARY_SQRT)
    UNARY_BACKWARD_CASE(RP_UNARY_ABS) UNARY_BACKWARD_CASE(RP_UNARY_RECIPROCAL)
    default: break;
    }
}

static inline vfloat binary_v(int op, vfloat a, vfloat b) {
    switch (op) {
    case RP_BINARY_ADD: return a + b;
    case RP_BINARY_SUB: return a - b;
    case RP_BINARY_MUL: return a * b;
    case RP_BINARY_DIV: return a / b;
    case RP_BINARY_MAX: return select_f(a != a, a, vmax(a, b));
    default: return select_f(a != a, a, vmin(a, b));  // RP_BINARY_MIN
    }
}

#define BINARY_CASE(OPCODE)                                                                   \
    case OPCODE: {                                                                            \
        size_t i = 0;                                                                         \
        if (a_step && b_step)                                                                 \
            for (; i + VW <= n; i += VW) STOREV(out + i, binary_v(OPCODE, LOADV(a + i), LOADV(b + i))); \
        else if (a_step)                                                                      \
            for (; i + VW <= n; i += VW) STOREV(out + i, binary_v(OPCODE, LOADV(a + i), splat(*b))); \
        else if (b_step)                                                                      \
            for (; i + VW <= n; i += VW) STOREV(out + i, binary_v(OPCODE, splat(*a), LOADV(b + i))); \
        for (; i < n; i++)                                                                    \
            out[i] = binary_v(OPCODE, splat(a[i * a_step]), splat(b[i * b_step]))[0];         \
        break;                                                                                \
    }

/// out[i] = a[i·a_step] ^ b[i·b_step], steps 0 or 1: vectors where the base is positive and finite
/// and the exponent finite, libm's powf for the other lanes (zeros, negatives, ∞, NaN). On AMD
/// Zen 4, one thread: 0.42 Gelem/s on AVX-512 and 0.27 on AVX2, against libm's 0.23.
static void pow_lanes(const float *a, int a_step, const float *b, int b_step, float *out, size_t n) {
    size_t i = 0;
#if VW == 4
    // The portable build's double lanes (SSE2, no FMA) ran at half libm's speed: libm it is.
    for (; i < n; i++) out[i] = powf(a[i * a_step], b[i * b_step]);
#else
    for (; i + VW <= n; i += VW) {
        vfloat x = a_step ? LOADV(a + i) : splat(*a), p = b_step ? LOADV(b + i) : splat(*b);
        vint ordinary = (x > 0.0f) & (x < __builtin_inff()) & (vabs(p) < __builtin_inff());
        vfloat y = v_pow_positive(select_f(ordinary, x, splat(1.0f)), select_f(ordinary, p, splat(0.0f)));
        if (__builtin_reduce_and(ordinary) == 0)  // some lane is not: lanes are 0 or −1
            for (int j = 0; j < VW; j++)
                if (!ordinary[j]) y[j] = powf(x[j], p[j]);
        STOREV(out + i, y);
    }
    for (; i < n; i++) {
        float x = a[i * a_step], p = b[i * b_step];
        out[i] = x > 0.0f && x < __builtin_inff() && fabsf(p) < __builtin_inff() ? v_pow_positive(splat(x), splat(p))[0]
                                                                                    : powf(x, p);
    }
#endif
}

/// out[i] = a[i·a_step] op b[i·b_step], steps 0 or 1.
static void binary_contiguous(int op, const float *a, int a_step, const float *b, int b_step, float *out, size_t n) {
    switch (op) {
    BINARY_CASE(RP_BINARY_ADD) BINARY_CASE(RP_BINARY_SUB) BINARY_CASE(RP_BINARY_MUL)
    BINARY_CASE(RP_BINARY_DIV) BINARY_CASE(RP_BINARY_MAX) BINARY_CASE(RP_BINARY_MIN)
    case RP_BINARY_POW: pow_lanes(a, a_step, b, b_step, out, n); break;
    default: break;
    }
}

static inline vfloat activation_v(int act, vfloat x) {
    switch (act) {
    case RP_ACT_RELU: return select_f(x > 0.0f, x, select_f(x != x, x, splat(0.0f)));
    case RP_ACT_TANH: return v_tanh(x);
    case RP_ACT_SIGMOID: return v_sigmoid(x);
    default: return x;
    }
}

static void bias_activation(int act, float *y, const float *bias, int m, int n) {
    for (int i = 0; i < m; i++) {
        float *row = y + (size_t)i * n;
        int j = 0;
        for (; j + VW <= n; j += VW) {
            vfloat v = LOADV(row + j);
            if (bias) v += LOADV(bias + j);
            STOREV(row + j, activation_v(act, v));
        }
        for (; j < n; j++) row[j] = activation_v(act, splat(row[j] + (bias ? bias[j] : 0.0f)))[0];
    }
}

static inline vfloat activation_backward_v(int act, vfloat y, vfloat g) {
    switch (act) {
    case RP_ACT_RELU: return select_f(y > 0.0f, g, splat(0.0f));
    case RP_ACT_TANH: return g * (1.0f - y * y);
    case RP_ACT_SIGMOID: return g * y * (1.0f - y);
    default: return g;
    }
}

static void activation_backward(int act, const float *y, const float *v, float *g, size_t n) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) STOREV(g + i, activation_backward_v(act, LOADV(y + i), LOADV(v + i)));
    for (; i < n; i++) g[i] = activation_backward_v(act, splat(y[i]), splat(v[i]))[0];
}

// One e^{−|l|} serves both the loss, softplus(l) − x·l = max(l, 0) + log1p(e) − x·l, and its
// gradient, σ(l) − x with σ(l) = (l ≥ 0 ? 1 : e)/(1 + e): one exponential per element, not two.
static inline vfloat nll_terms(vfloat lv, vfloat xv, vfloat *gradient) {
    vfloat e = v_exp(-vabs(lv));
    *gradient = select_f(lv >= 0.0f, splat(1.0f), e) / (1.0f + e) - xv;
    return vmax(lv, splat(0.0f)) + v_log1p_unit(e) - xv * lv;
}

/// One block (the caller passes ≤ 4096 values): float lanes, then their sum in double.
static double bernoulli_logits_nll(const float *l, const float *x, size_t n, float *grad, float scale) {
    double total = 0;
    size_t i = 0;
    vfloat acc = {0}, g;
    // Four vectors a turn in both loops: one vector's exp → log1p (→ division) chain is longer than
    // the core's reorder window holds at 8 lanes, so a lone chain left the AVX2 path latency-bound
    // (with the gradient, 1.35× faster on AVX2 and 1.15× on AVX-512, Zen 4). Same sums, same order.
    if (!grad) {
        // The loss alone (evaluation): no σ(l) − x, so no division per element.
        for (; i + 4 * VW <= n; i += 4 * VW) {
            const vfloat t0 = v_bernoulli_nll(LOADV(l + i), LOADV(x + i));
            const vfloat t1 = v_bernoulli_nll(LOADV(l + i + VW), LOADV(x + i + VW));
            const vfloat t2 = v_bernoulli_nll(LOADV(l + i + 2 * VW), LOADV(x + i + 2 * VW));
            const vfloat t3 = v_bernoulli_nll(LOADV(l + i + 3 * VW), LOADV(x + i + 3 * VW));
            acc += t0;
            acc += t1;
            acc += t2;
            acc += t3;
        }
        for (; i + VW <= n; i += VW) acc += v_bernoulli_nll(LOADV(l + i), LOADV(x + i));
    }
    for (; i + 4 * VW <= n; i += 4 * VW) {
        vfloat g1, g2, g3;
        const vfloat t0 = nll_terms(LOADV(l + i), LOADV(x + i), &g);
        const vfloat t1 = nll_terms(LOADV(l + i + VW), LOADV(x + i + VW), &g1);
        const vfloat t2 = nll_terms(LOADV(l + i + 2 * VW), LOADV(x + i + 2 * VW), &g2);
        const vfloat t3 = nll_terms(LOADV(l + i + 3 * VW), LOADV(x + i + 3 * VW), &g3);
        acc += t0;
        acc += t1;
        acc += t2;
        acc += t3;
        if (grad) {
            STOREV(grad + i, g * scale);
            STOREV(grad + i + VW, g1 * scale);
            STOREV(grad + i + 2 * VW, g2 * scale);
            STOREV(grad + i + 3 * VW, g3 * scale);
        }
    }
    for (; i + VW <= n; i += VW) {
        acc += nll_terms(LOADV(l + i), LOADV(x + i), &g);
        if (grad) STOREV(grad + i, g * scale);
    }
    for (; i < n; i++) {
        total += (double)nll_terms(splat(l[i]), splat(x[i]), &g)[0];
        if (grad) grad[i] = (g * scale)[0];
    }
    for (int j = 0; j < VW; j++) total += acc[j];
    return total;
}

// p ← p − lr·wd·p − (lr/bias1)·m / (√v·(1/√bias2) + eps), PyTorch's order: the bias corrections
// fold into scalars, leaving one square root and one division per element instead of three.
static inline vfloat adam_v(vfloat p, vfloat g, vfloat *m, vfloat *v, float b1, float b2, float eps,
                            float step_size, float inv_sqrt_bias2, float lr_wd) {
    *m = b1 * *m + (1.0f - b1) * g;
    *v = b2 * *v + (1.0f - b2) * g * g;
    return p - lr_wd * p - step_size * *m / (vsqrt(*v) * inv_sqrt_bias2 + eps);
}

static void adam_update(float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
                        float b2, float eps, float bias1, float bias2, float wd) {
    const float step_size = lr / bias1, inv_sqrt_bias2 = 1.0f / sqrtf(bias2), lr_wd = lr * wd;
    size_t i = 0;
    for (; i + VW <= n; i += VW) {
        vfloat mv = LOADV(m + i), vv = LOADV(v + i);
        STOREV(p + i, adam_v(LOADV(p + i), LOADV(g + i), &mv, &vv, b1, b2, eps, step_size, inv_sqrt_bias2, lr_wd));
        STOREV(m + i, mv);
        STOREV(v + i, vv);
    }
    for (; i < n; i++) {
        vfloat mv = splat(m[i]), vv = splat(v[i]);
        p[i] = adam_v(splat(p[i]), splat(g[i]), &mv, &vv, b1, b2, eps, step_size, inv_sqrt_bias2, lr_wd)[0];
        m[i] = mv[0];
        v[i] = vv[0];
    }
}

// x − x is 0 for finite x and NaN for ±inf and NaN, and NaN survives the sum.
static int all_finite(const float *x, size_t n) {
    vfloat acc = {0};
    size_t i = 0;
    for (; i + VW <= n; i += VW) {
        vfloat xv = LOADV(x + i);
        acc += xv - xv;
    }
    float tail = 0;
    for (; i < n; i++) tail += x[i] - x[i];
    for (int j = 0; j < VW; j++) tail += acc[j];
    return tail == 0.0f;
}

// MARK: Philox-4x32-10, 16 blocks at a time (one 64-value chunk)

typedef uint32_t u32x16 __attribute__((vector_size(64)));

typedef uint64_t u64x8 __attribute__((vector_size(64)));

// 32×32 → 64-bit products of all 16 lanes without widening: even and odd lanes multiply in
// place as 64-bit lanes (one vpmuludq each), the high halves are merged back, and the low
// halves are the ordinary 32-bit product.
#define PHILOX_MULHILO(x, m, hi, lo)                                                          \
    do {                                                                                      \
        u64x8 even_ = (u64x8)(x) & 0xffffffffu, odd_ = (u64x8)(x) >> 32;                      \
        u64x8 high_ = ((even_ * (uint64_t)(m)) >> 32) | ((odd_ * (uint64_t)(m)) & 0xffffffff00000000u); \
        hi = (u32x16)high_;                                                                   \
        lo = (x) * (uint32_t)(m);                                                             \
    } while (0)

// Philox's ten rounds are one serial dependency chain per vector; running CHUNKS chunks side by
// side gives the core independent chains to overlap (Zen 5, one core: bits 2.7 → 5.4 G/s,
// normals 1.26 → 2.5 G/s with 4 chunks). Four chunks of state fit 32 zmm registers; with 16
// registers two do.
#if VW == 16
#define CHUNKS 4
#else
#define CHUNKS 2
#endif

static inline void philox_chunks_words(const uint32_t key[2], uint64_t chunk, uint32_t words[CHUNKS][4][16]) {
    u32x16 x0[CHUNKS], x1[CHUNKS], x2[CHUNKS], x3[CHUNKS];
    for (int c = 0; c < CHUNKS; c++) {
        uint64_t first_block = (chunk + (uint64_t)c) * 16;
        for (int l = 0; l < 16; l++) {
            uint64_t block = first_block + (uint64_t)l;
            x0[c][l] = (uint32_t)block;
            x1[c][l] = (uint32_t)(block >> 32);
        }
        x2[c] = (u32x16){0};
        x3[c] = (u32x16){0};
    }
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
#pragma clang loop unroll(full)
        for (int c = 0; c < CHUNKS; c++) {
            u32x16 hi0, lo0, hi1, lo1;
            PHILOX_MULHILO(x0[c], 0xD2511F53u, hi0, lo0);
            PHILOX_MULHILO(x2[c], 0xCD9E8D57u, hi1, lo1);
            u32x16 y0 = hi1 ^ x1[c] ^ k0, y2 = hi0 ^ x3[c] ^ k1;
            x0[c] = y0; x1[c] = lo1; x2[c] = y2; x3[c] = lo0;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int c = 0; c < CHUNKS; c++) {
        *(u32x16 *)words[c][0] = x0[c];
        *(u32x16 *)words[c][1] = x1[c];
        *(u32x16 *)words[c][2] = x2[c];
        *(u32x16 *)words[c][3] = x3[c];
    }
}

typedef uint32_t vuint_unaligned __attribute__((vector_size(VW * 4), aligned(4)));
static inline vuint load_words(const uint32_t *w) { return *(const vuint_unaligned *)w; }

/// Uniform on (0, 1] from 31 bits: fine spacing near 0, where −log needs it.
static inline vfloat open_uniform31(vuint w) {
    return __builtin_convertvector((vint)(w >> 1), vfloat) * 4.656612873e-10f + 2.328306437e-10f;
}

/// sin and cos of 2π·f for f ∈ [0, 1]: nearest quarter turn k, then |θ| ≤ π/4 polynomials.
static inline void v_sincos_turns(vfloat f, vfloat *s_out, vfloat *c_out) {
    vfloat q = f * 4.0f;
    vfloat k = (q + 12582912.0f) - 12582912.0f;
    vfloat t = (q - k) * 1.57079632679489662f;
    vfloat z = t * t;
    vfloat s = t + t * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
    vfloat c = 1.0f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
    vint ki = __builtin_convertvector(k, vint);
    vint swap = (ki & 1) != 0;
    vfloat sin_v = select_f(swap, c, s), cos_v = select_f(swap, s, c);
    sin_v = (vfloat)((vuint)sin_v ^ ((vuint)(ki & 2) << 30));
    cos_v = (vfloat)((vuint)cos_v ^ ((vuint)((ki + 1) & 2) << 30));
    *s_out = sin_v;
    *c_out = cos_v;
}

/// Turns one chunk's words into 64 values of the requested kind.
static inline void chunk_values(uint32_t words[4][16], int kind, void *out) {
    if (kind == RP_FILL_BITS) {
        uint32_t *o = (uint32_t *)out;
        for (int w = 0; w < 4; w++)
            for (int l = 0; l < 16; l++) o[w * 16 + l] = words[w][l];
        return;
    }
    float *o = (float *)out;
    for (int l = 0; l < 16; l += VW) {
        if (kind == RP_FILL_UNIFORM) {
            for (int w = 0; w < 4; w++)
                STOREV(o + w * 16 + l, __builtin_convertvector((vint)(load_words(&words[w][l]) >> 8), vfloat) * 5.9604644775390625e-8f);
        } else if (kind == RP_FILL_NORMAL) {
            for (int pair = 0; pair < 2; pair++) {
                vfloat u1 = open_uniform31(load_words(&words[2 * pair][l]));
                vfloat f = __builtin_convertvector((vint)(load_words(&words[2 * pair + 1][l]) >> 8), vfloat) * 5.9604644775390625e-8f;
                vfloat r = vsqrt(-2.0f * v_log_normal_range(u1));
                vfloat s, co;
                v_sincos_turns(f, &s, &co);
                STOREV(o + (2 * pair) * 16 + l, r * co);
                STOREV(o + (2 * pair + 1) * 16 + l, r * s);
            }
        } else {  // Gumbel: −log(E), E = −log1p(−V) ~ Exp(1), V uniform on (0, 1).
            for (int w = 0; w < 4; w++) {
                vfloat v = vmin(open_uniform31(load_words(&words[w][l])), splat(0.99999994f));
                STOREV(o + w * 16 + l, -v_log_normal_range(-v_log1p(-v)));
            }
        }
    }
}

static void philox_chunks(const uint32_t key[2], uint64_t first_chunk, size_t chunks, int kind, void *out) {
    uint32_t words[CHUNKS][4][16] __attribute__((aligned(64)));
    for (size_t c = 0; c < chunks; c += CHUNKS) {
        philox_chunks_words(key, first_chunk + c, words);  // a partial group computes spare chunks
        for (size_t j = 0; j < CHUNKS && c + j < chunks; j++)
            chunk_values(words[j], kind, (uint32_t *)out + (c + j) * 64);
    }
}

// MARK: Gamma draws (Marsaglia–Tsang), VW lanes

/// One Marsaglia–Tsang attempt per element for Gamma(α′, 1), α′ = α + 1 when α < 1 (the boost
/// is applied by the caller): d = α′ − ⅓, c = 1/√(9d), v = (1 + c·x)³; accepted when v > 0 and
/// log u < x²/2 + d − d·v + d·log v, giving log G = log d + log v. Float lanes; for α′ ≥ 1e4
/// the acceptance terms cancel beyond Float, and those lanes are redone in Double.
static void gamma_attempts(const float *alpha, const float *normal, const float *uniform, size_t n,
                           double *log_out, uint8_t *accepted) {
    size_t i = 0;
    for (; i + VW <= n; i += VW) {
        vfloat a = LOADV(alpha + i), x = LOADV(normal + i), u = LOADV(uniform + i) + 0x1p-25f;
        vfloat boosted = select_f(a < 1.0f, a + 1.0f, a);
        vfloat d = boosted - (1.0f / 3.0f), c = 1.0f / vsqrt(9.0f * d);
        vfloat base = 1.0f + c * x;
        vint positive = base > 0.0f;
        vfloat v = base * base * base;
        vfloat log_v = v_log_normal_range(select_f(positive, v, splat(1.0f)));
        vint ok = positive & (v_log_normal_range(u) < 0.5f * x * x + d - d * v + d * log_v);
        vfloat log_g = v_log_normal_range(d) + log_v;
        for (int l = 0; l < VW; l++) {
            accepted[i + l] = ok[l] != 0;
            log_out[i + l] = log_g[l];
        }
    }
    for (; i < n; i++) {
        double boosted = alpha[i] < 1 ? alpha[i] + 1.0 : alpha[i];
        double d = boosted - 1.0 / 3, c = 1 / sqrt(9 * d), x = normal[i], base = 1 + c * x;
        accepted[i] = 0;
        if (base > 0) {
            double v = base * base * base;
            accepted[i] = log(uniform[i] + 0x1p-25) < 0.5 * x * x + d - d * v + d * log(v);
            log_out[i] = log(d * v);
        }
    }
    for (size_t j = 0; j < n; j++) {  // large α: redo in Double
        double boosted = alpha[j] < 1 ? alpha[j] + 1.0 : alpha[j];
        if (boosted < 1e4) continue;
        double d = boosted - 1.0 / 3, c = 1 / sqrt(9 * d), x = normal[j], base = 1 + c * x;
        accepted[j] = 0;
        if (base > 0) {
            double v = base * base * base;
            accepted[j] = log(uniform[j] + 0x1p-25) < 0.5 * x * x + d - d * v + d * log(v);
            log_out[j] = log(d * v);
        }
    }
}

// MARK: Gamma implicit derivative, series branch, VW/2 double lanes

typedef double vdouble __attribute__((vector_size(VW * 4)));
typedef int64_t vlong __attribute__((vector_size(VW * 4)));
#define VD (VW / 2)

static inline vdouble select_d(vlong mask, vdouble yes, vdouble no) {
    return (vdouble)((mask & (vlong)yes) | (~mask & (vlong)no));
}

/// ψ(z) lane by lane: shift to z ≥ 10 (masked), then the asymptotic series to 1/z¹².
static inline vdouble digamma_d(vdouble z) {
    vdouble acc = -(vdouble){0};
    for (int j = 0; j < 10; j++) {
        vlong below = z < 10.0;
        acc = select_d(below, acc - 1.0 / z, acc);
        z = select_d(below, z + 1.0, z);
    }
    vdouble w = 1.0 / (z * z);
    vdouble series = w * (1.0 / 12 - w * (1.0 / 120 - w * (1.0 / 252 - w * (1.0 / 240 - w * (1.0 / 132 - w * (691.0 / 32760))))));
    vdouble log_z;
    for (int l = 0; l < VD; l++) log_z[l] = log(z[l]);
    return acc + log_z - 0.5 / z - series;
}

/// (dG/dα)/G = −(S·(log G − ψ(α+1)) + ∂S/∂α)/α for draws on the series branch, VD at a time;
/// a lane that has converged keeps adding ever smaller terms until all have.
static void gamma_series_derivatives(const double *a, const double *x, const double *log_x, size_t n, double *out) {
    size_t i = 0;
    for (; i + VD <= n; i += VD) {
        vdouble va, vx, vl;
        for (int l = 0; l < VD; l++) { va[l] = a[i + l]; vx[l] = x[i + l]; vl[l] = log_x[i + l]; }
        vdouble term = -(vdouble){0} + 1.0, total = term, harmonic = (vdouble){0}, total_derivative = (vdouble){0};
        for (int k = 1; k < 100000; k++) {
            vdouble r = 1.0 / (va + (double)k);
            term = term * vx * r;
            harmonic += r;
            total += term;
            total_derivative -= term * harmonic;
            vlong converged = (term < total * 1e-13) & (va + (double)k > vx);
            int all = 1;
            for (int l = 0; l < VD; l++) all &= converged[l] != 0;
            if (all) break;
        }
        vdouble result = -(total * (vl - digamma_d(va + 1.0)) + total_derivative) / va;
        for (int l = 0; l < VD; l++) out[i + l] = result[l];
    }
    for (; i < n; i++) {  // the remainder, as a one-lane-used vector
        double pa[VD], px[VD], pl[VD], po[VD];
        for (int l = 0; l < VD; l++) { pa[l] = a[i]; px[l] = x[i]; pl[l] = log_x[i]; }
        gamma_series_derivatives(pa, px, pl, VD, po);
        out[i] = po[0];
    }
}

// The affine autoregressive step (rp_affine_autoregressive). The parameters come interleaved
// (μ₀, s₀, μ₁, s₁, …): two vector loads are split into a μ and an s vector by shuffles; a row's
// tail of fewer than VW variables goes through zero-filled vectors.
#if VW == 16
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define LOW_PAIRS 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define HIGH_PAIRS 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#elif VW == 8
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14
#define ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15
#define LOW_PAIRS 0, 8, 1, 9, 2, 10, 3, 11
#define HIGH_PAIRS 4, 12, 5, 13, 6, 14, 7, 15
#else
#define EVEN_LANES 0, 2, 4, 6
#define ODD_LANES 1, 3, 5, 7
#define LOW_PAIRS 0, 4, 1, 5
#define HIGH_PAIRS 2, 6, 3, 7
#endif

// One chunk: y = x·σ + μ with σ = g + 10⁻³, g = sigmoid(s + 2); returns log σ.
static inline vfloat affine_chunk(vfloat mu, vfloat s, vfloat x, float *y, float *sig) {
    const vfloat g = v_sigmoid(s + 2.0f), sigma = g + 1e-3f;
    STOREV(y, x * sigma + mu);
    STOREV(sig, g);
    return v_log(sigma);
}

static void affine_autoregressive(const float *params, const float *x, size_t rows, size_t d, float *y, float *sig,
                                  float *logdet) {
    for (size_t r = 0; r < rows; r++) {
        const float *pr = params + r * d * 2, *xr = x + r * d;
        float *yr = y + r * d, *sr = sig + r * d;
        vfloat sum = {0};
        size_t j = 0;
        for (; j + VW <= d; j += VW) {
            const vfloat a = LOADV(pr + 2 * j), b = LOADV(pr + 2 * j + VW);
            sum += affine_chunk(__builtin_shufflevector(a, b, EVEN_LANES), __builtin_shufflevector(a, b, ODD_LANES),
                                LOADV(xr + j), yr + j, sr + j);
        }
        double total = 0;
        for (int l = 0; l < VW; l++) total += sum[l];
        if (j < d) {
            const size_t lanes = d - j;
            float mu[VW] = {0}, s[VW] = {0}, xs[VW] = {0}, ys[VW], gs[VW];
            for (size_t l = 0; l < lanes; l++) mu[l] = pr[2 * (j + l)], s[l] = pr[2 * (j + l) + 1], xs[l] = xr[j + l];
            const vfloat log_sigma = affine_chunk(LOADV(mu), LOADV(s), LOADV(xs), ys, gs);
            for (size_t l = 0; l < lanes; l++) yr[j + l] = ys[l], sr[j + l] = gs[l], total += log_sigma[l];
        }
        logdet[r] = (float)total;
    }
}

// Its pullback: μ̄ = ȳ, s̄ = (ȳ·x + l̄/σ)·g(1 − g) with g = σ − 10⁻³ the sigmoid, x̄ = ȳ·σ; μ̄ and s̄
// are stored interleaved again.
static inline void affine_backward_chunk(vfloat x, vfloat g, vfloat gy, float gl, float *gparams, float *gx) {
    const vfloat sigma = g + 1e-3f, gs = (gy * x + gl / sigma) * g * (1.0f - g);
    STOREV(gparams, __builtin_shufflevector(gy, gs, LOW_PAIRS));
    STOREV(gparams + VW, __builtin_shufflevector(gy, gs, HIGH_PAIRS));
    STOREV(gx, gy * sigma);
}

static void affine_autoregressive_backward(const float *x, const float *sig, const float *gy, const float *glogdet,
                                           size_t rows, size_t d, float *gparams, float *gx) {
    for (size_t r = 0; r < rows; r++) {
        const float gl = glogdet ? glogdet[r] : 0.0f;
        const float *xr = x + r * d, *sr = sig + r * d, *gyr = gy ? gy + r * d : NULL;
        float *gpr = gparams + r * d * 2, *gxr = gx + r * d;
        size_t j = 0;
        for (; j + VW <= d; j += VW)
            affine_backward_chunk(LOADV(xr + j), LOADV(sr + j), gyr ? LOADV(gyr + j) : splat(0.0f), gl, gpr + 2 * j,
                                  gxr + j);
        if (j < d) {
            const size_t lanes = d - j;
            float xs[VW] = {0}, gs[VW] = {0}, gys[VW] = {0}, gp[2 * VW], gxs[VW];
            for (size_t l = 0; l < lanes; l++) xs[l] = xr[j + l], gs[l] = sr[j + l], gys[l] = gyr ? gyr[j + l] : 0.0f;
            affine_backward_chunk(LOADV(xs), LOADV(gs), LOADV(gys), gl, gp, gxs);
            for (size_t l = 0; l < lanes; l++) gpr[2 * (j + l)] = gp[2 * l], gpr[2 * (j + l) + 1] = gp[2 * l + 1],
                                               gxr[j + l] = gxs[l];
        }
    }
}

#undef EVEN_LANES
#undef ODD_LANES
#undef LOW_PAIRS
#undef HIGH_PAIRS

// MARK: Multiply-add peak

// Independent accumulators enough to cover latency × units (4-5 cycles × 2 units on the cores
// measured), nothing loaded or stored: the most multiply-adds one thread can issue, which a GEMM
// tile is compared with. acc ← 0.999·acc + 0.001 stays bounded; the two constants are read through
// volatile, since with known ones the compiler drops the chain that starts at the fixed point 1.
#define PEAK_ACC (VW == 16 ? 24 : 12)

static float fma_peak_loop(long rounds) {
    static volatile float scale = 0.999f, shift = 1e-3f;
    vfloat acc[PEAK_ACC];
    const vfloat x = splat(scale), y = splat(shift);
    for (int i = 0; i < PEAK_ACC; i++) acc[i] = splat((float)i);
    for (long r = 0; r < rounds; r++)
#pragma clang loop unroll(full)
        for (int i = 0; i < PEAK_ACC; i++) acc[i] = acc[i] * x + y;
    float sum = 0;
    for (int i = 0; i < PEAK_ACC; i++)
        for (int l = 0; l < VW; l++) sum += acc[i][l];
    return sum;
}

const rp_vector_kernels VECTOR_TABLE = {
    .unary = unary,
    .unary_backward = unary_backward,
    .binary_contiguous = binary_contiguous,
    .pow = pow_lanes,
    .bias_activation = bias_activation,
    .activation_backward = activation_backward,
    .bernoulli_logits_nll = bernoulli_logits_nll,
    .adam_update = adam_update,
    .all_finite = all_finite,
    .philox_chunks = philox_chunks,
    .gamma_series_derivatives = gamma_series_derivatives,
    .gamma_attempts = gamma_attempts,
    .affine_autoregressive = affine_autoregressive,
    .affine_autoregressive_backward = affine_autoregressive_backward,
    .fma_peak_loop = fma_peak_loop,
    .fma_peak_flops_per_round = 2 * PEAK_ACC * VW,
};
