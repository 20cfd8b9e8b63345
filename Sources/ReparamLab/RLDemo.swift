import Foundation
import Reparam

/// The demo's reinforcement-learning part: a score-function agent solving CartPole, and the
/// pathwise/score-function gap measured on a SAC critic.
public enum RLDemo {
    public static func run(ppoSteps: Int, sacSteps: Int, seed: UInt64) throws -> [LabResult] {
        var results: [LabResult] = []
        if ppoSteps > 0 {
            let options = RLRunOptions(
                environment: .cartpole, algorithm: .ppo, steps: ppoSteps, seed: seed,
                evaluationInterval: max(1, ppoSteps / 5), evaluationEpisodes: 10)
            let run = try trainRL(options)
            var table = Table(header: ["step", "seconds", "eval return (mean ± std)"])
            table.rows = run.records.map {
                [
                    String($0.step), formatted($0.seconds),
                    "\(formatted($0.evaluation.mean)) ± \(formatted($0.evaluation.standardDeviation))",
                ]
            }
            let last = run.records.last!
            results.append(
                LabResult(
                    title: "PPO on CartPole-v1 (score-function policy gradient)",
                    headline: [
                        String(
                            format: "%d steps in %.1f s with the zoo's tuned settings; final return %.0f of 500 "
                                + "(`reparam rl train --env cartpole --algo ppo --steps 100000`).",
                            last.step, last.seconds, last.evaluation.mean)
                    ],
                    table: table, records: [], charts: []))
        }
        if sacSteps > 0 {
            let problem = try PolicyGradientProblem.trainingSAC(
                on: .pendulum, trainingSteps: sacSteps, seed: seed, states: 128, baselineDraws: 32)
            results.append(
                PolicyGradientLab.compare(
                    problem, samples: 200, key: RandomKey(seed: seed).fold(in: 1 << 53),
                    source: "SAC trained \(sacSteps) steps on Pendulum-v1; `reparam lab policy-gradient` trains 5000"))
        }
        return results
    }
}
