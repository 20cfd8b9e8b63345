import Foundation
import ReparamRandom
import ReparamTensor

/// The noise a deterministic policy adds to its actions (in the (−1, 1) action units) while
/// collecting experience, as rl-baselines3-zoo configures it per environment.
public enum ExplorationNoise: Codable, Sendable, Equatable {
    /// Independent N(0, σ²) per step.
    case normal(standardDeviation: Float)
    /// A mean-reverting Ornstein-Uhlenbeck process per environment copy (θ = 0.15, dt = 0.01),
    /// x ← x − θ·x·dt + σ·√dt·ε, restarted from 0 when that copy's episode ends; its correlated
    /// pushes explore environments with momentum such as MountainCar.
    case ornsteinUhlenbeck(standardDeviation: Float)
}

/// The running state of an `ExplorationNoise` over N environment copies.
public struct ExplorationNoiseProcess: Sendable {
    public let noise: ExplorationNoise
    /// The Ornstein-Uhlenbeck state, [copies, act] (zeros for normal noise).
    public private(set) var state: Tensor

    static let theta: Float = 0.15
    static let dt: Float = 0.01

    public init(_ noise: ExplorationNoise, copies: Int, actionSize: Int) {
        self.noise = noise
        state = Tensor(repeating: 0, shape: [copies, actionSize])
    }

    /// The next noise sample, [copies, act].
    public mutating func next(key: RandomKey) -> Tensor {
        let epsilon = key.normal(state.shape)
        switch noise {
        case .normal(let sigma):
            return sigma * epsilon
        case .ornsteinUhlenbeck(let sigma):
            state = state - (Self.theta * Self.dt) * state + (sigma * Self.dt.squareRoot()) * epsilon
            return state
        }
    }

    /// Continues from a saved state of the same shape.
    public mutating func restore(state saved: Tensor) {
        precondition(
            saved.shape == state.shape, "ExplorationNoiseProcess: saved state \(saved.shape), need \(state.shape)")
        state = saved
    }

    /// Restarts copy `copy`'s process (its episode ended).
    public mutating func reset(copy: Int) {
        guard case .ornsteinUhlenbeck = noise else { return }
        var values = state.scalars
        let width = state.shape[1]
        for j in 0..<width { values[copy * width + j] = 0 }
        state = Tensor(shape: state.shape, scalars: values)
    }
}
