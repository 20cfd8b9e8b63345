import ReparamEstimators
import ReparamTensor

/// Which latent variables a discrete VAE's encoder uses, over a set of images.
///
/// A variable's activity is Σ_c Var_x(q(b = c | x)): the trace of the covariance across images
/// of its posterior mean E_q[b] (Burda et al. 2016's active-unit statistic; for a Bernoulli unit
/// the one term Var_x(q(b = 1 | x))). A variable whose posterior does not move with x carries no
/// information about x, whatever its KL to the prior.
public struct LatentUsage: Sendable {
    /// Activity per latent variable.
    public var activity: [Double]
    /// Mean over images of KL(q(b_v | x) ‖ uniform) per variable, in nats.
    public var kullbackLeibler: [Double]

    /// Burda et al.'s threshold for an active unit.
    public static let activeThreshold = 0.01

    public var activeCount: Int { activity.filter { $0 > LatentUsage.activeThreshold }.count }
    public var totalKullbackLeibler: Double { kullbackLeibler.reduce(0, +) }
}

extension DiscreteVAE {
    /// The encoder's latent usage over `images` ([n, inputSize]), in batches of `batchSize`.
    public func latentUsage(_ images: Tensor, batchSize: Int = 1000) -> LatentUsage {
        let classesPerVariable = latent == .bernoulli ? 1 : classes
        let width = variables * classesPerVariable
        var sum = [Double](repeating: 0, count: width), sumOfSquares = sum
        var divergence = [Double](repeating: 0, count: variables)
        for batch in Batches(images, batchSize: batchSize) {
            let θ = logits(batch)
            let p = latent.mean(θ).scalars
            for (i, value) in p.enumerated() {
                sum[i % width] += Double(value)
                sumOfSquares[i % width] += Double(value) * Double(value)
            }
            let kl = DiscreteVAE.klToUniformPerVariable(θ, latent: latent, classes: classes).scalars
            for (i, value) in kl.enumerated() { divergence[i % variables] += Double(value) }
        }
        let n = Double(images.shape[0])
        let activity = (0..<variables).map { v in
            (0..<classesPerVariable).reduce(0.0) { total, c in
                let j = v * classesPerVariable + c, mean = sum[j] / n
                return total + max(0, sumOfSquares[j] / n - mean * mean)
            }
        }
        return LatentUsage(activity: activity, kullbackLeibler: divergence.map { $0 / n })
    }
}
