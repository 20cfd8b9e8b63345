import Foundation
import ReparamData
import ReparamDistributions
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// Everything that defines a discrete-VAE run (saved with each checkpoint).
public struct DiscreteVAEConfiguration: Codable, Sendable, Equatable {
    public var latent = DiscreteLatent.categorical
    /// Bernoulli units, or categorical variables.
    public var variables = 20
    public var classes = 10
    public var hidden: [Int] = [512, 256]
    public var activation = Activation.relu
    /// Weight initialization: pytorch (nn.Linear's default) or glorot (Glorot-uniform weights and
    /// zero biases, TensorFlow's dense-layer default), say. Optional so that runs saved before the
    /// field existed load; nil means pytorch.
    public var initializer: Initializer?
    public var batchSize = 100
    public var learningRate: Float = 1e-3
    public var estimator = EstimatorKind.gumbelSoftmax
    /// Samples per image for rloo and vimco.
    public var samples = 2
    /// Relaxation temperature τ = max(τ_min, τ₀·exp(−r·t)), updated every `annealEvery` steps
    /// (for annealed-st, the backward pass's slope is 1/τ on the same schedule).
    public var temperature: Float = 1
    public var annealRate: Float = 1e-4
    public var temperatureMin: Float = 0.5
    public var annealEvery = 1000
    /// Dynamic binarization (pixels ~ Bernoulli(grey) per batch); the test set is binarized once.
    public var binarize = true
    public var seed: UInt64 = 0
    /// `--estimator auto`: the estimator is chosen by measuring every applicable one, and chosen
    /// again every `every` steps; `estimator` is then the current choice. Nil: fixed.
    public var automatic: AutomaticEstimator?

    public init() {}

    /// A generous estimate of training's peak memory in bytes, to refuse before allocating: the
    /// encoder and decoder (784 → hidden → latent and back; 4 copies with gradient and Adam's
    /// moments) and, per sample of batch × k, 8 floats per image pixel, hidden unit and latent
    /// logit, plus 400 MB for MNIST and the program.
    public var estimatedTrainingBytes: Double {
        let units = Double(Swift.max(variables, 0)) * Double(latent == .categorical ? Swift.max(classes, 0) : 1)
        let widths = [784.0] + hidden.map(Double.init) + [units]
        let weights = zip(widths, widths.dropFirst()).reduce(0.0) { $0 + $1.0 * $1.1 } * 2
        let perSample = 8 * (2 * 784 + 2 * hidden.reduce(0) { $0 + Double(Swift.max($1, 0)) } + 2 * units)
        return 400e6 + 4 * (4 * weights + Double(Swift.max(batchSize, 0)) * Double(Swift.max(samples, 1)) * perSample)
    }

    public var problems: [String] {
        var out: [String] = []
        if variables < 1 || variables > 10_000 { out.append("--variables must be 1…10000, got \(variables)") }
        if latent == .categorical && (classes < 2 || classes > 1000) {
            out.append("--classes must be 2…1000, got \(classes)")
        }
        if hidden.contains(where: { $0 <= 0 || $0 > 100_000 }) {
            out.append("--hidden sizes must be 1…100000, got \(hidden)")
        }
        if activation == .identity { out.append("--activation must be relu, tanh or sigmoid, got 'identity'") }
        if batchSize < 1 || batchSize > 100_000 { out.append("--batch must be 1…100000, got \(batchSize)") }
        if !(learningRate > 0 && learningRate.isFinite) {
            out.append("--lr must be positive and finite, got \(learningRate)")
        }
        out += estimator.problems(latent: latent, settings: estimatorSettings(key: RandomKey(seed: seed)))
        if !(temperature > 0 && temperature.isFinite) {
            out.append("--temperature must be positive and finite, got \(temperature)")
        }
        if !(temperatureMin > 0 && temperatureMin.isFinite) {
            out.append("--tau-min must be positive and finite, got \(temperatureMin)")
        }
        if !(annealRate >= 0 && annealRate.isFinite) {
            out.append("--anneal-rate must be ≥ 0 and finite, got \(annealRate)")
        }
        if annealEvery < 1 { out.append("--anneal-every must be at least 1, got \(annealEvery)") }
        if let automatic {
            if automatic.every < 1 { out.append("--auto-every must be at least 1, got \(automatic.every)") }
            if !(2...10_000).contains(automatic.draws) {
                out.append("--auto-draws must be 2…10000, got \(automatic.draws)")
            }
            if !(1...10_000).contains(automatic.images) {
                out.append("--auto-images must be 1…10000, got \(automatic.images)")
            }
        }
        return out
    }

    /// τ over training steps: max(τ_min, τ₀·exp(−r·⌊t/N⌋·N)).
    public var temperatureSchedule: TemperatureSchedule {
        .exponentialDecay(initial: temperature, rate: annealRate, floor: temperatureMin, every: annealEvery)
    }

    public func makeModel(key: RandomKey) -> DiscreteVAE {
        DiscreteVAE(
            latent: latent, variables: variables, classes: classes, hidden: hidden,
            activation: activation, initializer: initializer ?? .pytorchDefault, key: key)
    }

    /// What the estimator is built with. NVIL's baseline reads the image (784 pixels) through 100
    /// tanh units, RELAX's network the latent's values; variance normalization stays off: here the
    /// exact KL gradient joins the score term, and dividing only the score term by the signal's
    /// spread tipped the balance to the KL (the posterior collapsed to the prior: test −ELBO 199
    /// after 20 epochs, against 164 for plain REINFORCE).
    public func estimatorSettings(key: RandomKey) -> EstimatorSettings {
        var settings = EstimatorSettings(key: key)
        settings.temperature = temperatureSchedule
        settings.samples = samples
        (settings.baselineInputs, settings.baselineHidden) = (784, 100)
        (settings.latentSize, settings.controlVariateHidden) = (
            latent == .bernoulli ? variables : variables * classes, 100
        )
        settings.learningRate = learningRate
        return settings
    }

    public func makeEstimator(key: RandomKey) -> any DiscreteGradientEstimator {
        estimator.make(estimatorSettings(key: key))
    }
}

/// How `--estimator auto` measures: every `every` steps, `draws` pilot estimates of ∂E[log p(x|b)]/∂logits
/// on the first `images` images of the batch, costs in `cost` units (see `EstimatorSelection`).
public struct AutomaticEstimator: Codable, Sendable, Equatable {
    public var every = 3000
    public var images = 20
    public var draws = 32
    public var cost = EstimatorCost.seconds

    public init() {}
}

/// Trains a discrete VAE with one gradient estimator, resumable bit-exactly like `VAETrainer`.
public struct DiscreteVAETrainer {
    public internal(set) var configuration: DiscreteVAEConfiguration
    public internal(set) var model: DiscreteVAE
    public internal(set) var state: TrainingState
    public internal(set) var estimator: any DiscreteGradientEstimator
    public internal(set) var lastEpochLoss = Double.nan
    public private(set) var lastStepLoss = Float.nan
    var optimizer: Adam<DiscreteVAE>
    let runKey: RandomKey
    /// Chooses each training step's thread count (speed only: results are the same on any count).
    public let threadTuner = ThreadTuner()

    public init(configuration: DiscreteVAEConfiguration) {
        precondition(
            configuration.problems.isEmpty, "DiscreteVAETrainer: \(configuration.problems.joined(separator: "; "))")
        self.configuration = configuration
        runKey = RandomKey(seed: configuration.seed)
        model = configuration.makeModel(key: runKey.fold(in: 0))
        estimator = configuration.makeEstimator(key: runKey.fold(in: 6))
        optimizer = Adam(for: model, learningRate: configuration.learningRate)
        state = TrainingState()
    }

    public var epochLoss: Double { state.epochImages > 0 ? state.epochLossSum / Double(state.epochImages) : .nan }
    public func batchesPerEpoch(_ images: Tensor) -> Int {
        (images.shape[0] + configuration.batchSize - 1) / configuration.batchSize
    }
    public var temperature: Float { configuration.temperatureSchedule.temperature(atStep: state.step) }

    /// Runs the current epoch from its next batch; see `VAETrainer.runEpoch`.
    public mutating func runEpoch(
        _ images: Tensor, shouldStop: () -> Bool = { false },
        afterBatch: (DiscreteVAETrainer) -> Void = { _ in }
    ) throws -> Bool {
        try runEpochLoop(&self, images, shouldStop: shouldStop, afterBatch: afterBatch)
    }

    mutating func step(_ batch: Tensor) throws {
        if let automatic = configuration.automatic, state.step % automatic.every == 0 { choose(batch, automatic) }
        estimator.prepare(forStep: state.step)
        let key = runKey.fold(in: 2).fold(in: UInt64(state.step))
        let (loss, gradient) = DiscreteVAETrainer.lossAndGradient(
            model, batch, &estimator, key,
            reportingLoss: DiscreteVAETrainer.reportsLoss(step: state.step, batch: state.batch))
        if let loss, !loss.isFinite {
            throw NonFiniteTrainingError(step: state.step, detail: "the loss is \(loss)")
        }
        // A step that skipped its loss (nil) still checks its gradient: Adam refuses a non-finite one.
        try applyAdam(&optimizer, &model, gradient, step: state.step)
        if let loss { lastStepLoss = loss }
        state.record(loss: loss, images: batch.shape[0])
    }

    /// Steps between two whose training loss is computed when the estimator can skip it: the
    /// Gumbel-softmax relaxation trains on the relaxed sample, and its loss, the −ELBO at the hard
    /// sample, needs one more decoder pass. The epoch's training loss is then the mean over the
    /// epoch's first step and every `lossEvery`-th step (about 60 of 600). Straight-through forms
    /// take their gradient at the hard sample and report every step.
    public static let lossEvery = 10

    /// Whether step `step` (batch `batch` of its epoch) computes its training loss.
    static func reportsLoss(step: Int, batch: Int) -> Bool { batch == 0 || step % lossEvery == 0 }

    /// Every choice `--estimator auto` made since the caller last took them, with its step.
    public private(set) var selections: [(step: Int, selection: EstimatorSelection)] = []

    public mutating func takeSelections() -> [(step: Int, selection: EstimatorSelection)] {
        defer { selections = [] }
        return selections
    }

    /// Measures every estimator that applies on the first images of `batch` and switches to the
    /// winner (a fresh one: an adapted baseline does not carry over to a different estimator).
    mutating func choose(_ batch: Tensor, _ automatic: AutomaticEstimator) {
        let pilot = batch.rows(Array(0..<Swift.min(automatic.images, batch.shape[0])))
        let decoder = model.decoder
        let objective = DiscreteObjective({ z in DiscreteVAE.logLikelihood(decoder, z, pilot) }, context: pilot)
        let settings = configuration.estimatorSettings(key: runKey.fold(in: 6))
        // Kinds this configuration cannot build (RLOO and VIMCO with --k 1) are not candidates.
        let candidates = EstimatorKind.supporting(configuration.latent).filter {
            $0.problems(latent: configuration.latent, settings: settings).isEmpty
        }
        let selection = EstimatorSelection(
            logits: model.logits(pilot), latent: configuration.latent, objective: objective,
            candidates: candidates, settings: settings, draws: automatic.draws,
            cost: automatic.cost, key: runKey.fold(in: 9).fold(in: UInt64(state.step)))
        selections.append((state.step, selection))
        if selection.chosen != configuration.estimator {
            configuration.estimator = selection.chosen
            estimator = configuration.makeEstimator(key: runKey.fold(in: 6))
        }
    }

    /// Opens the existential estimator for the generic model call.
    static func lossAndGradient<E: DiscreteGradientEstimator>(
        _ model: DiscreteVAE, _ batch: Tensor, _ estimator: inout E,
        _ key: RandomKey, reportingLoss: Bool = true
    ) -> (Float?, DiscreteVAE.TangentVector) {
        model.lossAndGradient(
            batch, estimator: &estimator, key: key, draws: 1, sharingDecoderPass: true, reportingLoss: reportingLoss)
    }

    /// Test −ELBO per image with one hard sample per image and a fixed key.
    public func testLoss(_ images: Tensor) -> Double { evaluate(images).mean }

    /// The test loss averaged over `samples` draws per image, and its standard error over images
    /// (sample standard deviation of the per-image averages / √images). Hard samples by default;
    /// `relaxedAt: τ` evaluates the relaxed objective instead (see `DiscreteVAE.negativeELBO`).
    /// The first draw uses `testLoss`'s keys, so samples = 1 reproduces it.
    public func evaluate(_ images: Tensor, samples: Int = 1, relaxedAt temperature: Float? = nil) -> (
        mean: Double, standardError: Double
    ) {
        precondition(samples >= 1, "evaluate: samples must be at least 1, got \(samples)")
        var perImage: [Double] = []
        perImage.reserveCapacity(images.shape[0])
        for (i, batch) in Batches(testData(images), batchSize: 1000).enumerated() {
            let key = runKey.fold(in: 4).fold(in: UInt64(i))
            var sum = [Double](repeating: 0, count: batch.shape[0])
            for s in 0..<samples {
                let loss = model.negativeELBO(
                    batch, key: s == 0 ? key : key.fold(in: UInt64(s)), relaxedAt: temperature
                ).scalars
                for j in sum.indices { sum[j] += Double(loss[j]) }
            }
            perImage += sum.map { $0 / Double(samples) }
        }
        return meanAndStandardError(perImage)
    }

    /// How much of its code the encoder uses on `images`, binarized as the test set is.
    public func latentUsage(_ images: Tensor) -> LatentUsage { model.latentUsage(testData(images)) }

    public func testData(_ images: Tensor) -> Tensor {
        configuration.binarize ? binarized(images, key: runKey.fold(in: 5)) : images
    }

    /// The estimator's variance on `batch` now: mean over logit coordinates of the per-draw
    /// variance of ∂E[log p(x|b)]/∂logits, from `draws` draws of a copy (the state does not adapt).
    public func gradientVariance(_ batch: Tensor, draws: Int = 32) -> Double {
        var current = estimator
        current.prepare(forStep: state.step)
        return DiscreteVAETrainer.variance(
            model, batch, current, draws, runKey.fold(in: 7).fold(in: UInt64(state.step)))
    }

    static func variance<E: DiscreteGradientEstimator>(
        _ model: DiscreteVAE, _ batch: Tensor, _ estimator: E, _ draws: Int,
        _ key: RandomKey
    ) -> Double {
        var copy = estimator
        let θ = model.logits(batch), decoder = model.decoder
        let objective = DiscreteObjective({ z in DiscreteVAE.logLikelihood(decoder, z, batch) }, context: batch)
        let estimate = copy.estimate(logits: θ, latent: model.latent, objective: objective, key: key, draws: draws)
        let d = GradientDiagnostics(
            estimator: copy.name, parameters: (0..<θ.count).map(String.init),
            estimates: estimate.perDraw.reshaped(to: [draws, θ.count]))
        return d.variance.reduce(0, +) / Double(d.variance.count)
    }
}

extension DiscreteVAETrainer: BatchStepping {
    var binarizes: Bool { configuration.binarize }
    mutating func prepareEpoch() {}
}
