/// The learning algorithms by the names the command line uses.
public enum AlgorithmKind: String, CaseIterable, Codable, Sendable {
    /// Soft actor-critic: pathwise gradient through a reparameterized tanh-Gaussian action.
    case sac

    /// Whether the algorithm differentiates through the action, and so needs continuous actions.
    public var needsContinuousActions: Bool {
        switch self {
        case .sac: true
        }
    }
}

/// Why a requested training run cannot start.
public struct RLConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
