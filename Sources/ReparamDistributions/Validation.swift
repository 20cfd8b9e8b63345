import ReparamTensor
import Synchronization

/// A parameter or value outside a distribution's support, named down to the element.
public struct DistributionError: Error, CustomStringConvertible, Equatable {
    public let distribution: String
    public let parameter: String
    public let index: Int
    public let value: Float
    public let requirement: String

    public init(distribution: String, parameter: String, index: Int, value: Float, requirement: String) {
        self.distribution = distribution
        self.parameter = parameter
        self.index = index
        self.value = value
        self.requirement = requirement
    }

    public var description: String {
        "\(distribution): \(parameter)[\(index)] = \(value) is invalid (\(requirement))"
    }
}

/// Whether `validate()` and the `validated` constructors check anything. On by default;
/// switch off for speed once inputs are known good — process-wide with `isEnabled`, or for one
/// piece of work (and the tasks it starts) with `withValidation`.
public enum DistributionValidation {
    static let enabled = Atomic<Bool>(true)
    @TaskLocal static var scoped: Bool?

    public static var isEnabled: Bool {
        get { scoped ?? enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Runs `body` with validation on or off for the current task only.
    public static func withValidation<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(enabled) { try body() }
    }
}

/// What a parameter or value must satisfy.
enum Requirement {
    case finite, positive, nonNegative, probability, openUnit, above(Float), atLeast(Float)

    var text: String {
        switch self {
        case .finite: "must be finite"
        case .positive: "must be positive and finite"
        case .nonNegative: "must be ≥ 0 and finite"
        case .probability: "must lie in [0, 1]"
        case .openUnit: "must lie in (0, 1)"
        case .above(let bound): "must be > \(bound)"
        case .atLeast(let bound): "must be ≥ \(bound)"
        }
    }

    func holds(_ x: Float) -> Bool {
        switch self {
        case .finite: x.isFinite
        case .positive: x.isFinite && x > 0
        case .nonNegative: x.isFinite && x >= 0
        case .probability: x >= 0 && x <= 1
        case .openUnit: x > 0 && x < 1
        case .above(let bound): !x.isNaN && x > bound
        case .atLeast(let bound): !x.isNaN && x >= bound
        }
    }
}

/// Throws for the first element of `tensor` that breaks `requirement` (when validation is on).
func check(_ tensor: Tensor, _ parameter: String, of distribution: String, _ requirement: Requirement) throws {
    guard DistributionValidation.isEnabled else { return }
    if let index = tensor.scalars.firstIndex(where: { !requirement.holds($0) }) {
        throw DistributionError(
            distribution: distribution, parameter: parameter, index: index,
            value: tensor.scalars[index], requirement: requirement.text)
    }
}

/// Throws unless the parameters' shapes broadcast together.
func checkShapes(_ shapes: [(String, [Int])], of distribution: String) throws -> [Int] {
    var shape: [Int] = []
    for (name, s) in shapes {
        guard let joined = Tensor.broadcastShape(shape, s) else {
            throw DistributionError(
                distribution: distribution, parameter: name, index: 0, value: .nan,
                requirement: "shape \(s) does not broadcast with \(shape)")
        }
        shape = joined
    }
    return shape
}

func checkTemperature(_ temperature: Float, of distribution: String) throws {
    guard temperature.isFinite && temperature > 0 else {
        throw DistributionError(
            distribution: distribution, parameter: "temperature", index: 0, value: temperature,
            requirement: "must be positive and finite")
    }
}

/// Throws unless each row along the last axis is a probability vector.
func checkSimplex(_ probabilities: Tensor, of distribution: String) throws {
    try check(probabilities, "probabilities", of: distribution, .probability)
    let k = probabilities.shape.last ?? 0
    guard k > 0 else { return }
    for row in 0..<(probabilities.count / k) {
        let total = probabilities.scalars[(row * k)..<((row + 1) * k)].reduce(0, +)
        if Swift.abs(total - 1) > 1e-5 {
            throw DistributionError(
                distribution: distribution, parameter: "probabilities (row sum)", index: row, value: total,
                requirement: "each row must sum to 1")
        }
    }
}
