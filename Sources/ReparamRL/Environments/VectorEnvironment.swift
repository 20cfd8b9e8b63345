import ReparamRandom
import ReparamTensor

/// N copies of an environment stepped as one batch, each with its own episode: the time limit is
/// counted per copy, and a copy whose episode ends is reset in the same step (the returned
/// observation is then the new episode's first, and the last one of the ended episode is in
/// `finalObservations`, for bootstrapping a truncated episode from its value).
///
/// Copy i's e-th episode starts from `key.fold(in: i).fold(in: e)`, so the start states depend on
/// the key alone, not on how the copies' episodes interleave.
public struct VectorEnvironment<Base: Environment>: Sendable {
    public let base: Base
    public let key: RandomKey
    public private(set) var states: [Base.State]
    /// Steps taken in each copy's current episode.
    public private(set) var episodeSteps: [Int]
    /// Sum of rewards so far in each copy's current episode.
    public private(set) var episodeReturns: [Double]
    /// Episodes each copy has started (the current one included).
    public private(set) var episodesStarted: [UInt64]

    public var count: Int { states.count }

    /// `count` copies, each reset.
    public init(_ base: Base, count: Int, key: RandomKey) {
        precondition(count >= 1, "VectorEnvironment: needs at least one copy, got \(count)")
        self.base = base
        self.key = key
        states = (0..<count).map { Self.start(base, key: key, copy: $0, episode: 0) }
        episodeSteps = [Int](repeating: 0, count: count)
        episodeReturns = [Double](repeating: 0, count: count)
        episodesStarted = [UInt64](repeating: 1, count: count)
    }

    /// Resumes copies exactly where a checkpoint left them.
    public init?(
        _ base: Base, key: RandomKey, states: [Base.State], episodeSteps: [Int], episodeReturns: [Double],
        episodesStarted: [UInt64]
    ) {
        let n = states.count
        guard n >= 1, episodeSteps.count == n, episodeReturns.count == n, episodesStarted.count == n,
            episodeSteps.allSatisfy({ (0..<base.timeLimit).contains($0) }), episodesStarted.allSatisfy({ $0 >= 1 })
        else { return nil }
        self.base = base
        self.key = key
        self.states = states
        self.episodeSteps = episodeSteps
        self.episodeReturns = episodeReturns
        self.episodesStarted = episodesStarted
    }

    static func start(_ base: Base, key: RandomKey, copy: Int, episode: UInt64) -> Base.State {
        var generator = key.fold(in: UInt64(copy)).fold(in: episode).makeGenerator()
        return base.reset(using: &generator)
    }

    /// The copies' current observations, [N, observationSize].
    public var observations: Tensor {
        let size = base.observationSize
        var scalars = [Float](repeating: 0, count: count * size)
        scalars.withUnsafeMutableBufferPointer { buffer in
            for (i, state) in states.enumerated() {
                base.observe(state, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * size)..<((i + 1) * size)]))
            }
        }
        return Tensor(shape: [count, size], scalars: scalars)
    }

    /// Applies one action per copy.
    public mutating func step(_ actions: [Base.Action]) -> VectorStep {
        precondition(actions.count == count, "VectorEnvironment: \(actions.count) actions for \(count) copies")
        var result = VectorStep(count: count)
        for i in 0..<count {
            let transition = base.step(states[i], actions[i])
            episodeSteps[i] += 1
            episodeReturns[i] += transition.reward
            result.rewards[i] = Float(transition.reward)
            result.terminated[i] = transition.terminated
            result.truncated[i] = !transition.terminated && episodeSteps[i] >= base.timeLimit
            states[i] = transition.state
            guard transition.terminated || result.truncated[i] else { continue }
            result.finalObservations[i] = base.observation(transition.state)
            result.finishedEpisodes.append(
                FinishedEpisode(
                    copy: i, return: episodeReturns[i], length: episodeSteps[i],
                    terminated: transition.terminated))
            states[i] = Self.start(base, key: key, copy: i, episode: episodesStarted[i])
            episodesStarted[i] += 1
            episodeSteps[i] = 0
            episodeReturns[i] = 0
        }
        result.observations = observations
        return result
    }
}

/// One batch step of a `VectorEnvironment`.
public struct VectorStep: Sendable {
    /// [N, observationSize]: the next observations, the new episode's first for a copy that ended.
    public var observations: Tensor
    public var rewards: [Float]
    /// The episode reached a terminal state: its value after this step is zero.
    public var terminated: [Bool]
    /// The episode hit the time limit: it was cut, and its value is bootstrapped from
    /// `finalObservations`.
    public var truncated: [Bool]
    /// For each copy that ended, the observation of the state it ended in.
    public var finalObservations: [Int: [Float]]
    public var finishedEpisodes: [FinishedEpisode]

    init(count: Int) {
        observations = Tensor(shape: [0], scalars: [])
        rewards = [Float](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = [Bool](repeating: false, count: count)
        finalObservations = [:]
        finishedEpisodes = []
    }
}

/// An episode that ended during a batch step.
public struct FinishedEpisode: Sendable, Equatable {
    public var copy: Int
    public var `return`: Double
    public var length: Int
    /// true: reached a terminal state; false: cut by the time limit.
    public var terminated: Bool
}
