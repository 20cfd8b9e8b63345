import Foundation
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
    /// The estimator's gradient variance on the first 100 training images, and the temperature.
    public func epochDiagnostics(_ images: Tensor) -> [(String, Double)] {
        let batch = configuration.binarize ? binarized(images.rows(Array(0..<Swift.min(100, images.shape[0]))), key: runKey.fold(in: 8))
                                           : images.rows(Array(0..<Swift.min(100, images.shape[0])))
        return [("gradient_variance", gradientVariance(batch)), ("temperature", Double(temperature))]
    }
}
