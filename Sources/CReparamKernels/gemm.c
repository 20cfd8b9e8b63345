// Public GEMM entry: argument checks, ISA choice, and the split across pool threads.
// Splits fall on multiples of every ISA's tile sizes, so each element of C is computed by the
// same instructions in the same order whatever the thread count: results are bit-identical.
#include "internal.h"

typedef void (*gemm_driver)(int, int, int, int, int, float, const float *, int, const float *, int,
                            float, float *, int);

typedef struct {
    gemm_driver driver;
    int ta, tb, m, n, k, lda, ldb, ldc, parts, split_n;
    float alpha, beta;
    const float *a, *b;
    float *c;
} gemm_job;

static void scale_c(int m, int n, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(long)i * ldc + j];
}

static void range(int total, int parts, int part, int granule, int *start, int *count) {
    int granules = (total + granule - 1) / granule;
    int first = granules * part / parts, last = granules * (part + 1) / parts;
    *start = first * granule;
    int end = last * granule < total ? last * granule : total;
    *count = end > *start ? end - *start : 0;
}

static void run_part(void *context, int part) {
    gemm_job *j = context;
    int start, count;
    if (j->split_n) {
        range(j->n, j->parts, part, 32, &start, &count);
        if (count == 0) return;
        const float *b = j->tb ? j->b + (long)start * j->ldb : j->b + start;
        j->driver(j->ta, j->tb, j->m, count, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta,
                  j->c + start, j->ldc);
    } else {
        range(j->m, j->parts, part, 12, &start, &count);
        if (count == 0) return;
        const float *a = j->ta ? j->a + start : j->a + (long)start * j->lda;
        j->driver(j->ta, j->tb, count, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta,
                  j->c + (long)start * j->ldc, j->ldc);
    }
}

void rp_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    gemm_job job = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb,
                    .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    switch (rp_isa_active()) {
    case RP_ISA_AVX512: job.driver = rp_sgemm_avx512; break;
    case RP_ISA_AVX2: job.driver = rp_sgemm_avx2; break;
    default: job.driver = rp_sgemm_portable;
    }
    int threads = rp_threads();
    int64_t work = (int64_t)m * n * k;
    if (threads <= 1 || work < rp_parallel_threshold()) {
        job.driver(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    // Prefer splitting N (each thread packs only its own B columns); fall back to M when N is
    // too narrow to give every thread a few 32-column strips.
    job.split_n = n >= threads * 64;
    int units = job.split_n ? (n + 31) / 32 : (m + 11) / 12;
    job.parts = units < threads ? units : threads;
    rp_parallel_run(job.parts, run_part, &job);
}
