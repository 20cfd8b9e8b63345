// Vectorized single-precision math on clang vector extensions, VW lanes wide (defined by the
// including file). Cephes-style range reductions and minimax polynomials: ≈1e-7 relative error
// on the normal range; NaN propagates; ±inf and underflow give the limits libm gives.
#include <stdint.h>

typedef float vfloat __attribute__((vector_size(VW * 4)));
typedef int32_t vint __attribute__((vector_size(VW * 4)));
typedef uint32_t vuint __attribute__((vector_size(VW * 4)));
typedef float vfloat_unaligned __attribute__((vector_size(VW * 4), aligned(4)));

#define LOADV(p) (*(const vfloat_unaligned *)(p))
#define STOREV(p, v) (*(vfloat_unaligned *)(p) = (v))

static inline vfloat splat(float x) { return -(vfloat){0} + x; }  // −0 + x is exactly x
static inline vfloat select_f(vint mask, vfloat yes, vfloat no) {
    return (vfloat)((mask & (vint)yes) | (~mask & (vint)no));
}
static inline vfloat vmax(vfloat a, vfloat b) { return select_f(a > b, a, b); }
static inline vfloat vmin(vfloat a, vfloat b) { return select_f(a < b, a, b); }
static inline vfloat vabs(vfloat x) { return (vfloat)((vint)x & 0x7fffffff); }
static inline vfloat vsqrt(vfloat x) { return __builtin_elementwise_sqrt(x); }

/// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n through the exponent.
/// Results below the smallest normal float (x < −87.34) flush to 0, like FTZ arithmetic.
static inline vfloat v_exp(vfloat x) {
    const float hi = 88.7228391f, lo = -87.3365447f;
    vfloat xc = vmin(vmax(x, splat(lo)), splat(hi));
    xc = select_f(x != x, x, xc);
    vfloat shifted = xc * 1.44269504088896341f + 12582912.0f;  // round-to-nearest via 1.5·2²³
    vfloat n = shifted - 12582912.0f;
    vfloat r = xc - n * 0.693359375f - n * -2.12194440e-4f;
    vfloat p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vint scale = (__builtin_convertvector(n, vint) + 127) << 23;
    vfloat y = p * (vfloat)scale;
    y = select_f(x > hi, splat(__builtin_inff()), y);
    return select_f(x < lo, splat(0.0f), y);
}

/// xᵖ for x > 0 and finite, p finite (the caller sends other lanes to libm): e^{p·ln x} in double,
/// rounded to float once. ln x = e·ln 2 + 2·atanh(s), s = (m − 1)/(m + 1) with m ∈ [√½, √2) and
/// |s| ≤ 0.172, by the odd series to s¹⁵ (next term < 1e-13 relative); e^y by y = n·ln 2 + r,
/// |r| ≤ ln2/2, and the Taylor series to r¹² (< 1e-15). Relative error before the rounding ≈1e-13,
/// so the float result is libm's except, rarely, 1 ulp apart where the exact value lies almost
/// halfway between two floats.
// VW double lanes (two registers' worth), for the float kernels that need double accuracy.
typedef double vf64 __attribute__((vector_size(VW * 8)));
typedef int64_t vi64 __attribute__((vector_size(VW * 8)));
// Macros, not functions: a function taking these 32-byte vectors in the portable (SSE) build
// draws clang's warning that AVX would pass them differently.
#define select_f64(mask, yes, no) ((vf64)(((mask) & (vi64)(yes)) | (~(mask) & (vi64)(no))))
#define splat_f64(x) (-(vf64){0} + (x))
static inline vfloat v_pow_positive(vfloat x, vfloat p) {
    vf64 xd = __builtin_convertvector(x, vf64), pd = __builtin_convertvector(p, vf64);
    vi64 bits = (vi64)xd;  // a float's value, even a subnormal one, is a normal double
    typedef uint64_t vu64 __attribute__((vector_size(VW * 8)));
    vi64 e = (vi64)((vu64)bits >> 52) - 1022;  // logical shift: AVX2 has no 64-bit arithmetic one
    vf64 m = (vf64)((bits & 0x000fffffffffffffLL) | 0x3fe0000000000000LL);  // [0.5, 1)
    vi64 small = m < 0.70710678118654752;
    m = select_f64(small, m + m, m);
    e = e + small;  // small is −1 where m doubled
    vf64 s = (m - 1.0) / (m + 1.0), s2 = s * s;
    vf64 series = splat_f64(1.0 / 15);
    series = series * s2 + 1.0 / 13;
    series = series * s2 + 1.0 / 11;
    series = series * s2 + 1.0 / 9;
    series = series * s2 + 1.0 / 7;
    series = series * s2 + 1.0 / 5;
    series = series * s2 + 1.0 / 3;
    // int64 ↔ double through the 1.5·2⁵² bias: AVX2 has no instruction for either conversion.
    vf64 e_d = (vf64)(e + 0x4338000000000000LL) - 6755399441055744.0;
    vf64 ln_x = e_d * 0.69314718055994531 + 2.0 * s * (1.0 + s2 * series);
    vf64 y = pd * ln_x;
    // Beyond ±200 the float result is already 0 or ∞; the clamp keeps 2ⁿ's exponent in range.
    y = select_f64(y > 200.0, splat_f64(200.0), select_f64(y < -200.0, splat_f64(-200.0), y));
    vf64 shifted = y * 1.4426950408889634 + 6755399441055744.0;  // round to nearest via 1.5·2⁵²
    vf64 n = shifted - 6755399441055744.0;
    vf64 r = y - n * 6.93147180369123816490e-01 - n * 1.90821492927058770002e-10;  // ln 2: n·hi is exact
    vf64 q = splat_f64(1.0 / 479001600);
    q = q * r + 1.0 / 39916800;
    q = q * r + 1.0 / 3628800;
    q = q * r + 1.0 / 362880;
    q = q * r + 1.0 / 40320;
    q = q * r + 1.0 / 5040;
    q = q * r + 1.0 / 720;
    q = q * r + 1.0 / 120;
    q = q * r + 1.0 / 24;
    q = q * r + 1.0 / 6;
    q = q * r + 0.5;
    q = q * r + 1.0;
    q = q * r + 1.0;
    vf64 scale = (vf64)(((vi64)shifted - 0x4338000000000000LL + 1023) << 52);
    return __builtin_convertvector(q * scale, vfloat);
}

/// log of a positive normal float: x = m·2^e with m ∈ [√½, √2), log(m) by a degree-9
/// polynomial in m − 1. No special inputs: the samplers call it on (2⁻³², 1] directly.
static inline vfloat v_log_normal_range(vfloat x) {
    vint bits = (vint)x;
    vfloat e = __builtin_convertvector(((bits >> 23) & 0xff) - 126, vfloat);
    vfloat m = (vfloat)((bits & 0x807fffff) | 0x3f000000);  // [0.5, 1)
    vint small = m < 0.707106781186547524f;
    e = e - select_f(small, splat(1.0f), splat(0.0f));
    m = select_f(small, m + m, m) - 1.0f;
    vfloat z = m * m;
    vfloat p = splat(7.0376836292e-2f);
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    vfloat y = p * m * z + e * -2.12194440e-4f - 0.5f * z;
    return m + y + e * 0.693359375f;
}

/// log x for any float: subnormals lifted by 2²³ first; 0 → −inf, x < 0 → NaN, +inf → +inf.
static inline vfloat v_log(vfloat x) {
    vint tiny = x < 1.17549435e-38f;
    vfloat y = v_log_normal_range(select_f(tiny, x * 8388608.0f, x));
    y = y - select_f(tiny, splat(15.9423851528787f), splat(0.0f));  // 23·ln 2
    y = select_f(x == 0.0f, splat(-__builtin_inff()), y);
    y = select_f(x < 0.0f, splat(__builtin_nanf("")), y);
    y = select_f(x == __builtin_inff(), x, y);
    return select_f(x != x, x, y);
}

/// log(1+x) = log(u)·x/(u−1) with u = 1+x: the quotient cancels u's rounding error. For x > −1
/// u is a normal float, so the plain-range log applies; the few special inputs are set apart.
static inline vfloat v_log1p(vfloat x) {
    vfloat u = x + 1.0f;
    vfloat d = u - 1.0f;
    vfloat y = v_log_normal_range(u) * (x / d);  // NaN in, NaN out through x / d
    y = select_f(d == 0.0f, x, y);
    y = select_f(x == __builtin_inff(), x, y);
    y = select_f(x == -1.0f, splat(-__builtin_inff()), y);
    return select_f(x < -1.0f, splat(__builtin_nanf("")), y);
}

/// e^x − 1: Taylor series to x⁹ for |x| < ½, else exp(x) − 1 (no cancellation there).
static inline vfloat v_expm1(vfloat x) {
    vfloat p = splat(2.75573192e-6f);
    p = p * x + 2.48015873e-5f;
    p = p * x + 1.98412698e-4f;
    p = p * x + 1.38888889e-3f;
    p = p * x + 8.33333333e-3f;
    p = p * x + 4.16666667e-2f;
    p = p * x + 1.66666667e-1f;
    p = p * x + 0.5f;
    vfloat series = p * (x * x) + x;
    return select_f(vabs(x) < 0.5f, series, v_exp(x) - 1.0f);
}

/// tanh x ≈ x·P(x²)/Q(x²) on |x| ≤ 9, where beyond it tanh rounds to ±1: one odd rational
/// (P: degree 4, Q: degree 4 in x²) fitted for minimal relative error by
/// scripts/fit_tanh_rational.py — 3.5e-7 in float32, with no exp and one division.
static inline vfloat v_tanh(vfloat x) {
    vfloat xc = vmin(vmax(x, splat(-9.0f)), splat(9.0f));
    vfloat t = xc * xc;
    vfloat p = splat(1.335437361e-08f);
    p = p * t + 2.060883526e-05f;
    p = p * t + 3.495571436e-03f;
    p = p * t + 1.338101029e-01f;
    p = p * t + 1.0f;
    vfloat q = splat(7.776429243e-07f);
    q = q * t + 3.285608545e-04f;
    q = q * t + 2.587691694e-02f;
    q = q * t + 4.671432674e-01f;
    q = q * t + 1.0f;
    vfloat unit = (vfloat)(((vint)x & (int32_t)0x80000000) | 0x3f800000);  // ±1 with x's sign
    vfloat y = select_f(vabs(x) > 9.0f, unit, xc * p / q);
    return select_f(x != x, x, y);
}

static inline vfloat v_sigmoid(vfloat x) { return 1.0f / (1.0f + v_exp(-x)); }

/// log(1 + e) for 0 ≤ e ≤ 1, the range of e^{−|x|}: e·P(e), P of degree 9 fitted by
/// scripts/fit_log1p_unit.py (1.6e-7 relative in float32), with neither the range reduction nor the
/// division of v_log1p. NaN propagates.
static inline vfloat v_log1p_unit(vfloat e) {
    vfloat p = splat(-3.2433401793e-03f);
    p = p * e + 1.9848061725e-02f;
    p = p * e - 5.6952439249e-02f;
    p = p * e + 1.0602846742e-01f;
    p = p * e - 1.5305046737e-01f;
    p = p * e + 1.9675716758e-01f;
    p = p * e - 2.4954080582e-01f;
    p = p * e + 3.3329954743e-01f;
    p = p * e - 4.9999901652e-01f;
    p = p * e + 1.0f;
    return p * e;
}

/// softplus(x) = max(x, 0) + log1p(e^{−|x|}): never overflows.
static inline vfloat v_softplus(vfloat x) {
    return vmax(x, splat(0.0f)) + v_log1p_unit(v_exp(-vabs(x)));
}

/// −log Bernoulli(x | logit l) = softplus(l) − x·l, for targets x in [0, 1].
static inline vfloat v_bernoulli_nll(vfloat l, vfloat x) { return v_softplus(l) - x * l; }

/// log σ(x) = min(x, 0) − log1p(e^{−|x|}).
static inline vfloat v_log_sigmoid(vfloat x) {
    return vmin(x, splat(0.0f)) - v_log1p_unit(v_exp(-vabs(x)));
}
