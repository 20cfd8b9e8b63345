import _Differentiation
import ReparamRandom
import ReparamTensor

/// The function f whose expectation E_{q_θ}[f(b)] is differentiated, with one value per batch
/// row: samples shaped [draws] + θ.shape give values shaped [draws, batch].
///
/// Score-function estimators (REINFORCE, RLOO, NVIL, VIMCO, ARM, DisARM) only evaluate f at
/// hard samples, so any f works. Relaxations, MuProp, REBAR and RELAX also evaluate f — and its
/// gradient — at relaxed points in the convex hull of the support, so they need `relaxed`.
public struct DiscreteObjective {
    public let evaluate: (Tensor) -> Tensor
    public let relaxed: (@differentiable(reverse) (Tensor) -> Tensor)?
    /// Input x of an input-dependent baseline (NVIL), [batch, features]; nil means a constant input.
    public var context: Tensor?
    /// f(z) and ∂f/∂z in one pass chosen by the caller (one that also keeps f's parameter gradient).
    let joint: ((Tensor) -> (value: Tensor, gradient: Tensor))?

    /// A black-box f: evaluated at hard samples only.
    public init(blackBox evaluate: @escaping (Tensor) -> Tensor, context: Tensor? = nil) {
        self.evaluate = evaluate
        self.relaxed = nil
        self.context = context
        joint = nil
    }

    /// A differentiable f, usable by every estimator.
    public init(_ f: @escaping @differentiable(reverse) (Tensor) -> Tensor, context: Tensor? = nil) {
        self.evaluate = { f($0) }
        self.relaxed = f
        self.context = context
        joint = nil
    }

    /// A differentiable f whose caller evaluates it, and takes ∂f/∂z, itself: `evaluate` at hard
    /// points and `valueAndGradient` (a pullback of ones) where an estimator needs the gradient.
    /// A model whose f holds parameters (a decoder) keeps their gradient from that same pass
    /// instead of running f again for it.
    public init(_ f: @escaping @differentiable(reverse) (Tensor) -> Tensor, context: Tensor? = nil,
                evaluate: @escaping (Tensor) -> Tensor,
                valueAndGradient: @escaping (Tensor) -> (value: Tensor, gradient: Tensor)) {
        self.evaluate = evaluate
        self.relaxed = f
        self.context = context
        joint = valueAndGradient
    }

    /// f(z) and ∂f/∂z at relaxed (or hard) points z; each output row depends on its own z row,
    /// so one pullback of ones gives every row's gradient.
    func valueAndGradient(_ z: Tensor) -> (value: Tensor, gradient: Tensor) {
        if let joint { return joint(z) }
        guard let relaxed else { preconditionFailure("this estimator needs a differentiable objective") }
        let (value, pullback) = valueWithPullback(at: z, of: relaxed)
        return (value, pullback(Tensor.ones(value.shape)))
    }
}

/// One call's result: per-draw estimates of ∇θ E_{q_θ}[f(b)] (rows are independent estimates,
/// so their spread is the estimator's variance) and the objective at the hard samples drawn.
public struct DiscreteGradientEstimate {
    /// f at each draw's hard sample(s), [draws, batch] (the mean over a draw's samples for
    /// multi-sample estimators; the multi-sample bound for VIMCO).
    public var objective: Tensor
    /// [draws] + θ.shape; the estimate is their mean.
    public var perDraw: Tensor
    /// Evaluations of f behind one draw's estimate (its cost in "samples").
    public var evaluationsPerDraw: Int
    /// Where parameters inside f (a decoder) get their gradient: Σ pointWeights·∇f(points)
    /// estimates ∇E[f] for them. points: [n] + θ.shape (hard or relaxed samples), weights [n, batch].
    public var points: Tensor
    public var pointWeights: Tensor

    public var gradient: Tensor { perDraw.mean(alongAxes: [0]) }

    public init(objective: Tensor, perDraw: Tensor, evaluationsPerDraw: Int, points: Tensor, pointWeights: Tensor? = nil) {
        self.objective = objective
        self.perDraw = perDraw
        self.evaluationsPerDraw = evaluationsPerDraw
        self.points = points
        self.pointWeights = pointWeights ?? Tensor(repeating: 1 / Float(points.shape[0]), shape: Array(points.shape.prefix(2)))
    }
}

/// An estimator of ∇θ E_{q_θ}[f(b)] for logits θ of a discrete latent.
///
/// `estimate` uses the estimator's current state (baselines, control variates) for every draw
/// and adapts that state afterwards, so each call's estimates are unbiased given the state they
/// started from.
public protocol DiscreteGradientEstimator {
    var name: String { get }
    /// E[estimate] equals the true gradient (of E[f], or of the K-sample bound for VIMCO).
    var isUnbiased: Bool { get }
    var needsDifferentiableObjective: Bool { get }
    /// The estimator targets the K-sample bound log (1/K) Σₖ exp f(bₖ) rather than E[f] (VIMCO):
    /// a model then passes log weights as f and adds their direct dependence on θ.
    var estimatesImportanceWeightedBound: Bool { get }
    func supports(_ latent: DiscreteLatent) -> Bool
    mutating func estimate(logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
                           key: RandomKey, draws: Int) -> DiscreteGradientEstimate
}

extension DiscreteGradientEstimator {
    public var needsDifferentiableObjective: Bool { false }
    public var estimatesImportanceWeightedBound: Bool { false }
    public func supports(_ latent: DiscreteLatent) -> Bool { true }
}

/// θ repeated for each draw: [draws] + θ.shape, so a pullback gives per-draw gradients.
func perDraw(_ logits: Tensor, _ draws: Int) -> Tensor { logits.broadcasted(to: [draws] + logits.shape) }

/// signal [draws, batch] broadcast over the latent axes and multiplied by x [draws] + θ.shape.
func weighted(_ x: Tensor, by signal: Tensor) -> Tensor {
    x * signal.reshaped(to: signal.shape + Array(repeating: 1, count: x.rank - signal.rank))
}
