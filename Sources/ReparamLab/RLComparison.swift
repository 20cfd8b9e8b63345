import Foundation
import Reparam

/// Several algorithms × seeds on one environment: learning curves (mean over seeds, with the
/// lowest and highest seed) and a final table.
public struct RLComparison {
    public let environment: EnvironmentKind
    public let algorithms: [AlgorithmKind]
    public let seeds: Int
    public let steps: Int
    public var evaluationInterval: Int
    public var evaluationEpisodes: Int

    public init(
        environment: EnvironmentKind, algorithms: [AlgorithmKind], seeds: Int, steps: Int, evaluationInterval: Int,
        evaluationEpisodes: Int
    ) {
        (self.environment, self.algorithms, self.seeds, self.steps) = (environment, algorithms, seeds, steps)
        (self.evaluationInterval, self.evaluationEpisodes) = (evaluationInterval, evaluationEpisodes)
    }

    /// The runs' options, in the order they run (seed 0…N−1 of each algorithm).
    public var runs: [RLRunOptions] {
        algorithms.flatMap { algorithm in
            (0..<seeds).map { seed in
                RLRunOptions(
                    environment: environment, algorithm: algorithm, steps: steps, seed: UInt64(seed),
                    evaluationInterval: evaluationInterval, evaluationEpisodes: evaluationEpisodes)
            }
        }
    }

    /// Every reason the grid cannot run, before any of it does.
    public func validate() throws {
        if algorithms.isEmpty { throw RLConfigurationError("--algos must name at least one algorithm") }
        if Set(algorithms).count != algorithms.count { throw RLConfigurationError("--algos names an algorithm twice") }
        if !(1...100).contains(seeds) { throw RLConfigurationError("--seeds must be between 1 and 100, got \(seeds)") }
        for algorithm in algorithms {
            try RLRunOptions(
                environment: environment, algorithm: algorithm, steps: steps, evaluationInterval: evaluationInterval,
                evaluationEpisodes: evaluationEpisodes
            ).validate()
        }
    }

    /// The finished runs as a lab result: `results[i]` holds the evaluations of `runs[i]`.
    public func result(_ results: [RLRunResult]) -> LabResult {
        let runs = self.runs
        var table = Table(header: [
            "algorithm", "seeds", "final return (median)", "mean ± s.e.", "worst seed", "best seed", "seconds (median)",
        ])
        var records: [Record] = []
        var series: [Chart.Series] = []
        for (index, algorithm) in algorithms.enumerated() {
            let mine = zip(runs, results).filter { $0.0.algorithm == algorithm }.map(\.1.records)
            let finals = mine.compactMap { $0.last?.evaluation.mean }
            let seconds = mine.compactMap { $0.last?.seconds }
            let (mean, standardError) = meanAndStandardError(finals)
            table.rows.append([
                algorithm.rawValue, String(finals.count), formatted(median(finals)),
                "\(formatted(mean)) ± \(formatted(standardError))", formatted(finals.min() ?? .nan),
                formatted(finals.max() ?? .nan), formatted(median(seconds)),
            ])
            for (seed, records_) in mine.enumerated() {
                for record in records_ {
                    records.append(
                        Record([
                            ("experiment", "rl-compare"), ("env", .string(environment.rawValue)),
                            ("algo", .string(algorithm.rawValue)), ("seed", .integer(seed)),
                            ("step", .integer(record.step)),
                            ("seconds", .number(record.seconds)), ("eval_return_mean", .number(record.evaluation.mean)),
                            ("eval_return_std", .number(record.evaluation.standardDeviation)),
                        ]))
                }
            }
            // The k-th evaluation of every seed (REINFORCE's steps differ slightly between seeds).
            let count = mine.map(\.count).min() ?? 0
            let points = (0..<count).map { k -> (step: Double, mean: Double, low: Double, high: Double) in
                let returns = mine.map { $0[k].evaluation.mean }
                let step = mine.map { Double($0[k].step) }.reduce(0, +) / Double(mine.count)
                return (step, returns.reduce(0, +) / Double(returns.count), returns.min()!, returns.max()!)
            }
            series.append(
                Chart.Series(name: algorithm.rawValue, points: points.map { ($0.step, $0.mean) }, color: index))
            if seeds > 1 {
                let bounds = [("min", points.map { ($0.step, $0.low) }), ("max", points.map { ($0.step, $0.high) })]
                for (label, values) in bounds {
                    series.append(
                        Chart.Series(
                            name: "\(algorithm.rawValue) \(label)", points: values, dashed: true, markers: false,
                            color: index))
                }
            }
        }
        let chart = Chart(
            name: "rl-\(environment.rawValue)-curves", title: "\(environment.gymnasiumID): evaluation return",
            caption:
                "Deterministic policy, \(evaluationEpisodes) episodes per evaluation; solid: mean over \(seeds) seeds, "
                + "dashed: the lowest and highest seed (min, max).",
            xLabel: "environment steps", yLabel: "return", series: series)
        return LabResult(
            title:
                "\(environment.gymnasiumID): \(algorithms.map(\.rawValue).joined(separator: ", ")) over \(seeds) seeds",
            headline: ["\(steps) steps each, the zoo's tuned settings; final = the last evaluation of each seed."],
            table: table, records: records, charts: [chart])
    }
}
