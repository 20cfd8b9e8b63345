import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

@testable import ReparamEstimators

/// Small problems whose exact gradients come from enumerating every configuration.
enum DiscreteProblems {
    /// Three Bernoulli units; f(b) = Σ(b − t)² + (a·b)², so the units interact.
    static let bernoulliLogits = Tensor(shape: [1, 3], scalars: [0.3, -0.8, 1.2])
    static var bernoulli: DiscreteObjective {
        DiscreteObjective({ z in
            let t = Tensor([0.45, 0.6, 0.2]), a = Tensor([1.0, -0.5, 0.75])
            return square(z - t).sum(alongAxes: [-1]) + square((z * a).sum(alongAxes: [-1]))
        })
    }

    /// Two categorical variables with three classes; f(z) = (Σ A⊙z − 0.7)² + Σ B⊙z.
    static let categoricalLogits = Tensor(shape: [1, 2, 3], scalars: [0.2, -0.4, 0.9, 1.1, 0.0, -0.6])
    static var categorical: DiscreteObjective {
        DiscreteObjective({ z in
            let a = Tensor(shape: [2, 3], scalars: [0.5, -1.0, 0.3, 0.8, 0.1, -0.4])
            let b = Tensor(shape: [2, 3], scalars: [0.2, 0.0, -0.3, 0.1, 0.4, 0.0])
            return square((z * a).sum(alongAxes: [-2, -1]) - 0.7) + (z * b).sum(alongAxes: [-2, -1])
        })
    }

    static func problem(_ latent: DiscreteLatent) -> (logits: Tensor, objective: DiscreteObjective) {
        latent == .bernoulli ? (bernoulliLogits, bernoulli) : (categoricalLogits, categorical)
    }

    /// Runs `warmUp` small calls (so adaptive estimators have fitted their state), then one large
    /// call, and summarizes it against the exact gradient.
    static func diagnose<E: DiscreteGradientEstimator>(
        _ estimator: inout E, _ latent: DiscreteLatent, draws: Int,
        warmUp: Int = 0, key: RandomKey = RandomKey(seed: 42)
    ) -> GradientDiagnostics {
        let (logits, objective) = problem(latent)
        let keys = key.split(warmUp + 1)
        for i in 0..<warmUp {
            _ = estimator.estimate(logits: logits, latent: latent, objective: objective, key: keys[i], draws: 16)
        }
        let estimate = estimator.estimate(
            logits: logits, latent: latent, objective: objective, key: keys[warmUp], draws: draws)
        let exact = latent.exactGradient(logits: logits, objective: objective).gradient.scalars.map(Double.init)
        return GradientDiagnostics(
            estimator: estimator.name, parameters: exact.indices.map { "θ\($0)" },
            estimates: estimate.perDraw.reshaped(to: [draws, logits.count]), exact: exact,
            evaluationsPerDraw: estimate.evaluationsPerDraw)
    }
}
