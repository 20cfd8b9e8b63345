import Foundation
import Reparam

extension GaussianLab {
    var setting: String {
        "f(z) = \(function.formula), k = \(formatted(k)), z ~ N(μ = \(formatted(mu)), σ² = \(formatted(sigma))²)"
    }

    /// `lab gaussian`: every estimator's per-draw mean and variance of ∂/∂μ and ∂/∂σ against the
    /// closed forms.
    public func compare(samples: Int, key: RandomKey) -> LabResult {
        var table = Table(header: [
            "estimator", "param", "mean", "exact", "variance", "exact var", "var error", "SNR", "ns/sample",
        ])
        var records: [Record] = []
        var worst = 0.0, unrepresented = 0
        var bars: [String: [Double]] = [:]
        let keys = key.split(GaussianEstimator.allCases.count)
        for (i, estimator) in GaussianEstimator.allCases.enumerated() {
            let d = diagnose(estimator, samples: samples, key: keys[i])
            let exactVariance = exactVariance(estimator)
            for j in 0..<2 {
                // A closed form that rounding made negative or non-finite is not shown as exact; a
                // zero one (f underflowed everywhere) gives no relative error.
                let exact = exactVariance[j].isFinite && exactVariance[j] >= 0 ? exactVariance[j] : Double.nan
                if exact.isNaN { unrepresented += 1 }
                let error = exact > 0 ? d.variance[j] / exact - 1 : Double.nan
                if error.isFinite { worst = max(worst, abs(error)) }
                bars[GaussianLab.parameters[j], default: []].append(d.variance[j])
                table.rows.append([
                    estimator.rawValue, GaussianLab.parameters[j], formatted(d.mean[j]), formatted(exactGradient[j]),
                    formatted(d.variance[j]), exact.isNaN ? "—" : formatted(exact),
                    error.isFinite ? String(format: "%+.2f%%", 100 * error) : "—",
                    formatted(d.signalToNoise[j]), String(format: "%.1f", d.secondsPerDraw * 1e9),
                ])
                records.append(
                    Record([
                        ("estimator", .string(estimator.rawValue)), ("parameter", .string(GaussianLab.parameters[j])),
                        ("mean", .number(d.mean[j])), ("variance", .number(d.variance[j])),
                        ("snr", .number(d.signalToNoise[j])),
                        ("exact", .number(exactGradient[j])), ("exact_variance", .number(exact)),
                        ("variance_error", .number(error)), ("standard_error", .number(d.standardError[j])),
                        ("samples", .integer(samples)), ("function", .string(function.rawValue)), ("k", .number(k)),
                        ("mu", .number(mu)), ("sigma", .number(sigma)),
                        ("seconds_per_sample", .number(d.secondsPerDraw)),
                    ]))
            }
        }
        let ratio = bars["mu"]![1] / bars["mu"]![0]
        let chart = Chart(
            name: "gaussian-variance", title: "Per-sample gradient variance, \(function.formula)",
            caption:
                "Claim: the score-function estimator's per-sample variance is far above the pathwise estimator's, and baselines close only part of the gap. Bars: measured over \(samples) samples; the largest deviation from the closed-form variance is \(String(format: "%.2f", 100 * worst))%. Log scale.",
            xLabel: "estimator", yLabel: "variance of one sample's gradient", yLog: true,
            series: ["mu", "sigma"].map { p in
                Chart.Series(
                    name: "∂/∂\(p == "mu" ? "μ" : "σ")",
                    points: bars[p]!.enumerated().map { (Double($0.offset), $0.element) })
            },
            categories: GaussianEstimator.allCases.map(\.rawValue))
        return LabResult(
            title: "Gaussian: pathwise vs score function",
            headline: [
                "\(setting); \(samples) samples per estimator.",
                "Measured variances agree with the closed forms within \(String(format: "%.2f", 100 * worst))%"
                    + (unrepresented > 0
                        ? " (\(unrepresented) closed forms lost to rounding are left out)." : "."),
                "For ∂/∂μ the plain score function's variance is \(formatted(ratio))× the pathwise estimator's.",
            ],
            table: table, records: records, charts: [chart])
    }

    /// `lab sigma-sweep`: measured variance as σ shrinks, with log-log slopes fitted per estimator.
    public func sigmaSweep(sigmas: [Double], samples: Int, key: RandomKey) -> LabResult {
        var table = Table(header: ["sigma", "estimator", "param", "variance", "exact var"])
        var records: [Record] = []
        var measured: [String: [(Double, Double)]] = [:], exact: [String: [(Double, Double)]] = [:]
        let estimators: [GaussianEstimator] = [.pathwise, .score]
        let keys = key.split(sigmas.count * estimators.count)
        for (i, sigma) in sigmas.enumerated() {
            var lab = self
            lab.sigma = sigma
            for (e, estimator) in estimators.enumerated() {
                let d = lab.diagnose(estimator, samples: samples, key: keys[i * estimators.count + e])
                // A closed form that rounding made negative or non-finite is neither shown nor drawn.
                let exactVariance = lab.exactVariance(estimator).map { $0.isFinite && $0 >= 0 ? $0 : Double.nan }
                for j in 0..<2 {
                    let name = "\(estimator.rawValue) ∂/∂\(j == 0 ? "μ" : "σ")"
                    measured[name, default: []].append((sigma, d.variance[j]))
                    if !exactVariance[j].isNaN { exact[name, default: []].append((sigma, exactVariance[j])) }
                    let shown = exactVariance[j].isNaN ? "—" : formatted(exactVariance[j])
                    table.rows.append([
                        formatted(sigma), estimator.rawValue, GaussianLab.parameters[j],
                        formatted(d.variance[j]), shown,
                    ])
                    records.append(
                        Record([
                            ("sigma", .number(sigma)), ("estimator", .string(estimator.rawValue)),
                            ("parameter", .string(GaussianLab.parameters[j])), ("variance", .number(d.variance[j])),
                            ("exact_variance", .number(exactVariance[j])),
                        ]))
                }
            }
        }
        let names = measured.keys.sorted()
        var slopes: [String: Double] = [:]
        for name in names { slopes[name] = logLogSlope(measured[name]!) }
        for name in names {
            let parts = name.split(separator: " ")
            records.append(
                Record([
                    ("estimator", .string(String(parts[0]))),
                    ("parameter", .string(parts[1].hasSuffix("μ") ? "mu" : "sigma")),
                    ("fitted_slope", .number(slopes[name]!)), ("sigma_min", .number(sigmas.min()!)),
                    ("sigma_max", .number(sigmas.max()!)),
                ]))
        }
        let slopeText = names.map { "\($0): \(String(format: "%+.3f", slopes[$0]!))" }.joined(separator: ", ")
        let series =
            names.enumerated().flatMap { i, name in
                [
                    Chart.Series(
                        name: name, points: measured[name]!.map { (x: $0.0, y: $0.1) }, lines: false, color: i),
                    Chart.Series(
                        name: "", points: (exact[name] ?? []).map { (x: $0.0, y: $0.1) }, dashed: true,
                        markers: false, color: i),
                ]
            } + [Chart.Series(name: "closed form", points: [], dashed: true, markers: false, color: 8)]
        let chart = Chart(
            name: "sigma-sweep", title: "Gradient variance as σ shrinks, \(function.formula)",
            caption:
                "Claim: score-function variance grows like 1/σ² (slope −2 on log-log axes) while the pathwise estimator's stays bounded. Fitted slopes — \(slopeText). Dots: measured over \(samples) samples; dashed: closed form.",
            xLabel: "σ", yLabel: "variance of one sample's gradient", xLog: true, yLog: true, series: series)
        return LabResult(
            title: "σ sweep: score-function variance ∝ 1/σ²",
            headline: [
                "f(z) = \(function.formula), k = \(formatted(k)), μ = \(formatted(mu)); σ from \(formatted(sigmas.min()!)) to \(formatted(sigmas.max()!)); \(samples) samples per point.",
                "Fitted log-log slopes of variance against σ: \(slopeText).",
            ],
            table: table, records: records, charts: [chart])
    }

    /// `lab samples-needed`: samples for relative error ≤ `relativeError` with probability
    /// `confidence`, predicted from the measured variance and checked by `replicates` repeated
    /// estimates of that size.
    public func samplesNeeded(samples: Int, relativeError: Double, confidence: Double, replicates: Int, key: RandomKey)
        -> LabResult
    {
        var table = Table(header: [
            "estimator", "param", "variance", "samples needed", "observed coverage", "vs pathwise",
        ])
        var records: [Record] = []
        var needed: [String: [Double]] = ["mu": [], "sigma": []]
        var pathwiseNeeded: [Double?] = [nil, nil]
        let keys = key.split(GaussianEstimator.allCases.count * 2)
        for (i, estimator) in GaussianEstimator.allCases.enumerated() {
            let d = diagnose(estimator, samples: samples, key: keys[2 * i])
            for j in 0..<2 {
                guard let n = d.samplesNeeded(parameter: j, relativeError: relativeError, confidence: confidence) else {
                    needed[GaussianLab.parameters[j]]!.append(.nan)
                    table.rows.append([
                        estimator.rawValue, GaussianLab.parameters[j], formatted(d.variance[j]), "never", "—", "—",
                    ])
                    continue
                }
                if estimator == .pathwise { pathwiseNeeded[j] = n }
                let coverage = observedCoverage(
                    estimator, parameter: j, size: Int(n), relativeError: relativeError,
                    replicates: replicates, key: keys[2 * i + 1].fold(in: UInt64(j)))
                needed[GaussianLab.parameters[j]]!.append(n)
                let ratio = n / (pathwiseNeeded[j] ?? .nan)
                table.rows.append([
                    estimator.rawValue, GaussianLab.parameters[j], formatted(d.variance[j]), formatted(n),
                    coverage.map { String(format: "%.1f%%", 100 * $0) } ?? "—", formatted(ratio) + "×",
                ])
                records.append(
                    Record([
                        ("estimator", .string(estimator.rawValue)), ("parameter", .string(GaussianLab.parameters[j])),
                        ("variance", .number(d.variance[j])), ("samples_needed", .number(n)),
                        ("observed_coverage", .optional(coverage)), ("relative_error", .number(relativeError)),
                        ("confidence", .number(confidence)), ("ratio_to_pathwise", .number(ratio)),
                    ]))
            }
        }
        let chart = Chart(
            name: "samples-needed",
            title: "Samples for \(Int(relativeError * 100))% relative error with \(Int(confidence * 100))% probability",
            caption:
                "Claim: the pathwise estimator needs few samples, the score function orders of magnitude more. Predicted from the measured variance (normal approximation); the table's observed coverage checks each prediction with \(replicates) independent estimates of that size. Log scale.",
            xLabel: "estimator", yLabel: "samples", yLog: true,
            series: ["mu", "sigma"].map { p in
                Chart.Series(
                    name: "∂/∂\(p == "mu" ? "μ" : "σ")",
                    points: needed[p]!.enumerated().map { (Double($0.offset), $0.element) })
            },
            categories: GaussianEstimator.allCases.map(\.rawValue))
        let (path, score) = (needed["mu"]![0], needed["mu"]![1])
        // "never": the exact gradient is 0, so no relative error can be reached.
        return LabResult(
            title: "Samples needed",
            headline: [
                "\(setting).",
                "For ∂/∂μ within \(Int(relativeError * 100))% (\(Int(confidence * 100))% of the time): pathwise \(formatted(path)) samples, score function \(formatted(score)) (\(formatted(score / path))×).",
            ],
            table: table, records: records, charts: [chart])
    }

    /// Fraction of `replicates` averages of `size` draws within the relative error of the exact
    /// gradient; nil when that would take more than 2·10⁷ draws.
    func observedCoverage(
        _ estimator: GaussianEstimator, parameter j: Int, size: Int, relativeError: Double,
        replicates: Int, key: RandomKey
    ) -> Double? {
        guard size * replicates <= 20_000_000, size >= 2 else { return nil }
        let perCall = max(1, min(replicates, 1_000_000 / size))
        var hits = 0, done = 0, call: UInt64 = 0
        while done < replicates {
            let batch = min(perCall, replicates - done)
            let rows = measure(estimator, samples: size * batch, key: key.fold(in: call)).estimates
            call += 1
            rows.withUnsafeScalars { s in
                for r in 0..<batch {
                    var total = 0.0
                    for i in 0..<size { total += Double(s[(r * size + i) * 2 + j]) }
                    if abs(total / Double(size) - exactGradient[j]) <= relativeError * abs(exactGradient[j]) {
                        hits += 1
                    }
                }
            }
            done += batch
        }
        return Double(hits) / Double(replicates)
    }
}

/// Least-squares slope of log y against log x.
func logLogSlope(_ points: [(Double, Double)]) -> Double {
    let logs = points.filter { $0.0 > 0 && $0.1 > 0 }.map { (log($0.0), log($0.1)) }
    let n = Double(logs.count)
    let mx = logs.reduce(0) { $0 + $1.0 } / n, my = logs.reduce(0) { $0 + $1.1 } / n
    let sxy = logs.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = logs.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
    return sxy / sxx
}
