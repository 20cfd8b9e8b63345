// Public GEMM entry: argument checks, ISA choice, and the split across pool threads.
// Every tile, whatever its size or position, computes an element of C with the same
// instructions in the same order (one FMA per k, the same K blocks), so any split gives
// bit-identical results whatever the thread count.
#include "internal.h"

typedef void (*gemm_driver)(int, int, int, int, int, float, const float *, int, const float *, int,
                            float, float *, int, const float *, int);

typedef struct {
    gemm_driver driver;
    int ta, tb, m, n, k, lda, ldb, ldc, parts, split_n, relu;
    float alpha, beta;
    const float *a, *b, *bias;
    float *c;
} gemm_job;

static void scale_c(int m, int n, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(long)i * ldc + j];
}

// Calls the driver on the block rows [i0, i1) × columns [j0, j1) of C.
static void run_block(const gemm_job *j, int i0, int i1, int j0, int j1) {
    if (i1 <= i0 || j1 <= j0) return;
    const float *a = j->ta ? j->a + i0 : j->a + (long)i0 * j->lda;
    const float *b = j->tb ? j->b + (long)j0 * j->ldb : j->b + j0;
    j->driver(j->ta, j->tb, i1 - i0, j1 - j0, j->k, j->alpha, a, j->lda, b, j->ldb, j->beta,
              j->c + (long)i0 * j->ldc + j0, j->ldc, j->bias ? j->bias + j0 : 0, j->relu);
}

// Column split, balanced to a fraction of a strip: boundary i falls at column i·n/parts. Columns
// are dealt out in 16-wide strips (one AVX-512 vector), and the strip a boundary cuts through
// is shared by rows in the same proportion. With whole strips only, n = 400 on two threads is
// 192 + 208 columns and one thread waits 8% of every call.
typedef struct { int strip, rows; } boundary;

static boundary column_boundary(const gemm_job *j, int i) {
    long scaled = (long)i * j->n;  // the boundary in units of 1/parts column
    int strip = (int)(scaled / ((long)j->parts * 16)) * 16;
    long before = scaled - (long)strip * j->parts;  // how much of the strip goes to part i − 1
    int rows = before == 0 ? 0 : (int)((before * j->m + 8L * j->parts) / (16L * j->parts));
    return (boundary){strip, rows};
}

static void run_part(void *context, int part) {
    gemm_job *j = context;
    if (!j->split_n) {
        run_block(j, (int)((long)part * j->m / j->parts), (int)((long)(part + 1) * j->m / j->parts), 0, j->n);
        return;
    }
    boundary left = column_boundary(j, part), right = column_boundary(j, part + 1);
    if (part + 1 == j->parts) right = (boundary){j->n, 0};
    int first = left.rows > 0 ? left.strip + 16 : left.strip;
    run_block(j, left.rows, j->m, left.strip, left.rows > 0 ? first : left.strip);
    run_block(j, 0, j->m, first, right.strip);
    if (right.rows > 0) run_block(j, 0, right.rows, right.strip, right.strip + 16);
}

// C = op(A)·op(B) (+ bias, then ReLU), split across the pool.
static void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int relu) {
    gemm_job job = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                    .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c, .bias = bias, .relu = relu};
    switch (rp_isa_active()) {
    case RP_ISA_AVX512: job.driver = rp_sgemm_avx512; break;
    case RP_ISA_AVX2: job.driver = rp_sgemm_avx2; break;
    default: job.driver = rp_sgemm_portable;
    }
    int threads = rp_threads();
    int64_t work = (int64_t)m * n * k;
    if (threads <= 1 || work < rp_parallel_threshold()) {
        job.driver(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
        return;
    }
    // Prefer splitting N (each thread packs only its own B columns); fall back to M when N is
    // too narrow to give every thread a few 32-column strips.
    job.split_n = n >= threads * 64;
    job.parts = job.split_n || m >= threads ? threads : m;
    rp_parallel_run(job.parts, run_part, &job);
}

void rp_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 0);
}

void rp_sgemm_bias_activation(int ta, int tb, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int act, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    int fused = k > 0 && (act == RP_ACT_IDENTITY || act == RP_ACT_RELU);
    if (fused) {
        gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, bias, act == RP_ACT_RELU);
        return;
    }
    // tanh and sigmoid (and k = 0) take the separate pass: the same arithmetic, one more sweep.
    rp_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    if (ldc == n) rp_bias_activation(act, c, bias, m, n);
    else for (int i = 0; i < m; i++) rp_bias_activation(act, c + (long)i * ldc, bias, 1, n);
}
