import Foundation
import ReparamRandom

/// gymnasium's MountainCarContinuous-v0 (Moore 1990): an underpowered car in a valley must
/// rock back and forth to reach the flag at x ≥ 0.45. v' = clip(v + 0.0015·a − 0.0025·cos 3x,
/// ±0.07), x' = clip(x + v', −1.2, 0.6) (a stop at the left wall); reward 100 on reaching the
/// goal minus 0.1·a² per step (a unclipped); starts at x ∈ [−0.6, −0.4], v = 0; 999 steps.
public struct MountainCarContinuous: ContinuousEnvironment {
    public struct State: EnvironmentState {
        public var position, velocity: Double

        public init(position: Double, velocity: Double) { (self.position, self.velocity) = (position, velocity) }

        public var values: [Double] { [position, velocity] }

        public init?(values: [Double]) {
            guard values.count == 2, values.allSatisfy(\.isFinite) else { return nil }
            self.init(position: values[0], velocity: values[1])
        }
    }

    public static let gymnasiumID = "MountainCarContinuous-v0"
    static let minPosition = -1.2, maxPosition = 0.6, maxSpeed = 0.07, goalPosition = 0.45, power = 0.0015

    public init() {}

    public var observationSize: Int { 2 }
    public var observationLow: [Float] { [Float(Self.minPosition), Float(-Self.maxSpeed)] }
    public var observationHigh: [Float] { [Float(Self.maxPosition), Float(Self.maxSpeed)] }
    public var timeLimit: Int { 999 }
    public var actionLow: [Float] { [-1] }
    public var actionHigh: [Float] { [1] }

    public func reset(using generator: inout PhiloxGenerator) -> State {
        State(position: uniform(-0.6, -0.4, using: &generator), velocity: 0)
    }

    /// gymnasium keeps the state in float32 between steps (float64 right after a reset), and with
    /// NumPy's promotion rules a float32 operand keeps a product or sum in float32. The step below
    /// follows those precisions operation by operation, so its states match gymnasium's bit for bit.
    public func step(_ s: State, _ action: [Float]) -> EnvironmentTransition<State> {
        precondition(action.count == 1, "MountainCarContinuous: an action has 1 value, got \(action.count)")
        // A state is float32 exactly when both values are float32-representable: every step stores
        // float32, and a reset's random float64 position almost never is one (p ≈ 2⁻²⁹).
        let single = Double(Float(s.position)) == s.position && Double(Float(s.velocity)) == s.velocity
        let clipped = action[0] < -1 || action[0] > 1  // then gymnasium's force is a Python float
        let force = Swift.min(Swift.max(action[0], -1), 1)
        let slope = 0.0025 * cos(single ? Double(3 * Float(s.position)) : 3 * s.position)
        // Δv = force·power − slope: float32 unless the force was clipped to a Python float.
        let change = clipped ? Double(force) * Self.power - slope : Double(force * Float(Self.power) - Float(slope))
        var velocity =
            single ? Double(Float(s.velocity) + Float(change)) : s.velocity + change
        velocity = Swift.min(Swift.max(velocity, -Self.maxSpeed), Self.maxSpeed)
        var position = single ? Double(Float(s.position) + Float(velocity)) : s.position + velocity
        position = Swift.min(Swift.max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        let terminated =
            single
            ? Float(position) >= Float(Self.goalPosition) && velocity >= 0
            : position >= Self.goalPosition && velocity >= 0
        let reward = (terminated ? 100 : 0) - Double(action[0]) * Double(action[0]) * 0.1
        let next = State(position: Double(Float(position)), velocity: Double(Float(velocity)))
        return EnvironmentTransition(state: next, reward: reward, terminated: terminated)
    }

    public func observe(_ s: State, into out: UnsafeMutableBufferPointer<Float>) {
        (out[0], out[1]) = (Float(s.position), Float(s.velocity))
    }
}
