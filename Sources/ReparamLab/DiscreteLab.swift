import Foundation
import Reparam

/// A discrete problem with an exact gradient by enumeration, for `lab discrete`.
public struct DiscreteLabProblem {
    public var name: String
    public var latent: DiscreteLatent
    public var logits: Tensor
    public var objective: DiscreteObjective
    public var formula: String

    /// The toy of the REBAR and RELAX papers, on four units: f(b) = Σ (b_d − 0.45)². Its gradient
    /// p(1 − p)(1 − 2t) is small beside f's spread, which is what makes it hard.
    public static var bernoulli: DiscreteLabProblem {
        DiscreteLabProblem(
            name: "bernoulli", latent: .bernoulli, logits: Tensor(shape: [1, 4], scalars: [-0.5, 0, 0.5, 1]),
            objective: DiscreteObjective({ z in square(z - 0.45).sum(alongAxes: [-1]) }),
            formula: "f(b) = Σ_d (b_d − 0.45)², 4 Bernoulli units, logits (−0.5, 0, 0.5, 1)")
    }

    /// Three variables with four classes: f(z) = (Σ a ⊙ z − 1)², a fixed table.
    public static var categorical: DiscreteLabProblem {
        let a = Tensor(shape: [3, 4], scalars: [0.9, -0.4, 0.3, 1.4, -0.8, 0.5, 0.2, 1.1, 0.6, -1.2, 0.4, 0.1])
        return DiscreteLabProblem(
            name: "categorical", latent: .categorical,
            logits: Tensor(
                shape: [1, 3, 4], scalars: [0.5, -0.3, 0.1, 0.8, -0.2, 0.6, 0.0, -0.7, 1.0, 0.2, -0.5, 0.3]),
            objective: DiscreteObjective({ z in square((z * a).sum(alongAxes: [-2, -1]) - 1) }),
            formula: "f(z) = (Σ a⊙z − 1)², 3 categorical variables × 4 classes")
    }

    /// Every estimator that applies to this problem, adaptive ones freshly initialized: one per
    /// temperature for those that take one (annealed-st only where τ ≠ 1, plain straight-through
    /// being τ = 1), VIMCO aside (see below), RLOO with 4 samples, NVIL's baseline and RELAX's network
    /// at their defaults.
    func estimators(temperatures: [Float], key: RandomKey) -> [(
        temperature: Float?, estimator: any DiscreteGradientEstimator
    )] {
        let keys = key.split(4)
        // Keys of the adapted parts, as the lab has always drawn them.
        let adaptedKeys: [EstimatorKind: RandomKey] = [
            .nvil: keys[0], .rebar: keys[1], .relax: keys[2], .mupropNVIL: keys[3],
        ]
        var list: [(Float?, any DiscreteGradientEstimator)] = []
        // VIMCO is left out: it estimates the gradient of the K-sample bound, not of E[f].
        for kind in EstimatorKind.supporting(latent) where !kind.estimatesImportanceWeightedBound {
            var settings = EstimatorSettings(key: adaptedKeys[kind] ?? key)
            (settings.samples, settings.latentSize) = (4, logits.count / logits.shape[0])
            guard kind.annealsTemperature else {
                list.append((nil, kind.make(settings)))
                continue
            }
            for t in temperatures where kind != .annealedST || t != 1 {
                settings.temperature = .constant(t)
                list.append((t, kind.make(settings)))
            }
        }
        return list
    }

    /// `lab discrete` for this problem: bias and variance of every estimator against the exact
    /// gradient. Adaptive estimators (NVIL, REBAR, RELAX) first adapt for `warmUp` calls of 16 draws.
    public func compare(temperatures: [Float], draws: Int, warmUp: Int, key: RandomKey) -> LabResult {
        let (value, exactTensor) = latent.exactGradient(logits: logits, objective: objective)
        let exact = exactTensor.scalars.map(Double.init)
        let norm = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var table = Table(header: [
            "estimator", "τ", "rel. bias", "± SE", "bias/SE", "variance", "var × evals", "SNR", "evals", "µs/draw",
        ])
        var records: [Record] = []
        var biasCurves: [String: [(x: Double, y: Double)]] = [:],
            varianceCurves: [String: [(x: Double, y: Double)]] = [:]
        var noiseCurves: [String: [(x: Double, y: Double)]] = [:]
        var flat: [(String, Double)] = []
        let keys = key.split(2)
        for (i, entry) in estimators(temperatures: temperatures, key: keys[0]).enumerated() {
            var estimator = entry.estimator
            let callKeys = keys[1].fold(in: UInt64(i)).split(warmUp + 1)
            for w in 0..<warmUp {
                _ = estimator.estimate(
                    logits: logits, latent: latent, objective: objective, key: callKeys[w], draws: 16)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = estimator.estimate(
                logits: logits, latent: latent, objective: objective, key: callKeys[warmUp], draws: draws)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // Rows at several temperatures share the kind's name; τ has its own column.
            let label = entry.temperature == nil ? estimator.name : estimator.kind.rawValue
            let d = GradientDiagnostics(
                estimator: label, parameters: exact.indices.map { "θ\($0)" },
                estimates: result.perDraw.reshaped(to: [draws, logits.count]), exact: exact,
                evaluationsPerDraw: result.evaluationsPerDraw, seconds: seconds)
            // d has the exact gradient, so its bias is known.
            let bias = d.bias ?? []
            let relativeBias = bias.reduce(0) { $0 + $1 * $1 }.squareRoot() / norm
            let relativeError = d.standardError.reduce(0) { $0 + $1 * $1 }.squareRoot() / norm
            let maxZ = d.biasInStandardErrors!.map(abs).max()!
            let variance = d.variance.reduce(0, +)
            let snr = d.signalToNoise.reduce(0, +) / Double(d.parameters.count)
            table.rows.append([
                label, entry.temperature.map { formatted(Double($0)) } ?? "—", formatted(relativeBias),
                formatted(relativeError), maxZ < 1e5 ? String(format: "%.1f", maxZ) : String(format: "%.1e", maxZ),
                formatted(variance),
                formatted(variance * Double(result.evaluationsPerDraw)), formatted(snr),
                String(result.evaluationsPerDraw), String(format: "%.2f", d.secondsPerDraw * 1e6),
            ])
            records.append(
                Record([
                    ("problem", .string(name)), ("estimator", .string(label)),
                    ("temperature", entry.temperature.map { .number(Double("\($0)")!) } ?? .null),
                    ("unbiased", .bool(estimator.isUnbiased)), ("relative_bias", .number(relativeBias)),
                    ("relative_bias_standard_error", .number(relativeError)), ("max_bias_z", .number(maxZ)),
                    ("variance", .number(variance)),
                    ("variance_times_evaluations", .number(variance * Double(result.evaluationsPerDraw))),
                    ("snr", .number(snr)), ("evaluations", .integer(result.evaluationsPerDraw)),
                    ("seconds_per_draw", .number(d.secondsPerDraw)), ("draws", .integer(draws)),
                ]))
            if let t = entry.temperature {
                biasCurves[label, default: []].append((Double(t), relativeBias))
                noiseCurves[label, default: []].append((Double(t), relativeError))
                varianceCurves[label, default: []].append((Double(t), variance))
            } else {
                flat.append((label, variance))
            }
        }
        let span = (Double(temperatures.min()!), Double(temperatures.max()!))
        let relaxations = biasCurves.keys.sorted()
        let biasChart = Chart(
            name: "discrete-\(name)-bias", title: "Relaxation bias vs temperature (\(name))",
            caption:
                "Claim: Gumbel-softmax is differentiable but biased, and its bias shrinks as τ falls; straight-through's need not. Relative bias ‖mean − ∇‖/‖∇‖ against the exact gradient by enumeration, \(draws) draws per point. Dashed, same colour: the standard error ‖SE‖/‖∇‖ of that point — a bias near it is not resolved.",
            xLabel: "temperature τ", yLabel: "relative bias", xLog: true, yLog: true,
            series: relaxations.enumerated().flatMap { i, name in
                [
                    Chart.Series(name: name, points: biasCurves[name]!, color: i),
                    Chart.Series(name: "", points: noiseCurves[name]!, dashed: true, markers: false, color: i),
                ]
            } + [Chart.Series(name: "standard error", points: [], dashed: true, markers: false, color: 8)])
        let varianceChart = Chart(
            name: "discrete-\(name)-variance", title: "Gradient variance vs temperature (\(name))",
            caption:
                "Claim: relaxations trade bias for variance — their variance grows as τ falls — while the unbiased score-function family (dashed, independent of τ) spans orders of magnitude depending on its control variate. Total per-draw variance, summed over parameters.",
            xLabel: "temperature τ", yLabel: "variance of one draw's gradient", xLog: true, yLog: true,
            series: relaxations.map { Chart.Series(name: $0, points: varianceCurves[$0]!) }
                + flat.map {
                    Chart.Series(name: $0.0, points: [(span.0, $0.1), (span.1, $0.1)], dashed: true, markers: false)
                })
        return LabResult(
            title: "Discrete (\(name)): relaxations vs score-function estimators",
            headline: [
                "\(formula); E[f] = \(formatted(Double(value))), exact gradient by enumeration.",
                "\(draws) draws per estimator; NVIL, REBAR and RELAX adapted for \(warmUp) calls first. NVIL is shown without variance normalization (which only rescales the step).",
            ],
            table: table, records: records, charts: [biasChart, varianceChart])
    }
}
