import Foundation
import ReparamRL
import ReparamRandom
import ReparamTensor
import Testing

@Suite("Vectorized environments")
struct VectorEnvironmentTests {
    /// Steps `copies` copies as one batch for `steps` steps with actions drawn from `key`, and
    /// checks each copy against the environment stepped by hand from the same start states.
    func checkAgainstSingleCopies<E: Environment>(
        _ base: E, copies: Int, steps: Int, action: (inout PhiloxGenerator) -> E.Action
    ) {
        let key = RandomKey(seed: 7)
        var batch = VectorEnvironment(base, count: copies, key: key)
        // A single copy replayed by hand: the batch's copy i starts its e-th episode from
        // key.fold(in: i).fold(in: e).
        var states = (0..<copies).map { i -> E.State in
            var g = key.fold(in: UInt64(i)).fold(in: 0).makeGenerator()
            return base.reset(using: &g)
        }
        var episodes = [UInt64](repeating: 1, count: copies)
        var lengths = [Int](repeating: 0, count: copies)
        var generator = RandomKey(seed: 8).makeGenerator()
        var ended = 0
        for _ in 0..<steps {
            let actions = (0..<copies).map { _ in action(&generator) }
            let result = batch.step(actions)
            #expect(result.observations.shape == [copies, base.observationSize])
            for i in 0..<copies {
                let transition = base.step(states[i], actions[i])
                lengths[i] += 1
                #expect(result.rewards[i] == Float(transition.reward))
                #expect(result.terminated[i] == transition.terminated)
                #expect(result.truncated[i] == (!transition.terminated && lengths[i] == base.timeLimit))
                #expect(lengths[i] <= base.timeLimit)
                if transition.terminated || lengths[i] == base.timeLimit {
                    #expect(result.finalObservations[i] == base.observation(transition.state))
                    var g = key.fold(in: UInt64(i)).fold(in: episodes[i]).makeGenerator()
                    states[i] = base.reset(using: &g)
                    episodes[i] += 1
                    lengths[i] = 0
                    ended += 1
                } else {
                    #expect(result.finalObservations[i] == nil)
                    states[i] = transition.state
                }
                let size = base.observationSize
                let row = Array(result.observations.scalars[(i * size)..<((i + 1) * size)])
                #expect(row == base.observation(states[i]))
            }
            #expect(batch.states == states)
        }
        #expect(UInt64(ended) == batch.episodesStarted.reduce(0, +) - UInt64(copies))
        #expect(ended > 0, "no episode ended in \(steps) steps")
    }

    @Test("CartPole: batch steps equal single steps, with same-step resets")
    func cartPole() {
        checkAgainstSingleCopies(CartPole(), copies: 4, steps: 300) { Int.random(in: 0..<2, using: &$0) }
    }

    @Test("Pendulum: the time limit truncates every copy at 200 steps")
    func pendulum() {
        checkAgainstSingleCopies(Pendulum(), copies: 3, steps: 450) { [Float.random(in: -3...3, using: &$0)] }
    }

    @Test("Acrobot and MountainCarContinuous step as batches too")
    func others() {
        checkAgainstSingleCopies(Acrobot(), copies: 2, steps: 520) { Int.random(in: 0..<3, using: &$0) }
        checkAgainstSingleCopies(MountainCarContinuous(), copies: 2, steps: 1000) {
            [Float.random(in: -1...1, using: &$0)]
        }
    }

    @Test("A batch resumed from its saved fields continues exactly")
    func resume() {
        var a = VectorEnvironment(CartPole(), count: 3, key: RandomKey(seed: 1))
        for t in 0..<40 { _ = a.step([t % 2, (t / 3) % 2, 1 - t % 2]) }
        var b = VectorEnvironment(
            CartPole(), key: a.key, states: a.states.map { CartPole.State(values: $0.values)! },
            episodeSteps: a.episodeSteps, episodeReturns: a.episodeReturns, episodesStarted: a.episodesStarted)!
        for t in 40..<120 {
            let actions = [t % 2, (t / 3) % 2, 1 - t % 2]
            let (x, y) = (a.step(actions), b.step(actions))
            #expect(x.observations.scalars == y.observations.scalars && x.finishedEpisodes == y.finishedEpisodes)
        }
        #expect(
            VectorEnvironment(
                CartPole(), key: a.key, states: a.states, episodeSteps: [0, 0, 500],
                episodeReturns: [0, 0, 0], episodesStarted: [1, 1, 1]) == nil)
    }

    /// Start states lie in gymnasium's ranges, and their means are those of the uniform
    /// distribution within 4 standard errors (fixed key).
    @Test("Reset states follow gymnasium's distributions")
    func resets() {
        func check<E: Environment>(_ base: E, low: [Double], high: [Double]) {
            var generator = RandomKey(seed: 3).makeGenerator()
            let n = 4000
            let draws = (0..<n).map { _ in base.reset(using: &generator).values }
            for j in low.indices {
                let column = draws.map { $0[j] }
                #expect(column.allSatisfy { $0 >= low[j] && $0 <= high[j] }, "\(E.gymnasiumID) value \(j)")
                let mean = column.reduce(0, +) / Double(n)
                let standardError = (high[j] - low[j]) / sqrt(12 * Double(n))
                #expect(abs(mean - (low[j] + high[j]) / 2) < 4 * standardError + 1e-12, "\(E.gymnasiumID) mean \(j)")
            }
        }
        check(CartPole(), low: [-0.05, -0.05, -0.05, -0.05], high: [0.05, 0.05, 0.05, 0.05])
        check(Acrobot(), low: [-0.1, -0.1, -0.1, -0.1], high: [0.1, 0.1, 0.1, 0.1])
        check(Pendulum(), low: [-Double.pi, -1], high: [Double.pi, 1])
        check(MountainCarContinuous(), low: [-0.6, 0], high: [-0.4, 0])
    }

    @Test("Environment kinds name gymnasium's environments")
    func kinds() {
        #expect(
            EnvironmentKind.allCases.map(\.gymnasiumID)
                == ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"])
        #expect(EnvironmentKind(rawValue: "mountaincar-continuous") == .mountainCarContinuous)
        #expect(EnvironmentKind.allCases.filter(\.hasContinuousActions) == [.pendulum, .mountainCarContinuous])
    }
}
