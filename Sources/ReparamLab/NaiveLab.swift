import Foundation
import Reparam

/// `lab naive`: why a sample has no gradient, and what `rsample` gives instead.
public enum NaiveLab {
    /// Code that asks for a gradient through `sample()`; it does not compile.
    public static let rejectedSource = """
        import Reparam
        let key = RandomKey(seed: 0)
        let q = Normal(loc: Tensor(1), scale: Tensor(0.5))
        let g = gradient(at: q) { q in square(q.sample(key)).sumToFloat() }
        """

    /// The compiler's verdict on `rejectedSource` (a test compiles it and checks these lines).
    public static let diagnostic = [
        "error: expression is not differentiable",
        "note: cannot differentiate functions that have not been marked '@differentiable' and that are defined in other files",
    ]

    /// The same request through `rsample`; it compiles.
    public static let acceptedSource = """
        import Reparam
        let key = RandomKey(seed: 0)
        let q = Normal(loc: Tensor(1), scale: Tensor(0.5))
        let g = gradient(at: q) { q in square(q.rsample(key)).sumToFloat() }
        """

    public static func run(lab: GaussianLab, samples: Int, key: RandomKey) -> LabResult {
        let q = Normal(
            loc: Tensor(repeating: Float(lab.mu), shape: [samples]),
            scale: Tensor(repeating: Float(lab.sigma), shape: [samples]))
        let f = lab.function.differentiable(k: Float(lab.k))
        // Holding the sample fixed — what a framework that lets the call through computes.
        let frozen = gradient(at: q) { q in f(withoutDerivative(at: q.sample(key))).sumToFloat() }
        let frozenRows = GaussianLab.columns(frozen.loc.expanded(to: [samples]), frozen.scale.expanded(to: [samples]))
        let pathwise = lab.measure(.pathwise, samples: samples, key: key).estimates
        var table = Table(header: ["gradient", "param", "estimate", "± SE", "exact"])
        var records: [Record] = []
        for (name, rows) in [("through sample() held fixed", frozenRows), ("through rsample()", pathwise)] {
            let d = GradientDiagnostics(
                estimator: name, parameters: GaussianLab.parameters, estimates: rows, exact: lab.exactGradient)
            for j in 0..<2 {
                table.rows.append([
                    name, GaussianLab.parameters[j], formatted(d.mean[j]), formatted(d.standardError[j]),
                    formatted(lab.exactGradient[j]),
                ])
                records.append(
                    Record([
                        ("estimator", .string(name)), ("parameter", .string(GaussianLab.parameters[j])),
                        ("mean", .number(d.mean[j])), ("standard_error", .number(d.standardError[j])),
                        ("exact", .number(lab.exactGradient[j])),
                    ]))
            }
        }
        return LabResult(
            title: "Naive: a sample has no gradient",
            headline: [
                "\(lab.setting); \(samples) samples.",
                "Asking for a gradient through sample() is a compile-time error in Reparam:",
                rejectedSource, diagnostic.joined(separator: "\n"),
                "Held fixed (what happens where the call is let through), the sample contributes nothing: the gradient is 0. rsample() writes z = μ + σε and gets the right one:",
            ],
            table: table, records: records, charts: [])
    }
}
