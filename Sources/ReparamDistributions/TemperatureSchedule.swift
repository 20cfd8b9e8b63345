#if canImport(Glibc)
    import Glibc
#endif

/// Temperature over training steps.
public enum TemperatureSchedule: Sendable, Equatable {
    case constant(Float)
    /// τ = max(floor, initial·e^{−rate·t}), t rounded down to a multiple of `every` steps
    /// (Jang et al.: r ∈ {1e-5, 1e-4}, N ∈ {500, 1000}, floor 0.5).
    case exponentialDecay(initial: Float, rate: Float, floor: Float, every: Int)

    public func temperature(atStep step: Int) -> Float {
        switch self {
        case .constant(let t): return t
        case let .exponentialDecay(initial, rate, floor, every):
            // The decay in Double, as discrete-VAE runs saved before this schedule drove them computed it,
            // so a resumed run follows the same τ bit for bit.
            let t = Double(step / Swift.max(every, 1) * Swift.max(every, 1))
            return Swift.max(floor, initial * Float(exp(-Double(rate) * t)))
        }
    }
}
