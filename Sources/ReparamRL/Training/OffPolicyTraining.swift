import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor

/// The training loop of an off-policy agent on N copies of a continuous-action environment:
/// collect a batch step (random actions during the warm-up), store it, and every
/// `trainFrequency` steps take `gradientSteps` updates on minibatches from the buffer.
/// Steps count environment transitions over all copies, as stable-baselines3 counts them.
public struct OffPolicyTraining<Base: ContinuousEnvironment, Agent: OffPolicyAgent> {
    public var agent: Agent
    public var environments: VectorEnvironment<Base>
    public var buffer: ReplayBuffer
    public var observations: Tensor
    /// The exploration noise's state, for agents that add noise to a deterministic policy.
    public var noise: ExplorationNoiseProcess?
    /// Environment steps taken so far (all copies).
    public internal(set) var step = 0
    public internal(set) var updates = 0
    public let key: RandomKey
    /// The last update's measurements.
    public internal(set) var lastMetrics: [String: Float] = [:]
    /// Returns of the episodes finished during training, in order.
    public internal(set) var trainingReturns: [Double] = []

    public init(agent: Agent, environment: Base, copies: Int = 1, key: RandomKey) {
        let keys = key.split(2)
        self.agent = agent
        self.key = keys[1]
        environments = VectorEnvironment(environment, count: copies, key: keys[0])
        buffer = ReplayBuffer(
            capacity: agent.schedule.bufferSize, observationSize: environment.observationSize,
            actionSize: environment.actionSize)
        observations = environments.observations
        noise = agent.explorationNoise.map {
            ExplorationNoiseProcess($0, copies: copies, actionSize: environment.actionSize)
        }
    }

    /// One batch step of the copies, then the updates that are due.
    public mutating func advance() throws {
        let schedule = agent.schedule
        let n = environments.count
        let stepKey = key.fold(in: UInt64(step))
        var unit: Tensor
        if step < schedule.learningStarts {
            unit = stepKey.uniform([n, environments.base.actionSize], low: -1, high: 1)
        } else {
            unit = agent.act(observations, key: stepKey, deterministic: noise != nil)
        }
        // As stable-baselines3 does, the noise is added to the warm-up's random actions too.
        if noise != nil { unit = clamp(unit + noise!.next(key: key.fold(in: 1 << 41 | UInt64(step))), min: -1, max: 1) }
        let result = environments.step(environments.base.scaledActions(unit))
        buffer.add(observations: observations, actions: unit, step: result)
        trainingReturns += result.finishedEpisodes.map(\.return)
        for episode in result.finishedEpisodes { noise?.reset(copy: episode.copy) }
        observations = result.observations
        let before = step
        step += n
        // Updates fall due every trainFrequency steps once the warm-up is over (SB3: after a
        // step that brings the count past learning_starts).
        let due = (before / schedule.trainFrequency) != (step / schedule.trainFrequency)
        guard due, step > schedule.learningStarts else { return }
        for _ in 0..<schedule.gradientSteps {
            let updateKey = key.fold(in: 1 << 40 | UInt64(updates))
            let keys = updateKey.split(2)
            let batch = buffer.sample(schedule.batchSize, key: keys[0])
            do {
                lastMetrics.merge(try agent.update(batch, key: keys[1], step: updates)) { $1 }
            } catch let error as NonFiniteTrainingError {
                // Name the environment step, as the on-policy loop does; the update count follows.
                throw NonFiniteTrainingError(step: step, detail: "update \(updates): \(error.detail)")
            }
            updates += 1
        }
    }

    /// The deterministic policy's returns over `episodes` fresh episodes.
    public func evaluate(episodes: Int, key: RandomKey) -> Evaluation {
        let agent = self.agent
        let base = environments.base
        return ReparamRL.evaluate(base, episodes: episodes, key: key) { observations in
            base.scaledActions(agent.act(observations, key: key, deterministic: true))
        }
    }
}
