import Foundation
import ReparamNN

/// The flows `reparam flow train --flow` offers.
public enum FlowKind: String, CaseIterable, Codable, Sendable {
    case planar, radial, realnvp, maf, iaf, spline
    case splineAutoregressive = "spline-ar"

    /// Layers when none are asked for: 32 planar or radial layers as in Rezende & Mohamed's
    /// energy experiments; fewer of the more expressive ones.
    public var defaultLayers: Int {
        switch self {
        case .planar, .radial: 32
        case .realnvp: 8
        case .maf, .iaf: 5
        case .spline, .splineAutoregressive: 4
        }
    }

    /// Whether its layers are built on MADE (their checkpoints record `MADE.layout`).
    public var usesMADE: Bool { self == .maf || self == .iaf || self == .splineAutoregressive }

    /// Whether its layers have a conditioner network (the others ignore --hidden).
    public var hasConditioner: Bool { self != .planar && self != .radial }

    public var summary: String {
        switch self {
        case .planar: "planar layers z + u·tanh(wᵀz + b)"
        case .radial: "radial layers z + β(z − z₀)/(α + ‖z − z₀‖)"
        case .realnvp: "RealNVP affine coupling, alternating halves"
        case .maf: "masked autoregressive flow (affine), alternating orders"
        case .iaf: "inverse autoregressive flow (affine), alternating orders"
        case .spline: "rational-quadratic spline coupling, alternating halves"
        case .splineAutoregressive: "rational-quadratic spline autoregressive, alternating orders"
        }
    }
}

/// What a flow is trained on: points from one of the 2-D sets, a user's points, or an
/// unnormalized 2-D energy to approximate by variational inference.
public enum FlowTask: Equatable, Sendable {
    case density(ToyData)
    case energy(Energy)
    /// Points from files, `dimension` coordinates per row.
    case points(dimension: Int)

    public static let names = ToyData.allCases.map(\.rawValue) + Energy.allCases.map(\.rawValue)

    public init?(name: String) {
        if let set = ToyData(rawValue: name) {
            self = .density(set)
        } else if let energy = Energy(rawValue: name) {
            self = .energy(energy)
        } else {
            return nil
        }
    }

    public var name: String {
        switch self {
        case .density(let set): set.rawValue
        case .energy(let energy): energy.rawValue
        case .points: "points"
        }
    }

    public var dimension: Int {
        if case .points(let d) = self { return d }
        return 2
    }

    public var isEnergy: Bool { if case .energy = self { return true } else { return false } }
}

extension FlowTask: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        if let task = FlowTask(name: name) {
            self = task
            return
        }
        let parts = name.split(separator: ":")
        if parts.count == 2, parts[0] == "points", let d = Int(parts[1]), d >= 1 {
            self = .points(dimension: d)
            return
        }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown flow task '\(name)'")
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if case .points(let d) = self { try container.encode("points:\(d)") } else { try container.encode(name) }
    }
}

/// Everything that defines a flow run; saved in its folder and its checkpoint.
public struct FlowConfiguration: Codable, Equatable, Sendable {
    public var task: FlowTask
    public var flow: FlowKind
    public var layers: Int
    /// Hidden widths of each layer's conditioner network.
    public var hidden: [Int]
    public var bins: Int
    /// Splines act on [−tailBound, tailBound] and are the identity outside.
    public var tailBound: Float
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    /// Evaluate (and checkpoint) every this many steps.
    public var evaluateEvery: Int
    /// Points drawn for the 2-D sets' training and test splits.
    public var trainCount: Int
    public var testCount: Int
    /// Energy tasks: the target's inverse temperature rises as β = min(1, 0.01 + step/annealSteps)
    /// (Rezende & Mohamed's schedule with annealSteps = 10 000); nil trains at β = 1 throughout.
    public var annealSteps: Int?
    /// For `.points`: where the points came from (resume reads them again).
    public var trainFile: String?
    public var testFile: String?

    public init(
        task: FlowTask, flow: FlowKind, layers: Int? = nil, hidden: [Int] = [64, 64], bins: Int = 8,
        tailBound: Float = 5,
        steps: Int = 10_000, batchSize: Int = 256, learningRate: Float = 1e-3, seed: UInt64 = 0,
        evaluateEvery: Int? = nil,
        trainCount: Int = 20_000, testCount: Int = 10_000, annealSteps: Int? = nil, trainFile: String? = nil,
        testFile: String? = nil
    ) {
        self.task = task
        self.flow = flow
        self.layers = layers ?? flow.defaultLayers
        self.hidden = hidden
        self.bins = bins
        self.tailBound = tailBound
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.evaluateEvery = evaluateEvery ?? Swift.max(1, steps / 10)
        self.trainCount = trainCount
        self.testCount = testCount
        self.annealSteps = annealSteps
        self.trainFile = trainFile
        self.testFile = testFile
    }

    public var dimension: Int { task.dimension }

    /// A generous estimate of training's peak memory in bytes, to refuse before allocating: each
    /// layer's conditioner (parameters with gradient and Adam's two moments, 4 copies of
    /// d·H₁ + ΣHᵢHᵢ₊₁ + H_last·d·(3·bins + 1) floats) and its activations kept for the backward
    /// pass (about 6 floats per hidden unit per point of the batch), plus 100 MB for the program.
    public var estimatedTrainingBytes: Double {
        let d = Double(dimension), widths = hidden.map(Double.init), layerCount = Double(Swift.max(layers, 0))
        let usesBins = flow == .spline || flow == .splineAutoregressive
        let outputs = usesBins ? d * Double(3 * Swift.max(bins, 2) + 1) : 2 * d
        let weights = zip([d] + widths, widths + [outputs]).reduce(0.0) { $0 + $1.0 * $1.1 }
        let activations = Double(Swift.max(batchSize, 0)) * (widths.reduce(0, +) + outputs) * 6
        return 100e6 + 4 * layerCount * (4 * weights + activations)
    }

    /// What is wrong with this configuration, one sentence each (empty when it is valid).
    public var problems: [String] {
        var problems: [String] = []
        if layers <= 0 { problems.append("--layers must be at least 1, got \(layers)") }
        if flow.hasConditioner && (hidden.isEmpty || hidden.contains { $0 <= 0 }) {
            problems.append("--hidden needs one or more positive widths, got \(hidden)")
        }
        if !(2...10_000).contains(bins) { problems.append("--bins must be between 2 and 10000, got \(bins)") }
        if !(tailBound > 0 && tailBound.isFinite) {
            problems.append("--tail-bound must be positive and finite, got \(tailBound)")
        }
        if steps <= 0 { problems.append("--steps must be at least 1, got \(steps)") }
        if batchSize <= 0 { problems.append("--batch must be at least 1, got \(batchSize)") }
        if !(learningRate > 0 && learningRate.isFinite) {
            problems.append("--lr must be positive and finite, got \(learningRate)")
        }
        if evaluateEvery <= 0 { problems.append("--eval-every must be at least 1, got \(evaluateEvery)") }
        if let annealSteps, annealSteps <= 0 || !task.isEnergy {
            problems.append(
                task.isEnergy
                    ? "--anneal must be at least 1 step, got \(annealSteps)"
                    : "--anneal applies to the energies u1-u4 (variational inference), not to \(task.name)")
        }
        if !task.isEnergy && (trainCount < 2 || testCount < 1) {
            problems.append("a density task needs at least 2 training points and 1 test point")
        }
        if [.realnvp, .spline].contains(flow) && dimension < 2 {
            problems.append(
                "--flow \(flow.rawValue) couples halves of a point and needs at least 2 dimensions, got \(dimension)")
        }
        return problems
    }
}

extension FlowConfiguration {
    /// The energy's inverse temperature at `step`: 1 without annealing.
    public func inverseTemperature(step: Int) -> Float {
        guard let annealSteps else { return 1 }
        return Swift.min(1, 0.01 + Float(step) / Float(annealSteps))
    }
}
