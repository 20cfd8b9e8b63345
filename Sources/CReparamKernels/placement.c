// How far apart two CPUs are, measured: the round trip of a cache line between threads pinned to
// each. On a VM the host decides where the virtual CPUs run; two that share an L3 cache pass a
// line back and forth in ~0.1 µs, two on different L3 caches (another chiplet or socket) in
// ~0.4 µs, and then every value one thread writes and the other reads costs that much more. A
// two-thread training step moves enough data between threads to run ~35% slower in the second
// placement (measured on a 2-vCPU EPYC VM, whose placement changes from minute to minute).
#define _GNU_SOURCE
#include "internal.h"
#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

typedef struct {
    _Alignas(64) _Atomic int ball;  // 1: the partner's turn, 0: the caller's
    _Alignas(64) _Atomic int ready;
    int cpu, trips, pinned;
} ping_pong;

static int pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

static void *partner(void *context) {
    ping_pong *game = context;
    game->pinned = pin_to(game->cpu);
    atomic_store(&game->ready, 1);
    for (int i = 0; i < game->trips; i++) {
        while (atomic_load_explicit(&game->ball, memory_order_acquire) != 1) {}
        atomic_store_explicit(&game->ball, 0, memory_order_release);
    }
    return NULL;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double rp_core_round_trip_ns(int cpu_a, int cpu_b, int trips) {
    if (trips < 1 || cpu_a < 0 || cpu_b < 0 || cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE) return -1;
    cpu_set_t saved;
    if (pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) != 0 || !pin_to(cpu_a)) return -1;
    ping_pong game = {.cpu = cpu_b, .trips = trips};
    pthread_t thread;
    double result = -1;
    if (pthread_create(&thread, NULL, partner, &game) == 0) {
        while (!atomic_load(&game.ready)) {}
        double start = seconds_now();
        for (int i = 0; i < trips; i++) {
            atomic_store_explicit(&game.ball, 1, memory_order_release);
            while (atomic_load_explicit(&game.ball, memory_order_acquire) != 0) {}
        }
        double elapsed = seconds_now() - start;
        pthread_join(thread, NULL);
        if (game.pinned) result = elapsed / trips * 1e9;
    }
    pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    return result;
}
#else
double rp_core_round_trip_ns(int cpu_a, int cpu_b, int trips) {
    (void)cpu_a, (void)cpu_b, (void)trips;
    return -1;  // no thread pinning here
}
#endif
