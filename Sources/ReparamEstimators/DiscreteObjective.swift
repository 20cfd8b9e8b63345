import ReparamRandom
import ReparamTensor
import _Differentiation

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
    public init(
        _ f: @escaping @differentiable(reverse) (Tensor) -> Tensor, context: Tensor? = nil,
        evaluate: @escaping (Tensor) -> Tensor,
        valueAndGradient: @escaping (Tensor) -> (value: Tensor, gradient: Tensor)
    ) {
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
