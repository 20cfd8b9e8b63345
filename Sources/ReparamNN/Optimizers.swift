import CReparamKernels
import ReparamTensor
import _Differentiation

/// Updates a model in place from its gradient. Throws `NonFiniteGradientError` (and changes
/// nothing) when a gradient holds NaN or ±inf.
public protocol Optimizer {
    associatedtype Model: ParameterListing
    mutating func update(_ model: inout Model, along gradient: Model.TangentVector) throws
}

/// A training run that stopped because a loss or gradient stopped being finite.
public struct NonFiniteTrainingError: Error, CustomStringConvertible {
    public let step: Int
    public let detail: String
    public var description: String { "training stopped at step \(step): \(detail)" }

    public init(step: Int, detail: String) {
        self.step = step
        self.detail = detail
    }
}

extension Optimizer {
    /// `update`, with a non-finite gradient reported as the training step that produced it
    /// (the model is then unchanged).
    public mutating func update(_ model: inout Model, along gradient: Model.TangentVector, step: Int) throws {
        do {
            try update(&model, along: gradient)
        } catch let error as NonFiniteGradientError {
            throw NonFiniteTrainingError(step: step, detail: error.description)
        }
    }
}

/// Stochastic gradient descent with optional momentum (PyTorch's form: v ← μv + g, p ← p − lr·v)
/// and L2 weight decay added to the gradient.
public struct SGD<Model: ParameterListing>: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    var velocity: [Tensor] = []

    public init(for model: Model, learningRate: Float = 0.01, momentum: Float = 0, weightDecay: Float = 0) {
        precondition(
            learningRate > 0 && momentum >= 0 && momentum < 1 && weightDecay >= 0,
            "SGD: need learningRate > 0, 0 ≤ momentum < 1, weightDecay ≥ 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public mutating func update(_ model: inout Model, along gradient: Model.TangentVector) throws {
        try model.checkFinite(gradient)
        let paths = model.parameterPaths
        if velocity.count != paths.count { velocity = paths.map { Tensor.zeros($0.tensor(in: model).shape) } }
        for (i, path) in paths.enumerated() {
            var g = model.gradient(path, in: gradient)
            if weightDecay != 0 { g = g + weightDecay * path.tensor(in: model) }
            if momentum != 0 {
                velocity[i] = momentum * velocity[i] + g
                g = velocity[i]
            }
            path.set(path.tensor(in: model) - learningRate * g, in: &model)
        }
    }
}

/// RMSprop in PyTorch's form (as stable-baselines3's A2C uses it): v ← αv + (1 − α)g²,
/// p ← p − lr·g/(√v + ε).
public struct RMSprop<Model: ParameterListing>: Optimizer {
    public var learningRate: Float
    public let alpha: Float
    public let epsilon: Float
    /// The running mean of squared gradients, per parameter in `parameterPaths` order.
    public var squares: [Tensor] = []
    let paths: [ParameterPath<Model>]

    public init(for model: Model, learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8) {
        precondition(
            learningRate > 0 && (0..<1).contains(alpha) && epsilon > 0,
            "RMSprop: need learningRate > 0, 0 ≤ alpha < 1, epsilon > 0")
        (self.learningRate, self.alpha, self.epsilon) = (learningRate, alpha, epsilon)
        paths = model.parameterPaths
    }

    public mutating func update(_ model: inout Model, along gradient: Model.TangentVector) throws {
        try model.checkFinite(gradient, paths: paths)
        if squares.count != paths.count { squares = paths.map { Tensor.zeros($0.tensor(in: model).shape) } }
        for (i, path) in paths.enumerated() {
            let g = model.gradient(path, in: gradient)
            squares[i] = alpha * squares[i] + (1 - alpha) * (g * g)
            path.set(path.tensor(in: model) - learningRate * g / (sqrt(squares[i]) + epsilon), in: &model)
        }
    }
}

/// Adam (Kingma & Ba) with bias correction; `weightDecay` here is L2 added to the gradient,
/// as in PyTorch's Adam. For decoupled decay use `AdamW`.
public struct Adam<Model: ParameterListing>: MomentOptimizer {
    public var moments: AdaptiveMoments
    public let paths: [ParameterPath<Model>]

    public init(
        for model: Model, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0
    ) {
        paths = model.parameterPaths
        moments = AdaptiveMoments(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            coupledDecay: weightDecay, decoupledDecay: 0)
    }
}

/// AdamW (Loshchilov & Hutter): Adam with decay applied to the weights, p ← p − lr·(step + λp).
public struct AdamW<Model: ParameterListing>: MomentOptimizer {
    public var moments: AdaptiveMoments
    public let paths: [ParameterPath<Model>]

    public init(
        for model: Model, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0.01
    ) {
        paths = model.parameterPaths
        moments = AdaptiveMoments(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            coupledDecay: 0, decoupledDecay: weightDecay)
    }
}

/// What Adam and AdamW share: they differ only in how their moments are configured.
public protocol MomentOptimizer: Optimizer {
    var moments: AdaptiveMoments { get set }
    /// The model's parameter paths, listed once when the optimizer is made: building generic
    /// key paths anew every step cost more than a small flow's whole step.
    var paths: [ParameterPath<Model>] { get }
}

extension MomentOptimizer {
    public var learningRate: Float {
        get { moments.learningRate }
        set { moments.learningRate = newValue }
    }

    /// Step count and moments, to checkpoint and resume exactly.
    public var state: AdamState {
        get { moments.resumable }
        set { moments.resumable = newValue }
    }

    public mutating func update(_ model: inout Model, along gradient: Model.TangentVector) throws {
        try moments.step(&model, gradient, paths: paths)
    }
}

/// What Adam needs to continue exactly where it stopped: the step count and both moments per
/// parameter, in the model's `parameterPaths` order (empty before the first step).
public struct AdamState: Sendable {
    public var step: Int
    public var first: [Tensor]
    public var second: [Tensor]

    public init(step: Int, first: [Tensor], second: [Tensor]) {
        self.step = step
        self.first = first
        self.second = second
    }
}

extension AdaptiveMoments {
    /// The resumable state; setting it recomputes βᵗ by the same running products a run takes.
    var resumable: AdamState {
        get { AdamState(step: step, first: first, second: second) }
        set {
            precondition(
                newValue.first.count == newValue.second.count,
                "Adam state: \(newValue.first.count) first moments but \(newValue.second.count) second")
            (step, first, second) = (newValue.step, newValue.first, newValue.second)
            (beta1Power, beta2Power) = (1, 1)
            for _ in 0..<newValue.step {
                beta1Power *= Double(beta1)
                beta2Power *= Double(beta2)
            }
        }
    }
}

/// The state both Adam variants share: first and second moments per parameter.
public struct AdaptiveMoments: Sendable {
    public var learningRate: Float
    let beta1: Float, beta2: Float, epsilon: Float, coupledDecay: Float, decoupledDecay: Float
    var step = 0
    var beta1Power = 1.0, beta2Power = 1.0  // β^t, kept in Double
    var first: [Tensor] = [], second: [Tensor] = []

    init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, coupledDecay: Float, decoupledDecay: Float) {
        precondition(learningRate > 0, "Adam: learningRate must be positive, got \(learningRate)")
        precondition(
            (0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must lie in [0, 1), got \(beta1), \(beta2)"
        )
        precondition(
            epsilon >= .leastNormalMagnitude && coupledDecay >= 0 && decoupledDecay >= 0,
            "Adam: epsilon must be a normal positive float (≥ 2⁻¹²⁶) and decay non-negative")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.coupledDecay = coupledDecay
        self.decoupledDecay = decoupledDecay
    }

    mutating func step<Model: ParameterListing>(
        _ model: inout Model, _ gradient: Model.TangentVector,
        paths: [ParameterPath<Model>]
    ) throws {
        // Each gradient is read once, for the check and the update (a flow VAE has 28 tensors).
        var gradients = paths.map { $0.readGradient(gradient) }
        try Model.checkFinite(gradients, paths: paths)
        // Taken out of the model so their storage is uniquely referenced: read out while the model still
        // held them, every tensor would be copied before the update.
        var parameters = paths.map { $0.take(from: &model) }
        for i in gradients.indices where gradients[i].isShapelessZero {
            gradients[i] = Tensor.zeros(parameters[i].shape)
        }
        if first.count != paths.count {
            first = parameters.map { Tensor.zeros($0.shape) }
            second = first
        }
        step += 1
        beta1Power *= Double(beta1)
        beta2Power *= Double(beta2)
        let bias1 = Float(1 - beta1Power), bias2 = Float(1 - beta2Power)
        if coupledDecay != 0 {
            for i in gradients.indices { gradients[i] = gradients[i] + coupledDecay * parameters[i] }
        }
        // One call for all tensors: the pool splits their total size, where one call per tensor
        // left every tensor under the parallel threshold (most of a model's) on one thread.
        let sizes = parameters.map(\.count)
        parameters.withUnsafeMutableScalarBuffers { pp in
            gradients.withUnsafeScalarBuffers { pg in
                first.withUnsafeMutableScalarBuffers { pm in
                    second.withUnsafeMutableScalarBuffers { pv in
                        rp_adam_update_many(
                            Int32(paths.count), pp.map { $0.baseAddress }, pg.map { $0.baseAddress },
                            pm.map { $0.baseAddress }, pv.map { $0.baseAddress }, sizes, learningRate,
                            beta1, beta2, epsilon, bias1, bias2, decoupledDecay)
                    }
                }
            }
        }
        for (path, parameter) in zip(paths, parameters) { path.set(parameter, in: &model) }
    }
}
