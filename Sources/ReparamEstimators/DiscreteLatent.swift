import Foundation
import ReparamDistributions
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The discrete latent a set of logits θ parameterizes.
///
/// - `bernoulli`: θ has shape [batch, units]; a sample b ∈ {0, 1} has the same shape,
///   q(b) = Πσ(θ)^b (1 − σ(θ))^(1−b).
/// - `categorical`: θ has shape [batch, variables, classes]; a sample is one-hot along the last
///   axis, q(b) = Π softmax(θ)·b.
///
/// Both give the score ∇θ log q(b) = b − E[b] in closed form, which every score-function
/// estimator here uses instead of a backward pass. The probabilities are the families'
/// (`Bernoulli`, `OneHotCategorical`); what this type adds is the noise view the estimators
/// share: b = H(θ + noise) or onehot(argmax(θ + noise)), relaxed by σ or softmax at τ.
public enum DiscreteLatent: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case bernoulli
    case categorical

    public var description: String { rawValue }

    /// Number of leading batch axes in θ: the objective returns one value per batch row.
    var latentRank: Int { self == .bernoulli ? 1 : 2 }

    /// E[b]: σ(θ) or softmax(θ).
    @differentiable(reverse)
    public func mean(_ logits: Tensor) -> Tensor {
        self == .bernoulli ? Bernoulli(logits: logits).mean : OneHotCategorical(logits: logits).mean
    }

    /// ∇θ log q(b) = b − E[b], for samples shaped [draws] + θ.shape.
    public func score(_ samples: Tensor, logits: Tensor) -> Tensor { samples - mean(logits) }

    /// The hard sample of perturbed logits θ + noise: H(θ + noise) or onehot(argmax(θ + noise)).
    public func hardSample(perturbed: Tensor) -> Tensor {
        self == .bernoulli ? perturbed.map { $0 > 0 ? 1 : 0 } : oneHotArgmax(perturbed)
    }

    /// `draws` hard samples b ~ q_θ, shaped [draws] + θ.shape: H(θ + noise) or onehot(argmax(θ + noise)).
    public func sample(logits: Tensor, draws: Int, key: RandomKey) -> Tensor {
        hardSample(perturbed: perDraw(logits, draws) + noise(key, shape: [draws] + logits.shape))
    }

    /// Logistic noise log u − log(1 − u) (Bernoulli) or standard Gumbel (categorical), so that
    /// the hard sample is H(θ + noise) or onehot(argmax(θ + noise)).
    public func noise(_ key: RandomKey, shape: [Int]) -> Tensor {
        switch self {
        case .bernoulli: return Logistic(loc: Tensor(0), scale: Tensor(1)).sample(key, sampleShape: shape)
        case .categorical: return key.gumbel(shape)
        }
    }

    /// The Gumbel-softmax / binary-Concrete relaxation of θ + noise at temperature T: the map from
    /// noise to sample of `RelaxedBernoulli` and `RelaxedOneHotCategorical`, on noise the hard
    /// sample shares.
    @differentiable(reverse,wrt: perturbed)
    public func relax(_ perturbed: Tensor, temperature: Float) -> Tensor {
        self == .bernoulli ? sigmoid(perturbed / temperature) : softmax(perturbed / temperature)
    }

    /// log q(b) per draw and batch row for samples b shaped [draws] + θ.shape: [draws, batch].
    @differentiable(reverse,wrt: logits)
    public func logProbability(_ b: Tensor, logits: Tensor) -> Tensor {
        // The families sum over their event axis (a categorical's classes); the rest are the units.
        let perUnit =
            self == .bernoulli ? Bernoulli(logits: logits).logProb(b) : OneHotCategorical(logits: logits).logProb(b)
        return perUnit.sum(alongAxes: [2])
    }

    /// Per-batch-row sum of a per-element quantity: [draws, batch, …] → [draws, batch].
    @differentiable(reverse)
    func sumOverLatent(_ x: Tensor) -> Tensor {
        x.sum(alongAxes: withoutDerivative(at: latentRank == 1 ? [-1] : [-2, -1]))
    }

    /// Every configuration of one batch row's latent, shaped [configurations] + θ.shape[1...]:
    /// 2^units for Bernoulli, classes^variables for categorical.
    public func enumerate(latentShape: [Int]) -> Tensor {
        switch self {
        case .bernoulli:
            let units = latentShape[0]
            precondition(units <= 20, "enumerate: 2^\(units) configurations is too many")
            return Tensor(
                shape: [1 << units, units],
                scalars: (0..<(1 << units)).flatMap { code in
                    (0..<units).map { Float((code >> $0) & 1) }
                })
        case .categorical:
            let (variables, classes) = (latentShape[0], latentShape[1])
            let count = (0..<variables).reduce(1) { value, _ in value * classes }
            precondition(count <= 1 << 20, "enumerate: \(classes)^\(variables) configurations is too many")
            var scalars = [Float](repeating: 0, count: count * variables * classes)
            for code in 0..<count {
                var rest = code
                for v in 0..<variables {
                    scalars[(code * variables + v) * classes + rest % classes] = 1
                    rest /= classes
                }
            }
            return Tensor(shape: [count, variables, classes], scalars: scalars)
        }
    }

    /// log q(b) of each configuration for one batch row's logits (shape latentShape).
    @differentiable(reverse,wrt: logits)
    public func logProbability(of configurations: Tensor, logits: Tensor) -> Tensor {
        let logQ =
            self == .bernoulli
            ? Bernoulli(logits: logits).logProb(configurations)
            : OneHotCategorical(logits: logits).logProb(configurations)
        return logQ.rank == 1 ? logQ : logQ.sum(alongAxes: withoutDerivative(at: Array(1..<logQ.rank)))
    }

    /// E[f(b)] and ∇θ E[f(b)] exactly, by summing over every configuration, for logits with
    /// one batch row ([1, units] or [1, variables, classes]).
    public func exactGradient(logits: Tensor, objective: DiscreteObjective) -> (value: Float, gradient: Tensor) {
        precondition(logits.shape[0] == 1, "exactGradient: enumerates one batch row; logits \(logits.shape)")
        let configurations = enumerate(latentShape: Array(logits.shape.dropFirst()))
        let f = objective.evaluate(
            configurations.reshaped(to: [configurations.shape[0], 1] + configurations.shape.dropFirst())
        )
        .reshaped(to: [configurations.shape[0]])
        return valueWithGradient(at: logits) { θ in
            (exp(
                logProbability(
                    of: configurations, logits: θ.reshaped(to: withoutDerivative(at: Array(θ.shape.dropFirst()))))) * f)
                .sum().sumToFloat()
        }
    }
}

/// One-hot of the argmax along the last axis (first index on ties; a NaN is never larger).
public func oneHotArgmax(_ x: Tensor) -> Tensor {
    let k = x.shape.last!
    // Branch-free: which entry of a row wins is random, so a compare-and-branch mispredicted on most rows. The
    // discrete VAE's 2 000 rows of 10 took 58 µs a step on the calling thread (51 through raw pointers with the
    // branch), 13 µs this way.
    return Tensor.filled(x.shape) { out, count in
        out.update(repeating: 0, count: count)
        x.withUnsafeScalars { scalars in
            guard let s = scalars.baseAddress, k > 0 else { return }
            for start in stride(from: 0, to: count, by: k) {
                var best = start, peak = s[start]
                for i in start + 1..<start + k {
                    let value = s[i], larger = value > peak
                    best = larger ? i : best
                    peak = larger ? value : peak
                }
                out[best] = 1
            }
        }
    }
}
