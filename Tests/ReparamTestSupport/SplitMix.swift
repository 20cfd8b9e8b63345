/// Deterministic test inputs (splitmix64), independent of the library's own generator, so a
/// bug there cannot hide itself in the inputs of its tests.
public struct SplitMix {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// Uniform on [0, 1) with 24 bits.
    public mutating func unit() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24)
    }

    /// `count` values uniform on [low, high).
    public mutating func values(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in low + (high - low) * unit() }
    }
}
