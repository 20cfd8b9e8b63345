import Foundation
import ReparamRandom
import ReparamTensor

/// Returns of a policy's evaluation episodes.
public struct Evaluation: Codable, Sendable, Equatable {
    public var returns: [Double]
    public var lengths: [Int]

    public var mean: Double { returns.reduce(0, +) / Double(returns.count) }
    /// Population standard deviation, as stable-baselines3's `evaluate_policy` reports it.
    public var standardDeviation: Double {
        let m = mean
        return (returns.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(returns.count)).squareRoot()
    }
}

/// Runs `episodes` episodes at once (one copy each, started from `key`) with `policy`, which maps
/// observations [N, obs] to actions, and collects each copy's first episode.
public func evaluate<E: Environment>(
    _ environment: E, episodes: Int, key: RandomKey, policy: (Tensor) -> [E.Action]
) -> Evaluation {
    precondition(episodes >= 1, "evaluate: needs at least one episode")
    var copies = VectorEnvironment(environment, count: episodes, key: key)
    var returns = [Double?](repeating: nil, count: episodes)
    var lengths = [Int](repeating: 0, count: episodes)
    var observations = copies.observations
    while returns.contains(where: { $0 == nil }) {
        let step = copies.step(policy(observations))
        for finished in step.finishedEpisodes where returns[finished.copy] == nil {
            returns[finished.copy] = finished.return
            lengths[finished.copy] = finished.length
        }
        observations = step.observations
    }
    return Evaluation(returns: returns.map { $0! }, lengths: lengths)
}

extension ContinuousEnvironment {
    /// Actions in (−1, 1)ᵈ mapped affinely onto the action box [low, high], row by row.
    public func scaledActions(_ unit: Tensor) -> [[Float]] {
        let d = actionSize
        precondition(unit.rank == 2 && unit.shape[1] == d, "scaledActions: expected [N, \(d)], got \(unit.shape)")
        let (low, high) = (actionLow, actionHigh)
        return (0..<unit.shape[0]).map { i in
            (0..<d).map { j in low[j] + (unit.scalars[i * d + j] + 1) / 2 * (high[j] - low[j]) }
        }
    }
}
