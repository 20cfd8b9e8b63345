import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Straight-through (Bengio et al. 2013; "ST" in Jang et al. 2017, Table 1): f and ∂f/∂b at a
/// hard sample b ~ q, pulled back through the mean μ(θ) = E[b] (σ(θ) for Bernoulli, softmax(θ)
/// for categorical): g = (∂μ/∂θ)ᵀ ∂f/∂b. No noise enters the backward pass. Exact when f is
/// linear in b (then ∇E[f] = (∂μ/∂θ)ᵀ ∂f/∂b); biased otherwise.
///
/// With a temperature τ ≠ 1 the pullback goes through μ(θ/τ) instead — slope annealing (Chung et
/// al. 2017): the sample still comes from q_θ, but the backward sigmoid or softmax steepens to
/// slope 1/τ as τ is annealed down. τ = 1 is plain ST. (Jang et al.'s Table 1 gives its
/// "Annealed ST" column the values of its ST Gumbel-softmax column, which is slope 1/τ at
/// Gumbel-perturbed logits: `GumbelSoftmax(straightThrough: true)`.)
public struct StraightThrough: TemperatureScheduled {
    public var temperature: Float
    public var schedule: TemperatureSchedule
    /// Built as annealed-st (a schedule) rather than plain straight-through (τ = 1 throughout).
    let annealed: Bool

    /// A fixed slope 1/τ; τ = 1 is plain straight-through.
    public init(temperature: Float = 1) {
        self.init(schedule: .constant(temperature), annealed: temperature != 1)
    }

    /// Annealed straight-through: τ from `schedule`, starting at its step-0 value.
    public init(schedule: TemperatureSchedule) { self.init(schedule: schedule, annealed: true) }

    init(schedule: TemperatureSchedule, annealed: Bool) {
        let temperature = schedule.temperature(atStep: 0)
        precondition(
            temperature > 0 && temperature.isFinite, "StraightThrough: temperature must be positive, got \(temperature)"
        )
        self.temperature = temperature
        self.schedule = schedule
        self.annealed = annealed
    }

    public var kind: EstimatorKind { annealed ? .annealedST : .straightThrough }
    public var settings: [(name: String, value: String)] { annealed ? [("τ", "\(temperature)")] : [] }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let slope = 1 / temperature
        let (_, meanPullback) = valueWithPullback(at: perDraw(logits, draws)) { θ in latent.mean(θ * slope) }
        let b = latent.sample(logits: logits, draws: draws, key: key)
        let (f, gradientAtSample) = objective.valueAndGradient(b)
        return DiscreteGradientEstimate(
            objective: f, perDraw: meanPullback(gradientAtSample), evaluationsPerDraw: 1, points: b)
    }
}
