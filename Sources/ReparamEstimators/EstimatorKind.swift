import ReparamDistributions
import ReparamRandom

/// Every discrete gradient estimator by the name users type (`--estimator rloo`), and what each
/// one can do. Trainers, the lab and the command line read these capabilities instead of keeping
/// lists of names; raw values are the names saved in run configurations, so they never change.
public enum EstimatorKind: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case gumbelSoftmax = "gumbel-softmax"
    case stGumbel = "st-gumbel"
    case straightThrough = "straight-through"
    case annealedST = "annealed-st"
    case darn
    case reinforce
    case nvil
    case rloo
    case vimco
    case muprop
    case mupropNVIL = "muprop-nvil"
    case rebar
    case relax
    case arm
    case disarm

    public var description: String { rawValue }

    /// The gradient is taken at relaxed points: differentiable, biased, and the bias moves with τ.
    public var isRelaxation: Bool { self == .gumbelSoftmax || self == .stGumbel }

    /// τ follows the run's temperature schedule (the relaxations and annealed straight-through).
    public var annealsTemperature: Bool { isRelaxation || self == .annealedST }

    /// E[estimate] equals the true gradient. NVIL counts as unbiased as the library builds it
    /// (variance normalization off); the biased ones are the relaxations, straight-through and DARN.
    public var isUnbiased: Bool {
        switch self {
        case .gumbelSoftmax, .stGumbel, .straightThrough, .annealedST, .darn: false
        default: true
        }
    }

    /// The estimator evaluates ∂f/∂b (or f at relaxed points), so f must be differentiable;
    /// the others only evaluate f at hard samples and work on any black box.
    public var needsDifferentiableObjective: Bool {
        switch self {
        case .gumbelSoftmax, .stGumbel, .straightThrough, .annealedST, .darn, .muprop, .mupropNVIL, .rebar, .relax:
            true
        default: false
        }
    }

    /// Draws several samples per estimate (`EstimatorSettings.samples`, at least 2).
    public var usesSeveralSamples: Bool { self == .rloo || self == .vimco }

    /// Targets the K-sample bound log (1/K) Σₖ exp f(bₖ) rather than E[f].
    public var estimatesImportanceWeightedBound: Bool { self == .vimco }

    /// Keeps adapted state (baselines, control variates) that a checkpoint must save.
    public var adapts: Bool { [.nvil, .mupropNVIL, .rebar, .relax].contains(self) }

    /// ARM and DisARM are built on the antithetic pair of a Bernoulli; the rest take either latent.
    public func supports(_ latent: DiscreteLatent) -> Bool {
        latent == .bernoulli || (self != .arm && self != .disarm)
    }

    /// The kinds that apply to a latent, in declaration order.
    public static func supporting(_ latent: DiscreteLatent) -> [EstimatorKind] {
        allCases.filter { $0.supports(latent) }
    }

    /// The problems with building this kind for `latent` with `settings`; empty when it can be built.
    public func problems(latent: DiscreteLatent, settings: EstimatorSettings) -> [String] {
        var out: [String] = []
        if !supports(latent) { out.append("\(rawValue) needs Bernoulli latents (--latent bernoulli)") }
        if usesSeveralSamples && !(2...1000).contains(settings.samples) {
            out.append("--estimator \(rawValue) needs --k 2…1000 samples, got \(settings.samples)")
        }
        return out
    }

    /// A fresh estimator of this kind.
    public func make(_ settings: EstimatorSettings) -> any DiscreteGradientEstimator {
        // NVIL's learned baseline, for nvil and for muprop-nvil (on MuProp's residual).
        func learnedBaseline() -> NVIL {
            NVIL(
                contextSize: settings.baselineInputs, hidden: settings.baselineHidden,
                learningRate: settings.learningRate,
                normalizesVariance: false, key: settings.key)
        }
        switch self {
        case .gumbelSoftmax: return GumbelSoftmax(schedule: settings.temperature)
        case .stGumbel: return GumbelSoftmax(schedule: settings.temperature, straightThrough: true)
        case .straightThrough: return StraightThrough()
        case .annealedST: return StraightThrough(schedule: settings.temperature)
        case .darn: return DARN()
        case .reinforce: return REINFORCE()
        case .nvil: return learnedBaseline()
        case .rloo: return RLOO(samples: settings.samples)
        case .vimco: return VIMCO(samples: settings.samples)
        case .muprop: return MuProp()
        case .mupropNVIL: return MuProp(baseline: learnedBaseline())
        case .rebar: return RELAX.rebar(learningRate: settings.learningRate, key: settings.key)
        case .relax:
            return RELAX.relax(
                latentSize: settings.latentSize, hidden: settings.controlVariateHidden,
                learningRate: settings.learningRate, key: settings.key)
        case .arm: return ARM()
        case .disarm: return DisARM()
        }
    }
}

/// What `EstimatorKind.make` needs beyond the kind; each kind reads only its own fields.
public struct EstimatorSettings: Sendable {
    /// τ over training steps (gumbel-softmax, st-gumbel, annealed-st).
    public var temperature: TemperatureSchedule = .constant(1)
    /// Samples per estimate (rloo, vimco).
    public var samples = 2
    /// NVIL's baseline: features of its input x and hidden units (nvil, muprop-nvil).
    public var baselineInputs = 1
    public var baselineHidden = 16
    /// RELAX's network r_ψ: latent values per batch row and hidden units.
    public var latentSize = 1
    public var controlVariateHidden = 32
    /// Adam's learning rate for the adapted parts (baselines, control variates).
    public var learningRate: Float = 1e-2
    /// Initializes the adapted parts.
    public var key: RandomKey

    public init(key: RandomKey) { self.key = key }
}
