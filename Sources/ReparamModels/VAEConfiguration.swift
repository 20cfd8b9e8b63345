import Foundation
import ReparamEstimators
import ReparamNN
import ReparamRandom

/// Everything that defines a VAE training run; saved with every checkpoint so `--resume`
/// needs nothing else.
public struct VAEConfiguration: Codable, Sendable, Equatable {
    public var inputSize = 784
    public var hidden: [Int] = [400]
    public var latent = 20
    /// relu, tanh or sigmoid.
    public var activation = Activation.relu
    public var initializer = Initializer.pytorchDefault
    public var batchSize = 128
    public var learningRate: Float = 1e-3
    public var adamEpsilon: Float = 1e-8
    /// Dynamic binarization: each batch's pixels ~ Bernoulli(grey level), drawn from the run's key.
    public var binarize = false
    public var objective = VAEObjectiveKind.elbo
    public var samples = 1
    /// The importance-weighted gradient estimator (iwae and elbo-mc).
    public var gradient = ImportanceWeightedGradient.standard
    public var schedule = LearningRateSchedule.constant
    public var seed: UInt64 = 0
    /// diagonal, planar or iaf (optional so configurations saved before flows still load).
    public var posterior: PosteriorKind?
    /// Layers of the posterior's flow.
    public var flowSteps: Int?

    public init() {}

    public var posteriorKind: PosteriorKind { posterior ?? .diagonal }

    /// About how many bytes a training run holds at its peak: each of batch × k samples keeps its
    /// activations and their gradients, ≈ 4·input + 2·Σhidden + 8·latent floats (measured: 14.5 KB
    /// per sample for 784-400-20, against 16.4 KB here), plus ~400 MB for MNIST and the program.
    public var estimatedTrainingBytes: Double {
        let perSample = 4 * inputSize + 2 * hidden.reduce(0) { $0 + Swift.max(0, $1) } + 8 * latent
        return 400e6 + Double(batchSize) * Double(samples) * Double(perSample) * 4
    }

    /// The problems with this configuration, each naming the setting; empty when it is valid.
    public var problems: [String] {
        var out: [String] = []
        if inputSize <= 0 { out.append("input size must be positive, got \(inputSize)") }
        if hidden.isEmpty || hidden.contains(where: { $0 <= 0 || $0 > 100_000 }) {
            out.append("--hidden sizes must be 1…100000, got \(hidden)")
        }
        if latent <= 0 || latent > 10_000 { out.append("--latent must be 1…10000, got \(latent)") }
        if activation == .identity { out.append("--activation must be relu, tanh or sigmoid, got 'identity'") }
        if batchSize <= 0 || batchSize > 1_000_000 { out.append("--batch must be 1…1000000, got \(batchSize)") }
        if !(learningRate > 0 && learningRate.isFinite) {
            out.append("--lr must be positive and finite, got \(learningRate)")
        }
        // A subnormal ε would be flushed to zero in Adam's update (see Kernels.flushesSubnormals).
        if !(adamEpsilon >= .leastNormalMagnitude && adamEpsilon.isFinite) {
            out.append("--adam-epsilon must be finite and at least \(Float.leastNormalMagnitude), got \(adamEpsilon)")
        }
        if samples < 1 || samples > 10_000 { out.append("--k must be 1…10000, got \(samples)") }
        if objective != .iwae && samples != 1 {
            out.append("k = \(samples) needs --objective iwae (the ELBO uses one sample)")
        }
        if objective == .elbo && gradient != .standard {
            out.append("--gradient \(gradient.rawValue) needs --objective iwae or elbo-mc")
        }
        if posteriorKind == .diagonal && (flowSteps ?? 0) != 0 {
            out.append("--flow-steps \(flowSteps!) needs --posterior planar or iaf")
        }
        if posteriorKind != .diagonal {
            if !(1...1000).contains(flowSteps ?? 0) {
                out.append("--posterior \(posteriorKind.rawValue) needs --flow-steps 1…1000, got \(flowSteps ?? 0)")
            }
            if objective == .elbo {
                out.append(
                    "--posterior \(posteriorKind.rawValue) needs --objective elbo-mc or iwae: "
                        + "a flow posterior's KL has no closed form")
            }
            if gradient != .standard {
                out.append(
                    "--gradient \(gradient.rawValue) needs q's density at a given z; "
                        + "with a flow posterior only the standard gradient is available")
            }
        }
        return out
    }

    public var vaeObjective: VAEObjective {
        switch objective {
        case .elbo: .elbo(analyticKL: true)
        case .elboMC where gradient == .standard: .elbo(analyticKL: false)
        case .elboMC, .iwae: .iwae(samples: samples, gradient: gradient)
        }
    }

    /// The learning rate of epoch `epoch` (0-based).
    public func learningRate(epoch: Int) -> Float {
        guard schedule == .iwae else { return learningRate }
        var (stage, end) = (0, 1)
        while epoch >= end {
            stage += 1
            end += Int(pow(3, Double(stage)))
        }
        return learningRate * Float(pow(10, -Double(stage) / 7))
    }

    /// Epochs in the first `stages` stages of the iwae schedule: Σ 3^i.
    public static func iwaeEpochs(stages: Int) -> Int { (0..<stages).reduce(0) { $0 + Int(pow(3, Double($1))) } }

    public func makeModel(key: RandomKey) -> VAE {
        VAE(
            inputSize: inputSize, hidden: hidden, latentSize: latent, activation: activation,
            initializer: initializer, posterior: posteriorKind,
            flowSteps: flowSteps ?? 0, key: key)
    }
}

/// The VAE's training objective as a configuration names it.
public enum VAEObjectiveKind: String, CaseIterable, Codable, Sendable {
    /// The ELBO with the analytic Gaussian KL.
    case elbo
    /// The ELBO with a Monte Carlo KL (log q(z|x) − log p(z) at the sample); flows need it.
    case elboMC = "elbo-mc"
    /// The K-sample importance-weighted bound (Burda et al.).
    case iwae
}

/// The learning rate over epochs.
public enum LearningRateSchedule: String, CaseIterable, Codable, Sendable {
    case constant
    /// Burda et al.'s: stage i runs 3^i epochs at lr·10^(−i/7).
    case iwae
}

extension VAEConfiguration {
    /// "diagonal Gaussian", or the flow and its layers.
    public var posteriorDescription: String {
        posteriorKind == .diagonal ? "diagonal Gaussian" : "\(posteriorKind.rawValue) flow (\(flowSteps ?? 0) layers)"
    }
}
