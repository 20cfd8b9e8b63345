import Foundation
import ReparamData
import ReparamFlows
import ReparamNN
import ReparamRandom
import ReparamTensor

/// Where a run stands: completed epochs, the next batch of the current epoch, optimizer steps
/// taken, and the current epoch's loss so far.
public struct TrainingState: Codable, Sendable, Equatable {
    public var epoch = 0
    public var batch = 0
    public var step = 0
    public var epochLossSum = 0.0
    public var epochImages = 0
    public init() {}
}

/// A VAE run saved as safetensors: the model's parameters by name, Adam's moments under
/// `optimizer.first.` / `optimizer.second.`, and the configuration and state as JSON metadata.
public struct VAECheckpoint {
    public var configuration: VAEConfiguration
    public var state: TrainingState
    public var model: VAE
    public var optimizer: AdamState

    public static let format = "reparam-vae-1"

    public init(configuration: VAEConfiguration, state: TrainingState, model: VAE, optimizer: AdamState) {
        self.configuration = configuration
        self.state = state
        self.model = model
        self.optimizer = optimizer
    }

    public func write(to url: URL) throws {
        let metadata = CheckpointMetadata(
            format: VAECheckpoint.format, configuration: configuration, state: state, optimizerStep: optimizer.step)
        var strings = try metadata.strings
        strings[MADE.layoutKey] = MADE.layout
        try SafeTensors(tensors: model.checkpointTensors(optimizer: optimizer), metadata: strings).write(to: url)
    }

    /// Reads and checks a checkpoint: its format, configuration, and every tensor's name and shape.
    public static func read(_ url: URL) throws -> VAECheckpoint {
        let file = try SafeTensors.read(url)
        let metadata = try CheckpointMetadata<VAEConfiguration>(file, expecting: format, url: url)
        if metadata.configuration.posteriorKind == .iaf { try MADE.checkLayout(of: file.metadata, file: url.path) }
        var model = metadata.configuration.makeModel(key: RandomKey(seed: 0))
        let optimizer = try restoreCheckpointTensors(
            &model, optimizerStep: metadata.optimizerStep, from: file, url: url)
        return VAECheckpoint(
            configuration: metadata.configuration, state: metadata.state, model: model, optimizer: optimizer)
    }
}
