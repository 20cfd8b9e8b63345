import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// One call's result: per-draw estimates of ∇θ E_{q_θ}[f(b)] (rows are independent estimates,
/// so their spread is the estimator's variance) and the objective at the hard samples drawn.
public struct DiscreteGradientEstimate {
    /// f at each draw's hard sample(s), [draws, batch] (the mean over a draw's samples for
    /// multi-sample estimators; the multi-sample bound for VIMCO).
    public var objective: Tensor
    /// [draws] + θ.shape; the estimate is their mean.
    public var perDraw: Tensor
    /// Evaluations of f behind one draw's estimate (its cost in "samples").
    public var evaluationsPerDraw: Int
    /// Where parameters inside f (a decoder) get their gradient: Σ pointWeights·∇f(points)
    /// estimates ∇E[f] for them. points: [n] + θ.shape (hard or relaxed samples), weights [n, batch].
    public var points: Tensor
    public var pointWeights: Tensor

    public var gradient: Tensor { perDraw.mean(alongAxes: [0]) }

    public init(
        objective: Tensor, perDraw: Tensor, evaluationsPerDraw: Int, points: Tensor, pointWeights: Tensor? = nil
    ) {
        self.objective = objective
        self.perDraw = perDraw
        self.evaluationsPerDraw = evaluationsPerDraw
        self.points = points
        self.pointWeights =
            pointWeights ?? Tensor(repeating: 1 / Float(points.shape[0]), shape: Array(points.shape.prefix(2)))
    }
}

/// An estimator of ∇θ E_{q_θ}[f(b)] for logits θ of a discrete latent.
///
/// `estimate` uses the estimator's current state (baselines, control variates) for every draw
/// and adapts that state afterwards, so each call's estimates are unbiased given the state they
/// started from. What an estimator can do is its ``EstimatorKind``'s unless the instance says
/// otherwise (NVIL with variance normalization is biased).
public protocol DiscreteGradientEstimator {
    /// Which estimator this is.
    var kind: EstimatorKind { get }
    /// What distinguishes this instance from others of its kind, for ``name``: [("k", "4")].
    var settings: [(name: String, value: String)] { get }
    /// E[estimate] equals the true gradient (of E[f], or of the K-sample bound for VIMCO).
    var isUnbiased: Bool { get }
    var needsDifferentiableObjective: Bool { get }
    /// The estimate reads f's values, not only its gradients (score-function terms, baselines,
    /// control variates). When false, f at the hard samples only fills the estimate's `objective`,
    /// and a caller that does not need that value may pass an objective whose `evaluate` skips the
    /// work (its values then must not be read).
    var usesObjectiveValues: Bool { get }
    /// The estimator targets the K-sample bound log (1/K) Σₖ exp f(bₖ) rather than E[f] (VIMCO):
    /// a model then passes log weights as f and adds their direct dependence on θ.
    var estimatesImportanceWeightedBound: Bool { get }
    func supports(_ latent: DiscreteLatent) -> Bool
    /// Brings step-dependent settings to training step `step` (a relaxation's temperature, see
    /// ``TemperatureScheduled``); the others have none.
    mutating func prepare(forStep step: Int)
    /// Adapted state (baselines, control variates, their optimizers) as named tensors, for a
    /// checkpoint; empty for estimators that do not adapt, and before the first call.
    var stateTensors: [String: Tensor] { get }
    /// Restores `stateTensors`; throws `EstimatorStateError` naming a missing or misshapen tensor.
    mutating func restoreState(_ tensors: [String: Tensor]) throws
    mutating func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate
}

extension DiscreteGradientEstimator {
    public var settings: [(name: String, value: String)] { [] }
    public var isUnbiased: Bool { kind.isUnbiased }
    public var needsDifferentiableObjective: Bool { kind.needsDifferentiableObjective }
    public var usesObjectiveValues: Bool { true }
    public var estimatesImportanceWeightedBound: Bool { kind.estimatesImportanceWeightedBound }
    public func supports(_ latent: DiscreteLatent) -> Bool { kind.supports(latent) }
    public mutating func prepare(forStep step: Int) {}
    public var stateTensors: [String: Tensor] { [:] }
    public mutating func restoreState(_ tensors: [String: Tensor]) throws {}

    /// The display name, one format for every estimator: the kind's name, then the settings that
    /// tell instances apart, e.g. `rloo (k = 4)` or `gumbel-softmax (τ = 0.5)`.
    public var name: String {
        let settings = settings
        guard !settings.isEmpty else { return kind.rawValue }
        return kind.rawValue + " (" + settings.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + ")"
    }
}

/// The capability of the relaxations and of annealed straight-through: a temperature τ that
/// follows a `TemperatureSchedule` over training steps. A trainer calls
/// ``DiscreteGradientEstimator/prepare(forStep:)`` on any estimator; these set τ from the schedule.
public protocol TemperatureScheduled: DiscreteGradientEstimator {
    var schedule: TemperatureSchedule { get }
    var temperature: Float { get set }
}

extension TemperatureScheduled {
    public mutating func prepare(forStep step: Int) { temperature = schedule.temperature(atStep: step) }
}

/// θ repeated for each draw: [draws] + θ.shape, so a pullback gives per-draw gradients.
func perDraw(_ logits: Tensor, _ draws: Int) -> Tensor { logits.broadcasted(to: [draws] + logits.shape) }

/// signal [draws, batch] broadcast over the latent axes and multiplied by x [draws] + θ.shape.
func weighted(_ x: Tensor, by signal: Tensor) -> Tensor {
    x * signal.reshaped(to: signal.shape + Array(repeating: 1, count: x.rank - signal.rank))
}
