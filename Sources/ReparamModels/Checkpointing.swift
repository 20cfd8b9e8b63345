import Foundation
import ReparamData
import ReparamNN
import ReparamTensor

/// A run's configuration: it lists what is wrong with it (empty when valid).
protocol RunConfiguration: Codable {
    var problems: [String] { get }
}

extension VAEConfiguration: RunConfiguration {}
extension DiscreteVAEConfiguration: RunConfiguration {}

/// What every checkpoint holds besides its model-specific tensors: a format tag, the run's
/// configuration and position as JSON, and Adam's step count.
struct CheckpointMetadata<Configuration: RunConfiguration> {
    var format: String
    var configuration: Configuration
    var state: TrainingState
    var optimizerStep: Int

    var strings: [String: String] {
        get throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return [
                "format": format, "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
                "state": String(decoding: try encoder.encode(state), as: UTF8.self),
                "optimizer_step": String(optimizerStep),
            ]
        }
    }

    init(format: String, configuration: Configuration, state: TrainingState, optimizerStep: Int) {
        (self.format, self.configuration, self.state, self.optimizerStep) = (
            format, configuration, state, optimizerStep
        )
    }

    /// Decodes and checks the metadata of `file` read from `url`.
    init(_ file: SafeTensors, expecting format: String, url: URL) throws {
        func fail(_ reason: String) -> DataFileError { DataFileError(file: url.path, reason: reason) }
        guard file.metadata["format"] == format else {
            throw fail("not a \(format) checkpoint (format '\(file.metadata["format"] ?? "none")')")
        }
        let decoder = JSONDecoder()
        guard let configurationText = file.metadata["configuration"], let stateText = file.metadata["state"],
            let configuration = try? decoder.decode(Configuration.self, from: Data(configurationText.utf8)),
            let state = try? decoder.decode(TrainingState.self, from: Data(stateText.utf8)),
            let step = Int(file.metadata["optimizer_step"] ?? "")
        else {
            throw fail("its configuration or state metadata is missing or malformed")
        }
        if let problem = configuration.problems.first { throw fail("its configuration is invalid: \(problem)") }
        self.init(format: format, configuration: configuration, state: state, optimizerStep: step)
    }
}

/// Loads `model`'s parameters and Adam's moments from `file`, checking every name and shape.
func restoreCheckpointTensors<Model: ParameterListing>(
    _ model: inout Model, optimizerStep step: Int, from file: SafeTensors,
    url: URL
) throws -> AdamState {
    try model.restoreCheckpointTensors(optimizerStep: step) { name, shape in
        try file.tensor(name, shape: shape, url: url)
    }
}
