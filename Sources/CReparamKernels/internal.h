// Private declarations shared by the kernel files.
#ifndef REPARAM_INTERNAL_H
#define REPARAM_INTERNAL_H
#include "include/reparam_kernels.h"

typedef void (*rp_task_fn)(void *context, int task);

/// Runs tasks 0 … count−1, task 0 on the caller and the rest on pool workers. Falls back to
/// running all tasks on the caller when another caller already holds the pool.
void rp_parallel_run(int count, rp_task_fn fn, void *context);
/// The most threads the pool runs (the caller and its workers).
#define RP_MAX_THREADS 64

/// A pause in a spin loop (tells the core that this thread waits for another).
#if defined(__x86_64__)
#include <immintrin.h>
static inline void rp_cpu_relax(void) { _mm_pause(); }
#else
static inline void rp_cpu_relax(void) {}
#endif

// GEMM drivers, one per ISA (same contract as rp_sgemm, single-threaded), with an optional
// epilogue on the stored result: + bias[j] (bias may be NULL), then the rp_activation act.
// The AVX ones exist on x86-64 only.
// `extents` (may be NULL) masks op(B) per column j of this C block: only k in [k_begin[j],
// k_end[j]) contribute (B is packed with the rest zeroed), and only the tiles that meet rows
// [row_begin[j], row_end[j]) of C are computed (the others get the product of nothing: beta·C +
// bias, activated); either pair may be NULL. Each tile runs over the union of its columns' K
// ranges.
typedef struct { const int *k_begin, *k_end, *row_begin, *row_end; } rp_gemm_extents;
void rp_sgemm_avx512(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act,
                     const rp_gemm_extents *extents);
void rp_sgemm_avx2(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act,
                   const rp_gemm_extents *extents);
void rp_sgemm_portable(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act,
                       const rp_gemm_extents *extents);
// The Bernoulli loss of logits A·B + bias per row, the logits never stored (rp_sgemm_bernoulli_nll_rows);
// B packed once for all threads by the pack function when that ISA's rule packs it.
typedef void (*rp_gemm_nll_driver)(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                                   const float *bias, const float *x, int ldx, int x_rows, int row0,
                                   const float *packed, float *out);
typedef int (*rp_gemm_nll_pack)(int m, int k, const float *b, int ldb, float *packed, int j0, int j1);
#define RP_NLL_DRIVERS(isa)                                                                                   \
    void rp_sgemm_nll_##isa(int m, int n, int k, const float *a, int lda, const float *b, int ldb,           \
                            const float *bias, const float *x, int ldx, int x_rows, int row0, const float *packed, \
                            float *out);                                                                     \
    int rp_sgemm_nll_pack_##isa(int m, int k, const float *b, int ldb, float *packed, int j0, int j1);
RP_NLL_DRIVERS(avx512)
RP_NLL_DRIVERS(avx2)
RP_NLL_DRIVERS(portable)

// Sparse-A drivers, one per ISA: C rows [i0, i1) (i0 a multiple of RP_SPARSE_GROUP) of
// alpha·op(A)·B + beta·C (+ bias, activation) for a non-transposed B, visiting only op(A)'s nonzeros;
// and nonzero counters for op(A) (m × k) that stop once the count passes limit.
#define RP_SPARSE_GROUP 4
void rp_sgemm_sparse_avx512(int ta, int i0, int i1, int n, int k, float alpha, const float *a, int lda,
                            const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act);
void rp_sgemm_sparse_avx2(int ta, int i0, int i1, int n, int k, float alpha, const float *a, int lda,
                          const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act);
void rp_sgemm_sparse_portable(int ta, int i0, int i1, int n, int k, float alpha, const float *a, int lda,
                              const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act);
long rp_count_nonzeros_avx512(int ta, int m, int k, const float *a, int lda, long limit);
long rp_count_nonzeros_avx2(int ta, int m, int k, const float *a, int lda, long limit);
long rp_count_nonzeros_portable(int ta, int m, int k, const float *a, int lda, long limit);

/// Per-ISA tables of the vectorized elementwise kernels.
typedef struct {
    void (*unary)(int op, const float *x, float *y, size_t n);
    void (*unary_backward)(int op, const float *x, const float *y, const float *g, float *gx, size_t n);
    void (*binary_contiguous)(int op, const float *a, int a_step, const float *b, int b_step, float *out, size_t n);
    void (*pow)(const float *a, int a_step, const float *b, int b_step, float *out, size_t n);
    void (*bias_activation)(int act, float *y, const float *bias, int m, int n);
    void (*activation_backward)(int act, const float *y, const float *v, float *g, size_t n);
    double (*bernoulli_logits_nll)(const float *l, const float *x, size_t n, float *grad, float scale);
    void (*adam_update)(float *p, const float *g, float *m, float *v, size_t n, float lr, float b1,
                        float b2, float eps, float bias1, float bias2, float wd);
    int (*all_finite)(const float *x, size_t n);
    void (*philox_chunks)(const uint32_t key[2], uint64_t first_chunk, size_t chunks, int kind, void *out);
    void (*gamma_series_derivatives)(const double *a, const double *x, const double *log_x, size_t n, double *out);
    void (*gamma_attempts)(const float *alpha, const float *normal, const float *uniform, size_t n, double *log_out,
                           uint8_t *accepted);
    void (*affine_autoregressive)(const float *params, const float *x, size_t rows, size_t d, float *y, float *sig,
                                  float *logdet);
    void (*affine_autoregressive_backward)(const float *x, const float *sig, const float *gy, const float *glogdet,
                                           size_t rows, size_t d, float *gparams, float *gx);
    float (*fma_peak_loop)(long rounds);
    int fma_peak_flops_per_round;
} rp_vector_kernels;

extern const rp_vector_kernels rp_vector_avx512;
extern const rp_vector_kernels rp_vector_avx2;
extern const rp_vector_kernels rp_vector_portable;
const rp_vector_kernels *rp_vector_active(void);

/// Kinds of Philox chunk output (64 values each).
enum { RP_FILL_BITS = 0, RP_FILL_UNIFORM, RP_FILL_NORMAL, RP_FILL_GUMBEL };

/// Grow-only, 64-byte aligned, thread-local scratch; slot selects one of a few buffers.
float *rp_scratch(int slot, size_t floats);

// The floating-point mode of the kernels that flush subnormals (see rp_flush_subnormals): x86 MXCSR's
// FTZ (bit 15) and DAZ (bit 6). Such a kernel starts with RP_KERNEL_FLOAT_MODE, which sets the two
// bits as the policy says and puts them back when the function returns (exception flags the kernel
// raised stay): whatever the size or thread count, it computes in the same mode, and the caller's own
// arithmetic keeps its own. Pool workers adopt the mode of the thread that posted the job.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RP_MXCSR_FLUSH 0x8040u
static inline unsigned rp_float_mode_current(void) { return _mm_getcsr() & RP_MXCSR_FLUSH; }
static inline void rp_float_mode_adopt(unsigned bits) {
    unsigned now = _mm_getcsr(), wanted = (now & ~RP_MXCSR_FLUSH) | (bits & RP_MXCSR_FLUSH);
    if (wanted != now) _mm_setcsr(wanted);
}
#else
static inline unsigned rp_float_mode_current(void) { return 0; }
static inline void rp_float_mode_adopt(unsigned bits) { (void)bits; }
#endif
static inline unsigned rp_float_mode_enter(void) {
    unsigned old = rp_float_mode_current();
#if defined(__x86_64__) || defined(__i386__)
    rp_float_mode_adopt(rp_flush_subnormals() ? RP_MXCSR_FLUSH : 0);
#endif
    return old;
}
static inline void rp_float_mode_restore(const unsigned *old) { rp_float_mode_adopt(*old); }
#define RP_KERNEL_FLOAT_MODE \
    unsigned rp_float_mode_saved __attribute__((cleanup(rp_float_mode_restore))) = rp_float_mode_enter()

#endif
