import ReparamRandom

/// A control task with gymnasium's dynamics: one copy's state, how it starts, how an action
/// moves it, and what an agent observes. `VectorEnvironment` steps N copies as one batch, counts
/// the time limit and resets finished episodes.
///
/// The dynamics are computed in Double, as gymnasium computes them in float64; observations are
/// Float, as gymnasium returns float32.
public protocol Environment: Sendable {
    associatedtype State: EnvironmentState
    associatedtype Action: Sendable

    /// The environment's gymnasium id, e.g. "CartPole-v1".
    static var gymnasiumID: String { get }

    /// Length of an observation vector.
    var observationSize: Int { get }
    /// Bounds of the observation space (±∞ where gymnasium leaves it unbounded).
    var observationLow: [Float] { get }
    var observationHigh: [Float] { get }
    /// Steps after which an episode is truncated (gymnasium's `max_episode_steps`).
    var timeLimit: Int { get }

    /// A start state, drawn from the generator as gymnasium's `reset` draws it.
    func reset(using generator: inout PhiloxGenerator) -> State
    /// The state after `action`, its reward, and whether the episode has terminated.
    func step(_ state: State, _ action: Action) -> EnvironmentTransition<State>
    /// The observation of `state`, written to `out` (`observationSize` values).
    func observe(_ state: State, into out: UnsafeMutableBufferPointer<Float>)
}

/// An environment whose actions are 0 … actionCount − 1 (gymnasium's `Discrete`).
public protocol DiscreteEnvironment: Environment where Action == Int {
    var actionCount: Int { get }
}

/// An environment whose actions are real vectors in a box (gymnasium's `Box`); actions outside
/// the box are clipped by the dynamics, as gymnasium's are. Only these can take a pathwise
/// (reparameterized) policy gradient through the action: SAC, TD3 and DDPG require one.
public protocol ContinuousEnvironment: Environment where Action == [Float] {
    var actionLow: [Float] { get }
    var actionHigh: [Float] { get }
}

extension ContinuousEnvironment {
    public var actionSize: Int { actionLow.count }
}

/// What one step produced.
public struct EnvironmentTransition<State: EnvironmentState>: Sendable {
    public var state: State
    public var reward: Double
    /// The episode reached a terminal state (not a time limit): nothing follows it to bootstrap.
    public var terminated: Bool

    public init(state: State, reward: Double, terminated: Bool) {
        (self.state, self.reward, self.terminated) = (state, reward, terminated)
    }
}

/// A state as plain numbers: what checkpoints store and fixtures compare (gymnasium's
/// `env.unwrapped.state`, in its order).
public protocol EnvironmentState: Sendable, Equatable {
    var values: [Double] { get }
    /// nil when `values` has the wrong length or a non-finite entry.
    init?(values: [Double])
}

extension Environment {
    /// The observation of `state` as an array.
    public func observation(_ state: State) -> [Float] {
        [Float](unsafeUninitializedCapacity: observationSize) { buffer, count in
            observe(state, into: buffer)
            count = observationSize
        }
    }
}

/// Draws uniform(low, high) as numpy's `Generator.uniform` does: low + (high − low)·u, u ∈ [0, 1)
/// with 53 random bits.
func uniform(_ low: Double, _ high: Double, using generator: inout PhiloxGenerator) -> Double {
    let u = Double(generator.next() >> 11) * 0x1p-53
    return low + (high - low) * u
}
