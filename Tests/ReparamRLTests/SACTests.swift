import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamRL

@Suite("Replay buffer and SAC")
struct SACTests {
    @Test("The buffer overwrites oldest first and keeps time-limit transitions non-terminal")
    func replayBuffer() {
        var buffer = ReplayBuffer(capacity: 3, observationSize: 2, actionSize: 1)
        for i in 0..<5 {
            let f = Float(i)
            buffer.add(observation: [f, f], action: [f], reward: f, nextObservation: [f + 1, f + 1], terminal: i == 3)
        }
        #expect(buffer.count == 3 && buffer.position == 2)
        let batch = buffer.batch([0, 1, 2])
        #expect(batch.rewards.scalars == [3, 4, 2])
        #expect(batch.terminals.scalars == [1, 0, 0])
        #expect(batch.nextObservations.scalars == [4, 4, 5, 5, 3, 3])

        // A batch step: the copy cut by Pendulum's time limit stores its final observation as s′
        // and is not terminal.
        var copies = VectorEnvironment(Pendulum(), count: 2, key: RandomKey(seed: 4))
        var store = ReplayBuffer(capacity: 500, observationSize: 3, actionSize: 1)
        for _ in 0..<200 {
            let before = copies.observations
            let step = copies.step([[0.5], [-0.5]])
            store.add(observations: before, actions: Tensor(shape: [2, 1], scalars: [0.5, -0.5]), step: step)
            if step.truncated[0] {
                let last = store.batch([store.count - 2])
                #expect(last.nextObservations.scalars == step.finalObservations[0]!)
                #expect(last.terminals.scalars == [0])
                #expect(last.nextObservations.scalars != Array(step.observations.scalars[0..<3]))
            }
        }
        #expect(store.count == 400)
    }

    @Test("min(Q₁, Q₂) and Polyak tracking")
    func critic() {
        let critic = TwinCritic(observationSize: 3, actionSize: 1, hidden: [8], key: RandomKey(seed: 1))
        let s = RandomKey(seed: 2).normal([5, 3]), a = RandomKey(seed: 3).uniform([5, 1], low: -1, high: 1)
        let q = critic(s, a).scalars
        // ½(a + b − |a − b|) is min(a, b) up to rounding.
        let expected = (0..<5).map { Swift.min(q[2 * $0], q[2 * $0 + 1]) }
        #expect(zip(critic.minimum(s, a).scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        var target = TwinCritic(observationSize: 3, actionSize: 1, hidden: [8], key: RandomKey(seed: 9))
        let before = target.q1.layers[0].weight.scalars
        target.track(critic, rate: 0.25)
        let tracked = zip(critic.q1.layers[0].weight.scalars, before).map { 0.25 * $0 + 0.75 * $1 }
        #expect(zip(target.q1.layers[0].weight.scalars, tracked).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// The pathwise gradient of mean(α log π(a|s) − min Q(s, a)) with respect to the actor's
    /// mean-head bias, against central differences at the same noise (fixed key).
    @Test("The soft policy loss's pathwise gradient matches finite differences")
    func policyGradient() {
        let actor = SquashedGaussianActor(observationSize: 3, actionSize: 2, hidden: [16], key: RandomKey(seed: 5))
        let critic = TwinCritic(observationSize: 3, actionSize: 2, hidden: [16], key: RandomKey(seed: 6))
        let s = RandomKey(seed: 7).normal([64, 3]), key = RandomKey(seed: 8)
        func loss(_ actor: SquashedGaussianActor) -> Float {
            let draw = actor.sampleWithLogProb(s, key: key)
            return (0.2 * draw.logProb - critic.minimum(s, draw.value)).mean().item
        }
        let gradient = gradient(at: actor) { actor -> Float in
            let draw = actor.sampleWithLogProb(s, key: key)
            return (0.2 * draw.logProb - critic.minimum(s, draw.value)).mean().item
        }
        // SAC's update chains the loss's cotangents through one draw by hand; it must agree with
        // differentiating the whole loss.
        let (chainedLoss, chained) = PolicyDraw(actor, s, key: key).softPolicyGradient(critic, s, alpha: 0.2)
        #expect(abs(chainedLoss - loss(actor)) < 1e-5 * Swift.max(1, abs(chainedLoss)))
        for (a, b) in [
            (chained.mean.weight, gradient.mean.weight), (chained.logStd.bias, gradient.logStd.bias),
            (chained.trunk.layers[0].weight, gradient.trunk.layers[0].weight),
        ] {
            #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) < 1e-5 + 1e-4 * abs($1) })
        }
        for (head, path) in [(0, \SquashedGaussianActor.mean.bias), (1, \SquashedGaussianActor.logStd.bias)] {
            for j in 0..<2 {
                var plus = actor, minus = actor
                let h: Float = 1e-2
                plus[keyPath: path] = plus[keyPath: path] + Tensor(shape: [2], scalars: j == 0 ? [h, 0] : [0, h])
                minus[keyPath: path] = minus[keyPath: path] - Tensor(shape: [2], scalars: j == 0 ? [h, 0] : [0, h])
                let numeric = (loss(plus) - loss(minus)) / (2 * h)
                let analytic = (head == 0 ? gradient.mean.bias : gradient.logStd.bias).scalars[j]
                #expect(abs(numeric - analytic) < 2e-3 + 0.02 * abs(numeric), "head \(head) component \(j)")
            }
        }
    }

    @Test("SAC updates lower the critic's regression loss on a fixed batch")
    func update() throws {
        var configuration = SACConfiguration()
        configuration.hidden = [32, 32]
        var sac = SAC(observationSize: 3, actionSize: 1, configuration: configuration, key: RandomKey(seed: 10))
        var buffer = ReplayBuffer(capacity: 256, observationSize: 3, actionSize: 1)
        var copies = VectorEnvironment(Pendulum(), count: 1, key: RandomKey(seed: 11))
        var generator = RandomKey(seed: 12).makeGenerator()
        for _ in 0..<256 {
            let before = copies.observations
            let a = Float.random(in: -1...1, using: &generator)
            buffer.add(
                observations: before, actions: Tensor(shape: [1, 1], scalars: [a]), step: copies.step([[2 * a]]))
        }
        let batch = buffer.batch(Array(0..<256))
        var first: Float = 0, last: Float = 0
        for step in 0..<200 {
            let losses: SACLosses = try sac.update(batch, key: RandomKey(seed: 13).fold(in: UInt64(step)), step: step)
            if step == 0 { first = losses.critic }
            last = losses.critic
            #expect(losses.alpha.isFinite && losses.alpha > 0)
        }
        #expect(last < 0.5 * first, "critic loss \(first) → \(last)")
    }

    @Test("Configurations that cannot run are refused before anything is built")
    func validation() {
        #expect(throws: RLConfigurationError.self) {
            try RLRunOptions(environment: .cartpole, algorithm: .sac, steps: 100).validate()
        }
        #expect(throws: RLConfigurationError.self) {
            try RLRunOptions(environment: .pendulum, algorithm: .sac, steps: 0).validate()
        }
        #expect(throws: RLConfigurationError.self) {
            try RLRunOptions(environment: .pendulum, algorithm: .sac, steps: 10, copies: 0).validate()
        }
        #expect(SACConfiguration.tuned(for: .pendulum).learningRate == 1e-3)
    }
}

@Suite("Twin critics evaluated concurrently")
struct ConcurrentCriticTests {
    let critic = TwinCritic(observationSize: 3, actionSize: 2, hidden: [32, 32], key: RandomKey(seed: 51))
    let s = RandomKey(seed: 52).normal([64, 3]), a = RandomKey(seed: 53).uniform([64, 2], low: -1, high: 1)

    @Test("Each concurrent form equals the differentiated one", arguments: [1, 2])
    func equal(threads: Int) {
        let y = RandomKey(seed: 54).normal([64])
        Kernels.withOverrides(threads: threads) {
            #expect(critic.minimumValue(s, a).scalars == critic.minimum(s, a).scalars)

            let (loss, gradient) = critic.regressionGradient(s, a, y)
            let (reference, referenceGradient) = valueWithGradient(at: critic) { c in criticRegression(c, s, a, y).item
            }
            #expect(abs(loss - reference) <= 1e-5 * abs(reference))
            for path in critic.parameterPaths {
                let (x, z) = (
                    critic.gradient(path, in: gradient).scalars, critic.gradient(path, in: referenceGradient).scalars
                )
                #expect(zip(x, z).allSatisfy { abs($0 - $1) <= 1e-5 + 1e-4 * abs($1) }, "\(path.name)")
            }

            let (value, actionGradient) = critic.concurrentMinimumActionGradient(s, a)
            let (referenceValue, referenceActionGradient) = valueWithGradient(at: a) { a in
                critic.minimum(s, a).mean().item
            }
            #expect(abs(value - referenceValue) <= 1e-5 * Swift.max(1, abs(referenceValue)))
            #expect(
                zip(actionGradient.scalars, referenceActionGradient.scalars).allSatisfy {
                    abs($0 - $1) <= 1e-6 + 1e-4 * abs($1)
                })

            var tracked = critic, concurrent = critic
            let online = TwinCritic(observationSize: 3, actionSize: 2, hidden: [32, 32], key: RandomKey(seed: 55))
            tracked.track(online, rate: 0.3)
            concurrent.trackTarget(online, rate: 0.3)
            for path in critic.parameterPaths {
                #expect(tracked[keyPath: path.value].scalars == concurrent[keyPath: path.value].scalars)
            }
        }
    }
}
