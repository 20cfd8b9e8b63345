// Data movement that used to be scalar Swift loops: axis permutations (transposes) and the
// one-element-per-row gather along the last axis with its scatter.
#include "internal.h"
#include <string.h>

// Tiles of the last two output axes: a 16 × 16 tile reads 16 source lines and writes 16
// destination lines, so whichever side is strided still uses whole cache lines.
#define PERMUTE_TILE 16
#define PERMUTE_PARALLEL 65536  // elements: below this the pool's handoff costs more than it saves
#define PERMUTE_MAX_RANK 16

typedef struct {
    const float *src;
    float *dst;
    int rank;
    int64_t shape[PERMUTE_MAX_RANK], strides[PERMUTE_MAX_RANK];  // output shape, source strides
    int64_t outer, row_tiles;  // product of the leading output axes; tiles along the next-to-last axis
    int parts;
} permute_job;

// The source offset of output block `outer` (an index into the leading rank − 2 axes).
static int64_t outer_offset(const permute_job *j, int64_t outer) {
    int64_t offset = 0;
    for (int d = j->rank - 3; d >= 0; d--) {
        offset += (outer % j->shape[d]) * j->strides[d];
        outer /= j->shape[d];
    }
    return offset;
}

// Work item w: tile row w % row_tiles of output block w / row_tiles, all its columns.
static void permute_rows(const permute_job *j, int64_t first, int64_t last) {
    const int64_t rows = j->shape[j->rank - 2], columns = j->shape[j->rank - 1];
    const int64_t row_stride = j->strides[j->rank - 2], column_stride = j->strides[j->rank - 1];
    for (int64_t w = first; w < last; w++) {
        const int64_t block = w / j->row_tiles, r0 = (w % j->row_tiles) * PERMUTE_TILE;
        const int64_t r1 = r0 + PERMUTE_TILE < rows ? r0 + PERMUTE_TILE : rows;
        const float *src = j->src + outer_offset(j, block);
        float *dst = j->dst + block * rows * columns;
        if (column_stride == 1) {  // rows of the output are runs of the source
            for (int64_t r = r0; r < r1; r++) memcpy(dst + r * columns, src + r * row_stride, (size_t)columns * 4);
            continue;
        }
        for (int64_t c0 = 0; c0 < columns; c0 += PERMUTE_TILE) {
            const int64_t c1 = c0 + PERMUTE_TILE < columns ? c0 + PERMUTE_TILE : columns;
            for (int64_t r = r0; r < r1; r++)
                for (int64_t c = c0; c < c1; c++) dst[r * columns + c] = src[r * row_stride + c * column_stride];
        }
    }
}

static void permute_part(void *context, int part) {
    permute_job *j = context;
    const int64_t items = j->outer * j->row_tiles;
    permute_rows(j, items * part / j->parts, items * (part + 1) / j->parts);
}

int rp_permute(const float *src, float *dst, int rank, const int64_t *out_shape, const int64_t *src_strides) {
    if (rank < 0 || rank > PERMUTE_MAX_RANK) return -1;
    permute_job job = {.src = src, .dst = dst, .rank = rank + (rank < 2 ? 2 - rank : 0)};
    // Ranks 0 and 1 are a [1, n] permutation that copies the source.
    int pad = job.rank - rank;
    int64_t count = 1;
    for (int d = 0; d < job.rank; d++) {
        job.shape[d] = d < pad ? 1 : out_shape[d - pad];
        job.strides[d] = d < pad ? 0 : src_strides[d - pad];
        if (rank < 2 && d == job.rank - 1) job.strides[d] = 1;
        count *= job.shape[d];
    }
    if (count == 0) return 0;
    job.outer = 1;
    for (int d = 0; d < job.rank - 2; d++) job.outer *= job.shape[d];
    job.row_tiles = (job.shape[job.rank - 2] + PERMUTE_TILE - 1) / PERMUTE_TILE;
    int threads = rp_threads();
    int64_t items = job.outer * job.row_tiles;
    job.parts = threads > 1 && count >= PERMUTE_PARALLEL ? (items < threads ? (int)items : threads) : 1;
    rp_parallel_run(job.parts, permute_part, &job);
    return 0;
}

int64_t rp_gather_last(const float *src, const int64_t *indices, size_t rows, int64_t width, float *out) {
    for (size_t i = 0; i < rows; i++)
        if (indices[i] < 0 || indices[i] >= width) return (int64_t)i;
    for (size_t i = 0; i < rows; i++) out[i] = src[(int64_t)i * width + indices[i]];
    return -1;
}

void rp_scatter_last(const float *v, const int64_t *indices, size_t rows, int64_t width, float *out) {
    memset(out, 0, rows * (size_t)width * sizeof(float));
    for (size_t i = 0; i < rows; i++) out[(int64_t)i * width + indices[i]] = v[i];
}
