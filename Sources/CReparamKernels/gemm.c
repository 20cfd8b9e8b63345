// Public GEMM entry: argument checks, the choice of ISA and of dense or sparse driver, and the
// split across pool threads. Every tile, whatever its size or position, computes an element of C
// with the same instructions in the same order (one FMA per k, the same K blocks; for the sparse
// driver, the same list of k per group of rows), so any split gives bit-identical results
// whatever the thread count.
#include "internal.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gemm_driver)(int, int, int, int, int, float, const float *, int, const float *, int,
                            float, float *, int, const float *, int, const rp_gemm_extents *);

typedef void (*sparse_gemm_driver)(int, int, int, int, int, float, const float *, int, const float *, int,
                                   float, float *, int, const float *, int);

typedef struct {
    gemm_driver driver;
    sparse_gemm_driver sparse;  // set when op(A) is sparse enough: rows of C split across parts
    int ta, tb, m, n, k, lda, ldb, ldc, parts, split_n, act;
    float alpha, beta;
    const float *a, *b, *bias;
    float *c;
    const rp_gemm_extents *extents;  // structural zeros of op(B) (rp_sgemm_extents), or NULL
    int bounds[RP_MAX_THREADS + 1];   // with extents: each part's first column, balanced by work
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
    rp_gemm_extents shifted, *extents = 0;
    if (j->extents) {
        const rp_gemm_extents *e = j->extents;
        shifted = (rp_gemm_extents){e->k_begin ? e->k_begin + j0 : 0, e->k_end ? e->k_end + j0 : 0,
                                    e->row_begin ? e->row_begin + j0 : 0, e->row_end ? e->row_end + j0 : 0};
        extents = &shifted;
    }
    j->driver(j->ta, j->tb, i1 - i0, j1 - j0, j->k, j->alpha, a, j->lda, b, j->ldb, j->beta,
              j->c + (long)i0 * j->ldc + j0, j->ldc, j->bias ? j->bias + j0 : 0, j->act, extents);
}

// Columns [j0, j1) of an extents product with row ranges: the rows outside each column's own
// range (a tile covers the union of its columns' ranges) are set to zero.
static void clear_outside_rows(const gemm_job *j, int j0, int j1) {
    const rp_gemm_extents *e = j->extents;
    for (int q = j0; q < j1; q++) {
        for (int i = 0; i < e->row_begin[q] && i < j->m; i++) j->c[(long)i * j->ldc + q] = 0.0f;
        for (int i = e->row_end[q] > 0 ? e->row_end[q] : 0; i < j->m; i++) j->c[(long)i * j->ldc + q] = 0.0f;
    }
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
    if (j->sparse) {  // whole groups of rows per part
        long groups = (j->m + RP_SPARSE_GROUP - 1) / RP_SPARSE_GROUP;
        int i0 = (int)(groups * part / j->parts) * RP_SPARSE_GROUP, i1 = (int)(groups * (part + 1) / j->parts) * RP_SPARSE_GROUP;
        if (i1 > j->m) i1 = j->m;
        if (i0 < i1)
            j->sparse(j->ta, i0, i1, j->n, j->k, j->alpha, j->a, j->lda, j->b, j->ldb, j->beta, j->c, j->ldc, j->bias,
                      j->act);
        return;
    }
    if (j->extents && j->split_n) {
        run_block(j, 0, j->m, j->bounds[part], j->bounds[part + 1]);
        if (j->extents->row_begin) clear_outside_rows(j, j->bounds[part], j->bounds[part + 1]);
        return;
    }
    if (!j->split_n) {
        run_block(j, (int)((long)part * j->m / j->parts), (int)((long)(part + 1) * j->m / j->parts), 0, j->n);
        if (j->extents && j->extents->row_begin) clear_outside_rows(j, 0, j->n);  // one part: all rows
        return;
    }
    boundary left = column_boundary(j, part), right = column_boundary(j, part + 1);
    if (part + 1 == j->parts) right = (boundary){j->n, 0};
    int first = left.rows > 0 ? left.strip + 16 : left.strip;
    run_block(j, left.rows, j->m, left.strip, left.rows > 0 ? first : left.strip);
    run_block(j, 0, j->m, first, right.strip);
    if (right.rows > 0) run_block(j, 0, right.rows, right.strip, right.strip + 16);
}

// op(A) with at most this fraction of nonzeros takes the sparse driver. Zeros scattered at random
// are its worst case (a group of 4 rows then rarely shares a zero); measured there on 2 threads,
// the forward 128·784·400 and the weight gradient 784·128·400 take 0.70× and 0.68× the dense time
// at 20% nonzeros, 0.89× and 0.84× at 30%, 0.97× and 0.94× at 40%. On MNIST batches (19%) they
// take 0.47× and 0.39×.
#define SPARSE_DEFAULT_DENSITY 0.3f
// Below this many dense multiply-adds the nonzero count costs more than it can save.
#define SPARSE_MIN_WORK (1L << 20)

static _Atomic float sparse_density_limit = -1.0f;  // −1: not read from the environment yet
static _Thread_local float sparse_limit_override = -1.0f;

void rp_set_thread_sparse_density_limit(float limit) {
    sparse_limit_override = limit < 0.0f ? -1.0f : (limit < 1.0f ? limit : 1.0f);
}
float rp_thread_sparse_density_limit(void) { return sparse_limit_override; }

float rp_sparse_density_limit(void) {
    if (sparse_limit_override >= 0.0f) return sparse_limit_override;
    float limit = atomic_load(&sparse_density_limit);
    if (limit >= 0.0f) return limit;
    limit = SPARSE_DEFAULT_DENSITY;
    const char *env = getenv("REPARAM_SPARSE_DENSITY");
    if (env && *env) {
        char *end;
        float parsed = strtof(env, &end);
        if (*end || !(parsed >= 0.0f && parsed <= 1.0f))
            fprintf(stderr, "reparam: ignoring REPARAM_SPARSE_DENSITY=%s (expected a fraction from 0 to 1); using %g\n",
                    env, SPARSE_DEFAULT_DENSITY);
        else limit = parsed;
    }
    atomic_store(&sparse_density_limit, limit);
    return limit;
}

void rp_set_sparse_density_limit(float limit) {
    atomic_store(&sparse_density_limit, limit > 0.0f ? (limit < 1.0f ? limit : 1.0f) : 0.0f);
}

static void select_drivers(gemm_job *job, int sparse_allowed, long *multiply_adds) {
    long (*count)(int, int, int, const float *, int, long);
    switch (rp_isa_active()) {
#if defined(__x86_64__)  // the AVX drivers are only built there
    case RP_ISA_AVX512: job->driver = rp_sgemm_avx512, job->sparse = rp_sgemm_sparse_avx512, count = rp_count_nonzeros_avx512; break;
    case RP_ISA_AVX2: job->driver = rp_sgemm_avx2, job->sparse = rp_sgemm_sparse_avx2, count = rp_count_nonzeros_avx2; break;
#endif
    default: job->driver = rp_sgemm_portable, job->sparse = rp_sgemm_sparse_portable, count = rp_count_nonzeros_portable;
    }
    *multiply_adds = (long)job->m * job->n * job->k;
    float limit = rp_sparse_density_limit();
    if (sparse_allowed < 0) sparse_allowed = !job->tb && limit > 0.0f && *multiply_adds >= SPARSE_MIN_WORK;
    if (!sparse_allowed) {
        job->sparse = 0;
        return;
    }
    long cap = sparse_allowed > 1 ? (long)job->m * job->k : (long)(limit * (float)((long)job->m * job->k));
    long nonzeros = count(job->ta, job->m, job->k, job->a, job->lda, cap);
    if (nonzeros > cap) job->sparse = 0;
    else *multiply_adds = nonzeros * job->n;
}

// The length of column q's run [begin[q], end[q]), or `whole` when there are no runs.
static inline int run_length(const int *begin, const int *end, int q, int whole) {
    if (!begin) return whole;
    return end[q] > begin[q] ? end[q] - begin[q] : 0;
}

// Multiply-adds of column q of an extents product.
static inline long column_work(const gemm_job *j, int q) {
    const rp_gemm_extents *e = j->extents;
    return (long)run_length(e->k_begin, e->k_end, q, j->k) * run_length(e->row_begin, e->row_end, q, j->m);
}

// Splits an extents product's columns into job->parts ranges of equal multiply-adds, at
// multiples of 16 columns; returns the total work.
static long balance_columns(gemm_job *job) {
    long total = 0;
    for (int q = 0; q < job->n; q++) total += column_work(job, q);
    job->bounds[0] = 0;
    int part = 1;
    long done = 0;
    for (int q0 = 0; q0 < job->n && part < job->parts; q0 += 16) {
        for (int q = q0; q < q0 + 16 && q < job->n; q++) done += column_work(job, q);
        while (part < job->parts && done * job->parts >= total * part)
            job->bounds[part++] = q0 + 16 < job->n ? q0 + 16 : job->n;
    }
    while (part <= job->parts) job->bounds[part++] = job->n;
    return total;
}

// C = act(op(A)·op(B) + bias), split across the pool. sparse: −1 decides by op(A)'s density, 0
// never, 2 always (B must not be transposed). extents: see rp_sgemm_extents; they turn the sparse
// path off.
static void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act, int sparse,
                 const rp_gemm_extents *extents) {
    gemm_job job = {.ta = ta, .tb = tb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                    .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c, .bias = bias, .act = act, .extents = extents};
    long work;
    select_drivers(&job, extents ? 0 : sparse, &work);
    int threads = rp_threads();
    if (extents) {
        // Split the columns by work (their K ranges differ), or the rows when there are too few
        // columns and no row ranges to respect.
        job.parts = threads > RP_MAX_THREADS ? RP_MAX_THREADS : threads;
        job.split_n = 1;
        work = balance_columns(&job);
        if (threads <= 1 || work < rp_parallel_threshold()) job.parts = 1, job.split_n = 0;
        else if (n < threads * 32) {
            job.split_n = 0;
            job.parts = extents->row_begin || m < threads ? 1 : threads;
        }
        rp_parallel_run(job.parts, run_part, &job);
        return;
    }
    if (threads <= 1 || work < rp_parallel_threshold()) {
        job.parts = 1;
        run_part(&job, 0);
        return;
    }
    // Sparse: rows of C. Dense: prefer splitting N (each thread packs only its own B columns);
    // fall back to M when N is too narrow to give every thread a few 32-column strips.
    job.split_n = !job.sparse && n >= threads * 64;
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
    gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 0, -1, 0);
}

void rp_sgemm_bias_activation(int ta, int tb, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int act, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k > 0 && act >= RP_ACT_IDENTITY && act <= RP_ACT_SIGMOID) {
        // Every activation is applied as each tile is stored, on the thread that computed it: a
        // separate pass over C ran on one thread for the small layers and read C once more.
        gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, bias, act, -1, 0);
        return;
    }
    // k = 0: C is act(bias) alone.
    rp_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    if (ldc == n) rp_bias_activation(act, c, bias, m, n);
    else for (int i = 0; i < m; i++) rp_bias_activation(act, c + (long)i * ldc, bias, 1, n);
}

typedef struct {
    rp_gemm_nll_driver driver;
    rp_gemm_nll_pack pack;
    int m, n, k, x_rows, parts;
    const float *a, *b, *bias, *x;
    float *packed, *out;
} nll_gemm_job;

// Each part packs its share of B's strips (multiples of 32 columns: whole strips on every ISA).
static void nll_pack_part(void *context, int part) {
    nll_gemm_job *j = context;
    int strips = (j->n + 31) / 32;
    int j0 = strips * part / j->parts * 32, j1 = strips * (part + 1) / j->parts * 32;
    if (j1 > j->n) j1 = j->n;
    if (j1 > j0) j->pack(j->m, j->k, j->b, j->n, j->packed, j0, j1);
}

// Rows split at multiples of 12 (whole tiles on every ISA): each row's terms are summed by one thread,
// strip after strip, so the sums do not depend on the thread count.
static void nll_gemm_part(void *context, int part) {
    nll_gemm_job *j = context;
    int r0 = part == 0 ? 0 : ((int)((long)part * j->m / j->parts) + 6) / 12 * 12;
    int r1 = part + 1 == j->parts ? j->m : ((int)((long)(part + 1) * j->m / j->parts) + 6) / 12 * 12;
    if (r1 > j->m) r1 = j->m;
    if (r1 > r0)
        j->driver(r1 - r0, j->n, j->k, j->a + (long)r0 * j->k, j->k, j->b, j->n, j->bias, j->x, j->n, j->x_rows, r0,
                  j->packed, j->out + r0);
}

int rp_sgemm_bernoulli_nll_rows(int rows, int columns, int k, const float *a, const float *b, const float *bias,
                                const float *x, int x_rows, float *out) {
    // One K block (the tiles finish the logits) and one loss block per row (rp_bernoulli_logits_nll_rows
    // sums longer rows block by block).
    if (rows <= 0 || columns <= 0 || k <= 0 || k > 512 || columns > 4096 || x_rows <= 0) return 0;
    nll_gemm_job job = {.m = rows, .n = columns, .k = k, .x_rows = x_rows, .a = a, .b = b, .bias = bias, .x = x,
                        .out = out};
    switch (rp_isa_active()) {
#if defined(__x86_64__)
    case RP_ISA_AVX512: job.driver = rp_sgemm_nll_avx512, job.pack = rp_sgemm_nll_pack_avx512; break;
    case RP_ISA_AVX2: job.driver = rp_sgemm_nll_avx2, job.pack = rp_sgemm_nll_pack_avx2; break;
#endif
    default: job.driver = rp_sgemm_nll_portable, job.pack = rp_sgemm_nll_pack_portable;
    }
    int threads = rp_threads();
    if (threads > RP_MAX_THREADS) threads = RP_MAX_THREADS;
    if (threads > rows / 12) threads = rows / 12;
    job.parts = threads <= 1 || (long)rows * columns * k < rp_parallel_threshold() ? 1 : threads;
    if (job.pack(rows, k, b, columns, 0, 0, 0)) {
        // The calling thread's scratch (slot 3: no kernel that uses it runs inside this one), padded to whole
        // 32-column strips.
        job.packed = rp_scratch(3, (size_t)k * (size_t)((columns + 31) / 32 * 32));
        rp_parallel_run(job.parts, nll_pack_part, &job);
    }
    rp_parallel_run(job.parts, nll_gemm_part, &job);
    return 1;
}

void rp_sgemm_sparse(int ta, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                     float beta, float *c, int ldc, const float *bias, int relu) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        if (bias || relu) for (int i = 0; i < m; i++) rp_bias_activation(relu ? RP_ACT_RELU : RP_ACT_IDENTITY, c + (long)i * ldc, bias, 1, n);
        return;
    }
    gemm(ta, 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu ? RP_ACT_RELU : RP_ACT_IDENTITY, 2, 0);
}

void rp_sgemm_extents(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                      int ldb, float beta, float *c, int ldc, const float *bias, int act, const int *k_begin,
                      const int *k_end, const int *row_begin, const int *row_end) {
    if (m <= 0 || n <= 0) return;
    if (row_begin) beta = 0.0f, bias = 0, act = RP_ACT_IDENTITY;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        if (bias || act != RP_ACT_IDENTITY)
            for (int i = 0; i < m; i++) rp_bias_activation(act, c + (long)i * ldc, bias, 1, n);
        return;
    }
    rp_gemm_extents extents = {k_begin, k_end, row_begin, row_end};
    gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, 0, &extents);
}

// MARK: A dense layer's backward pass

// ∂W's columns are handed out in blocks of this many (a multiple of every path's strip width). With 64, a
// MADE output layer's 100 columns were two blocks of 64 and 36, and the caller waited for the worker's ∂W
// (flow VAE, AVX2 path: 21 ms an epoch in those calls; 4.6 ms with 32).
#define DENSE_BACKWARD_BLOCK 32
// The activation's cotangent is handed out in chunks of about this many elements.
#define COTANGENT_CHUNK 4096

typedef struct {
    gemm_job dw;  // ∂W = xᵀ·g, its driver chosen once: sparse (one block, its nonzero lists built once) or dense
    int blocks, block, isa, threads, act, chunks;
    int64_t threshold;
    _Atomic int next_block, next_chunk, done_chunks;
    const rp_vector_kernels *kernels;
    const float *w, *g, *y, *v;
    float *g_out, *dx, *db;
    rp_gemm_extents dx_extents;  // a masked layer's runs for dx = g·W'ᵀ (k_begin / k_end), else unset
    int dx_masked;
} dense_backward_job;

// Claims chunks of g = act'(y) ⊙ v until none is left, then waits until every claimed chunk is written:
// each thread computes what it claimed, and a thread running alone (both tasks in turn) claims them all.
static void cotangent_chunks(dense_backward_job *j) {
    size_t count = (size_t)j->dw.k * (size_t)j->dw.n;
    for (int q; (q = atomic_fetch_add_explicit(&j->next_chunk, 1, memory_order_relaxed)) < j->chunks;) {
        size_t start = count * (size_t)q / (size_t)j->chunks / 16 * 16;
        size_t end = q + 1 == j->chunks ? count : count * (size_t)(q + 1) / (size_t)j->chunks / 16 * 16;
        if (end > start)
            j->kernels->activation_backward(j->act, j->y + start, j->v + start, j->g_out + start, end - start);
        atomic_fetch_add_explicit(&j->done_chunks, 1, memory_order_release);
    }
    while (atomic_load_explicit(&j->done_chunks, memory_order_acquire) < j->chunks) rp_cpu_relax();
}

static void dense_backward_task(void *context, int task) {
    dense_backward_job *j = context;
    const gemm_job *dw = &j->dw;
    // The worker computes as the caller would: its instruction set, thread count and threshold.
    int isa, threads;
    int64_t threshold;
    rp_get_thread_overrides(&isa, &threads, &threshold);
    rp_set_thread_overrides(j->isa, j->threads, j->threshold);
    if (j->chunks) cotangent_chunks(j);
    // dx = g·Wᵀ is m × k, with W stored k × n; db sums g's m rows.
    if (task == 0)
        gemm(0, 1, dw->k, dw->m, dw->n, 1.0f, j->g, dw->n, j->w, dw->n, 0.0f, j->dx, dw->m, 0, 0, 0,
             j->dx_masked ? &j->dx_extents : 0);
    else rp_reduce(RP_REDUCE_SUM, j->g, 1, dw->k, dw->n, j->db);
    for (int b; (b = atomic_fetch_add_explicit(&j->next_block, 1, memory_order_relaxed)) < j->blocks;) {
        int j0 = b * j->block, j1 = j0 + j->block < dw->n ? j0 + j->block : dw->n;
        if (dw->sparse) run_part(&j->dw, 0);  // the one block: all of ∂W
        else {
            run_block(dw, 0, dw->m, j0, j1);
            if (dw->extents) clear_outside_rows(dw, j0, j1);
        }
    }
    rp_set_thread_overrides(isa, threads, threshold);
}

void rp_layer_backward(int m, int k, int n, const float *x, const float *w, const float *y, const float *v, int act,
                       const int *dx_k_begin, const int *dx_k_end, const int *dw_row_begin, const int *dw_row_end,
                       float *g, float *dx, float *dw, float *db) {
    if (n <= 0) return;
    int derivative = act != RP_ACT_IDENTITY;
    const float *cotangent = derivative ? g : v;
    if (m <= 0 || k <= 0) {  // no rows or no inputs: dx and ∂W are empty or sums of nothing, db is g's row sum
        if (derivative && m > 0) rp_activation_backward_into(act, y, v, g, (size_t)m * (size_t)n);
        if (k > 0) memset(dw, 0, (size_t)k * (size_t)n * sizeof(float));
        if (m > 0) rp_reduce(RP_REDUCE_SUM, cotangent, 1, m, n, db);
        else memset(db, 0, (size_t)n * sizeof(float));
        return;
    }
    dense_backward_job job = {.dw = {.ta = 1, .m = k, .n = n, .k = m, .lda = k, .ldb = n, .ldc = n, .parts = 1,
                                     .alpha = 1.0f, .a = x, .b = cotangent, .c = dw},
                              .w = w, .g = cotangent, .y = y, .v = v, .g_out = g, .act = act, .dx = dx, .db = db,
                              .dx_extents = {dx_k_begin, dx_k_end, 0, 0}, .dx_masked = dx_k_begin != 0,
                              .kernels = rp_vector_active()};
    rp_gemm_extents dw_extents = {0, 0, dw_row_begin, dw_row_end};
    long work;
    if (dw_row_begin) {  // a masked weight gradient: dense, only each column's rows of the mask
        job.dw.extents = &dw_extents;
        select_drivers(&job.dw, 0, &work);
    } else {
        select_drivers(&job.dw, -1, &work);  // sparse when xᵀ is mostly zeros, decided as rp_sgemm decides it
    }
    job.blocks = job.dw.sparse || rp_threads() <= 1 ? 1 : (n + DENSE_BACKWARD_BLOCK - 1) / DENSE_BACKWARD_BLOCK;
    job.block = job.blocks == 1 ? n : DENSE_BACKWARD_BLOCK;
    size_t count = (size_t)m * (size_t)n;
    size_t chunks = count / COTANGENT_CHUNK;
    job.chunks = !derivative ? 0 : chunks < 2 ? 2 : chunks > 16 ? 16 : (int)chunks;
    rp_get_thread_overrides(&job.isa, &job.threads, &job.threshold);
    atomic_init(&job.next_block, 0);
    atomic_init(&job.next_chunk, 0);
    atomic_init(&job.done_chunks, 0);
    rp_run_concurrently(2, dense_backward_task, &job);
}
