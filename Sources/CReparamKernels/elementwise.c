// Public elementwise, reduction and random-fill entries: dispatch to the active ISA's table,
// collapse broadcast shapes to long contiguous runs, and split large fills across threads.
#include "internal.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// Elementwise work above this many elements is split across the pool in 64-element-aligned
// ranges; each element is computed the same way either way, so results are bit-identical.
// 16384 rather than 65536: the discrete VAE's [100, 200-512] activations then split, 2-10% of its
// step on Zen 4 (both kernel paths); the Gaussian and flow VAEs were unchanged; 8192 and 4096
// measured no better than 16384.
#define ELEMENTWISE_PARALLEL 16384

typedef struct {
    const rp_vector_kernels *kernels;
    int op, parts;
    size_t n;
    const float *x, *y, *g;
    float *out;
} elementwise_job;

static void part_range(size_t n, int parts, int part, size_t *start, size_t *count) {
    size_t blocks = (n + 63) / 64;
    size_t first = blocks * (size_t)part / (size_t)parts * 64, last = blocks * (size_t)(part + 1) / (size_t)parts * 64;
    if (last > n) last = n;
    *start = first;
    *count = last > first ? last - first : 0;
}

static int elementwise_parts(size_t n) {
    int threads = rp_threads();
    return (threads > 1 && n >= ELEMENTWISE_PARALLEL) ? threads : 1;
}

// Kernels that work on whole rows (a row's sum must not depend on the split). `cost` is an
// element's work in multiplies: an exp or a log is ~10, so such a kernel splits at a tenth of the
// elementwise size, and the affine autoregressive step (an exp, a division and a log) at ~1/32.
static int row_parts(size_t rows, size_t width, size_t cost) {
    int threads = rp_threads();
    if (threads <= 1 || rows * width * cost < ELEMENTWISE_PARALLEL) return 1;
    return rows < (size_t)threads ? (int)rows : threads;
}

static void row_range(size_t rows, int parts, int part, size_t *first, size_t *last) {
    *first = rows * (size_t)part / (size_t)parts;
    *last = rows * (size_t)(part + 1) / (size_t)parts;
}

static void unary_part(void *context, int part) {
    elementwise_job *j = context;
    size_t start, count;
    part_range(j->n, j->parts, part, &start, &count);
    if (count) j->kernels->unary(j->op, j->x + start, j->out + start, count);
}

static void unary_backward_part(void *context, int part) {
    elementwise_job *j = context;
    size_t start, count;
    part_range(j->n, j->parts, part, &start, &count);
    if (count) j->kernels->unary_backward(j->op, j->x + start, j->y + start, j->g + start, j->out + start, count);
}

void rp_unary(int op, const float *x, float *y, size_t n) {
    if (op < 0 || op >= RP_UNARY_COUNT) return;
    elementwise_job job = {.kernels = rp_vector_active(), .op = op, .parts = elementwise_parts(n), .n = n, .x = x, .out = y};
    rp_parallel_run(job.parts, unary_part, &job);
}

void rp_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, size_t n) {
    if (op < 0 || op >= RP_UNARY_COUNT) return;
    elementwise_job job = {.kernels = rp_vector_active(), .op = op, .parts = elementwise_parts(n), .n = n,
                           .x = x, .y = y, .g = g, .out = gx};
    rp_parallel_run(job.parts, unary_backward_part, &job);
}

typedef struct {
    const rp_vector_kernels *kernels;
    int op, parts, a_step, b_step;
    int64_t outer, inner, a_outer, b_outer;
    const float *a, *b;
    float *out;
} binary_job;

/// Rows [start, start + count) of a (≤ 2)-dimensional collapsed broadcast.
static void binary_part(void *context, int part) {
    binary_job *j = context;
    int64_t first = j->outer * part / j->parts, last = j->outer * (part + 1) / j->parts;
    for (int64_t o = first; o < last; o++)
        j->kernels->binary_contiguous(j->op, j->a + o * j->a_outer, j->a_step, j->b + o * j->b_outer, j->b_step,
                                      j->out + o * j->inner, (size_t)j->inner);
}

void rp_binary(int op, int rank, const int64_t *shape, const float *a, const int64_t *a_strides,
               const float *b, const int64_t *b_strides, float *out) {
    // Merge each dim into the next when both operands step through them as one run.
    int64_t dims[8], as[8], bs[8];
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 1) continue;
        if (r > 0 && as[r - 1] == a_strides[d] * shape[d] && bs[r - 1] == b_strides[d] * shape[d]) {
            dims[r - 1] *= shape[d];
            as[r - 1] = a_strides[d];
            bs[r - 1] = b_strides[d];
        } else {
            dims[r] = shape[d];
            as[r] = a_strides[d];
            bs[r] = b_strides[d];
            r++;
        }
    }
    const rp_vector_kernels *k = rp_vector_active();
    if (r == 0) {
        k->binary_contiguous(op, a, 0, b, 0, out, 1);
        return;
    }
    int64_t inner = dims[r - 1];
    int a_step = as[r - 1] != 0, b_step = bs[r - 1] != 0;
    int64_t outer = 1;
    for (int d = 0; d < r - 1; d++) outer *= dims[d];
    if (r <= 2 && elementwise_parts((size_t)(outer * inner)) > 1) {
        // One run, or rows of a run: split rows across the pool (a single run is cut into
        // 64-element rows first).
        binary_job job = {.kernels = k, .op = op, .a_step = a_step, .b_step = b_step, .a = a, .b = b, .out = out};
        if (r == 1) {
            job.inner = 64 * 64;
            job.outer = inner / job.inner;
            job.a_outer = a_step * job.inner;
            job.b_outer = b_step * job.inner;
        } else {
            job.inner = inner;
            job.outer = outer;
            job.a_outer = as[0];
            job.b_outer = bs[0];
        }
        job.parts = rp_threads() < job.outer ? rp_threads() : (int)job.outer;
        rp_parallel_run(job.parts, binary_part, &job);
        int64_t done = job.outer * job.inner;
        if (r == 1 && done < inner)
            k->binary_contiguous(op, a + a_step * done, a_step, b + b_step * done, b_step, out + done, (size_t)(inner - done));
        return;
    }
    int64_t index[8] = {0};
    int64_t a_offset = 0, b_offset = 0;
    for (int64_t o = 0; o < outer; o++) {
        k->binary_contiguous(op, a + a_offset, a_step, b + b_offset, b_step, out + o * inner, (size_t)inner);
        for (int d = r - 2; d >= 0; d--) {
            a_offset += as[d];
            b_offset += bs[d];
            if (++index[d] < dims[d]) break;
            a_offset -= as[d] * dims[d];
            b_offset -= bs[d] * dims[d];
            index[d] = 0;
        }
    }
}

typedef struct {
    const rp_vector_kernels *kernels;  // the caller's: an ISA override is per thread
    const float *x;
    float *y;
    float p;
    size_t n;
    int parts;
} pow_job;

static void pow_part(void *context, int part) {
    pow_job *j = context;
    size_t start, count;
    part_range(j->n, j->parts, part, &start, &count);
    if (count) j->kernels->pow(j->x + start, 1, &j->p, 0, j->y + start, count);
}

void rp_pow_scalar(const float *x, float p, float *y, size_t n) {
    if (p == 2.0f) { rp_unary(RP_UNARY_SQUARE, x, y, n); return; }
    if (p == 0.5f) { rp_unary(RP_UNARY_SQRT, x, y, n); return; }
    if (p == 1.0f) { if (y != x) memmove(y, x, n * sizeof(float)); return; }
    // Double lanes, ~6 ns an element on one core: worth the pool at a quarter of the elementwise size.
    int threads = rp_threads();
    pow_job job = {.kernels = rp_vector_active(), .x = x, .y = y, .p = p, .n = n,
                   .parts = threads > 1 && n >= ELEMENTWISE_PARALLEL / 4 ? threads : 1};
    rp_parallel_run(job.parts, pow_part, &job);
}

void rp_log_or_zero(const float *x, float *y, size_t n) {
    rp_unary(RP_UNARY_LOG, x, y, n);
    for (size_t i = 0; i < n; i++) y[i] = x[i] == 0.0f ? 0.0f : y[i];
}

void rp_clamp(const float *x, float lo, float hi, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v < lo ? lo : (v > hi ? hi : v);
    }
}

void rp_clamp_backward(const float *x, float lo, float hi, const float *g, float *gx, size_t n) {
    for (size_t i = 0; i < n; i++) gx[i] = (x[i] >= lo && x[i] <= hi) ? g[i] : 0.0f;
}

typedef struct {
    const rp_vector_kernels *kernels;
    int act, m, n, parts;
    float *y, *g;
    const float *bias, *y_in, *v;
    size_t count;
} activation_job;

static void bias_activation_part(void *context, int part) {
    activation_job *j = context;
    int first = (int)((int64_t)j->m * part / j->parts), last = (int)((int64_t)j->m * (part + 1) / j->parts);
    if (last > first) j->kernels->bias_activation(j->act, j->y + (size_t)first * j->n, j->bias, last - first, j->n);
}

/// Rows split across the pool above the elementwise threshold (each row computed the same way).
void rp_bias_activation(int act, float *y, const float *bias, int m, int n) {
    activation_job job = {.kernels = rp_vector_active(), .act = act, .m = m, .n = n, .y = y, .bias = bias,
                          .parts = elementwise_parts((size_t)m * (size_t)n)};
    if (job.parts > m) job.parts = m > 0 ? m : 1;
    rp_parallel_run(job.parts, bias_activation_part, &job);
}

static void activation_backward_part(void *context, int part) {
    activation_job *j = context;
    size_t start, count;
    part_range(j->count, j->parts, part, &start, &count);
    if (count) j->kernels->activation_backward(j->act, j->y_in + start, j->v + start, j->g + start, count);
}

void rp_activation_backward_into(int act, const float *y, const float *v, float *g, size_t n) {
    activation_job job = {.kernels = rp_vector_active(), .act = act, .y_in = y, .v = v, .g = g, .count = n,
                          .parts = elementwise_parts(n)};
    rp_parallel_run(job.parts, activation_backward_part, &job);
}

void rp_activation_backward(int act, const float *y, float *g, size_t n) {
    rp_activation_backward_into(act, y, g, g, n);
}

// The Bernoulli loss in blocks of NLL_BLOCK: each block's sum is computed the same way on any
// thread and the block sums are added in order, so the total is bit-identical for any count.
#define NLL_BLOCK 4096

typedef struct {
    const rp_vector_kernels *kernels;
    const float *logits, *x;
    float *grad, scale;
    size_t n, blocks;
    int parts;
    double *sums;
} nll_job;

static void nll_part(void *context, int part) {
    nll_job *j = context;
    for (size_t b = j->blocks * (size_t)part / (size_t)j->parts; b < j->blocks * (size_t)(part + 1) / (size_t)j->parts; b++) {
        size_t start = b * NLL_BLOCK, count = j->n - start < NLL_BLOCK ? j->n - start : NLL_BLOCK;
        j->sums[b] = j->kernels->bernoulli_logits_nll(j->logits + start, j->x + start, count,
                                                      j->grad ? j->grad + start : NULL, j->scale);
    }
}

double rp_bernoulli_logits_nll(const float *logits, const float *x, size_t n, float *grad, float grad_scale) {
    nll_job job = {.kernels = rp_vector_active(), .logits = logits, .x = x, .grad = grad, .scale = grad_scale, .n = n,
                   .blocks = (n + NLL_BLOCK - 1) / NLL_BLOCK, .parts = elementwise_parts(n)};
    double stack[64];
    job.sums = job.blocks <= 64 ? stack : malloc(job.blocks * sizeof(double));
    if (!job.sums) {  // no memory for the block sums: one pass, same per-block rounding
        double total = 0;
        for (size_t start = 0; start < n; start += NLL_BLOCK)
            total += job.kernels->bernoulli_logits_nll(logits + start, x + start, n - start < NLL_BLOCK ? n - start : NLL_BLOCK,
                                                       grad ? grad + start : NULL, grad_scale);
        return total;
    }
    if ((size_t)job.parts > job.blocks) job.parts = job.blocks > 0 ? (int)job.blocks : 1;
    rp_parallel_run(job.parts, nll_part, &job);
    double total = 0;
    for (size_t b = 0; b < job.blocks; b++) total += job.sums[b];
    if (job.sums != stack) free(job.sums);
    return total;
}

typedef struct {
    const rp_vector_kernels *kernels;
    const float *logits, *x;
    float *out, *grad;
    size_t rows, x_rows, columns;
    int parts;
} nll_rows_job;

static void nll_rows_part(void *context, int part) {
    nll_rows_job *j = context;
    size_t first, last;
    row_range(j->rows, j->parts, part, &first, &last);
    for (size_t r = first; r < last; r++) {
        // Rows longer than a block are summed block by block, as the whole-tensor version does.
        double total = 0;
        for (size_t start = 0; start < j->columns; start += NLL_BLOCK) {
            const size_t length = j->columns - start < NLL_BLOCK ? j->columns - start : NLL_BLOCK;
            const size_t offset = r * j->columns + start;
            const float *x = j->x + (r % j->x_rows) * j->columns + start;
            total += j->kernels->bernoulli_logits_nll(j->logits + offset, x, length,
                                                      j->grad ? j->grad + offset : NULL, 1);
        }
        j->out[r] = (float)total;
    }
}

void rp_bernoulli_logits_nll_rows(const float *logits, const float *x, size_t rows, size_t x_rows, size_t columns,
                                  float *out, float *grad) {
    nll_rows_job job = {.kernels = rp_vector_active(), .logits = logits, .x = x, .out = out, .grad = grad,
                        .rows = rows, .x_rows = x_rows ? x_rows : rows, .columns = columns,
                        .parts = row_parts(rows, columns, 8)};
    rp_parallel_run(job.parts, nll_rows_part, &job);
}

typedef struct {
    const rp_vector_kernels *kernels;
    int count, parts, chunks;
    _Atomic int next_chunk;
    float *const *p, *const *m, *const *v;
    const float *const *g;
    const size_t *n;
    size_t total;
    float lr, beta1, beta2, eps, bias1, bias2, weight_decay;
} adam_many_job;

// Adam's update is split into this many chunks, which the threads claim in turn: with fixed halves one
// thread could take up to twice the other's time (a memory-bound kernel whose halves' data sit at
// different distances, on cores the host slows unevenly), and the update waited for the slower half.
// Alternating the two inside one run on Zen 4, the update's wall time with claimed chunks was 0.76-0.90
// of the halves' in the Gaussian and flow VAEs and 0.97-1.01 in the discrete VAE. Same bits either way.
#define ADAM_CHUNKS 32

// Calls fn(context, part, t, from, length) for each piece of tensor t (n[t] elements) that falls in
// part `part` of the concatenation of all `count` tensors, in order.
static void many_part_walk(const size_t *n, int count, size_t total, int parts, int part,
                           void (*fn)(void *, int, int, size_t, size_t), void *context) {
    size_t start, length_left;
    part_range(total, parts, part, &start, &length_left);
    size_t offset = 0;
    for (int t = 0; t < count && length_left > 0; offset += n[t], t++) {
        if (start >= offset + n[t]) continue;
        size_t from = start - offset, length = n[t] - from < length_left ? n[t] - from : length_left;
        fn(context, part, t, from, length);
        start += length;
        length_left -= length;
    }
}

static void adam_piece(void *context, int part, int t, size_t from, size_t length) {
    (void)part;
    adam_many_job *j = context;
    j->kernels->adam_update(j->p[t] + from, j->g[t] + from, j->m[t] + from, j->v[t] + from, length, j->lr, j->beta1,
                            j->beta2, j->eps, j->bias1, j->bias2, j->weight_decay);
}

static void adam_many_part(void *context, int part) {
    (void)part;
    adam_many_job *j = context;
    for (int chunk; (chunk = atomic_fetch_add_explicit(&j->next_chunk, 1, memory_order_relaxed)) < j->chunks;)
        many_part_walk(j->n, j->count, j->total, j->chunks, chunk, adam_piece, j);
}

void rp_adam_update_many(int count, float *const *p, const float *const *g, float *const *m, float *const *v,
                         const size_t *n, float lr, float beta1, float beta2, float eps, float bias1, float bias2,
                         float weight_decay) {
    RP_KERNEL_FLOAT_MODE;
    size_t total = 0;
    for (int t = 0; t < count; t++) total += n[t];
    const int parts = elementwise_parts(total);
    adam_many_job job = {.kernels = rp_vector_active(), .count = count, .parts = parts,
                         .chunks = parts > 1 ? ADAM_CHUNKS : 1, .p = p, .m = m, .v = v, .g = g, .n = n,
                         .total = total, .lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .bias1 = bias1,
                         .bias2 = bias2, .weight_decay = weight_decay};
    atomic_init(&job.next_chunk, 0);
    rp_parallel_run(job.parts, adam_many_part, &job);
}

typedef struct {
    const rp_vector_kernels *kernels;
    float *const *x;
    const size_t *n;
    size_t total;
    int count, parts;
    float factor;
} scale_many_job;

static void scale_piece(void *context, int part, int t, size_t from, size_t length) {
    (void)part;
    scale_many_job *j = context;
    j->kernels->binary_contiguous(RP_BINARY_MUL, j->x[t] + from, 1, &j->factor, 0, j->x[t] + from, length);
}

static void scale_many_part(void *context, int part) {
    scale_many_job *j = context;
    many_part_walk(j->n, j->count, j->total, j->parts, part, scale_piece, j);
}

void rp_scale_many(int count, float *const *x, const size_t *n, float factor) {
    scale_many_job job = {.kernels = rp_vector_active(), .x = x, .n = n, .count = count, .factor = factor};
    for (int t = 0; t < count; t++) job.total += n[t];
    job.parts = elementwise_parts(job.total);
    rp_parallel_run(job.parts, scale_many_part, &job);
}

// One tensor is the many-tensor update with one entry: the same split, the same bits.
void rp_adam_update(float *p, const float *g, float *m, float *v, size_t n, float lr, float beta1,
                    float beta2, float eps, float bias1, float bias2, float weight_decay) {
    RP_KERNEL_FLOAT_MODE;
    rp_adam_update_many(1, &p, &g, &m, &v, &n, lr, beta1, beta2, eps, bias1, bias2, weight_decay);
}

/// Column sums of a length × inner block. Up to 256 rows accumulate in float (error ≤ 256 ε,
/// the hot case: bias gradients over a batch); longer columns accumulate in `total` (double,
/// `inner` long, supplied by the caller), so a mean over 10⁶ rows is right to the final rounding
/// instead of drifting by up to n·ε.
static void sum_columns(const float *src, int64_t length, int64_t inner, float *dst, double *total) {
    if (length <= 256 || !total) {  // short columns (or no memory for the double buffer)
        memcpy(dst, src, (size_t)inner * sizeof(float));
        for (int64_t l = 1; l < length; l++)
            for (int64_t i = 0; i < inner; i++) dst[i] += src[l * inner + i];
        return;
    }
    memset(total, 0, (size_t)inner * sizeof(double));
    for (int64_t l = 0; l < length; l++)
        for (int64_t i = 0; i < inner; i++) total[i] += src[l * inner + i];
    for (int64_t i = 0; i < inner; i++) dst[i] = (float)total[i];
}

typedef struct {
    int op, parts;
    const float *x;
    int64_t outer, length, inner;
    float *out;
} reduce_job;

static void reduce_rows(int op, const float *x, int64_t first, int64_t last, int64_t length, int64_t inner, float *out);

static void reduce_part(void *context, int part) {
    reduce_job *j = context;
    reduce_rows(j->op, j->x, j->outer * part / j->parts, j->outer * (part + 1) / j->parts, j->length, j->inner, j->out);
}

/// Independent outer rows split across the pool when the work is large (bit-identical results).
void rp_reduce(int op, const float *x, int64_t outer, int64_t length, int64_t inner, float *out) {
    reduce_job job = {.op = op, .x = x, .outer = outer, .length = length, .inner = inner, .out = out, .parts = 1};
    if (outer > 1 && elementwise_parts((size_t)(outer * length * inner)) > 1)
        job.parts = rp_threads() < outer ? rp_threads() : (int)outer;
    rp_parallel_run(job.parts, reduce_part, &job);
}

static void reduce_rows(int op, const float *x, int64_t first, int64_t last, int64_t length, int64_t inner, float *out) {
    // One double buffer for all rows of this range, only where columns are long.
    double *total = op == RP_REDUCE_SUM && inner > 1 && length > 256 ? malloc((size_t)inner * sizeof(double)) : NULL;
    for (int64_t o = first; o < last; o++) {
        const float *src = x + o * length * inner;
        float *dst = out + o * inner;
        if (length == 0) {
            for (int64_t i = 0; i < inner; i++) dst[i] = op == RP_REDUCE_SUM ? 0.0f : -INFINITY;
        } else if (op == RP_REDUCE_SUM) {
            if (inner == 1) dst[0] = (float)rp_sum(src, (size_t)length);
            else sum_columns(src, length, inner, dst, total);
        } else if (inner == 1) {
            // One row: the running maximum in a register. Through dst (a 4-byte memcpy per row, a store per
            // element) 3 000 rows of 10 took 59.5 µs on one thread (Zen 4); the compares are the same.
            float peak = src[0];
            for (int64_t l = 1; l < length; l++) peak = (src[l] > peak || src[l] != src[l]) ? src[l] : peak;
            dst[0] = peak;
        } else {
            memcpy(dst, src, (size_t)inner * sizeof(float));
            for (int64_t l = 1; l < length; l++) {
                const float *row = src + l * inner;
                for (int64_t i = 0; i < inner; i++) dst[i] = (row[i] > dst[i] || row[i] != row[i]) ? row[i] : dst[i];
            }
        }
    }
    free(total);
}

/// Σ x (or Σ x²): eight float partial sums per block of 1024, blocks added in double.
static inline double blocked_sum(const float *x, size_t n, int squares) {
    double total = 0;
    for (size_t start = 0; start < n; start += 1024) {
        size_t end = n - start > 1024 ? start + 1024 : n;
        float lanes[8] = {0};
        size_t i = start;
        for (; i + 8 <= end; i += 8)
            for (int j = 0; j < 8; j++) lanes[j] += squares ? x[i + j] * x[i + j] : x[i + j];
        for (; i < end; i++) lanes[0] += squares ? x[i] * x[i] : x[i];
        for (int j = 0; j < 8; j++) total += lanes[j];
    }
    return total;
}

double rp_sum(const float *x, size_t n) {
    return blocked_sum(x, n, 0);
}
double rp_sum_squares(const float *x, size_t n) {
    return blocked_sum(x, n, 1);
}

typedef struct {
    const float *src;
    const int64_t *rows;
    int64_t width;
    float *out;
    size_t count;
    int parts;
} gather_job;

static void gather_part(void *context, int part) {
    gather_job *j = context;
    size_t first = j->count * (size_t)part / (size_t)j->parts, last = j->count * (size_t)(part + 1) / (size_t)j->parts;
    for (size_t i = first; i < last; i++)
        memcpy(j->out + (int64_t)i * j->width, j->src + j->rows[i] * j->width, (size_t)j->width * sizeof(float));
}

void rp_gather_rows(const float *src, const int64_t *rows, size_t count, int64_t width, float *out) {
    gather_job job = {.src = src, .rows = rows, .width = width, .out = out, .count = count,
                      .parts = elementwise_parts(count * (size_t)width)};
    if ((size_t)job.parts > count) job.parts = count > 0 ? (int)count : 1;
    rp_parallel_run(job.parts, gather_part, &job);
}

// One flag per part; the pool has at most 64 threads.
#define RP_MAX_PARTS 64
typedef struct {
    const rp_vector_kernels *kernels;
    const float *x;
    size_t n;
    int parts;
    int finite[RP_MAX_PARTS];
} finite_job;

static void finite_part(void *context, int part) {
    finite_job *j = context;
    size_t start, count;
    part_range(j->n, j->parts, part, &start, &count);
    j->finite[part] = j->kernels->all_finite(j->x + start, count);
}

typedef struct {
    const rp_vector_kernels *kernels;
    const float *const *x;
    const size_t *n;
    size_t total;
    int count, parts;
    int first_bad[RP_MAX_PARTS];
} finite_many_job;

// Pieces come in tensor order, so a part's first bad tensor is its lowest.
static void finite_piece(void *context, int part, int t, size_t from, size_t length) {
    finite_many_job *j = context;
    if (j->first_bad[part] < 0 && !j->kernels->all_finite(j->x[t] + from, length)) j->first_bad[part] = t;
}

static void finite_many_part(void *context, int part) {
    finite_many_job *j = context;
    j->first_bad[part] = -1;
    many_part_walk(j->n, j->count, j->total, j->parts, part, finite_piece, j);
}

int rp_first_nonfinite_many(int count, const float *const *x, const size_t *n) {
    finite_many_job job = {.kernels = rp_vector_active(), .x = x, .n = n, .count = count};
    for (int t = 0; t < count; t++) job.total += n[t];
    job.parts = elementwise_parts(job.total);
    if (job.parts > RP_MAX_PARTS) job.parts = RP_MAX_PARTS;
    rp_parallel_run(job.parts, finite_many_part, &job);
    for (int part = 0; part < job.parts; part++)
        if (job.first_bad[part] >= 0) return job.first_bad[part];
    return -1;
}

int rp_all_finite(const float *x, size_t n) {
    finite_job job = {.kernels = rp_vector_active(), .x = x, .n = n, .parts = elementwise_parts(n)};
    if (job.parts > RP_MAX_PARTS) job.parts = RP_MAX_PARTS;
    rp_parallel_run(job.parts, finite_part, &job);
    for (int part = 0; part < job.parts; part++)
        if (!job.finite[part]) return 0;
    return 1;
}

float rp_fma_peak_loop(long rounds) { return rp_vector_active()->fma_peak_loop(rounds); }

int rp_fma_peak_flops_per_round(void) { return rp_vector_active()->fma_peak_flops_per_round; }

// MARK: Philox

void rp_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * x0, p1 = (uint64_t)0xCD9E8D57u * x2;
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
        x0 = y0; x1 = (uint32_t)p1; x2 = y2; x3 = (uint32_t)p0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

typedef struct {
    const rp_vector_kernels *kernels;  // the caller's choice, so workers use the same ISA
    const uint32_t *key;
    int kind, parts;
    size_t chunks;
    void *out;
} fill_job;

static void fill_part(void *context, int part) {
    fill_job *job = context;
    size_t first = job->chunks * (size_t)part / (size_t)job->parts;
    size_t last = job->chunks * (size_t)(part + 1) / (size_t)job->parts;
    if (last > first)
        job->kernels->philox_chunks(job->key, first, last - first, job->kind,
                                          (uint32_t *)job->out + first * 64);
}

#define FILL_PARALLEL_VALUES (1 << 16)

static void fill(const uint32_t key[2], int kind, void *out, size_t n) {
    size_t whole = n / 64;
    if (whole) {
        fill_job job = {.kernels = rp_vector_active(), .key = key, .kind = kind, .chunks = whole, .out = out, .parts = 1};
        int threads = rp_threads();
        if (threads > 1 && n >= FILL_PARALLEL_VALUES) job.parts = threads;
        rp_parallel_run(job.parts, fill_part, &job);
    }
    size_t rest = n - whole * 64;
    if (rest) {
        uint32_t tail[64];
        rp_vector_active()->philox_chunks(key, whole, 1, kind, tail);
        memcpy((uint32_t *)out + whole * 64, tail, rest * sizeof(uint32_t));
    }
}

void rp_fill_bits(const uint32_t key[2], uint32_t *out, size_t n) { fill(key, RP_FILL_BITS, out, n); }
void rp_fill_uniform(const uint32_t key[2], float *out, size_t n) { fill(key, RP_FILL_UNIFORM, out, n); }
void rp_fill_normal(const uint32_t key[2], float *out, size_t n) { fill(key, RP_FILL_NORMAL, out, n); }

typedef struct {
    const rp_vector_kernels *kernels;
    const uint32_t *key;
    const float *p;
    float *out;
    size_t n, chunks;
    int parts;
} bernoulli_job;

// Uniforms are made BERNOULLI_CHUNKS chunks of 64 at a time into a buffer on the stack (8 KB), each
// compared as soon as it is made; the last chunk, cut short, is made whole as rp_fill_uniform makes it.
#define BERNOULLI_CHUNKS 32

static void bernoulli_part(void *context, int part) {
    bernoulli_job *j = context;
    size_t first = j->chunks * (size_t)part / (size_t)j->parts;
    size_t last = j->chunks * (size_t)(part + 1) / (size_t)j->parts;
    float u[64 * BERNOULLI_CHUNKS];
    for (size_t c = first; c < last; c += BERNOULLI_CHUNKS) {
        size_t count = last - c < BERNOULLI_CHUNKS ? last - c : BERNOULLI_CHUNKS;
        j->kernels->philox_chunks(j->key, c, count, RP_FILL_UNIFORM, u);
        size_t start = c * 64, length = start + count * 64 <= j->n ? count * 64 : j->n - start;
        const float *p = j->p + start;
        float *out = j->out + start;
        for (size_t i = 0; i < length; i++) out[i] = u[i] < p[i] ? 1.0f : 0.0f;
    }
}

void rp_fill_bernoulli(const uint32_t key[2], const float *p, float *out, size_t n) {
    bernoulli_job job = {.kernels = rp_vector_active(), .key = key, .p = p, .out = out, .n = n,
                         .chunks = (n + 63) / 64, .parts = elementwise_parts(n)};
    if (n) rp_parallel_run(job.parts, bernoulli_part, &job);
}
void rp_fill_gumbel(const uint32_t key[2], float *out, size_t n) { fill(key, RP_FILL_GUMBEL, out, n); }

typedef struct {
    const rp_vector_kernels *kernels;
    const float *params, *x, *sig, *gy, *glogdet;
    float *y, *sig_out, *logdet, *gparams, *gx;
    size_t rows, d;
    int parts;
} affine_job;

static void affine_part(void *context, int part) {
    affine_job *j = context;
    size_t first, last;
    row_range(j->rows, j->parts, part, &first, &last);
    if (last <= first) return;
    if (j->y)
        j->kernels->affine_autoregressive(j->params + first * j->d * 2, j->x + first * j->d, last - first, j->d,
                                          j->y + first * j->d, j->sig_out + first * j->d, j->logdet + first);
    else
        j->kernels->affine_autoregressive_backward(j->x + first * j->d, j->sig + first * j->d,
                                                   j->gy ? j->gy + first * j->d : NULL,
                                                   j->glogdet ? j->glogdet + first : NULL, last - first, j->d,
                                                   j->gparams + first * j->d * 2, j->gx + first * j->d);
}

void rp_affine_autoregressive(const float *params, const float *x, size_t rows, size_t d, float *y, float *sig,
                              float *logdet) {
    affine_job job = {.kernels = rp_vector_active(), .params = params, .x = x, .y = y, .sig_out = sig,
                      .logdet = logdet, .rows = rows, .d = d, .parts = row_parts(rows, d, 32)};
    rp_parallel_run(job.parts, affine_part, &job);
}

void rp_affine_autoregressive_backward(const float *x, const float *sig, const float *gy, const float *glogdet,
                                       size_t rows, size_t d, float *gparams, float *gx) {
    affine_job job = {.kernels = rp_vector_active(), .x = x, .sig = sig, .gy = gy, .glogdet = glogdet,
                      .gparams = gparams, .gx = gx, .rows = rows, .d = d, .parts = row_parts(rows, d, 8)};
    rp_parallel_run(job.parts, affine_part, &job);
}
