import Foundation
import ReparamRandom

/// gymnasium's Acrobot-v1 (Sutton 1996; the book's dynamics): two links hang from a pivot and a
/// torque of −1, 0 or +1 acts on the joint between them; the episode ends when the free end
/// rises one link length above the pivot (−cos θ₁ − cos(θ₁ + θ₂) > 1). One RK4 step of
/// dt = 0.2 s per action, angles wrapped to [−π, π], velocities bounded to 4π and 9π; reward −1
/// per step and 0 on the terminating one; 500 steps.
public struct Acrobot: DiscreteEnvironment {
    public struct State: EnvironmentState {
        public var theta1, theta2, dTheta1, dTheta2: Double

        public init(theta1: Double, theta2: Double, dTheta1: Double, dTheta2: Double) {
            (self.theta1, self.theta2, self.dTheta1, self.dTheta2) = (theta1, theta2, dTheta1, dTheta2)
        }

        public var values: [Double] { [theta1, theta2, dTheta1, dTheta2] }

        public init?(values: [Double]) {
            guard values.count == 4, values.allSatisfy(\.isFinite) else { return nil }
            self.init(theta1: values[0], theta2: values[1], dTheta1: values[2], dTheta2: values[3])
        }
    }

    public static let gymnasiumID = "Acrobot-v1"
    static let dt = 0.2, maxVelocity1 = 4 * Double.pi, maxVelocity2 = 9 * Double.pi
    static let torques: [Double] = [-1, 0, 1]

    public init() {}

    public var observationSize: Int { 6 }
    public var observationLow: [Float] { observationHigh.map { -$0 } }
    public var observationHigh: [Float] { [1, 1, 1, 1, Float(Self.maxVelocity1), Float(Self.maxVelocity2)] }
    public var timeLimit: Int { 500 }
    public var actionCount: Int { 3 }

    /// Uniform in ±0.1, rounded to float32 as gymnasium stores the reset state.
    public func reset(using generator: inout PhiloxGenerator) -> State {
        let v = (0..<4).map { _ in Double(Float(uniform(-0.1, 0.1, using: &generator))) }
        return State(theta1: v[0], theta2: v[1], dTheta1: v[2], dTheta2: v[3])
    }

    public func step(_ s: State, _ action: Int) -> EnvironmentTransition<State> {
        precondition((0..<3).contains(action), "Acrobot: action \(action) is not 0, 1 or 2")
        let torque = Self.torques[action]
        var y = rungeKutta4(SIMD4(s.theta1, s.theta2, s.dTheta1, s.dTheta2), torque: torque)
        y[0] = wrap(y[0])
        y[1] = wrap(y[1])
        y[2] = Swift.min(Swift.max(y[2], -Self.maxVelocity1), Self.maxVelocity1)
        y[3] = Swift.min(Swift.max(y[3], -Self.maxVelocity2), Self.maxVelocity2)
        let next = State(theta1: y[0], theta2: y[1], dTheta1: y[2], dTheta2: y[3])
        let terminated = -cos(next.theta1) - cos(next.theta2 + next.theta1) > 1.0
        return EnvironmentTransition(state: next, reward: terminated ? 0 : -1, terminated: terminated)
    }

    public func observe(_ s: State, into out: UnsafeMutableBufferPointer<Float>) {
        (out[0], out[1], out[2]) = (Float(cos(s.theta1)), Float(sin(s.theta1)), Float(cos(s.theta2)))
        (out[3], out[4], out[5]) = (Float(sin(s.theta2)), Float(s.dTheta1), Float(s.dTheta2))
    }

    /// One classic RK4 step over dt, in gymnasium's order of operations.
    func rungeKutta4(_ y0: SIMD4<Double>, torque: Double) -> SIMD4<Double> {
        let (dt, dt2) = (Self.dt, Self.dt / 2.0)
        let k1 = derivative(y0, torque)
        let k2 = derivative(y0 + dt2 * k1, torque)
        let k3 = derivative(y0 + dt2 * k2, torque)
        let k4 = derivative(y0 + dt * k3, torque)
        return y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    }

    /// (θ̇₁, θ̇₂, θ̈₁, θ̈₂) of the book's equations (unit masses, lengths and inertias; centres of
    /// mass at 0.5; g = 9.8).
    func derivative(_ s: SIMD4<Double>, _ a: Double) -> SIMD4<Double> {
        let (m1, m2, l1, lc1, lc2, inertia1, inertia2, g) = (1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 9.8)
        let (theta1, theta2, dTheta1, dTheta2) = (s[0], s[1], s[2], s[3])
        let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(theta2)) + inertia1 + inertia2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + inertia2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 =
            -m2 * l1 * lc2 * (dTheta2 * dTheta2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dTheta2 * dTheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let numerator = a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dTheta1 * dTheta1) * sin(theta2) - phi2
        let ddTheta2 = numerator / (m2 * (lc2 * lc2) + inertia2 - (d2 * d2) / d1)
        let ddTheta1 = -(d2 * ddTheta2 + phi1) / d1
        return SIMD4(dTheta1, dTheta2, ddTheta1, ddTheta2)
    }

    /// x moved by whole turns into [−π, π].
    func wrap(_ x: Double) -> Double {
        var x = x
        while x > Double.pi { x -= 2 * Double.pi }
        while x < -Double.pi { x += 2 * Double.pi }
        return x
    }
}
