import Foundation
import Reparam

/// The reparameterization trick measured in reinforcement learning: for a trained SAC actor and
/// critic and fixed visited states, how noisy each estimator of ∇θ E_{a~π}[Q(s, a)] is.
public enum PolicyGradientLab {
    /// Measures the three estimators with `samples` samples each; `source` says where the actor
    /// and critic came from.
    public static func compare(
        _ problem: PolicyGradientProblem, samples: Int, key: RandomKey, source: String
    ) -> LabResult {
        let kinds = PolicyGradientEstimatorKind.allCases
        let measurements = kinds.enumerated().map { i, kind in
            problem.measure(kind, samples: samples, key: key.fold(in: UInt64(i)))
        }
        // The pathwise mean is the most precise estimate of the true gradient: the reference.
        let reference = measurements[0]
        let needed = measurements.map { $0.samplesFor10Percent(reference: reference.mean) }
        var table = Table(header: [
            "estimator", "tr Var (one sample)", "SNR", "samples for 10%", "× pathwise", "deviation", "noise level",
            "µs/sample",
        ])
        var records: [Record] = []
        for (m, n) in zip(measurements, needed) {
            let deviation = m.deviation(from: reference)
            let snr = m.signalToNoise(reference: reference.mean)
            table.rows.append([
                m.kind.displayName, formatted(m.totalVariance), formatted(snr), formatted(n.rounded(.up)),
                formatted(n / needed[0]), formatted(deviation.relative), formatted(deviation.noise),
                formatted(m.secondsPerSample * 1e6),
            ])
            records.append(
                Record([
                    ("experiment", "policy-gradient"), ("estimator", .string(m.kind.rawValue)),
                    ("samples", .integer(samples)),
                    ("states", .integer(problem.states.shape[0])), ("total_variance", .number(m.totalVariance)),
                    ("gradient_norm", .number(reference.meanNorm)), ("snr", .number(snr)),
                    ("samples_for_10_percent", .number(n)), ("relative_deviation", .number(deviation.relative)),
                    ("deviation_noise", .number(deviation.noise)), ("seconds_per_sample", .number(m.secondsPerSample)),
                ]))
        }
        let sizes = (0...24).map { pow(10, Double($0) / 4) }
        let scale = reference.meanNorm
        let chart = Chart(
            name: "policy-gradient-error", title: "Relative error of the averaged gradient",
            caption: "√(tr Var / n)/‖∇θ E[Q]‖ for n samples (one action per state each); dashed: 10%.",
            xLabel: "samples n", yLabel: "relative error", xLog: true, yLog: true,
            series: measurements.map { m in
                Chart.Series(
                    name: m.kind.rawValue,
                    points: sizes.map { n in (n, (m.totalVariance / n).squareRoot() / scale) }, markers: false)
            } + [Chart.Series(name: "10%", points: [(1, 0.1), (1e6, 0.1)], dashed: true, markers: false)])
        let ratio = needed[1] / needed[0]
        return LabResult(
            title: "Policy gradient: pathwise against score function",
            headline: [
                "∇θ E_s E_{a~πθ}[min Q(s, a)] for SAC's tanh-Gaussian policy, critic and \(problem.states.shape[0]) "
                    + "states fixed (\(source)); \(samples) samples per estimator, one action per state each.",
                "The plain score function needs \(formatted(ratio.rounded())) times the samples of the pathwise "
                    + "estimator for a 10% relative error; with a baseline, "
                    + "\(formatted((needed[2] / needed[0]).rounded())) times.",
            ],
            table: table, records: records, charts: [chart],
            notes: [
                "SNR = ‖g‖/√(tr Var); samples for 10% = tr Var/(0.01‖g‖²); g = the pathwise estimator's mean.",
                "deviation = ‖mean − g‖/‖g‖; noise level = what sampling alone explains: unbiased estimators stay near it.",
                "Baseline b(s): the mean of min Q over independent actions per state, drawn apart from the "
                    + "estimator's samples.",
            ])
    }
}
