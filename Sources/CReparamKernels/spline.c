// Monotone rational-quadratic splines (Durkan et al. 2019, "Neural Spline Flows"), elementwise,
// with identity tails outside [x_0, x_K]. Each element has its own K + 1 knots (x_k, y_k) and
// K + 1 knot derivatives δ_k. In bin k, with w = x_{k+1} − x_k, h = y_{k+1} − y_k, s = h/w,
// ξ = (x − x_k)/w, t = ξ(1 − ξ) and c = δ_k + δ_{k+1} − 2s:
//   y = y_k + h(sξ² + δ_k t) / (s + c t)
//   log dy/dx = 2 log s + log(δ_{k+1}ξ² + 2st + δ_k(1 − ξ)²) − 2 log(s + c t).
// The inverse solves the quadratic for ξ in the root form that does not cancel. Gradients with
// respect to x, the knots and the derivatives are analytic; those of the inverse follow from
// the forward partials by the implicit function theorem (dx/dθ = −(∂y/∂θ)/(∂y/∂x)).
// Everything is computed in double.
#include "internal.h"
#include <math.h>

typedef struct {
    double value, logdet;
    // Partials of y and of log dy/dx with respect to x, x_k, x_{k+1}, y_k, y_{k+1}, δ_k, δ_{k+1}.
    double y[7], l[7];
} rq_bin;

static void rq_evaluate(double x, const double p[6], int partials, rq_bin *e) {
    const double x0 = p[0], x1 = p[1], y0 = p[2], y1 = p[3], d0 = p[4], d1 = p[5];
    const double w = x1 - x0, h = y1 - y0, s = h / w;
    double xi = (x - x0) / w;
    xi = xi < 0 ? 0 : (xi > 1 ? 1 : xi);
    const double t = xi * (1 - xi), c = d0 + d1 - 2 * s;
    const double den = s + c * t, num = s * xi * xi + d0 * t, a = num / den;
    const double q = d1 * xi * xi + 2 * s * t + d0 * (1 - xi) * (1 - xi);
    e->value = y0 + h * a;
    e->logdet = 2 * log(s) + log(q) - 2 * log(den);
    if (!partials) return;
    const double den2 = den * den, dden_dxi = c * (1 - 2 * xi);
    const double da_dxi = ((2 * s * xi + d0 * (1 - 2 * xi)) * den - num * dden_dxi) / den2;
    const double da_ds = (xi * xi * den - num * (1 - 2 * t)) / den2;
    const double da_dd0 = (t * den - num * t) / den2, da_dd1 = -num * t / den2;
    const double dq_dxi = 2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * (1 - xi);
    const double dl_dxi = dq_dxi / q - 2 * dden_dxi / den;
    const double dl_ds = 2 / s + 2 * t / q - 2 * (1 - 2 * t) / den;
    // Through ξ = (x − x_k)/w and s = h/w to the knots; h = y_{k+1} − y_k enters y directly.
    const double y_xi = h * da_dxi, y_s = h * da_ds;
    e->y[0] = y_xi / w;
    e->y[1] = y_xi * (xi - 1) / w + y_s * s / w;
    e->y[2] = -y_xi * xi / w - y_s * s / w;
    e->y[3] = 1 - a - y_s / w;
    e->y[4] = a + y_s / w;
    e->y[5] = h * da_dd0;
    e->y[6] = h * da_dd1;
    e->l[0] = dl_dxi / w;
    e->l[1] = dl_dxi * (xi - 1) / w + dl_ds * s / w;
    e->l[2] = -dl_dxi * xi / w - dl_ds * s / w;
    e->l[3] = -dl_ds / w;
    e->l[4] = dl_ds / w;
    e->l[5] = (1 - xi) * (1 - xi) / q - 2 * t / den;
    e->l[6] = xi * xi / q - 2 * t / den;
}

// The bin holding v among knots[0..bins] (ascending), or −1 outside [knots[0], knots[bins]).
static int rq_bin_of(const float *knots, int bins, float v) {
    if (!(v >= knots[0] && v < knots[bins])) return -1;
    int lo = 0, hi = bins;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (v >= knots[mid]) lo = mid; else hi = mid;
    }
    return lo;
}

static void rq_gather(const float *kx, const float *ky, const float *kd, int k, double p[6]) {
    p[0] = kx[k]; p[1] = kx[k + 1]; p[2] = ky[k]; p[3] = ky[k + 1]; p[4] = kd[k]; p[5] = kd[k + 1];
}

// x from y in bin k: aξ² + bξ + c = 0 with c ≤ 0, taking ξ = 2c/(−b − √(b² − 4ac)).
static double rq_invert(double y, const double p[6]) {
    const double w = p[1] - p[0], h = p[3] - p[2], s = h / w, d0 = p[4], d1 = p[5];
    const double dy = y - p[2], c2 = d0 + d1 - 2 * s;
    const double a = h * (s - d0) + dy * c2, b = h * d0 - dy * c2, c = -s * dy;
    double disc = b * b - 4 * a * c;
    disc = disc < 0 ? 0 : disc;
    const double root = -b - sqrt(disc);
    double xi = root == 0 ? 0 : 2 * c / root;
    xi = xi < 0 ? 0 : (xi > 1 ? 1 : xi);
    return p[0] + xi * w;
}

void rp_rq_spline(int64_t n, int bins, const float *x, const float *kx, const float *ky, const float *kd,
                  int inverse, float *out, float *logdet) {
    const int stride = bins + 1;
    for (int64_t i = 0; i < n; i++) {
        const float *px = kx + i * stride, *py = ky + i * stride, *pd = kd + i * stride;
        const int k = rq_bin_of(inverse ? py : px, bins, x[i]);
        if (k < 0) {
            out[i] = x[i];
            logdet[i] = 0;
            continue;
        }
        double p[6];
        rq_gather(px, py, pd, k, p);
        rq_bin e;
        if (!inverse) {
            rq_evaluate(x[i], p, 0, &e);
            out[i] = (float)e.value;
            logdet[i] = (float)e.logdet;
        } else {
            const double v = rq_invert(x[i], p);
            rq_evaluate(v, p, 0, &e);
            out[i] = (float)v;
            logdet[i] = (float)-e.logdet;
        }
    }
}

void rp_rq_spline_backward(int64_t n, int bins, const float *x, const float *out, const float *kx, const float *ky,
                           const float *kd, int inverse, const float *g_out, const float *g_logdet, float *g_x,
                           float *g_kx, float *g_ky, float *g_kd) {
    const int stride = bins + 1;
    for (int64_t i = 0; i < n * stride; i++) g_kx[i] = g_ky[i] = g_kd[i] = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *px = kx + i * stride, *py = ky + i * stride, *pd = kd + i * stride;
        const int k = rq_bin_of(inverse ? py : px, bins, x[i]);
        const double go = g_out ? g_out[i] : 0, gl = g_logdet ? g_logdet[i] : 0;
        if (k < 0) {
            g_x[i] = (float)go;
            continue;
        }
        double p[6], gp[6];
        rq_gather(px, py, pd, k, p);
        rq_bin e;
        if (!inverse) {
            rq_evaluate(x[i], p, 1, &e);
            g_x[i] = (float)(go * e.y[0] + gl * e.l[0]);
            for (int j = 0; j < 6; j++) gp[j] = go * e.y[j + 1] + gl * e.l[j + 1];
        } else {
            // x(y, θ) solves f(x, θ) = y: dx/dy = 1/f_x, dx/dθ = −f_θ/f_x; the output log-det is
            // −L(x(y, θ), θ).
            rq_evaluate(out[i], p, 1, &e);
            const double fx = e.y[0], lx = e.l[0];
            g_x[i] = (float)((go - gl * lx) / fx);
            for (int j = 0; j < 6; j++) {
                const double dx = -e.y[j + 1] / fx;
                gp[j] = go * dx - gl * (e.l[j + 1] + lx * dx);
            }
        }
        float *gx = g_kx + i * stride, *gy = g_ky + i * stride, *gd = g_kd + i * stride;
        gx[k] += (float)gp[0]; gx[k + 1] += (float)gp[1];
        gy[k] += (float)gp[2]; gy[k + 1] += (float)gp[3];
        gd[k] += (float)gp[4]; gd[k + 1] += (float)gp[5];
    }
}
