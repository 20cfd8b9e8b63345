import ArgumentParser
import CReparamKernels
import Foundation
import Reparam

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A first look: pathwise vs score-function gradients of E[z²] under N(μ, σ²), and kernel speed.")

    @Option(help: "Mean μ of q = N(μ, σ²).") var mu: Float = 1
    @Option(help: "Standard deviation σ of q (> 0).") var sigma: Float = 0.5
    @Option(help: "Monte Carlo samples per estimate (≥ 2).") var samples: Int = 1000
    @Option(help: "Seed of the random key.") var seed: UInt64 = 0

    func validate() throws {
        guard mu.isFinite else { throw ValidationError("--mu must be finite, got \(mu)") }
        guard sigma.isFinite && sigma > 0 else { throw ValidationError("--sigma must be positive and finite, got \(sigma)") }
        guard (2...10_000_000).contains(samples) else { throw ValidationError("--samples must be between 2 and 10000000, got \(samples)") }
    }

    func run() {
        print("""
        Reparam — gradients through random sampling
        Goal: ∇ E_{z~N(μ,σ²)}[z²] at μ = \(mu), σ = \(sigma). Exact: ∂/∂μ = 2μ = \(2 * mu), ∂/∂σ = 2σ = \(2 * sigma).
        A sample z has no gradient. Two ways around that, \(samples) samples each:

        """)
        let key = RandomKey(seed: seed)
        // One parameter copy per sample, so the gradient holds each sample's own estimate.
        let muPerSample = Tensor(repeating: mu, shape: [samples]), sigmaPerSample = Tensor(repeating: sigma, shape: [samples])
        // Pathwise: rsample is z = μ + σε, differentiable in (μ, σ); ε carries the randomness.
        let pathwise = gradient(at: muPerSample, sigmaPerSample) { m, s in
            square(Normal(loc: m, scale: s).rsample(key)).sumToFloat()
        }
        // Score function: ∇E[f(z)] = E[f(z)·∇log q(z)], with z drawn (no gradient) and held fixed.
        let z = Normal(loc: muPerSample, scale: sigmaPerSample).sample(key)
        let fz = square(z)
        let score = gradient(at: muPerSample, sigmaPerSample) { m, s in (fz * Normal(loc: m, scale: s).logProb(z)).sumToFloat() }
        let exact = (mu: 2 * mu, sigma: 2 * sigma)
        print("estimator        gradient  estimate ± std.err   exact   per-sample var   samples for 10% error")
        var needed: [String: Double] = [:]
        for (name, grads) in [("pathwise", pathwise), ("score function", score)] {
            for (label, values, truth) in [("∂/∂μ", grads.0, exact.mu), ("∂/∂σ", grads.1, exact.sigma)] {
                let (mean, variance) = meanAndVariance(values.scalars)
                let count = variance / pow(0.1 * Double(truth), 2)
                needed[name + label] = count
                let columns = String(format: "%8.4f ± %-8.4f %7.3f   %12.4f   %10.0f", mean,
                                     (variance / Double(samples)).squareRoot(), truth, variance, count.rounded(.up))
                print(name.padding(toLength: 17, withPad: " ", startingAt: 0) + label.padding(toLength: 10, withPad: " ", startingAt: 0) + columns)
            }
        }
        let ratioMu = needed["score function∂/∂μ"]! / needed["pathwise∂/∂μ"]!
        let ratioSigma = needed["score function∂/∂σ"]! / needed["pathwise∂/∂σ"]!
        print(String(format: "\nHere the score function (no baseline) needs %.0f× the samples of the pathwise estimator for ∂/∂μ", ratioMu)
              + String(format: " and %.0f× for ∂/∂σ.", ratioSigma))
        print("Its variance grows like 1/σ² as σ shrinks — try --sigma 0.05.\n")
        kernelSummary()
        print("\nMore: `reparam bench kernels`, `reparam bench autodiff`, `reparam --help`.")
    }

    func kernelSummary() {
        let a = RandomKey(seed: 1).normal([128, 784]).scalars, b = RandomKey(seed: 2).normal([784, 400]).scalars
        var c = [Float](repeating: 0, count: 128 * 400)
        let gemm = medianSeconds(repeats: 5, minimum: 0.02) { rp_sgemm(0, 0, 128, 400, 784, 1, a, 784, b, 400, 0, &c, 400) }
        var normals = [Float](repeating: 0, count: 1 << 20)
        let fill = medianSeconds(repeats: 5, minimum: 0.02) { rp_fill_normal([9, 9], &normals, normals.count) }
        print(String(format: "Kernels (%@, %d thread(s)): GEMM 128·784·400 %.0f GFLOP/s; normal sampling %.0f M/s",
                     Kernels.isa.description, Kernels.threads, 2 * 128 * 784 * 400 / gemm / 1e9, Double(normals.count) / fill / 1e6))
    }
}

func meanAndVariance(_ values: [Float]) -> (Double, Double) {
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let variance = values.reduce(0.0) { $0 + pow(Double($1) - mean, 2) } / Double(values.count - 1)
    return (mean, variance)
}
