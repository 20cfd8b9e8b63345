import Foundation
import Reparam

/// Methods × β on one preference problem: the reward-against-KL frontier (as in the DPO paper's
/// Fig. 2) with the exact optimum's curve, and a table.
public enum PreferenceComparison {
    /// Runs every method at every β (one problem: the same corpus, π_ref, reward and pairs);
    /// `progress(done, total)` after each run.
    public static func run(
        methods: [PreferenceMethod], betas: [Double], pairs: Int, seed: UInt64,
        steps: (PreferenceMethod) -> Int, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (problem: PreferenceProblem, results: [PreferenceResult]) {
        let problem = PreferenceProblem(beta: betas[0], pairCount: pairs, key: RandomKey(seed: seed))
        var results: [PreferenceResult] = []
        for beta in betas {
            let atBeta = problem.with(beta: beta)
            for method in methods {
                let configuration = PreferenceConfiguration(
                    method: method, beta: beta, pairs: pairs, steps: steps(method), seed: seed)
                results.append(try trainPreference(configuration, problem: atBeta).result)
                progress(results.count, betas.count * methods.count)
            }
        }
        return (problem, results)
    }

    public static func result(problem: PreferenceProblem, results: [PreferenceResult]) -> LabResult {
        var table = Table(header: [
            "method", "β", "true reward", "KL(π‖π_ref)", "KL(π*‖π)", "objective", "optimum's", "gap", "seconds",
            "sampled tokens",
        ])
        var records: [Record] = []
        for r in results {
            table.rows.append([
                r.method.rawValue, formatted(r.beta), formatted(r.evaluation.trueReward),
                formatted(r.evaluation.klToReference), formatted(r.evaluation.klToOptimum),
                formatted(r.evaluation.objective), formatted(r.optimum.objective),
                formatted(r.optimum.objective - r.evaluation.objective), formatted(r.seconds), String(r.sampledTokens),
            ])
            records.append(
                Record([
                    ("experiment", "pref-compare"), ("method", .string(r.method.rawValue)), ("beta", .number(r.beta)),
                    ("true_reward", .number(r.evaluation.trueReward)),
                    ("kl_to_reference", .number(r.evaluation.klToReference)),
                    ("kl_to_optimum", .number(r.evaluation.klToOptimum)),
                    ("objective", .number(r.evaluation.objective)),
                    ("optimum_reward", .number(r.optimum.trueReward)),
                    ("optimum_objective", .number(r.optimum.objective)),
                    ("seconds", .number(r.seconds)), ("sampled_tokens", .integer(r.sampledTokens)),
                ]))
        }
        let betas = (0...48).map { pow(10, -2 + Double($0) / 16) }
        let curve = problem.frontier(betas: betas).map { (x: $0.kl, y: $0.reward) }.sorted { $0.x < $1.x }
        let methods = PreferenceMethod.allCases.filter { m in results.contains { $0.method == m } }
        let chart = Chart(
            name: "preference-frontier", title: "True reward against KL to the reference policy",
            caption:
                "Each point: one method at one β. Line: the exact optimum π*_β ∝ π_ref·exp(r*/β) for β from 0.01 to 10.",
            xLabel: "KL(policy, reference) in nats", yLabel: "expected true reward",
            series: [Chart.Series(name: "exact optimum", points: curve, markers: false)]
                + methods.map { m in
                    Chart.Series(
                        name: m.rawValue,
                        points: results.filter { $0.method == m }.map {
                            ($0.evaluation.klToReference, $0.evaluation.trueReward)
                        },
                        lines: false)
                })
        // Closeness: the mean gap J(π*) − J(π) ≥ 0 over the β values, beside the compute it took.
        let summary = methods.map { m -> (PreferenceMethod, Double, Double, Int) in
            let mine = results.filter { $0.method == m }
            let gap = mine.map { $0.optimum.objective - $0.evaluation.objective }.reduce(0, +) / Double(mine.count)
            return (
                m, gap, mine.map(\.seconds).reduce(0, +) / Double(mine.count), mine.map(\.sampledTokens).reduce(0, +)
            )
        }
        return LabResult(
            title: "Preference optimization against the exact optimum",
            headline: summary.map { m, gap, seconds, tokens in
                String(
                    format: "%@: mean gap to the optimum's objective %.4f, %.1f s per run, %d tokens sampled in all",
                    m.rawValue, gap, seconds, tokens)
            },
            table: table, records: records, charts: [chart],
            notes: [
                "Objective J = E_π[r*] − β·KL(π‖π_ref); the optimum's is β·log Z and gap = J(π*) − J(π) ≥ 0. "
                    + "Every metric is exact (all "
                    + "\(problem.space.count) sequences enumerated).",
                "π_ref's corpus NLL: \(formatted(problem.referenceNLL)) nats per sequence; \(problem.pairs.count) pairs.",
            ])
    }
}

extension PreferenceComparison {
    /// The demo's piece: DPO and RLOO at β = 0.1 on a smaller problem (20,000 pairs).
    public static func demo(seed: UInt64) throws -> LabResult {
        let problem = PreferenceProblem(
            beta: 0.1, pairCount: 20_000, corpusSize: 10_000, referenceSteps: 800,
            key: RandomKey(seed: seed))
        let runs = try [(PreferenceMethod.dpo, 1500), (.rloo, 600)].map { method, steps in
            try trainPreference(
                PreferenceConfiguration(method: method, beta: 0.1, pairs: 20_000, steps: steps, seed: seed),
                problem: problem
            ).result
        }
        var table = Table(header: [
            "method", "true reward", "KL(π‖π_ref)", "KL(π*‖π)", "objective", "seconds", "sampled tokens",
        ])
        table.rows = runs.map { r in
            [
                r.method.rawValue, formatted(r.evaluation.trueReward), formatted(r.evaluation.klToReference),
                formatted(r.evaluation.klToOptimum), formatted(r.evaluation.objective), formatted(r.seconds),
                String(r.sampledTokens),
            ]
        }
        let optimum = problem.optimum
        table.rows.append([
            "exact optimum", formatted(optimum.trueReward), formatted(optimum.klToReference), "0",
            formatted(optimum.objective), "—", "—",
        ])
        return LabResult(
            title:
                "Preference optimization at β = 0.1: DPO (no sampling) and RLOO (sampling) against the exact optimum",
            headline: [
                "All \(problem.space.count) sequences enumerated; `reparam pref compare` runs every method at several β."
            ],
            table: table, records: [], charts: [])
    }
}
