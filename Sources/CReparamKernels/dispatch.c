// Runtime choice of instruction set and thread count; thread-local scratch buffers.
#include "internal.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic int active_isa = -1;
static _Atomic int thread_count = 0;
// Multiply-adds (1 MFLOP). With workers spinning between calls, even the VAE's 1–2 M shapes
// (its 20- and 40-wide layers) gain from a split: 3.5% of an epoch at batch 128.
static _Atomic int64_t parallel_threshold = 500000;
static _Thread_local int isa_override = -1, threads_override = -1;
static _Thread_local int64_t threshold_override = -1;

void rp_set_thread_overrides(int isa, int threads, int64_t threshold) {
    int best = rp_isa_supported();
    isa_override = isa < 0 ? -1 : (isa > best ? best : isa);
    threads_override = threads < 1 ? -1 : (threads > 64 ? 64 : threads);
    threshold_override = threshold < 0 ? -1 : threshold;
}

void rp_get_thread_overrides(int *isa, int *threads, int64_t *threshold) {
    *isa = isa_override;
    *threads = threads_override;
    *threshold = threshold_override;
}

int rp_isa_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
        return RP_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RP_ISA_AVX2;
#endif
    return RP_ISA_PORTABLE;
}

static int isa_from_environment(void) {
    int best = rp_isa_supported();
    const char *requested = getenv("REPARAM_ISA");
    if (!requested || !*requested) return best;
    int wanted;
    if (!strcmp(requested, "portable")) wanted = RP_ISA_PORTABLE;
    else if (!strcmp(requested, "avx2")) wanted = RP_ISA_AVX2;
    else if (!strcmp(requested, "avx512")) wanted = RP_ISA_AVX512;
    else {
        fprintf(stderr, "reparam: ignoring REPARAM_ISA=%s (expected portable, avx2 or avx512); using %s\n",
                requested, rp_isa_name(best));
        return best;
    }
    if (wanted > best)
        fprintf(stderr, "reparam: REPARAM_ISA=%s is not supported by this CPU; using %s\n", requested, rp_isa_name(best));
    return wanted < best ? wanted : best;
}

static _Atomic int flush_mode = -1;

int rp_flush_subnormals(void) {
    int flush = atomic_load_explicit(&flush_mode, memory_order_relaxed);
    if (flush < 0) {
        const char *requested = getenv("REPARAM_SUBNORMALS");
        flush = 1;
        if (requested && *requested) {
            if (!strcmp(requested, "keep")) flush = 0;
            else if (strcmp(requested, "flush"))
                fprintf(stderr, "reparam: ignoring REPARAM_SUBNORMALS=%s (expected flush or keep); flushing\n",
                        requested);
        }
        atomic_store(&flush_mode, flush);
    }
    return flush;
}

void rp_set_flush_subnormals(int flush) { atomic_store(&flush_mode, flush != 0); }

int rp_isa_active(void) {
    if (isa_override >= 0) return isa_override;
    int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = isa_from_environment();
        atomic_store(&active_isa, isa);
    }
    return isa;
}

int rp_set_isa(int isa) {
    int best = rp_isa_supported();
    if (isa < RP_ISA_PORTABLE) isa = RP_ISA_PORTABLE;
    if (isa > best) isa = best;
    atomic_store(&active_isa, isa);
    return isa;
}

const char *rp_isa_name(int isa) {
    switch (isa) {
    case RP_ISA_AVX512: return "avx512";
    case RP_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}

const rp_vector_kernels *rp_vector_active(void) {
    switch (rp_isa_active()) {
    case RP_ISA_AVX512: return &rp_vector_avx512;
    case RP_ISA_AVX2: return &rp_vector_avx2;
    default: return &rp_vector_portable;
    }
}

static int clamp_threads(long t) { return t < 1 ? 1 : (t > 64 ? 64 : (int)t); }

int rp_threads(void) {
    if (threads_override > 0) return threads_override;
    int t = atomic_load_explicit(&thread_count, memory_order_relaxed);
    if (t == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN), parsed = 0;
        const char *env = getenv("REPARAM_THREADS");
        if (env && *env) {
            char *end;
            parsed = strtol(env, &end, 10);
            if (*end || parsed < 1 || parsed > 64) {
                fprintf(stderr, "reparam: ignoring REPARAM_THREADS=%s (expected a whole number from 1 to 64); using %ld\n",
                        env, cores);
                parsed = 0;
            }
        }
        t = clamp_threads(parsed > 0 ? parsed : cores);
        atomic_store(&thread_count, t);
    }
    return t;
}

int rp_set_threads(int threads) {
    int t = clamp_threads(threads);
    atomic_store(&thread_count, t);
    return t;
}

int64_t rp_parallel_threshold(void) {
    return threshold_override >= 0 ? threshold_override : atomic_load(&parallel_threshold);
}
void rp_set_parallel_threshold(int64_t flops) { atomic_store(&parallel_threshold, flops < 0 ? 0 : flops); }

#define SCRATCH_SLOTS 4
static _Thread_local float *scratch[SCRATCH_SLOTS];
static _Thread_local size_t scratch_size[SCRATCH_SLOTS];

float *rp_scratch(int slot, size_t floats) {
    if (floats > scratch_size[slot]) {
        free(scratch[slot]);
        size_t bytes = ((floats * sizeof(float)) + 63) & ~(size_t)63;
        scratch[slot] = aligned_alloc(64, bytes);
        scratch_size[slot] = scratch[slot] ? floats : 0;
    }
    return scratch[slot];
}
