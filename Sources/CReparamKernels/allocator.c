// Keeps tensor-sized allocations on the heap.
//
// glibc serves blocks above its mmap threshold with fresh mappings and unmaps them on free, so
// a training step that allocates a few MB of results pays a page fault for every 4 KB it first
// touches: measured on a 784-400-20-400-784 gradient step, 77k faults and 1.7× the time of the
// same kernels on reused buffers. Raising the thresholds (glibc's own knobs) keeps those blocks
// in the heap for reuse. A process that sets MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_
// itself keeps its own choice. (A load-time constructor would be dropped by the linker with
// the otherwise unreferenced object file, so the tensor layer calls this once.)
#include "internal.h"
#if defined(__GLIBC__)
#include <malloc.h>
#include <stdlib.h>
#endif

int rp_configure_allocator(void) {
#if defined(__GLIBC__)
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_")) return 0;
    return mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  // glibc's maximum on 64-bit
        && mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#else
    return 0;
#endif
}
