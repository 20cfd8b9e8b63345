import Foundation
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamNN
@testable import ReparamRL

@Suite("REINFORCE, A2C and PPO")
struct OnPolicyTests {
    /// One copy, three steps, the episode ending after the second; worked by hand:
    /// δ₂ = 3 + 0.9·0.2 − 0.3 = 2.88, δ₁ = 2 − 0.4 = 1.6 (its successor starts an episode),
    /// δ₀ = 1 + 0.9·0.4 − 0.5 = 0.86, Â₀ = 0.86 + 0.9·0.8·1.6 = 2.012.
    @Test("GAE on a worked example, and λ = 1 gives the reward-to-go minus the baseline")
    func advantages() {
        var rollout = Rollout(steps: 3, copies: 1, observationSize: 1, actionWidth: 1)
        rollout.rewards = [1, 2, 3]
        rollout.values = [0.5, 0.4, 0.3]
        rollout.episodeStarts = [false, false, true]
        let (a, r) = rollout.advantages(lastValues: [0.2], lastDones: [false], gamma: 0.9, lambda: 0.8)
        for (x, y) in zip(a, [2.012, 1.6, 2.88] as [Float]) { #expect(abs(x - y) < 1e-5) }
        for (x, y) in zip(r, [2.512, 2.0, 3.18] as [Float]) { #expect(abs(x - y) < 1e-5) }

        var episode = Rollout(steps: 4, copies: 1, observationSize: 1, actionWidth: 1)
        episode.rewards = [1, 0.5, -1, 2]
        episode.values = [0.3, -0.2, 0.7, 0.1]
        let (advantage, _) = episode.advantages(lastValues: [9], lastDones: [true], gamma: 0.95, lambda: 1)
        for t in 0..<4 {
            let toGo = (t..<4).reduce(Float(0)) { $0 + Float(pow(0.95, Double($1 - t))) * episode.rewards[$1] }
            #expect(abs(advantage[t] - (toGo - episode.values[t])) < 1e-5)
        }
    }

    static func batch(copies: Int, clipShift: Float, key: RandomKey) -> (ActorCritic<CategoricalPolicy>, RolloutBatch) {
        var settings = PolicyNetworkSettings()
        settings.hidden = [8]
        let model = ActorCritic<CategoricalPolicy>(observationSize: 4, outputs: 3, settings: settings, key: key)
        let keys = key.split(4)
        let observations = keys[0].normal([copies, 4])
        let actions = model.policy.sample(observations, key: keys[1]).actions
        let logProb = model.policy.density(observations, actions).logProb
        return (
            model,
            RolloutBatch(
                observations: observations, actions: actions, oldLogProb: logProb - clipShift,
                advantages: keys[2].uniform([copies], low: 0.5, high: 1.5), returns: keys[3].normal([copies]))
        )
    }

    @Test("The surrogate's gradient matches finite differences", arguments: [nil, 0.2] as [Float?])
    func surrogateGradient(clip: Float?) {
        // A shift of 0.1 puts the ratios at e^0.1 ≈ 1.105, inside the clip range.
        let (model, batch) = Self.batch(copies: 16, clipShift: 0.1, key: RandomKey(seed: 31))
        func total(_ m: ActorCritic<CategoricalPolicy>) -> Float {
            onPolicyLosses(m, batch, clipRange: clip, entropyCoefficient: 0.01, valueCoefficient: 0.5).scalars[0]
        }
        let (_, pullback) = valueWithPullback(at: model) { m in
            onPolicyLosses(m, batch, clipRange: clip, entropyCoefficient: 0.01, valueCoefficient: 0.5)
        }
        let gradient = pullback(Tensor([1, 0, 0, 0]))
        for (name, path) in model.parameterPaths.map({ ($0.name, $0) }) {
            let analytic = model.gradient(path, in: gradient).scalars
            let value = model[keyPath: path.value]
            for j in [0, value.count - 1] {
                var plus = model, minus = model
                var bump = [Float](repeating: 0, count: value.count)
                bump[j] = 1e-2
                plus[keyPath: path.value] = value + Tensor(shape: value.shape, scalars: bump)
                minus[keyPath: path.value] = value - Tensor(shape: value.shape, scalars: bump)
                let numeric = (total(plus) - total(minus)) / 2e-2
                #expect(abs(numeric - analytic[j]) < 2e-3 + 0.02 * abs(numeric), "\(name)[\(j)]")
            }
        }
    }

    @Test("Above the clip range with positive advantages, PPO's policy term has no gradient")
    func clipping() {
        // Ratios e^0.5 ≈ 1.65 > 1.2: the clipped branch is the minimum and it is constant.
        let (model, batch) = Self.batch(copies: 8, clipShift: 0.5, key: RandomKey(seed: 32))
        let (_, pullback) = valueWithPullback(at: model) { m in
            onPolicyLosses(m, batch, clipRange: 0.2, entropyCoefficient: 0, valueCoefficient: 0.5)
        }
        let gradient = pullback(Tensor([0, 1, 0, 0]))
        for path in model.parameterPaths where path.name.hasPrefix("policy") {
            #expect(model.gradient(path, in: gradient).scalars.allSatisfy { $0 == 0 }, "\(path.name)")
        }
    }

    @Test("The Gaussian policy's log-density and entropy match the closed forms in Double")
    func gaussianDensity() {
        var settings = PolicyNetworkSettings()
        settings.logStdInit = -0.7
        let policy = GaussianPolicy(observationSize: 3, outputs: 2, settings: settings, key: RandomKey(seed: 33))
        let s = RandomKey(seed: 34).normal([5, 3]), a = RandomKey(seed: 35).normal([5, 2])
        let density = policy.density(s, a)
        let mean = policy.mode(s).scalars
        for i in 0..<5 {
            var logProb = 0.0
            for j in 0..<2 {
                let z = (Double(a.scalars[i * 2 + j]) - Double(mean[i * 2 + j])) / exp(-0.7)
                logProb += -0.5 * z * z + 0.7 - 0.5 * log(2 * Double.pi)
            }
            #expect(abs(Double(density.logProb.scalars[i]) - logProb) < 1e-4)
            #expect(abs(Double(density.entropy.scalars[i]) - 2 * (0.5 * log(2 * Double.pi * M_E) - 0.7)) < 1e-5)
        }
    }

    @Test("Orthogonal initialization gives orthonormal columns or rows times the gain")
    func orthogonal() {
        for (rows, columns) in [(6, 3), (3, 6), (4, 4)] {
            let w = orthonormal(rows: rows, columns: columns, key: RandomKey(seed: 36))
            let (n, transpose) = (min(rows, columns), rows < columns)
            for p in 0..<n {
                for q in 0..<n {
                    var dot: Float = 0
                    for k in 0..<max(rows, columns) {
                        dot +=
                            transpose
                            ? w.scalars[p * columns + k] * w.scalars[q * columns + k]
                            : w.scalars[k * columns + p] * w.scalars[k * columns + q]
                    }
                    #expect(abs(dot - (p == q ? 1 : 0)) < 1e-5)
                }
            }
        }
    }

    @Test("RMSprop follows v ← αv + (1 − α)g², p ← p − lr·g/(√v + ε)")
    func rmsprop() throws {
        var model = Dense(weight: Tensor(rows: [[1, -2]]), bias: Tensor([0.5, 0]), activation: .identity)
        var optimizer = RMSprop(for: model, learningRate: 0.1, alpha: 0.9, epsilon: 1e-5)
        var expected: [Float] = [1, -2], v: [Float] = [0, 0]
        for step in 0..<3 {
            let g: [Float] = [Float(step) + 0.5, -1]
            var gradient = Dense.TangentVector.zero
            gradient.weight = Tensor(shape: [1, 2], scalars: g)
            gradient.bias = Tensor([0, 0])
            try optimizer.update(&model, along: gradient)
            for j in 0..<2 {
                v[j] = 0.9 * v[j] + 0.1 * g[j] * g[j]
                expected[j] -= 0.1 * g[j] / (v[j].squareRoot() + 1e-5)
            }
        }
        for (x, y) in zip(model.weight.scalars, expected) { #expect(abs(x - y) < 1e-5) }
    }

    @Test("Running statistics merged batch by batch equal those of all the data")
    func runningStatistics() {
        var statistics = RunningMeanVariance(size: 2)
        let data = RandomKey(seed: 37).normal([300, 2]).scalars.enumerated().map {
            $0.offset % 2 == 0 ? 3 * $0.element + 1 : $0.element
        }
        for b in 0..<3 { statistics.update(Array(data[(b * 200)..<((b + 1) * 200)]), batch: 100) }
        for j in 0..<2 {
            let column = stride(from: j, to: 600, by: 2).map { Double(data[$0]) }
            let mean = column.reduce(0, +) / 300
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 300
            // The prior (count 10⁻⁴ at mean 0, variance 1) moves the result by about 10⁻⁶.
            #expect(abs(statistics.mean[j] - mean) < 1e-5 && abs(statistics.variance[j] - variance) < 1e-4)
        }
    }

    @Test("REINFORCE collects one whole episode per copy and counts only their steps")
    func wholeEpisodes() throws {
        var training = OnPolicyTraining(
            environment: CartPole(), configuration: .reinforce(for: .cartpole), totalSteps: 10_000,
            key: RandomKey(seed: 38))
        try training.advance()
        #expect(training.trainingReturns.count == 8)
        // CartPole pays 1 per step: the returns are the episode lengths.
        #expect(Int(training.trainingReturns.reduce(0, +)) == training.step)
        #expect(training.lastMetrics["value_loss"]?.isFinite == true)
    }

    @Test("PPO on CartPole improves its training return within 20,000 steps")
    func ppoLearns() throws {
        var training = OnPolicyTraining(
            environment: CartPole(), configuration: .ppo(for: .cartpole), totalSteps: 20_000, key: RandomKey(seed: 39))
        while training.step < 20_000 { try training.advance() }
        let returns = training.trainingReturns
        let early = returns.prefix(20).reduce(0, +) / 20
        let late = returns.suffix(10).reduce(0, +) / 10
        // A random policy lasts about 22 steps; the zoo's PPO passes 100 well before 20,000 steps.
        #expect(early < 40 && late > 100, "early \(early), late \(late)")
    }
}
