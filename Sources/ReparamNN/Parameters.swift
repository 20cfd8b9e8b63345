import CReparamKernels
import ReparamTensor
import _Differentiation

/// Where one trainable tensor lives: in the model, and in the model's gradient.
public struct ParameterPath<Model: Differentiable> {
    public let name: String
    public let value: WritableKeyPath<Model, Tensor>
    public let gradient: WritableKeyPath<Model.TangentVector, Tensor>

    public init(
        name: String, value: WritableKeyPath<Model, Tensor>, gradient: WritableKeyPath<Model.TangentVector, Tensor>
    ) {
        self.name = name
        self.value = value
        self.gradient = gradient
    }

    /// This path seen from a model that stores `Model` at `value` / `gradient`.
    public func nested<Outer: Differentiable>(
        in outerName: String, value outerValue: WritableKeyPath<Outer, Model>,
        gradient outerGradient: WritableKeyPath<Outer.TangentVector, Model.TangentVector>
    )
        -> ParameterPath<Outer>
    {
        ParameterPath<Outer>(
            name: outerName + "." + name, value: outerValue.appending(path: value),
            gradient: outerGradient.appending(path: gradient))
    }
}

/// A model that lists its trainable tensors, so optimizers and clipping can reach them.
/// (Swift has no key-path iteration over stored properties; one line per struct does it.)
public protocol ParameterListing: Differentiable {
    var parameterPaths: [ParameterPath<Self>] { get }
}

extension Dense: ParameterListing {
    public var parameterPaths: [ParameterPath<Dense>] {
        [
            ParameterPath(name: "weight", value: \.weight, gradient: \.weight),
            ParameterPath(name: "bias", value: \.bias, gradient: \.bias),
        ]
    }
}

extension MLP: ParameterListing {
    public var parameterPaths: [ParameterPath<MLP>] {
        layers.indices.flatMap { i in
            layers[i].parameterPaths.map {
                $0.nested(in: "layers[\(i)]", value: \MLP.layers[i], gradient: \MLP.TangentVector.layers.base[i])
            }
        }
    }
}

/// A gradient that is not finite, named by parameter and element.
public struct NonFiniteGradientError: Error, CustomStringConvertible {
    public let parameter: String
    public let index: Int
    public let value: Float
    public var description: String {
        "gradient of \(parameter) is \(value) at element \(index): the loss or a derivative overflowed or divided by zero"
    }
}

extension ParameterListing {
    /// Number of trainable scalars.
    public var parameterCount: Int { parameterPaths.reduce(0) { $0 + self[keyPath: $1.value].count } }

    /// The gradient of one parameter, with the shapeless zero (no gradient reached it) expanded.
    public func gradient(_ path: ParameterPath<Self>, in gradient: TangentVector) -> Tensor {
        gradient[keyPath: path.gradient].expanded(to: self[keyPath: path.value].shape)
    }

    /// √(Σ g²) over every parameter's gradient; throws if any element is NaN or infinite.
    public func globalNorm(of gradient: TangentVector) throws -> Float {
        try checkFinite(gradient)
        var total = 0.0
        for path in parameterPaths {
            let g = gradient[keyPath: path.gradient]
            if g.isShapelessZero { continue }
            total += g.withUnsafeScalars { rp_sum_squares($0.baseAddress, $0.count) }
        }
        return Float(total.squareRoot())
    }

    /// Throws, naming the first parameter and element, when the gradient holds a NaN or ±inf.
    public func checkFinite(_ gradient: TangentVector) throws { try checkFinite(gradient, paths: parameterPaths) }

    /// `checkFinite` over paths listed beforehand.
    public func checkFinite(_ gradient: TangentVector, paths: [ParameterPath<Self>]) throws {
        try Self.checkFinite(paths.map { gradient[keyPath: $0.gradient] }, paths: paths)
    }

    /// `checkFinite` of gradients already read out, `gradients[i]` being that of `paths[i]`.
    static func checkFinite(_ gradients: [Tensor], paths: [ParameterPath<Self>]) throws {
        // One pass over all tensors: checked one by one, a model's many small tensors each stayed on
        // one thread (about 1% of the main thread's time in a flow-VAE step, all of it serial).
        let bad = Int(
            gradients.withUnsafeScalarBuffers { buffers in
                rp_first_nonfinite_many(
                    Int32(buffers.count), buffers.map { UnsafePointer($0.baseAddress) },
                    buffers.map(\.count))
            })
        guard bad >= 0 else { return }
        let scalars = gradients[bad].scalars
        let index = scalars.firstIndex { !$0.isFinite } ?? 0
        throw NonFiniteGradientError(parameter: paths[bad].name, index: index, value: scalars[index])
    }

    /// Scales the gradient so its global norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public func clipByGlobalNorm(_ gradient: inout TangentVector, maxNorm: Float) throws -> Float {
        precondition(maxNorm > 0, "clipByGlobalNorm: maxNorm must be positive, got \(maxNorm)")
        let norm = try globalNorm(of: gradient)
        if norm > maxNorm { scale(&gradient, by: maxNorm / norm) }
        return norm
    }

    /// Multiplies every parameter's gradient by `factor`, in place.
    public func scale(_ gradient: inout TangentVector, by factor: Float) {
        for path in parameterPaths where !gradient[keyPath: path.gradient].isShapelessZero {
            gradient[keyPath: path.gradient] = gradient[keyPath: path.gradient] * factor
        }
    }
}
