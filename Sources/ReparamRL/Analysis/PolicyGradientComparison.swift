import Foundation
import ReparamDistributions
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The three ways to estimate ∇θ E_s E_{a~πθ(·|s)}[Q(s, a)] for SAC's squashed-Gaussian
/// policy a = tanh(u), u = μθ(s) + σθ(s)·ε, with the critic and the states held fixed.
public enum PolicyGradientEstimatorKind: String, CaseIterable, Codable, Sendable {
    /// ∂Q/∂a · ∂a/∂θ at the sampled ε: the reparameterization trick, as SAC's actor uses it.
    case pathwise
    /// Q(s, a) · ∇θ log πθ(a|s): REINFORCE, the likelihood-ratio estimator.
    case scoreFunction = "score-function"
    /// (Q(s, a) − b(s)) · ∇θ log πθ(a|s) with b(s) an independent Monte-Carlo estimate of
    /// E_a Q(s, a) (the state value under the policy), as A2C's and PPO's baselines approximate it.
    case scoreFunctionBaseline = "score-function-baseline"

    public var displayName: String {
        switch self {
        case .pathwise: "pathwise (reparameterized)"
        case .scoreFunction: "score function"
        case .scoreFunctionBaseline: "score function with baseline"
        }
    }
}

/// A fixed actor, critic and batch of states; one estimator sample draws one action per state
/// and returns the gradient of the batch mean of Q as a flat vector over the actor's parameters.
public struct PolicyGradientProblem {
    public let actor: SquashedGaussianActor
    public let critic: TwinCritic
    public let states: Tensor
    /// b(s), [B]: the mean of min Q over `baselineDraws` independent actions per state.
    public let baseline: Tensor

    public init(actor: SquashedGaussianActor, critic: TwinCritic, states: Tensor, baselineDraws: Int, key: RandomKey) {
        (self.actor, self.critic, self.states) = (actor, critic, states)
        var total = Tensor(repeating: 0, shape: [states.shape[0]])
        for k in 0..<baselineDraws {
            let draw = actor.sampleWithLogProb(states, key: key.fold(in: UInt64(k)))
            total = total + critic.minimum(states, draw.value)
        }
        baseline = total / Float(baselineDraws)
    }

    /// One sample of `kind`'s estimate: noise ε [B, act] from `key`, one action per state.
    public func estimate(_ kind: PolicyGradientEstimatorKind, key: RandomKey) -> [Float] {
        let batch = states.shape[0]
        let epsilon = key.normal([batch, critic.q1.layers[0].weight.shape[0] - states.shape[1]])
        let states = self.states
        let result: SquashedGaussianActor.TangentVector
        switch kind {
        case .pathwise:
            let (actions, pullback) = valueWithPullback(at: actor) { actor -> Tensor in
                let policy = actor.distribution(states)
                return tanh(policy.loc + policy.scale * epsilon)
            }
            let critic = self.critic
            let actionGradient = _Differentiation.gradient(at: actions) { a in critic.minimum(states, a).mean().item }
            result = pullback(actionGradient)
        case .scoreFunction, .scoreFunctionBaseline:
            // log π(a|s) = log N(u; μ, σ) − Σ log(1 − tanh²u): at a fixed draw u only the first term
            // depends on θ, so the score is that of the Gaussian at u.
            let policy = actor.distribution(states)
            let u = policy.loc + policy.scale * epsilon
            var weights = critic.minimum(states, tanh(u))
            if kind == .scoreFunctionBaseline { weights = weights - baseline }
            weights = weights / Float(batch)
            result = _Differentiation.gradient(at: actor) { actor in
                let policy = actor.distribution(states)
                let score = Normal(loc: policy.loc, scale: policy.scale).logProb(u).sum(alongAxes: [1])
                return (weights * score).sum().item
            }
        }
        return actor.parameterPaths.flatMap { actor.gradient($0, in: result).scalars }
    }

    /// `samples` independent samples of `kind`: their mean, per-coordinate variance and timing.
    public func measure(_ kind: PolicyGradientEstimatorKind, samples: Int, key: RandomKey) -> PolicyGradientMeasurement
    {
        precondition(samples >= 2, "measure: needs at least two samples")
        var mean: [Double] = [], squares: [Double] = []
        let start = Date()
        for i in 0..<samples {
            let g = estimate(kind, key: key.fold(in: UInt64(i)))
            if mean.isEmpty {
                (mean, squares) = ([Double](repeating: 0, count: g.count), [Double](repeating: 0, count: g.count))
            }
            // Welford's update, per coordinate.
            for p in g.indices {
                let x = Double(g[p])
                let delta = x - mean[p]
                mean[p] += delta / Double(i + 1)
                squares[p] += delta * (x - mean[p])
            }
        }
        let seconds = Date().timeIntervalSince(start)
        return PolicyGradientMeasurement(
            kind: kind, samples: samples, mean: mean, variance: squares.map { $0 / Double(samples - 1) },
            secondsPerSample: seconds / Double(samples))
    }
}

/// What `samples` draws of one estimator showed.
public struct PolicyGradientMeasurement: Sendable {
    public var kind: PolicyGradientEstimatorKind
    public var samples: Int
    /// The mean gradient and each coordinate's per-sample variance.
    public var mean: [Double]
    public var variance: [Double]
    public var secondsPerSample: Double

    /// ‖mean‖.
    public var meanNorm: Double { norm(mean) }

    /// tr Cov: the expected squared distance of one sample from the true gradient.
    public var totalVariance: Double { variance.reduce(0, +) }

    /// ‖g‖ / √(tr Cov) for a reference gradient g: how many standard deviations of one sample the
    /// signal is.
    public func signalToNoise(reference: [Double]) -> Double { norm(reference) / totalVariance.squareRoot() }

    /// Samples n for an expected relative error √(tr Cov / n)/‖g‖ of 10%: n = tr Cov/(0.01‖g‖²).
    public func samplesFor10Percent(reference: [Double]) -> Double {
        totalVariance / (0.01 * norm(reference) * norm(reference))
    }

    /// ‖mean − mean_ref‖/‖mean_ref‖ against another measurement, and the value that distance
    /// would have from sampling noise alone, √(tr Cov/n + tr Cov_ref/n_ref)/‖mean_ref‖: two
    /// unbiased estimators of the same gradient differ by about that much.
    public func deviation(from reference: PolicyGradientMeasurement) -> (relative: Double, noise: Double) {
        let scale = norm(reference.mean)
        let distance = norm(zip(mean, reference.mean).map { $0 - $1 })
        let noise = totalVariance / Double(samples) + reference.totalVariance / Double(reference.samples)
        return (distance / scale, noise.squareRoot() / scale)
    }
}

func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

extension PolicyGradientProblem {
    /// A problem from a SAC run: its actor and critics as trained, and `states` states drawn from
    /// its replay buffer (states the policy visited).
    static func fromSAC<E: ContinuousEnvironment>(
        _ loop: OffPolicyTraining<E, SAC>, states: Int, baselineDraws: Int, key: RandomKey
    ) throws -> PolicyGradientProblem {
        guard loop.buffer.count >= 1 else {
            throw RLConfigurationError("the SAC run has not collected any states yet")
        }
        let keys = key.split(2)
        let batch = loop.buffer.sample(states, key: keys[0]).observations
        return PolicyGradientProblem(
            actor: loop.agent.actor, critic: loop.agent.critic, states: batch, baselineDraws: baselineDraws,
            key: keys[1])
    }

    /// Trains SAC for `trainingSteps` steps on `environment` (seed `seed`, the tuned settings)
    /// and fixes its actor, critics and `states` visited states.
    public static func trainingSAC(
        on environment: EnvironmentKind, trainingSteps: Int, seed: UInt64, states: Int, baselineDraws: Int,
        progress: (Int, Double?) -> Void = { _, _ in }
    ) throws -> PolicyGradientProblem {
        let options = RLRunOptions(
            environment: environment, algorithm: .sac, steps: trainingSteps, seed: seed,
            evaluationInterval: trainingSteps)
        try options.validate()
        return try sacProblem(options, saved: nil, states: states, baselineDraws: baselineDraws, progress: progress)
    }

    /// The actor and critics of a saved SAC run, with `states` states from its replay buffer.
    public static func savedSAC(_ saved: RLSavedRun, states: Int, baselineDraws: Int) throws -> PolicyGradientProblem {
        guard saved.state.options.algorithm == .sac else {
            throw RLConfigurationError(
                "the run was trained with \(saved.state.options.algorithm.rawValue); the comparison needs a SAC run")
        }
        return try sacProblem(saved.state.options, saved: saved, states: states, baselineDraws: baselineDraws)
    }

    static func sacProblem(
        _ options: RLRunOptions, saved: RLSavedRun?, states: Int, baselineDraws: Int,
        progress: (Int, Double?) -> Void = { _, _ in }
    ) throws -> PolicyGradientProblem {
        func build<E: ContinuousEnvironment>(_ environment: E) throws -> PolicyGradientProblem {
            var loop = OffPolicyTraining(
                agent: makeSAC(environment, options), environment: environment, copies: options.copies ?? 1,
                key: runKeys(options)[1])
            if let saved {
                try loop.restore(from: saved.reader, progress: saved.progress)
            } else {
                while loop.step < options.steps {
                    try loop.advance()
                    let recent = loop.trainingReturns.suffix(10)
                    progress(loop.step, recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count))
                }
            }
            let key = runKeys(options)[2].fold(in: 1 << 52)
            return try .fromSAC(loop, states: states, baselineDraws: baselineDraws, key: key)
        }
        switch options.environment {
        case .pendulum: return try build(Pendulum())
        case .mountainCarContinuous: return try build(MountainCarContinuous())
        case .cartpole, .acrobot:
            throw RLConfigurationError(
                "the comparison differentiates through the action and needs a continuous environment")
        }
    }
}
