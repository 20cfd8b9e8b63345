import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// A loss or parameter that stopped being finite, by step and name.
/// Trains a VAE one batch at a time from a run key, so a run can stop anywhere and continue
/// bit-exactly: batch order, noise and binarization all derive from (seed, epoch, step).
public struct VAETrainer {
    public private(set) var configuration: VAEConfiguration
    public private(set) var model: VAE
    public internal(set) var state: TrainingState
    var optimizer: Adam<VAE>
    let runKey: RandomKey
    /// Chooses each training step's thread count (speed only: results are the same on any count).
    public let threadTuner = ThreadTuner()

    public init(configuration: VAEConfiguration) {
        precondition(configuration.problems.isEmpty, "VAETrainer: \(configuration.problems.joined(separator: "; "))")
        self.configuration = configuration
        runKey = RandomKey(seed: configuration.seed)
        model = configuration.makeModel(key: runKey.fold(in: 0))
        optimizer = Adam(for: model, learningRate: configuration.learningRate, epsilon: configuration.adamEpsilon)
        state = TrainingState()
    }

    public init(checkpoint: VAECheckpoint) {
        self.init(configuration: checkpoint.configuration)
        model = checkpoint.model
        optimizer.state = checkpoint.optimizer
        state = checkpoint.state
    }

    public var checkpoint: VAECheckpoint {
        VAECheckpoint(configuration: configuration, state: state, model: model, optimizer: optimizer.state)
    }

    /// Mean training loss of the epoch so far (per image).
    public var epochLoss: Double { state.epochImages > 0 ? state.epochLossSum / Double(state.epochImages) : .nan }
    /// Mean training loss of the last completed epoch (over the batches this process ran and
    /// any a resumed checkpoint had counted).
    public internal(set) var lastEpochLoss = Double.nan
    /// The most recent step's loss (per image).
    public private(set) var lastStepLoss = Float.nan

    /// Batches in one epoch of `images` rows.
    public func batchesPerEpoch(_ images: Tensor) -> Int {
        (images.shape[0] + configuration.batchSize - 1) / configuration.batchSize
    }

    /// Runs the current epoch from its next batch. Stops early, with the state pointing at the
    /// next batch, when `shouldStop` says so; returns whether the epoch completed. Throws
    /// `NonFiniteTrainingError` (the model and state are then those of the last good step).
    public mutating func runEpoch(
        _ images: Tensor, shouldStop: () -> Bool = { false },
        afterBatch: (VAETrainer) -> Void = { _ in }
    ) throws -> Bool {
        try runEpochLoop(&self, images, shouldStop: shouldStop, afterBatch: afterBatch)
    }

    mutating func step(_ batch: Tensor) throws {
        let objective = configuration.vaeObjective, key = runKey.fold(in: 2).fold(in: UInt64(state.step))
        let (loss, gradient) = valueWithGradient(at: model) { m in m.loss(batch, objective: objective, key: key) }
        guard loss.isFinite else {
            throw NonFiniteTrainingError(
                step: state.step, detail: "the loss is \(loss); " + VAETrainer.firstNonFinite(model, gradient))
        }
        try applyAdam(&optimizer, &model, gradient, step: state.step)
        lastStepLoss = loss
        state.record(loss: loss, images: batch.shape[0])
    }

    /// The first parameter, or failing that gradient, holding a NaN or infinity.
    static func firstNonFinite(_ model: VAE, _ gradient: VAE.TangentVector) -> String {
        for path in model.parameterPaths {
            let value = path.tensor(in: model)
            if let i = value.scalars.firstIndex(where: { !$0.isFinite }) {
                return "parameter \(path.name)[\(i)] is \(value.scalars[i])"
            }
        }
        for path in model.parameterPaths {
            let g = model.gradient(path, in: gradient)
            if let i = g.scalars.firstIndex(where: { !$0.isFinite }) {
                return "the gradient of \(path.name)[\(i)] is \(g.scalars[i])"
            }
        }
        return "every parameter and gradient is finite (the data or the bound overflowed)"
    }

    /// The negative training bound per image on `images` (binarized once by the run's key when
    /// the run binarizes), one fixed key so epochs compare.
    public func testLoss(_ images: Tensor) -> Double {
        let objective = configuration.vaeObjective, data = testData(images)
        var total = 0.0
        for (i, batch) in Batches(data, batchSize: 1000).enumerated() {
            total +=
                Double(model.loss(batch, objective: objective, key: runKey.fold(in: 4).fold(in: UInt64(i))))
                * Double(batch.shape[0])
        }
        return total / Double(images.shape[0])
    }

    /// Test images as the run sees them: binarized once with a fixed key if it binarizes.
    public func testData(_ images: Tensor) -> Tensor {
        configuration.binarize ? binarized(images, key: runKey.fold(in: 5)) : images
    }
}

extension VAETrainer: BatchStepping {
    var binarizes: Bool { configuration.binarize }
    mutating func prepareEpoch() { optimizer.learningRate = configuration.learningRate(epoch: state.epoch) }
}
