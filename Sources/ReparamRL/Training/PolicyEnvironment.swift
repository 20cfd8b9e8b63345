import ReparamTensor

/// An environment with the policy family a score-function agent uses on it, chosen from the
/// action space as stable-baselines3 chooses it: Categorical for `Discrete`, a diagonal Gaussian
/// for `Box`.
public protocol PolicyEnvironment: Environment {
    associatedtype Policy: StochasticPolicy
    /// Width of the policy's action rows: 1 (a class index) or the action's dimension.
    var policyActionWidth: Int { get }
    /// How many outputs the policy network has: the class count or the action's dimension.
    var policyOutputs: Int { get }
    /// The environment actions for the policy's action rows [B, width].
    func actions(fromPolicy actions: Tensor) -> [Action]
}

extension PolicyEnvironment where Self: DiscreteEnvironment {
    public var policyActionWidth: Int { 1 }
    public var policyOutputs: Int { actionCount }
    public func actions(fromPolicy actions: Tensor) -> [Int] { actions.scalars.map { Int($0) } }
}

extension PolicyEnvironment where Self: ContinuousEnvironment {
    public var policyActionWidth: Int { actionSize }
    public var policyOutputs: Int { actionSize }
    /// Gaussian draws clipped to the action box (the stored action stays unclipped).
    public func actions(fromPolicy actions: Tensor) -> [[Float]] {
        let d = actionSize
        return (0..<actions.shape[0]).map { i in
            (0..<d).map { j in min(max(actions.scalars[i * d + j], actionLow[j]), actionHigh[j]) }
        }
    }
}

extension CartPole: PolicyEnvironment { public typealias Policy = CategoricalPolicy }
extension Acrobot: PolicyEnvironment { public typealias Policy = CategoricalPolicy }
extension Pendulum: PolicyEnvironment { public typealias Policy = GaussianPolicy }
extension MountainCarContinuous: PolicyEnvironment { public typealias Policy = GaussianPolicy }
