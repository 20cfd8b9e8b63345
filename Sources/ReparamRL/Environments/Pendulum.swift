import Foundation
import ReparamRandom

/// gymnasium's Pendulum-v1: swing a pendulum up and hold it with a torque in [−2, 2].
/// θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, ±8), θ' = θ + θ̇'·dt with g = 10, m = l = 1,
/// dt = 0.05; reward −(angle(θ)² + 0.1·θ̇² + 0.001·u²) with the angle normalized to [−π, π);
/// starts uniform in θ ∈ [−π, π], θ̇ ∈ [−1, 1]; never terminates; 200 steps.
public struct Pendulum: ContinuousEnvironment {
    public struct State: EnvironmentState {
        public var theta, thetaDot: Double

        public init(theta: Double, thetaDot: Double) { (self.theta, self.thetaDot) = (theta, thetaDot) }

        public var values: [Double] { [theta, thetaDot] }

        public init?(values: [Double]) {
            guard values.count == 2, values.allSatisfy(\.isFinite) else { return nil }
            self.init(theta: values[0], thetaDot: values[1])
        }
    }

    public static let gymnasiumID = "Pendulum-v1"
    static let maxSpeed = 8.0, maxTorque: Float = 2, dt = 0.05, g = 10.0, m = 1.0, l = 1.0

    public init() {}

    public var observationSize: Int { 3 }
    public var observationLow: [Float] { observationHigh.map { -$0 } }
    public var observationHigh: [Float] { [1, 1, Float(Self.maxSpeed)] }
    public var timeLimit: Int { 200 }
    public var actionLow: [Float] { [-Self.maxTorque] }
    public var actionHigh: [Float] { [Self.maxTorque] }

    public func reset(using generator: inout PhiloxGenerator) -> State {
        State(theta: uniform(-Double.pi, Double.pi, using: &generator), thetaDot: uniform(-1, 1, using: &generator))
    }

    public func step(_ s: State, _ action: [Float]) -> EnvironmentTransition<State> {
        precondition(action.count == 1, "Pendulum: an action has 1 value, got \(action.count)")
        // The torque stays float32 where gymnasium's does (u·u and 3·u are float32 products).
        let u = Swift.min(Swift.max(action[0], -Self.maxTorque), Self.maxTorque)
        let cost =
            normalizedAngle(s.theta) * normalizedAngle(s.theta) + 0.1 * (s.thetaDot * s.thetaDot)
            + Double(0.001 * (u * u))
        let torqueTerm = Double(Float(3.0 / (Self.m * Self.l * Self.l)) * u)
        let acceleration = 3 * Self.g / (2 * Self.l) * sin(s.theta) + torqueTerm
        let thetaDot = Swift.min(Swift.max(s.thetaDot + acceleration * Self.dt, -Self.maxSpeed), Self.maxSpeed)
        let next = State(theta: s.theta + thetaDot * Self.dt, thetaDot: thetaDot)
        return EnvironmentTransition(state: next, reward: -cost, terminated: false)
    }

    public func observe(_ s: State, into out: UnsafeMutableBufferPointer<Float>) {
        (out[0], out[1], out[2]) = (Float(cos(s.theta)), Float(sin(s.theta)), Float(s.thetaDot))
    }

    /// ((x + π) mod 2π) − π with a non-negative remainder, as Python's % gives.
    func normalizedAngle(_ x: Double) -> Double {
        let r = (x + Double.pi).truncatingRemainder(dividingBy: 2 * Double.pi)
        return (r < 0 ? r + 2 * Double.pi : r) - Double.pi
    }
}
