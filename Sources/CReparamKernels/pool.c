// A persistent worker pool: workers spin briefly for the next job, then park on a condition
// variable. One job at a time; a caller that finds the pool busy runs its tasks itself, so
// results never depend on how many threads actually helped.
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>

#define MAX_WORKERS (RP_MAX_THREADS - 1)
// Long enough to bridge the single-threaded stretches between a training step's kernels, so a
// worker is awake for the next one (a futex wake-up costs tens of microseconds).
#define SPIN_NANOSECONDS 300000

static pthread_mutex_t caller_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_signal = PTHREAD_COND_INITIALIZER;
static int parked;
static int started_workers;

static rp_task_fn job_fn;
static void *job_context;
static unsigned job_float_mode;  // the caller's FTZ/DAZ bits, which workers adopt for the job
// generation << 8 | task count: one load tells a worker both which job is new and whether it
// takes part, so a worker that sits a job out can never read the next job's count.
static _Atomic uint64_t job_word;
static _Atomic int job_pending;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t wait_for_job(uint64_t seen) {
    int64_t deadline = now_ns() + SPIN_NANOSECONDS;
    for (int spins = 0;; spins++) {
        uint64_t g = atomic_load_explicit(&job_word, memory_order_acquire);
        if (g != seen) return g;
        rp_cpu_relax();
        if ((spins & 255) == 255) {
            if (now_ns() > deadline) break;
            sched_yield();  // on a busy machine, let the thread that will post the job run
        }
    }
    pthread_mutex_lock(&park_lock);
    parked++;
    uint64_t g;
    while ((g = atomic_load_explicit(&job_word, memory_order_acquire)) == seen)
        pthread_cond_wait(&park_signal, &park_lock);
    parked--;
    pthread_mutex_unlock(&park_lock);
    return g;
}

// Set while this thread runs a part of a parallel run (the caller's part or a worker's): a
// kernel called from there runs on this thread alone, and must not wait for the pool it holds.
static _Thread_local int inside_run;

typedef struct {
    int task;
    uint64_t seen;  // the job word when the worker was created, before the job it joins
} worker_start;

static void *worker_main(void *arg) {
    worker_start start = *(worker_start *)arg;
    free(arg);
    int task = start.task;
    uint64_t seen = start.seen;
    inside_run = 1;
    for (;;) {
        seen = wait_for_job(seen);
        if (task < (int)(seen & 0xff)) {
            rp_float_mode_adopt(job_float_mode);  // the worker is ours: no need to restore
            job_fn(job_context, task);
            atomic_fetch_sub_explicit(&job_pending, 1, memory_order_release);
        }
    }
    return NULL;
}

static int ensure_workers(int wanted) {
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    while (started_workers < wanted) {
        worker_start *start = malloc(sizeof *start);
        if (!start) break;
        start->task = started_workers + 1;
        start->seen = atomic_load(&job_word);
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker_main, start);
        pthread_attr_destroy(&attr);
        if (failed) {
            free(start);
            break;
        }
        started_workers++;
    }
    return started_workers;
}

static _Thread_local uint64_t runs_with_workers;
static _Thread_local int wait_for_pool;

uint64_t rp_parallel_runs_with_workers(void) { return runs_with_workers; }
void rp_set_thread_pool_wait(int wait) { wait_for_pool = wait != 0; }

void rp_parallel_run(int count, rp_task_fn fn, void *context) {
    if (count > 1 && !inside_run
        && (wait_for_pool ? pthread_mutex_lock(&caller_lock) : pthread_mutex_trylock(&caller_lock)) == 0) {
        int workers = ensure_workers(count - 1);
        if (workers >= count - 1) {
            job_fn = fn;
            job_context = context;
            job_float_mode = rp_float_mode_current();
            atomic_store_explicit(&job_pending, count - 1, memory_order_relaxed);
            uint64_t generation = (atomic_load_explicit(&job_word, memory_order_relaxed) >> 8) + 1;
            atomic_store_explicit(&job_word, generation << 8 | (uint64_t)count, memory_order_release);
            pthread_mutex_lock(&park_lock);
            if (parked) pthread_cond_broadcast(&park_signal);
            pthread_mutex_unlock(&park_lock);
            inside_run = 1;
            fn(context, 0);
            inside_run = 0;
            // Spin for the workers, yielding now and then: when more threads than cores are
            // running, a descheduled worker would otherwise cost the caller its whole time slice.
            for (int spins = 1; atomic_load_explicit(&job_pending, memory_order_acquire) > 0; spins++) {
                rp_cpu_relax();
                if ((spins & 255) == 0) sched_yield();
            }
            pthread_mutex_unlock(&caller_lock);
            runs_with_workers++;
            return;
        }
        pthread_mutex_unlock(&caller_lock);
    }
    for (int task = 0; task < count; task++) fn(context, task);
}

void rp_run_concurrently(int count, rp_task_fn fn, void *context) {
    if (rp_threads() <= 1) {
        for (int task = 0; task < count; task++) fn(context, task);
        return;
    }
    rp_parallel_run(count, fn, context);
}
