import CReparamKernels

/// The CPU kernels' instruction set and threading, as chosen at run time.
///
/// Defaults come from the CPU and from `REPARAM_ISA` (portable | avx2 | avx512), `REPARAM_THREADS`,
/// `REPARAM_SPARSE_DENSITY` and `REPARAM_SUBNORMALS` (flush | keep); the process-wide setters change
/// them for everyone, `withOverrides` only for work started from the calling thread.
public enum Kernels {
    public enum ISA: Int32, CaseIterable, Sendable, CustomStringConvertible {
        case portable = 0, avx2 = 1, avx512 = 2
        public var description: String { String(cString: rp_isa_name(rawValue)) }
    }

    /// Levels this CPU can run, lowest first.
    public static var supportedISAs: [ISA] { ISA.allCases.filter { $0.rawValue <= rp_isa_supported() } }

    public static var isa: ISA {
        get { ISA(rawValue: rp_isa_active()) ?? .portable }
        set { _ = rp_set_isa(newValue.rawValue) }
    }

    public static var threads: Int {
        get { Int(rp_threads()) }
        set { _ = rp_set_threads(Int32(clamping: newValue)) }
    }

    /// Multiply-adds below which a GEMM stays on one thread.
    public static var parallelThreshold: Int {
        get { Int(rp_parallel_threshold()) }
        set { rp_set_parallel_threshold(Int64(newValue)) }
    }

    /// Fraction of nonzeros in op(A) at or below which a GEMM with a non-transposed B skips A's
    /// zeros (0: never). Images with blank backgrounds are the case it is for: MNIST is 19%.
    public static var sparseDensityLimit: Float {
        get { rp_sparse_density_limit() }
        set { rp_set_sparse_density_limit(newValue) }
    }

    /// Whether the optimizer kernels (Adam's update) treat subnormal floats (|x| < 2⁻¹²⁶) as zero. On by
    /// default (`REPARAM_SUBNORMALS=keep` turns it off): moments of gradients that stay zero decay into
    /// that range, where an Intel core spends ~100 cycles per operand. Other kernels keep IEEE
    /// gradual underflow.
    public static var flushesSubnormals: Bool {
        get { rp_flush_subnormals() != 0 }
        set { rp_set_flush_subnormals(newValue ? 1 : 0) }
    }

    /// Runs `body` with settings pinned for the calling thread (and the pool work it starts);
    /// a setting left nil keeps the enclosing choice. The previous overrides return afterwards.
    public static func withOverrides<R>(
        isa: ISA? = nil, threads: Int? = nil, parallelThreshold: Int? = nil,
        sparseDensityLimit: Float? = nil, _ body: () throws -> R
    ) rethrows -> R {
        var outerISA: Int32 = -1, outerThreads: Int32 = -1, outerThreshold: Int64 = -1
        rp_get_thread_overrides(&outerISA, &outerThreads, &outerThreshold)
        let outerSparse = rp_thread_sparse_density_limit()
        rp_set_thread_overrides(
            isa?.rawValue ?? outerISA, threads.map { Int32(clamping: $0) } ?? outerThreads,
            parallelThreshold.map(Int64.init) ?? outerThreshold)
        rp_set_thread_sparse_density_limit(sparseDensityLimit ?? outerSparse)
        defer {
            rp_set_thread_overrides(outerISA, outerThreads, outerThreshold)
            rp_set_thread_sparse_density_limit(outerSparse)
        }
        return try body()
    }
}

extension Kernels {
    /// Runs `first` here and `second` on a pool worker at the same time (one after the other when
    /// the kernels may use one thread, or the pool is busy). Kernels called inside each run on
    /// that task's thread alone, with this thread's overrides: two independent pieces of work
    /// (the twin critics of SAC and TD3) share the cores with one handoff instead of one per kernel.
    public static func concurrently<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        var a: A?, b: B?
        var isa: Int32 = -1, threads: Int32 = -1, threshold: Int64 = -1
        rp_get_thread_overrides(&isa, &threads, &threshold)
        withoutActuallyEscaping(first) { first in
            withoutActuallyEscaping(second) { second in
                let pair = ConcurrentPair(
                    tasks: [{ a = first() }, { b = second() }], isa: isa, threads: threads, threshold: threshold)
                withExtendedLifetime(pair) {
                    rp_run_concurrently(
                        2,
                        { context, task in
                            let pair = Unmanaged<ConcurrentPair>.fromOpaque(context!).takeUnretainedValue()
                            var (isa, threads, threshold): (Int32, Int32, Int64) = (-1, -1, -1)
                            rp_get_thread_overrides(&isa, &threads, &threshold)
                            rp_set_thread_overrides(pair.isa, pair.threads, pair.threshold)
                            pair.tasks[Int(task)]()
                            rp_set_thread_overrides(isa, threads, threshold)
                        }, Unmanaged.passUnretained(pair).toOpaque())
                }
            }
        }
        return (a!, b!)
    }
}

/// The two tasks of `Kernels.concurrently` and the caller's overrides, for the worker to adopt.
private final class ConcurrentPair {
    let tasks: [() -> Void]
    let isa: Int32, threads: Int32, threshold: Int64

    init(tasks: [() -> Void], isa: Int32, threads: Int32, threshold: Int64) {
        (self.tasks, self.isa, self.threads, self.threshold) = (tasks, isa, threads, threshold)
    }
}
