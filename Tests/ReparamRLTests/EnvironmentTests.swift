import Foundation
import ReparamRL
import ReparamRandom
import ReparamTensor
import Testing

/// The largest |a − b| / max(1, |b|) over two equal-length arrays.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ: \(a.count) and \(b.count)")
    return zip(a, b).map { abs($0 - $1) / Swift.max(1, abs($1)) }.max() ?? 0
}

/// Replays a gymnasium trajectory in a Swift environment.
///
/// - `teacherForced`: every step starts from gymnasium's own state, so each transition is
///   compared on its own (states to 1e-12: the same float64 formulas, up to the last bit of
///   numpy's sin and cos).
/// - otherwise the Swift environment runs free from each episode's reset state for the whole
///   episode, as the issue asks (states to `tolerance`).
///
/// Rewards, termination and truncation (the time limit counted here) must agree at every step.
func replay<E: Environment>(
    _ environment: E, _ fixture: EnvironmentFixtures.Case, teacherForced: Bool, tolerance: Double,
    action: (EnvironmentFixtures.Action) -> E.Action
) {
    var stepsChecked = 0
    for (e, episode) in fixture.episodes.enumerated() {
        guard var state = E.State(values: episode.resetState) else {
            Issue.record("episode \(e): reset state \(episode.resetState) does not fit \(E.self)")
            return
        }
        #expect(relativeError(environment.observation(state).map(Double.init), episode.resetObservation) < 1e-6)
        for (t, step) in episode.steps.enumerated() {
            let transition = environment.step(state, action(step.action))
            let where_ = "\(E.gymnasiumID) \(fixture.actions) episode \(e) step \(t)"
            let stateError = relativeError(transition.state.values, step.state)
            #expect(stateError < (teacherForced ? 1e-12 : tolerance), "\(where_): state error \(stateError)")
            let observation = environment.observation(transition.state).map(Double.init)
            let observationError = relativeError(observation, step.observation)
            let observationTolerance = teacherForced ? 1e-6 : tolerance
            #expect(observationError < observationTolerance, "\(where_): observation error \(observationError)")
            let rewardError = abs(transition.reward - step.reward) / Swift.max(1, abs(step.reward))
            #expect(rewardError < 1e-6, "\(where_): reward")
            #expect(transition.terminated == step.terminated, "\(where_): terminated")
            let truncated = !transition.terminated && t + 1 >= environment.timeLimit
            #expect(truncated == step.truncated, "\(where_): truncated")
            state = teacherForced ? E.State(values: step.state)! : transition.state
            stepsChecked += 1
        }
    }
    #expect(stepsChecked == 500)
}

@Suite("Environments match gymnasium")
struct EnvironmentFixtureTests {
    static let tolerance = 1e-6

    func discrete(_ action: EnvironmentFixtures.Action) -> Int {
        if case .index(let i) = action { return i }
        fatalError("a discrete fixture holds a vector action")
    }

    func continuous(_ action: EnvironmentFixtures.Action) -> [Float] {
        if case .vector(let v) = action { return v }
        fatalError("a continuous fixture holds an index action")
    }

    /// Both recorded trajectories of `environment`, teacher-forced and free-running.
    func replayAll<E: Environment>(_ environment: E, action: (EnvironmentFixtures.Action) -> E.Action) {
        let cases = EnvironmentFixtures.cases(E.gymnasiumID)
        #expect(cases.count == 2, "\(E.gymnasiumID): fixtures for random and policy actions")
        for fixture in cases {
            for teacherForced in [true, false] {
                replay(environment, fixture, teacherForced: teacherForced, tolerance: Self.tolerance, action: action)
            }
        }
    }

    @Test("Each environment replays gymnasium's trajectories", arguments: EnvironmentKind.allCases)
    func matches(kind: EnvironmentKind) {
        switch kind {
        case .cartpole: replayAll(CartPole(), action: discrete)
        case .acrobot: replayAll(Acrobot(), action: discrete)
        case .pendulum: replayAll(Pendulum(), action: continuous)
        case .mountainCarContinuous: replayAll(MountainCarContinuous(), action: continuous)
        }
    }

    @Test("The fixtures hold terminations and time limits, not only one kind of ending")
    func endings() {
        let steps = EnvironmentFixtures.shared.cases.flatMap { $0.episodes.flatMap(\.steps) }
        #expect(steps.filter(\.terminated).count >= 30)
        #expect(steps.filter(\.truncated).count >= 5)
    }
}
