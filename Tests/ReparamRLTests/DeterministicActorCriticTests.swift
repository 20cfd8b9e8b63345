import Foundation
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamNN
@testable import ReparamRL

@Suite("TD3 and DDPG")
struct DeterministicActorCriticTests {
    /// −mean Q₁(s, μθ(s)) differentiated by the hand chain (critic wrt actions, then the actor)
    /// against central differences on the actor's output bias.
    @Test("The deterministic policy gradient matches finite differences", arguments: [false, true])
    func policyGradient(twin: Bool) {
        var configuration = DeterministicActorCriticConfiguration.td3(for: .pendulum)
        configuration.hidden = [16, 16]
        let s = RandomKey(seed: 21).normal([32, 3])
        func check<C: ActionValueCritic>(_ agent: DeterministicActorCritic<C>) {
            let (loss, gradient) = agent.deterministicPolicyGradient(s)
            func objective(_ actor: DeterministicActor) -> Float { -agent.critic.first(s, actor(s)).mean().item }
            #expect(abs(loss - objective(agent.actor)) < 1e-5 * Swift.max(1, abs(loss)))
            let last = agent.actor.network.layers.count - 1
            for j in 0..<1 {
                var plus = agent.actor, minus = agent.actor
                let h: Float = 1e-2
                plus.network.layers[last].bias = plus.network.layers[last].bias + h
                minus.network.layers[last].bias = minus.network.layers[last].bias - h
                let numeric = (objective(plus) - objective(minus)) / (2 * h)
                let analytic = gradient.network.layers.base[last].bias.scalars[j]
                #expect(abs(numeric - analytic) < 2e-3 + 0.02 * abs(numeric), "numeric \(numeric) analytic \(analytic)")
            }
        }
        if twin {
            check(TD3(observationSize: 3, actionSize: 1, configuration: configuration, key: RandomKey(seed: 22)))
        } else {
            check(DDPG(observationSize: 3, actionSize: 1, configuration: configuration, key: RandomKey(seed: 22)))
        }
    }

    @Test("TD3 moves its actor and targets every second update; DDPG every update")
    func policyDelay() throws {
        var configuration = DeterministicActorCriticConfiguration.td3(for: .pendulum)
        configuration.hidden = [16]
        var buffer = ReplayBuffer(capacity: 64, observationSize: 3, actionSize: 1)
        var copies = VectorEnvironment(Pendulum(), count: 1, key: RandomKey(seed: 23))
        for i in 0..<64 {
            let before = copies.observations
            let a = Float(i % 7) / 3 - 1
            buffer.add(
                observations: before, actions: Tensor(shape: [1, 1], scalars: [a]), step: copies.step([[2 * a]]))
        }
        let batch = buffer.batch(Array(0..<64))
        var td3 = TD3(observationSize: 3, actionSize: 1, configuration: configuration, key: RandomKey(seed: 24))
        let actor0 = td3.actor.network.layers[0].weight.scalars
        let first: DeterministicActorCriticLosses = try td3.update(batch, key: RandomKey(seed: 25), step: 0)
        #expect(first.actor == nil && td3.actor.network.layers[0].weight.scalars == actor0)
        #expect(td3.targetCritic.q1.layers[0].weight.scalars != td3.critic.q1.layers[0].weight.scalars)
        let second: DeterministicActorCriticLosses = try td3.update(batch, key: RandomKey(seed: 26), step: 1)
        #expect(second.actor != nil && td3.actor.network.layers[0].weight.scalars != actor0)

        var ddpg = DDPG(
            observationSize: 3, actionSize: 1, configuration: .ddpg(for: .pendulum), key: RandomKey(seed: 24))
        #expect(ddpg.configuration.policyDelay == 1 && ddpg.configuration.targetPolicyNoise == 0)
        let once: DeterministicActorCriticLosses = try ddpg.update(batch, key: RandomKey(seed: 25), step: 0)
        #expect(once.actor != nil)
    }

    @Test("Ornstein-Uhlenbeck noise follows its recursion and restarts per copy")
    func explorationNoise() {
        var process = ExplorationNoiseProcess(.ornsteinUhlenbeck(standardDeviation: 0.5), copies: 2, actionSize: 1)
        let key = RandomKey(seed: 27)
        var previous = process.state.scalars
        for t in 0..<5 {
            let next = process.next(key: key.fold(in: UInt64(t))).scalars
            let epsilon = key.fold(in: UInt64(t)).normal([2, 1]).scalars
            for i in 0..<2 {
                let expected = previous[i] - 0.15 * 0.01 * previous[i] + 0.5 * Float(0.01).squareRoot() * epsilon[i]
                #expect(abs(next[i] - expected) < 1e-6)
            }
            previous = next
        }
        process.reset(copy: 1)
        #expect(process.state.scalars[1] == 0 && process.state.scalars[0] == previous[0])
        var normal = ExplorationNoiseProcess(.normal(standardDeviation: 0.1), copies: 1, actionSize: 1)
        let draws = (0..<4000).map { normal.next(key: key.fold(in: 100 + UInt64($0))).scalars[0] }
        let variance = draws.map { Double($0 * $0) }.reduce(0, +) / Double(draws.count)
        // Var of the sample variance of N(0, σ²) is 2σ⁴/n: allow four standard errors.
        #expect(abs(variance - 0.01) < 4 * (2 * 1e-4 / Double(draws.count)).squareRoot())
    }
}
