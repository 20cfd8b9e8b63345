import Foundation
import ReparamRandom

/// gymnasium's CartPole-v1 (Barto, Sutton & Anderson 1983): push a cart left or right (±10 N)
/// to keep a pole upright. Explicit Euler with τ = 0.02 s; terminates when |x| > 2.4 or
/// |θ| > 12°; reward 1 per step (the terminating one included); 500 steps.
public struct CartPole: DiscreteEnvironment {
    public struct State: EnvironmentState {
        public var x, xDot, theta, thetaDot: Double

        public init(x: Double, xDot: Double, theta: Double, thetaDot: Double) {
            (self.x, self.xDot, self.theta, self.thetaDot) = (x, xDot, theta, thetaDot)
        }

        public var values: [Double] { [x, xDot, theta, thetaDot] }

        public init?(values: [Double]) {
            guard values.count == 4, values.allSatisfy(\.isFinite) else { return nil }
            self.init(x: values[0], xDot: values[1], theta: values[2], thetaDot: values[3])
        }
    }

    public static let gymnasiumID = "CartPole-v1"
    static let gravity = 9.8, massCart = 1.0, massPole = 0.1, halfLength = 0.5, forceMagnitude = 10.0, tau = 0.02
    static let totalMass = massPole + massCart, poleMassLength = massPole * halfLength
    static let thetaThreshold = 12 * 2 * Double.pi / 360, xThreshold = 2.4

    public init() {}

    public var observationSize: Int { 4 }
    public var observationLow: [Float] { observationHigh.map { -$0 } }
    public var observationHigh: [Float] {
        [Float(Self.xThreshold * 2), .infinity, Float(Self.thetaThreshold * 2), .infinity]
    }
    public var timeLimit: Int { 500 }
    public var actionCount: Int { 2 }

    public func reset(using generator: inout PhiloxGenerator) -> State {
        State(
            x: uniform(-0.05, 0.05, using: &generator), xDot: uniform(-0.05, 0.05, using: &generator),
            theta: uniform(-0.05, 0.05, using: &generator), thetaDot: uniform(-0.05, 0.05, using: &generator))
    }

    public func step(_ s: State, _ action: Int) -> EnvironmentTransition<State> {
        precondition(action == 0 || action == 1, "CartPole: action \(action) is not 0 or 1")
        let force = action == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let (cosTheta, sinTheta) = (cos(s.theta), sin(s.theta))
        let temp = (force + Self.poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc =
            (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.halfLength * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        let next = State(
            x: s.x + Self.tau * s.xDot, xDot: s.xDot + Self.tau * xAcc,
            theta: s.theta + Self.tau * s.thetaDot, thetaDot: s.thetaDot + Self.tau * thetaAcc)
        let terminated =
            next.x < -Self.xThreshold || next.x > Self.xThreshold
            || next.theta < -Self.thetaThreshold || next.theta > Self.thetaThreshold
        return EnvironmentTransition(state: next, reward: 1, terminated: terminated)
    }

    public func observe(_ s: State, into out: UnsafeMutableBufferPointer<Float>) {
        (out[0], out[1], out[2], out[3]) = (Float(s.x), Float(s.xDot), Float(s.theta), Float(s.thetaDot))
    }
}
