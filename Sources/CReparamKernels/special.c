// ln Γ, ψ and ψ′ in double precision, one implementation for the scalar Swift API
// (Special.lgamma/digamma/trigamma) and for tensors, where large ones are split across the pool.
#include "internal.h"
#include <math.h>

static double sin_pi(double x) { return sin(M_PI * (x - 2 * floor(x / 2))); }
static double cos_pi(double x) { return cos(M_PI * (x - 2 * floor(x / 2))); }

double rp_lgamma(double x) {
    int sign;
    return lgamma_r(x, &sign);  // lgamma itself writes the global signgam: not thread-safe
}

// ψ(x): recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic series
// ln x − 1/(2x) − Σ_{k≤6} B₂ₖ/(2k·x²ᵏ) (next term < 1e-14). Reflection for x < 0.
double rp_digamma(double x) {
    if (isnan(x) || x == -INFINITY) return NAN;
    if (x <= 0 && x == round(x)) return NAN;
    if (x < 0) return rp_digamma(1 - x) - M_PI / (sin_pi(x) / cos_pi(x));
    double value = 0, z = x;
    while (z < 10) value -= 1 / z, z += 1;
    double w = 1 / (z * z);
    double series =
        w * (1.0 / 12 - w * (1.0 / 120 - w * (1.0 / 252 - w * (1.0 / 240 - w * (1.0 / 132 - w * 691.0 / 32760)))));
    return value + log(z) - 0.5 / z - series;
}

// ψ′(x): recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 10, then 1/x + 1/(2x²) + Σ_{k≤5} B₂ₖ/x²ᵏ⁺¹
// (next term < 1e-13). Reflection for x < 0.
double rp_trigamma(double x) {
    if (isnan(x)) return NAN;
    if (x <= 0 && x == round(x)) return NAN;
    if (x < 0) {
        double s = sin_pi(x);
        return -rp_trigamma(1 - x) + M_PI * M_PI / (s * s);
    }
    double value = 0, z = x;
    while (z < 10) value += 1 / (z * z), z += 1;
    double w = 1 / (z * z);
    double series = 1 / z + w / 2 + w / z * (1.0 / 6 - w * (1.0 / 30 - w * (1.0 / 42 - w * (1.0 / 30 - w * 5.0 / 66))));
    return value + series;
}

// Each costs tens of nanoseconds per element (a loop of up to ten divisions, a log), so a few
// thousand elements already pay for the pool's handoff.
#define SPECIAL_PARALLEL 4096

typedef struct {
    rp_special_fn fn;
    const float *x;
    float *y;
    size_t n;
    int parts;
} special_job;

static void special_part(void *context, int part) {
    special_job *j = context;
    size_t first = j->n * (size_t)part / (size_t)j->parts, last = j->n * (size_t)(part + 1) / (size_t)j->parts;
    double (*f)(double) = j->fn == RP_SPECIAL_LGAMMA    ? rp_lgamma
                          : j->fn == RP_SPECIAL_DIGAMMA ? rp_digamma
                                                        : rp_trigamma;
    for (size_t i = first; i < last; i++) j->y[i] = (float)f((double)j->x[i]);
}

void rp_special(rp_special_fn fn, const float *x, float *y, size_t n) {
    int threads = rp_threads();
    special_job job = {.fn = fn, .x = x, .y = y, .n = n,
                       .parts = threads > 1 && n >= SPECIAL_PARALLEL ? threads : 1};
    rp_parallel_run(job.parts, special_part, &job);
}
