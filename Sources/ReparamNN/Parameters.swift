import CReparamKernels
import ReparamTensor
import _Differentiation

/// Where one trainable tensor lives: in the model, and in the model's gradient.
///
/// A path reaches its tensor through composed closures, which the optimizers use every step, and
/// composes the equivalent key paths only when `value` or `gradient` is asked for. Key paths through
/// arrays of layers are slow to apply and to compose (Zen 4: in a flow-VAE Adam step the 28 gradient
/// reads took 21 µs and the 28 writes back 31 µs; the discrete VAE's gradient scaling, which lists its
/// decoder's paths every step, took 220-240 µs with key paths and 77-80 µs with closures, scaling in place).
public struct ParameterPath<Model: Differentiable> {
    public let name: String
    /// The tensor's key path in the model (composed on each use).
    public var value: WritableKeyPath<Model, Tensor> { valuePath() }
    /// The tensor's key path in the model's gradient (composed on each use).
    public var gradient: WritableKeyPath<Model.TangentVector, Tensor> { gradientPath() }
    let valuePath: () -> WritableKeyPath<Model, Tensor>
    let gradientPath: () -> WritableKeyPath<Model.TangentVector, Tensor>
    /// The tensor in a model.
    let readValue: (Model) -> Tensor
    /// Runs `body` on the tensor in place (an inout access, as `value` would make).
    let modifyValue: (inout Model, (inout Tensor) -> Void) -> Void
    /// The tensor in a gradient.
    let readGradient: (Model.TangentVector) -> Tensor
    /// Runs `body` on the tensor in a gradient in place.
    let modifyGradient: (inout Model.TangentVector, (inout Tensor) -> Void) -> Void

    public init(
        name: String, value: WritableKeyPath<Model, Tensor>, gradient: WritableKeyPath<Model.TangentVector, Tensor>
    ) {
        self.init(
            name: name, valuePath: { value }, gradientPath: { gradient }, readValue: { $0[keyPath: value] },
            modifyValue: { model, body in body(&model[keyPath: value]) }, readGradient: { $0[keyPath: gradient] },
            modifyGradient: { g, body in body(&g[keyPath: gradient]) })
    }

    init(
        name: String, valuePath: @escaping () -> WritableKeyPath<Model, Tensor>,
        gradientPath: @escaping () -> WritableKeyPath<Model.TangentVector, Tensor>,
        readValue: @escaping (Model) -> Tensor, modifyValue: @escaping (inout Model, (inout Tensor) -> Void) -> Void,
        readGradient: @escaping (Model.TangentVector) -> Tensor,
        modifyGradient: @escaping (inout Model.TangentVector, (inout Tensor) -> Void) -> Void
    ) {
        self.name = name
        self.valuePath = valuePath
        self.gradientPath = gradientPath
        self.readValue = readValue
        self.modifyValue = modifyValue
        self.readGradient = readGradient
        self.modifyGradient = modifyGradient
    }

    /// This path seen from a model that stores `Model` at `value` / `gradient`.
    public func nested<Outer: Differentiable>(
        in outerName: String, value outerValue: WritableKeyPath<Outer, Model>,
        gradient outerGradient: WritableKeyPath<Outer.TangentVector, Model.TangentVector>
    )
        -> ParameterPath<Outer>
    {
        nested(
            in: outerName, valuePath: { outerValue }, gradientPath: { outerGradient },
            readValue: { $0[keyPath: outerValue] }, modifyValue: { outer, body in body(&outer[keyPath: outerValue]) },
            readGradient: { $0[keyPath: outerGradient] },
            modifyGradient: { outer, body in body(&outer[keyPath: outerGradient]) })
    }

    /// This path seen from a model that stores `Model` as element `index` of the arrays at
    /// `values` / `gradients` (a list of layers). The closures subscript the arrays directly.
    public func nested<Outer: Differentiable>(
        in outerName: String, element index: Int, of values: WritableKeyPath<Outer, [Model]>,
        gradients: WritableKeyPath<Outer.TangentVector, [Model.TangentVector]>
    )
        -> ParameterPath<Outer>
    {
        nested(
            in: outerName, valuePath: { values.appending(path: \[Model][index]) },
            gradientPath: { gradients.appending(path: \[Model.TangentVector][index]) },
            readValue: { $0[keyPath: values][index] },
            modifyValue: { outer, body in body(&outer[keyPath: values][index]) },
            readGradient: { $0[keyPath: gradients][index] },
            modifyGradient: { outer, body in body(&outer[keyPath: gradients][index]) })
    }

    /// This path behind the given ways to `Model` in an outer model and in its gradient.
    private func nested<Outer: Differentiable>(
        in outerName: String, valuePath outerValuePath: @escaping () -> WritableKeyPath<Outer, Model>,
        gradientPath outerGradientPath: @escaping () -> WritableKeyPath<Outer.TangentVector, Model.TangentVector>,
        readValue readOuter: @escaping (Outer) -> Model,
        modifyValue modifyOuter: @escaping (inout Outer, (inout Model) -> Void) -> Void,
        readGradient readOuterGradient: @escaping (Outer.TangentVector) -> Model.TangentVector,
        modifyGradient modifyOuterGradient:
            @escaping (inout Outer.TangentVector, (inout Model.TangentVector) -> Void)
            -> Void
    ) -> ParameterPath<Outer> {
        let inner = self
        return ParameterPath<Outer>(
            name: outerName + "." + name, valuePath: { outerValuePath().appending(path: inner.valuePath()) },
            gradientPath: { outerGradientPath().appending(path: inner.gradientPath()) },
            readValue: { inner.readValue(readOuter($0)) },
            modifyValue: { outer, body in modifyOuter(&outer) { inner.modifyValue(&$0, body) } },
            readGradient: { inner.readGradient(readOuterGradient($0)) },
            modifyGradient: { outer, body in modifyOuterGradient(&outer) { inner.modifyGradient(&$0, body) } })
    }

    /// The tensor in `model`, reached without composing a key path.
    public func tensor(in model: Model) -> Tensor { readValue(model) }

    /// Replaces the tensor in `model`, reached without composing a key path.
    public func set(_ tensor: Tensor, in model: inout Model) { modifyValue(&model) { $0 = tensor } }

    /// The tensor in `model`, taken out: `model` keeps an empty tensor in its place (until `set` puts
    /// one back), so the one returned is the only reference to its storage and is updated without a copy.
    func take(from model: inout Model) -> Tensor {
        var taken = Tensor.zero
        modifyValue(&model) { swap(&$0, &taken) }
        return taken
    }

    /// `take` for the gradient.
    func takeGradient(from gradient: inout Model.TangentVector) -> Tensor {
        var taken = Tensor.zero
        modifyGradient(&gradient) { swap(&$0, &taken) }
        return taken
    }

    /// `set` for the gradient (to put back what `takeGradient` took).
    func setGradient(_ tensor: Tensor, in gradient: inout Model.TangentVector) {
        modifyGradient(&gradient) { $0 = tensor }
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
                $0.nested(in: "layers[\(i)]", element: i, of: \MLP.layers, gradients: \MLP.TangentVector.layers.base)
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
    public var parameterCount: Int { parameterPaths.reduce(0) { $0 + $1.readValue(self).count } }

    /// The gradient of one parameter, with the shapeless zero (no gradient reached it) expanded.
    public func gradient(_ path: ParameterPath<Self>, in gradient: TangentVector) -> Tensor {
        path.readGradient(gradient).expanded(to: path.readValue(self).shape)
    }

    /// √(Σ g²) over every parameter's gradient; throws if any element is NaN or infinite.
    public func globalNorm(of gradient: TangentVector) throws -> Float {
        try checkFinite(gradient)
        var total = 0.0
        for path in parameterPaths {
            let g = path.readGradient(gradient)
            if g.isShapelessZero { continue }
            total += g.withUnsafeScalars { rp_sum_squares($0.baseAddress, $0.count) }
        }
        return Float(total.squareRoot())
    }

    /// Throws, naming the first parameter and element, when the gradient holds a NaN or ±inf.
    public func checkFinite(_ gradient: TangentVector) throws { try checkFinite(gradient, paths: parameterPaths) }

    /// `checkFinite` over paths listed beforehand.
    public func checkFinite(_ gradient: TangentVector, paths: [ParameterPath<Self>]) throws {
        try Self.checkFinite(paths.map { $0.readGradient(gradient) }, paths: paths)
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
        let paths = parameterPaths.filter { !$0.readGradient(gradient).isShapelessZero }
        // Taken out of the gradient, so each tensor whose storage nothing else holds is scaled where it is (one
        // pass over all of them) instead of into new storage, then put back. Bit for bit `g * factor`.
        var tensors = paths.map { $0.takeGradient(from: &gradient) }
        tensors.withUnsafeMutableScalarBuffers { buffers in
            rp_scale_many(Int32(buffers.count), buffers.map { $0.baseAddress }, buffers.map(\.count), factor)
        }
        for (path, tensor) in zip(paths, tensors) { path.setGradient(tensor, in: &gradient) }
    }
}
