import CReparamKernels

/// The CPU kernels' instruction set and threading, as chosen at run time.
///
/// Defaults come from the CPU and from `REPARAM_ISA` (portable | avx2 | avx512),
/// `REPARAM_THREADS` and `REPARAM_SPARSE_DENSITY`; the process-wide setters change them for
/// everyone, `withOverrides` only for work started from the calling thread.
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

    /// Runs `body` with settings pinned for the calling thread (and the pool work it starts);
    /// a setting left nil keeps the enclosing choice. The previous overrides return afterwards.
    public static func withOverrides<R>(isa: ISA? = nil, threads: Int? = nil, parallelThreshold: Int? = nil,
                                        sparseDensityLimit: Float? = nil, _ body: () throws -> R) rethrows -> R {
        var outerISA: Int32 = -1, outerThreads: Int32 = -1, outerThreshold: Int64 = -1
        rp_get_thread_overrides(&outerISA, &outerThreads, &outerThreshold)
        let outerSparse = rp_thread_sparse_density_limit()
        rp_set_thread_overrides(isa?.rawValue ?? outerISA, threads.map { Int32(clamping: $0) } ?? outerThreads,
                                parallelThreshold.map(Int64.init) ?? outerThreshold)
        rp_set_thread_sparse_density_limit(sparseDensityLimit ?? outerSparse)
        defer {
            rp_set_thread_overrides(outerISA, outerThreads, outerThreshold)
            rp_set_thread_sparse_density_limit(outerSparse)
        }
        return try body()
    }
}
