import Foundation
import ReparamRandom
import ReparamTensor

/// What one unit of an estimator's cost is when `EstimatorSelection` compares them.
public enum EstimatorCost: String, CaseIterable, Codable, Sendable {
    /// Measured seconds per draw: the cost training pays, but the choice can differ between runs.
    case seconds
    /// Evaluations of f per draw: a proxy that makes the choice depend only on the key.
    case evaluations
}

/// One candidate's pilot measurements.
public struct EstimatorTrial: Sendable {
    public var kind: EstimatorKind
    /// Mean over logit coordinates of the variance of one draw's estimate.
    public var variance: Double
    /// Mean over coordinates of (mean − reference)² less what noise alone explains, counting only
    /// coordinates where the gap exceeds 3 standard errors; zero for unbiased kinds.
    public var biasSquared: Double
    /// Cost of one draw in `EstimatorSelection.cost` units.
    public var cost: Double
    public var evaluationsPerDraw: Int
    /// Expected squared error of an estimate bought with the candidates' median cost:
    /// bias² + variance × cost / median cost. Lower is better.
    public var score: Double
}

/// The choice among estimators made by measuring them: each admissible kind's bias, variance and
/// cost on pilot draws, scored by the squared error an estimate has when each gets the same
/// budget, and the lowest score wins.
///
/// The reference for bias is the precision-weighted mean of the unbiased candidates' pilot means,
/// and a relaxation is charged its bias only where it shows beyond the pilot's noise. Kinds that
/// need ∂f are left out when f is a black box; kinds that estimate another objective (VIMCO's
/// multi-sample bound) are left out always.
public struct EstimatorSelection: Sendable {
    public var trials: [EstimatorTrial]
    public var chosen: EstimatorKind
    public var cost: EstimatorCost
    /// Candidates that were not measured, with the reason.
    public var excluded: [(kind: EstimatorKind, reason: String)]

    /// Measures every admissible kind among `candidates` on `logits` and `objective`.
    /// Adaptive kinds (baselines, control variates) adapt for `warmUp` calls first.
    public init(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        candidates: [EstimatorKind] = EstimatorKind.allCases, settings: EstimatorSettings,
        draws: Int = 64, warmUp: Int = 20, cost: EstimatorCost = .seconds, key: RandomKey
    ) {
        precondition(draws >= 2, "EstimatorSelection: needs at least 2 pilot draws, got \(draws)")
        var excluded: [(EstimatorKind, String)] = []
        var admitted: [EstimatorKind] = []
        for kind in candidates {
            if !kind.supports(latent) {
                excluded.append((kind, "needs \(DiscreteLatent.bernoulli) latents"))
            } else if kind.needsDifferentiableObjective && objective.relaxed == nil {
                excluded.append((kind, "needs ∂f, and f is a black box"))
            } else if kind.estimatesImportanceWeightedBound {
                excluded.append((kind, "estimates the gradient of a multi-sample bound, not of E[f]"))
            } else {
                admitted.append(kind)
            }
        }
        precondition(!admitted.isEmpty, "EstimatorSelection: no candidate applies")
        var pilots: [(kind: EstimatorKind, diagnostics: GradientDiagnostics, cost: Double)] = []
        for (i, kind) in admitted.enumerated() {
            var estimator = kind.make(settings)
            let keys = key.fold(in: UInt64(i)).split(warmUp + 1)
            for w in 0..<warmUp where kind.adapts {
                _ = estimator.estimate(logits: logits, latent: latent, objective: objective, key: keys[w], draws: 4)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let estimate = estimator.estimate(
                logits: logits, latent: latent, objective: objective, key: keys[warmUp], draws: draws)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let diagnostics = GradientDiagnostics(
                estimator: kind.rawValue, parameters: (0..<logits.count).map(String.init),
                estimates: estimate.perDraw.reshaped(to: [draws, logits.count]),
                evaluationsPerDraw: estimate.evaluationsPerDraw, seconds: seconds)
            let perDraw = cost == .seconds ? diagnostics.secondsPerDraw : Double(estimate.evaluationsPerDraw)
            pilots.append((kind, diagnostics, perDraw))
        }
        let reference = EstimatorSelection.reference(pilots.map { ($0.kind, $0.diagnostics) })
        let costs = pilots.map(\.cost).sorted()
        let medianCost = max(costs[costs.count / 2], .leastNormalMagnitude)
        trials = pilots.map { pilot in
            let d = pilot.diagnostics
            let variance = d.variance.reduce(0, +) / Double(d.variance.count)
            var biasSquared = 0.0
            if !pilot.kind.isUnbiased, let reference {
                // (mean − reference)² overstates bias² by the two means' variances; a coordinate
                // counts only where the gap is beyond 3 standard errors of that noise.
                var total = 0.0
                for j in d.mean.indices {
                    let gap = d.mean[j] - reference.mean[j]
                    // Float rounding sets a floor: two exact estimators may differ by a few ulps.
                    let rounding = 1e-5 * abs(reference.mean[j])
                    let noise = reference.variance[j] + d.standardError[j] * d.standardError[j] + rounding * rounding
                    if gap * gap > 9 * noise { total += gap * gap - noise }
                }
                biasSquared = max(0, total / Double(d.mean.count))
            }
            let score = biasSquared + variance * pilot.cost / medianCost
            return EstimatorTrial(
                kind: pilot.kind, variance: variance, biasSquared: biasSquared, cost: pilot.cost,
                evaluationsPerDraw: d.evaluationsPerDraw, score: score)
        }
        chosen = trials.min { $0.score < $1.score }!.kind
        self.cost = cost
        self.excluded = excluded
    }

    /// The unbiased pilots' means, each weighted by its precision (1 / its mean variance over
    /// coordinates), and the variance of that combination per coordinate; nil when no unbiased
    /// kind was measured (then biases cannot be told from the gradient). One weight per estimator,
    /// not per coordinate: a score-function estimator whose pilot draws never sampled a class has
    /// a spread near zero there that says nothing about its true variance.
    static func reference(_ pilots: [(EstimatorKind, GradientDiagnostics)]) -> (mean: [Double], variance: [Double])? {
        let unbiased = pilots.filter { $0.0.isUnbiased }.map(\.1)
        guard let first = unbiased.first else { return nil }
        let weights = unbiased.map { d in 1 / max(d.variance.reduce(0, +) / Double(d.variance.count), 1e-300) }
        let total = weights.reduce(0, +)
        var mean = [Double](repeating: 0, count: first.mean.count), variance = mean
        for (d, weight) in zip(unbiased, weights) {
            let w = weight / total
            for j in mean.indices {
                mean[j] += w * d.mean[j]
                variance[j] += w * w * d.standardError[j] * d.standardError[j]
            }
        }
        return (mean, variance)
    }

    /// The measurements as rows: kind, variance, bias², cost, score, and which one was chosen.
    public var table: [[String]] {
        let header = ["estimator", "variance", "bias²", cost == .seconds ? "µs/draw" : "evals/draw", "score", ""]
        return [header]
            + trials.sorted { $0.score < $1.score }.map { t in
                [
                    t.kind.rawValue, String(format: "%.4g", t.variance), String(format: "%.4g", t.biasSquared),
                    cost == .seconds ? String(format: "%.1f", t.cost * 1e6) : String(t.evaluationsPerDraw),
                    String(format: "%.4g", t.score), t.kind == chosen ? "← chosen" : "",
                ]
            }
    }
}
