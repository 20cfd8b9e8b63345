import ArgumentParser
import Foundation
import Reparam
import ReparamLab

extension PreferenceMethod: ExpressibleByArgument {}

struct PreferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pref",
        abstract: "Preference optimization (RLHF with PPO, REINFORCE, RLOO, DPO, IPO) against the exact optimum.",
        subcommands: [PreferenceTrainCommand.self, PreferenceCompareCommand.self])
}

struct PreferenceTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a policy to preference pairs and evaluate it exactly against π* ∝ π_ref·exp(r*/β).",
        discussion: """
            Sequences: up to 6 tokens from a 7-letter alphabet, then an end token (137,257 in all, \
            enumerated exactly). π_ref is fitted by maximum likelihood to a corpus from a fixed key; \
            the pairs are drawn from π_ref and labelled by the Bradley-Terry model on a hidden reward \
            r*. The RL methods first fit a reward model to the same pairs.

            Example:
              reparam pref train --method dpo --beta 0.1 --json
            """)

    @Option(help: "Method: \(PreferenceMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: PreferenceMethod
    @Option(parsing: .unconditional, help: "KL weight β of the objective E[r*] − β·KL(π‖π_ref).") var beta = 0.1
    @Option(parsing: .unconditional, help: "Preference pairs.") var pairs = 100_000
    @Option(
        parsing: .unconditional,
        help:
            "Gradient steps (RL methods: one batch of 64 samples each; default 10000 for dpo and ipo, 2000 otherwise).")
    var steps: Int?

    var stepCount: Int { steps ?? (method.samples ? 2000 : 10_000) }
    @Option(
        help: "Seed (the problem: corpus, π_ref, reward, pairs; and the method's draws).",
        transform: seedArgument) var seed: UInt64 = 0
    @Option(
        help: "Folder for an exported CSV of every sequence: π, π_ref, π*, r*.",
        transform: pathArgument) var export: String?
    @Flag(help: "Print one JSON object as the last line.") var json = false
    @OptionGroup var kernels: KernelOptions

    var configuration: PreferenceConfiguration {
        PreferenceConfiguration(method: method, beta: beta, pairs: pairs, steps: stepCount, seed: seed)
    }

    func validate() throws {
        do { try configuration.validate() } catch let error as PreferenceError {
            throw ValidationError(error.description)
        }
        if let export { try checkWritableFolder(export, flag: "--export") }
    }

    func run() throws {
        FileHandle.standardError.write(Data("building the problem (corpus, π_ref, pairs, π*)…\n".utf8))
        typealias Outcome = (PreferenceProblem, SequencePolicy, PreferenceResult)
        let (problem, policy, result) = try kernels.applied { () throws -> Outcome in
            let problem = PreferenceProblem(beta: beta, pairCount: pairs, key: RandomKey(seed: seed))
            var bar = ProgressBar(total: stepCount, unit: "steps", metric: "step")
            bar.start(label: "\(method.rawValue) β=\(beta)", done: 0)
            let (policy, result) = try trainPreference(configuration, problem: problem) {
                bar.update(done: $0, loss: Double($0))
            }
            bar.finish()
            return (problem, policy, result)
        }
        if let export { try exportCSV(problem, policy, to: export) }
        let e = result.evaluation, o = result.optimum
        if json {
            let object: [String: Any] = [
                "method": method.rawValue, "beta": beta, "pairs": pairs, "steps": stepCount, "seed": seed,
                "true_reward": e.trueReward, "kl_to_reference": e.klToReference, "kl_to_optimum": e.klToOptimum,
                "objective": e.objective, "optimum_reward": o.trueReward, "optimum_kl_to_reference": o.klToReference,
                "optimum_objective": o.objective, "seconds": result.seconds, "sampled_tokens": result.sampledTokens,
                "reward_model_accuracy": result.rewardModelAccuracy ?? NSNull(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                String(
                    format: "%@ at β = %g after %d steps (%.1f s, %d sampled tokens)", method.rawValue, beta, stepCount,
                    result.seconds, result.sampledTokens))
            print(
                String(
                    format: "  true reward %.4f (optimum %.4f), KL(π‖π_ref) %.4f (optimum %.4f)", e.trueReward,
                    o.trueReward, e.klToReference, o.klToReference))
            print(
                String(
                    format: "  objective %.4f = %.1f%% of the optimum's %.4f; KL(π*‖π) %.4f nats", e.objective,
                    100 * e.objective / o.objective, o.objective, e.klToOptimum))
        }
    }

    func exportCSV(_ problem: PreferenceProblem, _ policy: SequencePolicy, to folder: String) throws {
        let logp = policy.exactLogProbabilities()
        var text = "sequence,policy_probability,reference_probability,optimum_probability,true_reward\n"
        for (i, y) in problem.space.all.enumerated() {
            text +=
                "\(problem.space.text(y)),\(exp(logp[i])),\(exp(problem.referenceLogProbabilities[i])),"
                + "\(exp(problem.optimumLogProbabilities[i])),\(problem.rewards[i])\n"
        }
        let url = URL(fileURLWithPath: folder).appendingPathComponent("sequences.csv")
        do { try savingProtected { try Data(text.utf8).write(to: url, options: .atomic) } } catch {
            throw CommandFailure(description: "cannot write \(url.path): \(error.localizedDescription)")
        }
        FileHandle.standardError.write(Data("exported \(url.path)\n".utf8))
    }
}

struct PreferenceCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Every method at several β: the reward-against-KL frontier with the exact optimum's curve.",
        discussion: """
            One problem (corpus, π_ref, reward, pairs) serves every run. Steps: 10000 for dpo and ipo, \
            2000 for the RL methods (one batch of 64 samples each), unless --steps is given.

            Example:
              reparam pref compare --betas 0.05,0.1,0.5,1 \\
                --methods ppo,reinforce,rloo,dpo,ipo --report pref
            """)

    @Option(help: "Comma-separated β values.") var betas = "0.05,0.1,0.5,1"
    @Option(help: "Comma-separated methods.") var methods = PreferenceMethod.allCases.map(\.rawValue).joined(
        separator: ",")
    @Option(parsing: .unconditional, help: "Preference pairs.") var pairs = 100_000
    @Option(parsing: .unconditional, help: "Steps for every method (default: 10000 for dpo/ipo, 2000 otherwise).")
    var steps: Int?
    @OptionGroup var output: LabOutput
    @OptionGroup var kernels: KernelOptions
    @OptionGroup var scaleOut: ComparisonSweep
    @Option(parsing: .unconditional, help: "Seeds per grid point in the --sweep spec (0…N−1).") var seeds = 1

    var parsedBetas: [Double]? {
        let parts = commaList(betas)
        let values = parts.compactMap { Double($0) }
        return values.count == parts.count ? values : nil
    }

    var parsedMethods: [PreferenceMethod]? {
        let parts = commaList(methods)
        let values = parts.compactMap(PreferenceMethod.init(rawValue:))
        return values.count == parts.count && Set(values).count == values.count ? values : nil
    }

    func validate() throws {
        guard let betas = parsedBetas else {
            throw ValidationError("--betas must be a comma-separated list of numbers, got '\(self.betas)'")
        }
        guard let methods = parsedMethods else {
            throw ValidationError(
                "--methods must list distinct methods from "
                    + "\(PreferenceMethod.allCases.map(\.rawValue).joined(separator: ", ")), "
                    + "got '\(self.methods)'")
        }
        for beta in betas {
            for method in methods {
                let c = PreferenceConfiguration(
                    method: method, beta: beta, pairs: pairs, steps: steps ?? 1, seed: output.seed)
                do { try c.validate() } catch let error as PreferenceError { throw ValidationError(error.description) }
            }
        }
        if let report = output.report { try checkWritableFolder(report, flag: "--report") }
        if seeds != 1 && scaleOut.sweep == nil {
            throw ValidationError("--seeds \(seeds) needs --sweep (in this process the comparison runs one seed)")
        }
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds must be 1 to 100000, got \(seeds)") }
    }

    func run() throws {
        // validate() has parsed both lists.
        guard let betas = parsedBetas, let methods = parsedMethods else { return }
        if try scaleOut.export(
            from: ["pref", "compare"], to: ["pref", "train"],
            grid: [("method", methods.map(\.rawValue)), ("beta", commaList(self.betas))],
            seeds: seeds, fixed: [:], dropping: ["methods", "betas", "report"])
        {
            return
        }
        FileHandle.standardError.write(Data("building the problem (corpus, π_ref, pairs)…\n".utf8))
        var bar = ProgressBar(total: betas.count * methods.count, unit: "runs", metric: "run")
        bar.start(label: "pref compare", done: 0)
        let (problem, results) = try kernels.applied {
            try PreferenceComparison.run(
                methods: methods, betas: betas, pairs: pairs, seed: output.seed,
                steps: { steps ?? ($0.samples ? 2000 : 10_000) },
                progress: { done, _ in bar.update(done: done, loss: Double(done)) })
        }
        bar.finish()
        try output.emit(
            [PreferenceComparison.result(problem: problem, results: results)], title: "Reparam preference comparison")
    }
}
