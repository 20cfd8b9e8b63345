import CReparamKernels

/// Runs `body` (which makes `runs` parallel kernel calls) until every one of them had pool
/// workers, up to `attempts` times: tests run concurrently and a busy pool falls back to the
/// caller, which would make a "two threads" comparison silently single-threaded.
public func withPoolWorkers<R>(runs: Int, attempts: Int = 500, _ body: () -> R) -> (result: R, usedWorkers: Bool) {
    var result = body()
    for _ in 0..<attempts {
        let before = rp_parallel_runs_with_workers()
        result = body()
        if rp_parallel_runs_with_workers() - before >= UInt64(runs) { return (result, true) }
    }
    return (result, false)
}
