// dG/dα for G ~ Gamma(α, 1) at a given draw: the implicit reparameterization gradient
// −(∂P(α, G)/∂α) / p(G; α), in Double.
//
// Dividing by the density removes the prefactor: in the series branch,
//   P = e^{α log G − G − lnΓ(α+1)}·S,  S = Σₙ Gⁿ/((α+1)…(α+n)),  prefactor/p(G) = G/α,
//   so dG/dα = −(G/α)·[S·(log G − ψ(α+1)) + ∂S/∂α],  ∂S/∂α = −Σₙ tₙ·Σ_{k≤n} 1/(α+k);
// in the continued-fraction branch, Q = e^{α log G − G − lnΓ(α)}·h with prefactor/p(G) = G,
//   so dG/dα = G·[h·(log G − ψ(α)) + ∂h/∂α], h and ∂h/∂α by modified Lentz on value–derivative
//   pairs. No exp or lnΓ is evaluated, and the log-sample form (dG/dα)/G stays finite when G
//   underflows.
#include "internal.h"
#include <math.h>

static double digamma(double x) {
    double value = 0;
    while (x < 10) {
        value -= 1 / x;
        x += 1;
    }
    double w = 1 / (x * x);
    double series = w * (1.0 / 12 - w * (1.0 / 120 - w * (1.0 / 252 - w * (1.0 / 240 - w * (1.0 / 132 - w * 691.0 / 32760)))));
    return value + log(x) - 0.5 / x - series;
}

static int on_series_branch(double a, double x) { return x < a + 1 + 4 * sqrt(a + 1); }

/// (dG/dα)/G given α and log G. The series converges for every G and needs no division chain,
/// so it serves up to α + 1 + 4√(α+1) (the bulk of draws); the continued fraction, whose Lentz
/// steps are serial divisions, only beyond, where it converges in a few steps. Both stop at
/// 1e-13 relative, far below Float output precision.
static double log_sample_derivative(double a, double log_x) {
    double x = exp(log_x);
    if (on_series_branch(a, x)) {
        double term = 1, total = 1, harmonic = 0, total_derivative = 0;
        for (int n = 1; n < 100000; n++) {
            double r = 1 / (a + n);
            term *= x * r;
            harmonic += r;
            total += term;
            total_derivative -= term * harmonic;
            if (term < total * 1e-13 && a + n > x) break;
        }
        return -(total * (log_x - digamma(a + 1)) + total_derivative) / a;
    }
    // Lentz for h = 1/(x + 1 − a − 1·(1−a)/(x + 3 − a − …)), carrying derivatives in a.
    const double tiny = 1e-300;
    double b = x + 1 - a, db = -1;
    double c = 1 / tiny, dc = 0;
    double d = 1 / b, dd = -db / (b * b);
    double h = d, dh = dd;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a), dan = i;
        b += 2;
        // d ← 1/(an·d + b)
        double den = an * d + b, dden = dan * d + an * dd + db;
        if (fabs(den) < tiny) { den = tiny; dden = 0; }
        // c ← b + an/c
        double q = an / c, dq = (dan - q * dc) / c;
        double cn = b + q, dcn = db + dq;
        if (fabs(cn) < tiny) { cn = tiny; dcn = 0; }
        c = cn; dc = dcn;
        d = 1 / den; dd = -dden * d * d;
        double step = d * c, dstep = dd * c + d * dc;
        double hn = h * step;
        dh = dh * step + h * dstep;
        h = hn;
        if (fabs(step - 1) < 1e-13 && fabs(dstep) < 1e-13 * fmax(1, fabs(dh))) break;
    }
    return h * (log_x - digamma(a)) + dh;
}

static void gamma_derivatives_serial(const rp_vector_kernels *kernels, const float *alpha, size_t alpha_count,
                                     const double *log_samples, const double *samples, size_t offset, size_t n,
                                     float *out_log, float *out);

typedef struct {
    const rp_vector_kernels *kernels;
    const float *alpha;
    size_t alpha_count, n;
    const double *log_samples, *samples;
    float *out_log, *out;
    int parts;
} derivative_job;

static void derivative_part(void *context, int part) {
    derivative_job *j = context;
    size_t first = j->n * (size_t)part / (size_t)j->parts, last = j->n * (size_t)(part + 1) / (size_t)j->parts;
    gamma_derivatives_serial(j->kernels, j->alpha, j->alpha_count, j->log_samples, j->samples, first, last - first,
                             j->out_log, j->out);
}

void rp_gamma_log_sample_derivatives(const float *alpha, size_t alpha_count, const double *log_samples,
                                     const double *samples, size_t n, float *out_log, float *out) {
    // Each element's derivative is independent of the others: split across the pool when large.
    derivative_job job = {.kernels = rp_vector_active(), .alpha = alpha, .alpha_count = alpha_count, .n = n,
                          .log_samples = log_samples, .samples = samples, .out_log = out_log, .out = out,
                          .parts = rp_threads() > 1 && n >= 16384 ? rp_threads() : 1};
    rp_parallel_run(job.parts, derivative_part, &job);
}

static void gamma_derivatives_serial(const rp_vector_kernels *kernels, const float *alpha, size_t alpha_count,
                                     const double *log_samples, const double *samples, size_t offset, size_t n,
                                     float *out_log, float *out) {
    // Draws on the series branch (nearly all) go through the vector kernel in blocks; the few in
    // the far tail take the scalar continued fraction.
    enum { BLOCK = 256 };
    double a[BLOCK], x[BLOCK], lx[BLOCK], result[BLOCK];
    size_t where[BLOCK];
    for (size_t start = offset; start < offset + n; start += BLOCK) {
        size_t end = offset + n - start < BLOCK ? offset + n : start + BLOCK, count = 0;
        for (size_t i = start; i < end; i++) {
            double ai = alpha[i % alpha_count], li = log_samples[i], xi = samples ? samples[i] : exp(li);
            double per_unit;
            if (on_series_branch(ai, xi)) {
                a[count] = ai; x[count] = xi; lx[count] = li; where[count] = i;
                count++;
                continue;
            }
            per_unit = log_sample_derivative(ai, li);
            if (out_log) out_log[i] = (float)per_unit;
            if (out) out[i] = (float)(per_unit * xi);
        }
        kernels->gamma_series_derivatives(a, x, lx, count, result);
        for (size_t j = 0; j < count; j++) {
            if (out_log) out_log[where[j]] = (float)result[j];
            if (out) out[where[j]] = (float)(result[j] * x[j]);
        }
    }
}

double rp_gamma_sample_derivative(double alpha, double sample) {
    return sample > 0 ? log_sample_derivative(alpha, log(sample)) * sample : 0;
}

void rp_gamma_attempts(const float *alpha, const float *normal, const float *uniform, size_t n, double *log_out,
                       uint8_t *accepted) {
    rp_vector_active()->gamma_attempts(alpha, normal, uniform, n, log_out, accepted);
}
