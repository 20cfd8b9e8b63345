/// The environments by the names the command line uses.
public enum EnvironmentKind: String, CaseIterable, Codable, Sendable {
    case cartpole, acrobot, pendulum
    case mountainCarContinuous = "mountaincar-continuous"

    /// gymnasium's id of the environment.
    public var gymnasiumID: String {
        switch self {
        case .cartpole: CartPole.gymnasiumID
        case .acrobot: Acrobot.gymnasiumID
        case .pendulum: Pendulum.gymnasiumID
        case .mountainCarContinuous: MountainCarContinuous.gymnasiumID
        }
    }

    /// Whether actions are continuous (what SAC, TD3 and DDPG need).
    public var hasContinuousActions: Bool {
        switch self {
        case .cartpole, .acrobot: false
        case .pendulum, .mountainCarContinuous: true
        }
    }
}
