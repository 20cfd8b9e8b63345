import ReparamNN
import ReparamTensor

// The estimators that adapt (baselines, control variates, their optimizers) save and restore
// that state through `DiscreteGradientEstimator.stateTensors` and `restoreState(_:)`, so a
// resumed run continues bit-exactly; the others keep the protocol's empty defaults.

public struct EstimatorStateError: Error, CustomStringConvertible {
    public let description: String
}

extension REINFORCE {
    public var stateTensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        if let average { out["average"] = average }
        if let weightedSquares, let squares { (out["weightedSquares"], out["squares"]) = (weightedSquares, squares) }
        return out
    }

    public mutating func restoreState(_ tensors: [String: Tensor]) throws {
        (average, weightedSquares, squares) = (tensors["average"], tensors["weightedSquares"], tensors["squares"])
    }
}

extension NVIL {
    public var stateTensors: [String: Tensor] {
        var out = savedParameters(baseline, prefix: "baseline.")
        out.merge(savedOptimizer(optimizer.state, prefix: "optimizer.")) { a, _ in a }
        out["centering"] = Tensor([centering, signalVariance])
        return out
    }

    public mutating func restoreState(_ tensors: [String: Tensor]) throws {
        guard let scalars = tensors["centering"], scalars.count == 2 else {
            throw EstimatorStateError(description: "NVIL state: 'centering' is missing")
        }
        (centering, signalVariance) = (scalars.scalars[0], scalars.scalars[1])
        try restoreParameters(&baseline, tensors, prefix: "baseline.")
        optimizer.state = try restoredOptimizer(tensors, prefix: "optimizer.", count: baseline.parameterPaths.count)
    }
}

extension MuProp {
    public var stateTensors: [String: Tensor] { baseline?.stateTensors ?? [:] }

    public mutating func restoreState(_ tensors: [String: Tensor]) throws {
        try baseline?.restoreState(tensors)
    }
}

extension RELAX {
    public var stateTensors: [String: Tensor] {
        savedParameters(controlVariate, prefix: "controlVariate.").merging(
            savedOptimizer(optimizer.state, prefix: "optimizer.")
        ) { a, _ in a }
    }

    public mutating func restoreState(_ tensors: [String: Tensor]) throws {
        try restoreParameters(&controlVariate, tensors, prefix: "controlVariate.")
        optimizer.state = try restoredOptimizer(
            tensors, prefix: "optimizer.", count: controlVariate.parameterPaths.count)
    }
}

func savedParameters<Model: ParameterListing>(_ model: Model, prefix: String) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: model.parameterPaths.map { (prefix + $0.name, $0.tensor(in: model)) })
}

func restoreParameters<Model: ParameterListing>(_ model: inout Model, _ tensors: [String: Tensor], prefix: String)
    throws
{
    for path in model.parameterPaths {
        guard let t = tensors[prefix + path.name], t.shape == path.tensor(in: model).shape else {
            throw EstimatorStateError(
                description: "estimator state: '\(prefix + path.name)' is missing or has the wrong shape")
        }
        path.set(t, in: &model)
    }
}

func savedOptimizer(_ state: AdamState, prefix: String) -> [String: Tensor] {
    var out = [prefix + "step": Tensor([Float(state.step)])]
    for (i, (m, v)) in zip(state.first, state.second).enumerated() {
        (out[prefix + "first.\(i)"], out[prefix + "second.\(i)"]) = (m, v)
    }
    return out
}

func restoredOptimizer(_ tensors: [String: Tensor], prefix: String, count: Int) throws -> AdamState {
    guard let step = tensors[prefix + "step"]?.scalars.first else {
        throw EstimatorStateError(description: "estimator state: '\(prefix)step' is missing")
    }
    if step == 0 { return AdamState(step: 0, first: [], second: []) }
    var first: [Tensor] = [], second: [Tensor] = []
    for i in 0..<count {
        guard let m = tensors[prefix + "first.\(i)"], let v = tensors[prefix + "second.\(i)"] else {
            throw EstimatorStateError(description: "estimator state: Adam moment \(i) under '\(prefix)' is missing")
        }
        first.append(m)
        second.append(v)
    }
    return AdamState(step: Int(step), first: first, second: second)
}
