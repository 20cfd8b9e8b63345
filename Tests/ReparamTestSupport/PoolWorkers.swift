import CReparamKernels

/// Runs `body` (which makes `runs` parallel kernel calls) with this thread waiting for the pool
/// when another test holds it, instead of falling back to running alone (which would make a
/// "two threads" comparison silently single-threaded); reports whether all of them had workers.
public func withPoolWorkers<R>(runs: Int, _ body: () -> R) -> (result: R, usedWorkers: Bool) {
    rp_set_thread_pool_wait(1)
    defer { rp_set_thread_pool_wait(0) }
    let before = rp_parallel_runs_with_workers()
    let result = body()
    return (result, rp_parallel_runs_with_workers() - before >= UInt64(runs))
}
