import ReparamTensor

extension ParameterListing {
    /// What a checkpoint stores of a model trained by Adam: the parameters by name, then Adam's
    /// moments under `optimizer.first.` / `optimizer.second.` (none before the first step).
    public func checkpointTensors(optimizer: AdamState) -> [(name: String, tensor: Tensor)] {
        let paths = parameterPaths
        var tensors = paths.map { (name: $0.name, tensor: $0.tensor(in: self)) }
        if optimizer.step > 0 {
            tensors += zip(paths, optimizer.first).map { (name: "optimizer.first." + $0.name, tensor: $1) }
            tensors += zip(paths, optimizer.second).map { (name: "optimizer.second." + $0.name, tensor: $1) }
        }
        return tensors
    }

    /// Loads the parameters and, after `optimizerStep` > 0 steps, Adam's moments, each through
    /// `tensor(name, shape)`, which throws when the tensor is missing or has another shape.
    public mutating func restoreCheckpointTensors(
        optimizerStep step: Int,
        _ tensor: (_ name: String, _ shape: [Int]) throws -> Tensor
    ) rethrows -> AdamState {
        var first: [Tensor] = []
        var second: [Tensor] = []
        for path in parameterPaths {
            let shape = path.tensor(in: self).shape
            try path.set(tensor(path.name, shape), in: &self)
            if step > 0 {
                first.append(try tensor("optimizer.first." + path.name, shape))
                second.append(try tensor("optimizer.second." + path.name, shape))
            }
        }
        return AdamState(step: step, first: first, second: second)
    }
}
