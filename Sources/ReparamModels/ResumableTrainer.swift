import Foundation
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor

/// What the command line needs from a trainer to run epochs, report them, checkpoint and resume.
public protocol ResumableTrainer {
    var state: TrainingState { get }
    var batchSize: Int { get }
    /// Mean training loss of the current epoch so far, and of the last completed one.
    var epochLoss: Double { get }
    var lastEpochLoss: Double { get }
    func batchesPerEpoch(_ images: Tensor) -> Int
    mutating func runEpoch(_ images: Tensor, shouldStop: () -> Bool, afterBatch: (Self) -> Void) throws -> Bool
    func testLoss(_ images: Tensor) -> Double
    func writeCheckpoint(to url: URL) throws
    /// Extra per-epoch measurements for the metrics (name, value).
    func epochDiagnostics(_ images: Tensor) -> [(String, Double)]
    /// Picks each step's thread count; shared by copies of the trainer, not checkpointed.
    var threadTuner: ThreadTuner { get }
    /// The estimator choices made since the last call (`--estimator auto`), to log and report.
    mutating func takeSelections() -> [(step: Int, selection: EstimatorSelection)]
}

extension ResumableTrainer {
    public mutating func takeSelections() -> [(step: Int, selection: EstimatorSelection)] { [] }
}

extension VAETrainer: ResumableTrainer {
    public var batchSize: Int { configuration.batchSize }
    public func writeCheckpoint(to url: URL) throws { try checkpoint.write(to: url) }
    public func epochDiagnostics(_ images: Tensor) -> [(String, Double)] {
        [("learning_rate", Double(configuration.learningRate(epoch: Swift.max(0, state.epoch - 1))))]
    }
}

extension DiscreteVAETrainer: ResumableTrainer {
    public var batchSize: Int { configuration.batchSize }
    public func writeCheckpoint(to url: URL) throws { try checkpoint.write(to: url) }
    /// The estimator's gradient variance on the first 100 training images, and the temperature
    /// when the estimator follows its schedule.
    public func epochDiagnostics(_ images: Tensor) -> [(String, Double)] {
        let batch =
            configuration.binarize
            ? binarized(images.rows(Array(0..<Swift.min(100, images.shape[0]))), key: runKey.fold(in: 8))
            : images.rows(Array(0..<Swift.min(100, images.shape[0])))
        return [("gradient_variance", gradientVariance(batch))]
            + (configuration.estimator.annealsTemperature ? [("temperature", Double(temperature))] : [])
    }
}

/// What the shared epoch loop needs from a trainer.
protocol BatchStepping {
    var state: TrainingState { get set }
    var lastEpochLoss: Double { get set }
    var runKey: RandomKey { get }
    var batchSize: Int { get }
    var binarizes: Bool { get }
    var threadTuner: ThreadTuner { get }
    /// Called once per epoch before its first batch (learning-rate schedules).
    mutating func prepareEpoch()
    /// One optimizer step on `batch`; updates the state only when it succeeds.
    mutating func step(_ batch: Tensor) throws
}

extension TrainingState {
    /// Bookkeeping after a successful step with mean loss `loss` over `images` images (nil: a step
    /// that did not compute its loss, left out of the epoch's mean).
    mutating func record(loss: Float?, images: Int) {
        step += 1
        batch += 1
        guard let loss else { return }
        epochLossSum += Double(loss) * Double(images)
        epochImages += images
    }
}

/// The epoch loop both trainers share: the epoch's shuffled order from the run key, batches
/// from `state.batch` on (binarized per step when the run binarizes), and the end-of-epoch reset.
/// Returns false when `shouldStop` ended it early; the state then points at the next batch.
func runEpochLoop<T: BatchStepping>(
    _ trainer: inout T, _ images: Tensor, shouldStop: () -> Bool,
    afterBatch: (T) -> Void
) throws -> Bool {
    let n = images.shape[0], size = trainer.batchSize
    let order = epochOrder(runKey: trainer.runKey, epoch: trainer.state.epoch, count: n)
    trainer.prepareEpoch()
    while trainer.state.batch < (n + size - 1) / size {
        if shouldStop() { return false }
        let start = trainer.state.batch * size
        var batch = images.rows(Array(order[start..<Swift.min(start + size, n)]))
        if trainer.binarizes {
            batch = binarized(batch, key: trainer.runKey.fold(in: 3).fold(in: UInt64(trainer.state.step)))
        }
        let tuner = trainer.threadTuner
        try tuner.run { try trainer.step(batch) }
        afterBatch(trainer)
    }
    trainer.lastEpochLoss =
        trainer.state.epochImages > 0 ? trainer.state.epochLossSum / Double(trainer.state.epochImages) : .nan
    trainer.state.epoch += 1
    (trainer.state.batch, trainer.state.epochLossSum, trainer.state.epochImages) = (0, 0, 0)
    return true
}

/// The shuffled row order of an epoch, from the run key: the same on resume.
func epochOrder(runKey: RandomKey, epoch: Int, count: Int) -> [Int] {
    var generator = runKey.fold(in: 1).fold(in: UInt64(epoch)).makeGenerator()
    return Array(0..<count).shuffled(using: &generator)
}

/// One Adam step, with a non-finite gradient reported as the training step that produced it.
func applyAdam<Model: ParameterListing>(
    _ optimizer: inout Adam<Model>, _ model: inout Model, _ gradient: Model.TangentVector,
    step: Int
) throws {
    // Adam checks the gradient first and changes nothing when it is not finite.
    try optimizer.update(&model, along: gradient, step: step)
}
