import Foundation
import ReparamData
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
        let paths = model.parameterPaths
        var tensors = paths.map { (name: $0.name, tensor: model[keyPath: $0.value]) }
        if optimizer.step > 0 {
            tensors += zip(paths, optimizer.first).map { (name: "optimizer.first." + $0.name, tensor: $1) }
            tensors += zip(paths, optimizer.second).map { (name: "optimizer.second." + $0.name, tensor: $1) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = ["format": VAECheckpoint.format,
                        "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
                        "state": String(decoding: try encoder.encode(state), as: UTF8.self),
                        "optimizer_step": String(optimizer.step)]
        try SafeTensors(tensors: tensors, metadata: metadata).write(to: url)
    }

    /// Reads and checks a checkpoint: its format, configuration, and every tensor's name and shape.
    public static func read(_ url: URL) throws -> VAECheckpoint {
        let file = try SafeTensors.read(url)
        func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
        guard file.metadata["format"] == format else { throw fail("not a Reparam VAE checkpoint (format '\(file.metadata["format"] ?? "none")')") }
        let decoder = JSONDecoder()
        guard let configurationText = file.metadata["configuration"], let stateText = file.metadata["state"],
              let configuration = try? decoder.decode(VAEConfiguration.self, from: Data(configurationText.utf8)),
              let state = try? decoder.decode(TrainingState.self, from: Data(stateText.utf8)),
              let step = Int(file.metadata["optimizer_step"] ?? "") else {
            throw fail("its configuration or state metadata is missing or malformed")
        }
        if let problem = configuration.problems.first { throw fail("its configuration is invalid: \(problem)") }
        var model = configuration.makeModel(key: RandomKey(seed: 0))
        var first: [Tensor] = [], second: [Tensor] = []
        func tensor(_ name: String, shape: [Int]) throws -> Tensor {
            guard let t = file[name] else { throw fail("tensor '\(name)' is missing") }
            guard t.shape == shape else { throw fail("tensor '\(name)' has shape \(t.shape), the configuration needs \(shape)") }
            return t
        }
        for path in model.parameterPaths {
            let shape = model[keyPath: path.value].shape
            model[keyPath: path.value] = try tensor(path.name, shape: shape)
            if step > 0 {
                first.append(try tensor("optimizer.first." + path.name, shape: shape))
                second.append(try tensor("optimizer.second." + path.name, shape: shape))
            }
        }
        return VAECheckpoint(configuration: configuration, state: state, model: model,
                             optimizer: AdamState(step: step, first: first, second: second))
    }
}
