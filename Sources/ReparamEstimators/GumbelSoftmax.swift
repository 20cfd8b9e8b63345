import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Gumbel-softmax / binary Concrete (Jang et al. 2017; Maddison et al. 2017): the gradient of
/// f at the relaxed sample y = softmax((θ + g)/T) (σ((θ + L)/T) for Bernoulli, L logistic).
/// Biased: it is the exact gradient of E[f(y)], not of E[f(b)]; the gap closes as T → 0 while
/// the variance grows.
///
/// Straight-through: f and ∂f/∂z are taken at the hard sample b, and ∂f/∂z is pulled back
/// through the relaxed sample's Jacobian — also biased, and the bias does not vanish with T.
public struct GumbelSoftmax: TemperatureScheduled {
    public var temperature: Float
    public var schedule: TemperatureSchedule
    public var straightThrough: Bool

    /// A fixed temperature τ.
    public init(temperature: Float, straightThrough: Bool = false) {
        self.init(schedule: .constant(temperature), straightThrough: straightThrough)
    }

    /// τ from `schedule`, starting at its step-0 value; `prepare(forStep:)` moves it on.
    public init(schedule: TemperatureSchedule, straightThrough: Bool = false) {
        let temperature = schedule.temperature(atStep: 0)
        precondition(
            temperature > 0 && temperature.isFinite, "GumbelSoftmax: temperature must be positive, got \(temperature)")
        self.temperature = temperature
        self.schedule = schedule
        self.straightThrough = straightThrough
    }

    public var kind: EstimatorKind { straightThrough ? .stGumbel : .gumbelSoftmax }
    /// Both forms use ∂f/∂z only; f at the hard sample is for the report.
    public var usesObjectiveValues: Bool { false }
    public var settings: [(name: String, value: String)] { [("τ", "\(temperature)")] }

    public func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        let noise = latent.noise(key, shape: [draws] + logits.shape)
        let temperature = temperature
        let (y, relaxedPullback) = valueWithPullback(at: perDraw(logits, draws)) { θ in
            latent.relax(θ + noise, temperature: temperature)
        }
        let hard = latent.hardSample(perturbed: withoutDerivative(at: perDraw(logits, draws)) + noise)
        let point = straightThrough ? hard : y
        let (_, gradientAtPoint) = objective.valueAndGradient(point)
        return DiscreteGradientEstimate(
            objective: objective.evaluate(hard), perDraw: relaxedPullback(gradientAtPoint),
            evaluationsPerDraw: 1, points: point)
    }
}
