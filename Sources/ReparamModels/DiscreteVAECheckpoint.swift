import Foundation
import ReparamData
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor

/// A discrete-VAE run as safetensors: like `VAECheckpoint`, plus the estimator's adapted state
/// (baselines, control variates and their optimizers) under `estimator.`.
public struct DiscreteVAECheckpoint {
    public var configuration: DiscreteVAEConfiguration
    public var state: TrainingState
    public var model: DiscreteVAE
    public var optimizer: AdamState
    public var estimatorState: [String: Tensor]

    public static let format = "reparam-dvae-1"

    public func write(to url: URL) throws {
        let metadata = CheckpointMetadata(
            format: DiscreteVAECheckpoint.format, configuration: configuration, state: state,
            optimizerStep: optimizer.step)
        let extra = estimatorState.keys.sorted().map { (name: "estimator." + $0, tensor: estimatorState[$0]!) }
        try SafeTensors(tensors: model.checkpointTensors(optimizer: optimizer) + extra, metadata: try metadata.strings)
            .write(to: url)
    }

    public static func read(_ url: URL) throws -> DiscreteVAECheckpoint {
        let file = try SafeTensors.read(url)
        let metadata = try CheckpointMetadata<DiscreteVAEConfiguration>(file, expecting: format, url: url)
        var model = metadata.configuration.makeModel(key: RandomKey(seed: 0))
        let optimizer = try restoreCheckpointTensors(
            &model, optimizerStep: metadata.optimizerStep, from: file, url: url)
        // Read by name and shape as stored, so the values are checked like the model's.
        let estimatorState = Dictionary(
            uniqueKeysWithValues: try file.tensors.filter { $0.name.hasPrefix("estimator.") }.map {
                (
                    String($0.name.dropFirst("estimator.".count)),
                    try file.tensor($0.name, shape: $0.tensor.shape, url: url)
                )
            })
        return DiscreteVAECheckpoint(
            configuration: metadata.configuration, state: metadata.state, model: model,
            optimizer: optimizer, estimatorState: estimatorState)
    }
}

extension DiscreteVAETrainer {
    public init(checkpoint: DiscreteVAECheckpoint) throws {
        self.init(configuration: checkpoint.configuration)
        model = checkpoint.model
        optimizer.state = checkpoint.optimizer
        state = checkpoint.state
        try estimator.restoreState(checkpoint.estimatorState)
    }

    public var checkpoint: DiscreteVAECheckpoint {
        DiscreteVAECheckpoint(
            configuration: configuration, state: state, model: model, optimizer: optimizer.state,
            estimatorState: estimator.stateTensors)
    }
}
