/// Every token sequence a policy can emit: content tokens 1 … V−1, at most `maxLength` of them,
/// then the end token 0 (forced after `maxLength`). Small enough to enumerate, so that any
/// policy's distribution over whole sequences is known exactly.
public struct SequenceSpace: Sendable, Equatable, Codable {
    /// Tokens including the end token 0.
    public let vocabulary: Int
    public let maxLength: Int
    public static let end = 0

    public init(vocabulary: Int = 8, maxLength: Int = 6) {
        precondition(vocabulary >= 2 && maxLength >= 1, "SequenceSpace: needs 2+ tokens and length 1+")
        (self.vocabulary, self.maxLength) = (vocabulary, maxLength)
    }

    public var contentTokens: Int { vocabulary - 1 }

    /// How many sequences have exactly `length` content tokens.
    public func count(length: Int) -> Int { (0..<length).reduce(1) { n, _ in n * contentTokens } }

    /// Σ_k (V−1)^k over k = 0 … maxLength.
    public var count: Int { (0...maxLength).reduce(0) { $0 + count(length: $1) } }

    /// All sequences, shortest first and in lexicographic order within a length: the order of
    /// every per-sequence array in this module.
    public var all: [[Int]] {
        var out: [[Int]] = [[]], layer: [[Int]] = [[]]
        for _ in 0..<maxLength {
            layer = layer.flatMap { prefix in (1...contentTokens).map { prefix + [$0] } }
            out += layer
        }
        return out
    }

    /// The position of `sequence` in `all`.
    public func index(of sequence: [Int]) -> Int {
        let before = (0..<sequence.count).reduce(0) { $0 + count(length: $1) }
        return before + sequence.reduce(0) { $0 * contentTokens + ($1 - 1) }
    }

    /// Readable form: tokens as letters a, b, … and the end as ".".
    public func text(_ sequence: [Int]) -> String {
        String(sequence.map { Character(UnicodeScalar(UInt8(96 + $0))) }) + "."
    }
}
