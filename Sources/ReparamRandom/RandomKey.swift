import CReparamKernels
import ReparamTensor

/// An explicit, splittable key for counter-based Philox-4x32-10 randomness.
///
/// A key is a value: the same key always yields the same numbers, whatever the thread count,
/// and nothing is consumed by drawing. Derive independent keys with `split(_:)` or
/// `fold(in:)` instead of reusing one for two purposes.
public struct RandomKey: Hashable, Sendable, CustomStringConvertible {
    public let words: (UInt32, UInt32)

    public init(seed: UInt64) {
        words = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    public init(words: (UInt32, UInt32)) { self.words = words }

    public static func == (a: RandomKey, b: RandomKey) -> Bool { a.words == b.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    public var description: String {
        "RandomKey(0x" + String(words.1, radix: 16) + "_" + String(words.0, radix: 16) + ")"
    }

    // Counter word 3 tags what a block is for, so splits, folds, generators and fills
    // (tag 0) never share a counter.
    static let splitTag: UInt32 = 0x5350_4C54, foldTag: UInt32 = 0x464F_4C44, generatorTag: UInt32 = 0x4745_4E52

    /// One Philox-4x32-10 block of this key.
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var output: [UInt32] = [0, 0, 0, 0]
        let c = [counter.0, counter.1, counter.2, counter.3], k = [words.0, words.1]
        rp_philox4x32(c, k, &output)
        return (output[0], output[1], output[2], output[3])
    }

    /// `count` independent child keys.
    public func split(_ count: Int = 2) -> [RandomKey] {
        (0..<count).map { i in
            let b = block((UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32), 0, Self.splitTag))
            return RandomKey(words: (b.0, b.1))
        }
    }

    /// A key derived from this one and `data` (a step number, an example index, …).
    public func fold(in data: UInt64) -> RandomKey {
        let b = block((UInt32(truncatingIfNeeded: data), UInt32(truncatingIfNeeded: data >> 32), 0, Self.foldTag))
        return RandomKey(words: (b.0, b.1))
    }

    /// A `RandomNumberGenerator` that walks this key's generator stream.
    public func makeGenerator() -> PhiloxGenerator { PhiloxGenerator(key: self) }

    private func fill(_ shape: [Int], _ kernel: (UnsafePointer<UInt32>, UnsafeMutablePointer<Float>, Int) -> Void)
        -> Tensor
    {
        let count = shape.reduce(1, *)
        let keyWords = [words.0, words.1]
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { keyWords.withUnsafeBufferPointer { kernel($0.baseAddress!, buffer.baseAddress!, count) } }
            initialized = count
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Uniform on [0, 1), 24 random bits each.
    public func uniform(_ shape: [Int]) -> Tensor { fill(shape) { rp_fill_uniform($0, $1, $2) } }

    /// Bernoulli draws with success probabilities `p`: 1 where u < p for `uniform(p.shape)`'s u, else 0,
    /// made in one pass without storing u.
    public func bernoulli(_ p: Tensor) -> Tensor {
        p.withUnsafeScalars { pp in fill(p.shape) { rp_fill_bernoulli($0, pp.baseAddress, $1, $2) } }
    }

    /// Uniform on the open interval (0, 1), so that log u and log(1 − u) stay finite: the [0, 1)
    /// fill (largest value 1 − 2⁻²⁴) with its only value outside (0, 1), zero, moved to 2⁻²⁵.
    /// Adding 2⁻²⁵ to every value instead would round 1 − 2⁻²⁴ up to 1 (a tie, to even).
    public func openUniform(_ shape: [Int]) -> Tensor { uniform(shape).map { $0 == 0 ? 0x1p-25 : $0 } }

    /// Uniform on [low, high).
    public func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor {
        precondition(low < high, "uniform: low \(low) must be below high \(high)")
        return uniform(shape).map { low + (high - low) * $0 }
    }

    /// Standard normal; tails reach ≈ 6.7σ (32-bit uniforms under the logarithm).
    public func normal(_ shape: [Int]) -> Tensor { fill(shape) { rp_fill_normal($0, $1, $2) } }

    /// Standard Gumbel, −log(−log U).
    public func gumbel(_ shape: [Int]) -> Tensor { fill(shape) { rp_fill_gumbel($0, $1, $2) } }

    /// Raw 32-bit words of the fill stream.
    public func bits(count: Int) -> [UInt32] {
        let keyWords = [words.0, words.1]
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { rp_fill_bits(keyWords, buffer.baseAddress, count) }
            initialized = count
        }
    }
}

/// Swift `RandomNumberGenerator` over a key's dedicated Philox stream (for `shuffled(using:)`,
/// `Int.random(in:using:)` and friends).
public struct PhiloxGenerator: RandomNumberGenerator, Sendable {
    public let key: RandomKey
    private var blockIndex: UInt64 = 0
    private var pending: UInt64?

    public init(key: RandomKey) { self.key = key }

    public mutating func next() -> UInt64 {
        if let value = pending {
            pending = nil
            return value
        }
        let b = key.block(
            (
                UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32), 0,
                RandomKey.generatorTag
            ))
        blockIndex &+= 1
        pending = UInt64(b.2) | UInt64(b.3) << 32
        return UInt64(b.0) | UInt64(b.1) << 32
    }
}
