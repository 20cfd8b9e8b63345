// Reparam's CPU kernels: single-precision GEMM, vectorized elementwise math, reductions and
// Philox random fills, each with runtime ISA dispatch (AVX-512 / AVX2+FMA / portable).
//
// Every array is row-major float32. Sizes are in elements. Nothing here allocates per call
// except the grow-only, thread-local scratch used by GEMM packing.
#ifndef REPARAM_KERNELS_H
#define REPARAM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Dispatch and threads

/// Instruction-set levels, lowest first.
typedef enum { RP_ISA_PORTABLE = 0, RP_ISA_AVX2 = 1, RP_ISA_AVX512 = 2 } rp_isa;

/// Best level this CPU supports.
int rp_isa_supported(void);
/// Level in use: the supported one, lowered by `REPARAM_ISA=portable|avx2|avx512` or rp_set_isa.
int rp_isa_active(void);
/// Forces a level (clamped to what the CPU supports); returns the level now in use.
int rp_set_isa(int isa);
const char *rp_isa_name(int isa);

/// Threads the kernels may use: `REPARAM_THREADS`, else the number of online cores.
int rp_threads(void);
/// Sets the thread count (1 … 64); returns the count now in use.
int rp_set_threads(int threads);
/// Work (in multiply-adds for GEMM) below which kernels stay on the calling thread.
int64_t rp_parallel_threshold(void);
void rp_set_parallel_threshold(int64_t flops);

/// Overrides for calls made from the current thread only (pool workers follow the caller):
/// isa and threads < 0, threshold < 0 clear them. Lets tests pin settings while other tests
/// run concurrently.
void rp_set_thread_overrides(int isa, int threads, int64_t threshold);
/// How many parallel runs started from this thread actually had pool workers (a busy pool makes
/// a run fall back to the caller): lets tests confirm that threads were used.
uint64_t rp_parallel_runs_with_workers(void);
/// Non-zero: parallel runs started from this thread wait for a busy pool instead of running on
/// the caller. For tests that compare one thread with several while other tests keep the pool
/// busy; never from a pool worker or inside rp_run_concurrently (it would wait for itself).
void rp_set_thread_pool_wait(int wait);
/// Runs fn(context, 0 … count−1) at once on this thread and pool workers when more than one thread
/// is allowed and the pool is free, otherwise one after another here. Kernels called inside the
/// tasks find the pool busy and run on their own thread: coarse tasks instead of split kernels.
void rp_run_concurrently(int count, void (*fn)(void *context, int task), void *context);
/// The current thread's overrides (−1 where none is set).
void rp_get_thread_overrides(int *isa, int *threads, int64_t *threshold);

/// Non-zero when the optimizer kernels (rp_adam_update*) treat subnormal floats (|x| < 2⁻¹²⁶) as zero,
/// in their operands and results (x86 FTZ and DAZ, set for the call on every thread it runs on).
/// Moments of gradients that stay zero (dead units, blank pixels) decay by β per step into that
/// range, and an Intel core takes a ~100-cycle assist per subnormal operand: the VAE's epoch grew
/// from 1.2 to 2.4 s over three epochs. Other kernels keep IEEE gradual underflow, which a CDF at a
/// subnormal point needs. On by default; `REPARAM_SUBNORMALS=keep` or rp_set_flush_subnormals(0).
int rp_flush_subnormals(void);
void rp_set_flush_subnormals(int flush);

/// Mean round trip, in ns, of a cache line between threads pinned to CPUs a and b (`trips` times
/// there and back); −1 when the threads cannot be pinned. ~0.1 µs means the two share an L3
/// cache; several times that, they do not, and multithreaded kernels pay for every line that
/// moves between them (see placement.c).
double rp_core_round_trip_ns(int cpu_a, int cpu_b, int trips);

/// Keeps tensor-sized blocks on glibc's heap instead of fresh mappings (avoids a page fault per
/// 4 KB of every new result). Idempotent; returns 1 if the settings were applied.
int rp_configure_allocator(void);

// MARK: - GEMM

/// C = alpha · op(A) · op(B) + beta · C, with op(A) M×K and op(B) K×N.
/// `trans_a` non-zero means A is stored K×M (lda ≥ M), else M×K (lda ≥ K); likewise B.
/// With beta == 0, C is written without being read. Only the M×N window of C is touched.
void rp_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// A dense layer's backward pass for y = act(x·W' + b) (x m×k, W k×n), given y and its cotangent v (m×n):
/// g = act'(y) ⊙ v is written to g (m×n; unused, may be NULL, for RP_ACT_IDENTITY, where g is v) by both
/// threads as rp_activation_backward_into computes it; then dx = g·W'ᵀ, dw = xᵀ·g and db = Σ_rows g, each
/// element exactly as rp_sgemm(_extents) and rp_reduce compute it. One thread takes dx and the other db, and
/// both then claim dw's columns in blocks, so neither waits for the other's whole product. For a masked layer
/// (W' = W on runs, rp_sgemm_extents) pass its runs: dx = g·W'ᵀ with op(B) = Wᵀ's columns restricted to
/// [dx_k_begin[i], dx_k_end[i]), and dw computed on rows [dw_row_begin[j], dw_row_end[j]) of each column j,
/// zero elsewhere; NULL pairs for a dense layer (W' = W).
void rp_layer_backward(int m, int k, int n, const float *x, const float *w, const float *y, const float *v, int act,
                       const int *dx_k_begin, const int *dx_k_end, const int *dw_row_begin, const int *dw_row_end,
                       float *g, float *dx, float *dw, float *db);

/// C = act(alpha·op(A)·op(B') + beta·C + bias) where B' is B masked to runs, as in masked
/// (autoregressive) layers: column j of op(B') is op(B)'s for k in [k_begin[j], k_end[j]) and
/// zero elsewhere (an empty column has begin ≥ end); and, when row_begin/row_end are given, only
/// rows [row_begin[j], row_end[j]) of column j of C are computed and the others set to zero
/// (beta, bias and act are then ignored: a weight gradient with its mask applied). Either pair
/// may be NULL; bias may be NULL. Tiles skip the K and rows that none of their columns need;
/// B is packed with each column's entries outside its run zeroed, so the values stored there
/// never matter. Split across the pool by work, not by column count.
void rp_sgemm_extents(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int act,
                      const int *k_begin, const int *k_end, const int *row_begin, const int *row_end);

/// Products whose op(A) is mostly zeros (images with blank backgrounds, ReLU outputs) skip A's
/// zeros when B is not transposed: rp_sgemm and rp_sgemm_bias_activation count op(A)'s nonzeros
/// first and take the sparse path when at most this fraction is nonzero (0 turns it off; default
/// 0.3, or `REPARAM_SPARSE_DENSITY`). A zero of A adds an exact zero, except against an infinite
/// or NaN element of B, where the dense product gives NaN and the sparse one may not.
float rp_sparse_density_limit(void);
void rp_set_sparse_density_limit(float limit);
/// The limit for calls from the current thread only (negative clears), and the override in force
/// (−1 when none).
void rp_set_thread_sparse_density_limit(float limit);
float rp_thread_sparse_density_limit(void);
/// The sparse path whatever the density: C = act(alpha·op(A)·B + beta·C + bias), act = ReLU when
/// relu is non-zero; bias may be NULL.
void rp_sgemm_sparse(int trans_a, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc, const float *bias, int relu);

// MARK: - Elementwise

typedef enum {
    RP_UNARY_EXP = 0, RP_UNARY_LOG, RP_UNARY_LOG1P, RP_UNARY_EXPM1, RP_UNARY_TANH,
    RP_UNARY_SIGMOID, RP_UNARY_SOFTPLUS, RP_UNARY_LOG_SIGMOID, RP_UNARY_RELU, RP_UNARY_NEG,
    RP_UNARY_SQUARE, RP_UNARY_SQRT, RP_UNARY_ABS, RP_UNARY_RECIPROCAL,
    RP_UNARY_COUNT
} rp_unary_op;

/// y[i] = op(x[i]). x and y may alias.
void rp_unary(int op, const float *x, float *y, size_t n);

/// Reverse mode of rp_unary: gx[i] = g[i] · op'(x[i]), using y = op(x) where cheaper.
void rp_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, size_t n);

typedef enum {
    RP_BINARY_ADD = 0, RP_BINARY_SUB, RP_BINARY_MUL, RP_BINARY_DIV, RP_BINARY_POW,
    RP_BINARY_MAX, RP_BINARY_MIN, RP_BINARY_COUNT
} rp_binary_op;

/// Broadcasting binary op over an output of `rank` dims (rank ≤ 8). Strides are in elements;
/// a stride of 0 repeats that operand along the dim.
void rp_binary(int op, int rank, const int64_t *shape,
               const float *a, const int64_t *a_strides,
               const float *b, const int64_t *b_strides, float *out);

/// y = x ^ p for a scalar exponent: e^{p·ln x} in double, rounded once (libm's powf for zero,
/// negative or non-finite x and non-finite p); RP_BINARY_POW computes the same per element.
void rp_pow_scalar(const float *x, float p, float *y, size_t n);
/// y = ln x, but 0 where x = 0 (the factor ln x of ∂xʸ/∂y, which xʸ = 0 multiplies there).
void rp_log_or_zero(const float *x, float *y, size_t n);
/// y = min(max(x, lo), hi).
void rp_clamp(const float *x, float lo, float hi, float *y, size_t n);
/// gx = g where lo ≤ x ≤ hi, else 0.
void rp_clamp_backward(const float *x, float lo, float hi, const float *g, float *gx, size_t n);

/// Activations fused after a bias add, in place on an m×n row-major block:
/// y[i][j] = act(y[i][j] + bias[j]). bias may be NULL.
typedef enum { RP_ACT_IDENTITY = 0, RP_ACT_RELU, RP_ACT_TANH, RP_ACT_SIGMOID } rp_activation;
void rp_bias_activation(int act, float *y, const float *bias, int m, int n);
/// C = act(op(A)·op(B) + bias) (a dense layer's forward pass); bias may be NULL. The activation
/// is applied as each tile of C is stored. Bit for bit the same as rp_sgemm followed by
/// rp_bias_activation.
void rp_sgemm_bias_activation(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int act, float *c, int ldc);
/// g ← g · act'(from y = act(·)), in place; the pre-activation is not needed.
void rp_activation_backward(int act, const float *y, float *g, size_t n);
/// g ← v · act'(from y = act(·)) into a separate output: a pullback's cotangent is shared, and
/// writing in place would first copy it.
void rp_activation_backward_into(int act, const float *y, const float *v, float *g, size_t n);

/// Bernoulli negative log-likelihood with logits, summed: Σ softplus(l) − x·l.
/// If grad is non-NULL, also writes ∂/∂l = sigmoid(l) − x, scaled by grad_scale.
double rp_bernoulli_logits_nll(const float *logits, const float *x, size_t n,
                               float *grad, float grad_scale);

/// One Adam/AdamW step in place. `bias1` = 1 − β1^t, `bias2` = 1 − β2^t.
/// p ← p − lr·(m̂ / (√v̂ + eps) + weight_decay·p)   (weight_decay = 0 gives Adam), evaluated as
/// PyTorch does: p − lr·wd·p − (lr/bias1)·m / (√v/√bias2 + eps).
void rp_adam_update(float *p, const float *g, float *m, float *v, size_t n,
                    float lr, float beta1, float beta2, float eps,
                    float bias1, float bias2, float weight_decay);
/// rp_adam_update on `count` tensors at once (tensor t: n[t] elements at p[t], g[t], m[t], v[t]),
/// split across the pool by total size: a model's many small tensors no longer each run on one
/// thread. Each element is updated exactly as rp_adam_update updates it.
void rp_adam_update_many(int count, float *const *p, const float *const *g, float *const *m, float *const *v,
                         const size_t *n, float lr, float beta1, float beta2, float eps, float bias1, float bias2,
                         float weight_decay);

// MARK: - Reductions (shape viewed as outer × length × inner, reducing the middle)

typedef enum { RP_REDUCE_SUM = 0, RP_REDUCE_MAX = 1 } rp_reduce_op;
void rp_reduce(int op, const float *x, int64_t outer, int64_t length, int64_t inner, float *out);
/// Σ x, Σ x² in double.
double rp_sum(const float *x, size_t n);
double rp_sum_squares(const float *x, size_t n);
/// out[i, :] = src[rows[i], :] for rows of `width` floats (indices already checked); split
/// across the pool when large: random rows of a big data set are bound by memory latency.
void rp_gather_rows(const float *src, const int64_t *rows, size_t count, int64_t width, float *out);
/// dst = src with its axes permuted: dst is contiguous in `out_shape` (rank ≤ 16), and its element
/// (i₀, …) is src[Σ i_d · src_strides[d]]. Tiled so that a transposed read or write still moves
/// whole cache lines; large ones are split across the pool. Returns −1 for a rank above 16.
int rp_permute(const float *src, float *dst, int rank, const int64_t *out_shape, const int64_t *src_strides);
/// out[i] = src[i·width + indices[i]] for i < rows; returns −1, or the first i whose index is outside
/// 0..<width (out is then incomplete).
int64_t rp_gather_last(const float *src, const int64_t *indices, size_t rows, int64_t width, float *out);
/// The gather's adjoint: out (rows × width) is zero but out[i·width + indices[i]] = v[i]. The
/// indices must be in range.
void rp_scatter_last(const float *v, const int64_t *indices, size_t rows, int64_t width, float *out);

/// ln Γ(x) (libm's, thread-safe), ψ(x) and ψ′(x) in double precision (ψ: recurrence to x ≥ 10, then
/// the asymptotic series; reflection for x < 0; NaN at the poles).
double rp_lgamma(double x);
double rp_digamma(double x);
double rp_trigamma(double x);
typedef enum { RP_SPECIAL_LGAMMA = 0, RP_SPECIAL_DIGAMMA, RP_SPECIAL_TRIGAMMA } rp_special_fn;
/// y = fn(x) elementwise, computed in double and rounded once; split across the pool when large.
void rp_special(rp_special_fn fn, const float *x, float *y, size_t n);
/// 1 when every element is finite (no NaN, no ±inf), else 0.
int rp_all_finite(const float *x, size_t n);
/// `rounds` rounds of the active instruction set's multiply-add loop on the calling thread
/// (independent vector accumulators, no memory traffic), each rp_fma_peak_flops_per_round()
/// floating-point operations; returns the accumulators' sum, which keeps the loop from being removed.
/// Timed, it is the ceiling a one-thread GEMM is measured against (`reparam bench kernels`).
float rp_fma_peak_loop(long rounds);
int rp_fma_peak_flops_per_round(void);
/// The lowest t whose n[t] elements at x[t] hold a NaN or ±inf, or −1 when all are finite: one
/// call for a model's gradients, split across the pool by their total size (tensors with
/// n[t] = 0 are skipped and may have x[t] = NULL).
int rp_first_nonfinite_many(int count, const float *const *x, const size_t *n);
/// x[t][i] ← x[t][i]·factor for every element of `count` tensors (n[t] elements each), in place, in one
/// pass split across the pool; bit for bit the elementwise product with the scalar.
void rp_scale_many(int count, float *const *x, const size_t *n, float factor);

// MARK: - Implicit reparameterization of Gamma draws

/// dG/dα = −(∂P(α, G)/∂α)/p(G; α) for one draw G of Gamma(α, 1) (0 for G ≤ 0).
double rp_gamma_sample_derivative(double alpha, double sample);
/// For n draws given as log G (element i has α = alpha[i % alpha_count]), and optionally G itself
/// (NULL: computed as exp(log G)): writes (dG/dα)/G to out_log and dG/dα to out (either may be NULL).
void rp_gamma_log_sample_derivatives(const float *alpha, size_t alpha_count, const double *log_samples,
                                     const double *samples, size_t n, float *out_log, float *out);

/// One Marsaglia–Tsang attempt per element for Gamma(α′, 1) with α′ = α + 1 when α < 1 (the
/// boost U^{1/α} is the caller's): standard normals and uniforms in, log G and acceptance out.
void rp_gamma_attempts(const float *alpha, const float *normal, const float *uniform, size_t n, double *log_out,
                       uint8_t *accepted);

// MARK: - Philox-4x32-10 random fills

/// Per row of a rows × columns matrix: out[r] = Σ_j softplus(l) − x·l; grad (if not NULL) gets
/// σ(l) − x elementwise. x has `x_rows` rows, a divisor of `rows`: logits row r is scored against
/// x row r mod x_rows (K samples of a batch against the batch itself, without copying it K times).
void rp_bernoulli_logits_nll_rows(const float *logits, const float *x, size_t rows, size_t x_rows, size_t columns,
                                  float *out, float *grad);
/// The same sums for logits = a·b + bias (a: rows × k, b: k × columns, both row-major, bias: columns)
/// without storing the logits: the products' tiles add their own terms. Bit for bit
/// rp_sgemm_bias_activation (identity) followed by rp_bernoulli_logits_nll_rows, when k ≤ 512 and
/// columns ≤ 4096; returns 0 without writing `out` otherwise (the caller then takes those two steps).
int rp_sgemm_bernoulli_nll_rows(int rows, int columns, int k, const float *a, const float *b, const float *bias,
                                const float *x, int x_rows, float *out);

/// The affine autoregressive step of MAF (data → noise) and IAF (noise → sample) for rows × d
/// variables whose parameters (μ, s) are interleaved in `params` ([rows, d, 2], as a MADE
/// outputs them): g = sigmoid(s + 2), σ = g + 10⁻³, y = x·σ + μ, logdet[r] = Σ_j log σ_rj.
/// g is stored in `sig` for the pullback.
void rp_affine_autoregressive(const float *params, const float *x, size_t rows, size_t d, float *y, float *sig,
                              float *logdet);
/// The pullback of rp_affine_autoregressive from ȳ (`gy`, [rows, d]) and the log-determinants'
/// cotangent (`glogdet`, [rows]), either NULL for zero: ∂params ([rows, d, 2]) and ∂x.
void rp_affine_autoregressive_backward(const float *x, const float *sig, const float *gy, const float *glogdet,
                                       size_t rows, size_t d, float *gparams, float *gx);
/// Monotone rational-quadratic splines, elementwise, identity outside [kx_0, kx_bins): element
/// i has knots kx, ky and derivatives kd at i·(bins+1) … i·(bins+1)+bins. `inverse` maps y to
/// x. Writes the output and log|d out/d in|.
void rp_rq_spline(int64_t n, int bins, const float *x, const float *kx, const float *ky, const float *kd,
                  int inverse, float *out, float *logdet);
/// Gradients of rp_rq_spline (same `x`, its `out`) given those of out and logdet (either may be
/// NULL for zero): with respect to x and every knot and derivative (overwritten).
void rp_rq_spline_backward(int64_t n, int bins, const float *x, const float *out, const float *kx, const float *ky,
                           const float *kd, int inverse, const float *g_out, const float *g_logdet, float *g_x,
                           float *g_kx, float *g_ky, float *g_kd);

/// One Philox-4x32-10 block: out = philox(counter, key).
void rp_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/// Fills of `n` values from key `key`, stream position starting at `offset` values.
/// Value i always comes from the same counter, so results do not depend on threads or ISA
/// layout. Layout: chunk g (64 values) takes blocks 16g … 16g+15 (counter = (block lo, block hi,
/// 0, 0)); word w of block 16g+l is value 64g + 16w + l.
void rp_fill_bits(const uint32_t key[2], uint32_t *out, size_t n);
/// Uniform on [0, 1) with 24 random bits (float spacing 2⁻²⁴).
void rp_fill_uniform(const uint32_t key[2], float *out, size_t n);
/// out[i] = 1 if u[i] < p[i] else 0, u being rp_fill_uniform's values for this key: Bernoulli draws, made
/// as the uniforms are, without storing them.
void rp_fill_bernoulli(const uint32_t key[2], const float *p, float *out, size_t n);
/// Standard normal by Box–Muller on full 32-bit uniforms (tails reach ≈ 6.7σ).
void rp_fill_normal(const uint32_t key[2], float *out, size_t n);
/// Standard Gumbel: −log(−log u), u on the open interval (0, 1) with 32-bit resolution.
void rp_fill_gumbel(const uint32_t key[2], float *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
