import ReparamTensor
import _Differentiation

/// A differentiable, invertible map y = f(x) with a tractable log|det ∂f/∂x|.
///
/// `eventRank` is how many trailing dimensions one event spans: 0 for elementwise maps (their
/// log-determinants have the shape of x), 1 for maps that mix the entries of a vector (their
/// log-determinants drop the last dimension). Every method is differentiable in the bijector's
/// parameters and in its input, so a flow's samples and densities carry pathwise gradients.
///
/// Conformers give `forward`, `inverse` and `forwardLogDetJacobian`; they override
/// `inverseLogDetJacobian` where −log|det J(f⁻¹(y))| loses precision, and the `…WithLogDet`
/// pair where the value and the log-determinant share work (coupling layers, splines).
public protocol Bijector: Differentiable {
    var eventRank: Int { get }

    /// y = f(x).
    @differentiable(reverse)
    func forward(_ x: Tensor) -> Tensor

    /// x = f⁻¹(y).
    @differentiable(reverse)
    func inverse(_ y: Tensor) -> Tensor

    /// log|det ∂f/∂x| at x, summed over the event dimensions.
    @differentiable(reverse)
    func forwardLogDetJacobian(_ x: Tensor) -> Tensor

    /// log|det ∂f⁻¹/∂y| at y = −log|det ∂f/∂x| at x = f⁻¹(y).
    @differentiable(reverse)
    func inverseLogDetJacobian(_ y: Tensor) -> Tensor

    /// (f(x), log|det ∂f/∂x|) in one pass.
    @differentiable(reverse)
    func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet

    /// (f⁻¹(y), log|det ∂f⁻¹/∂y|) in one pass.
    @differentiable(reverse)
    func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet
}

/// A transformed value and the log-determinant of the map's Jacobian at its input.
public struct ValueAndLogDet: Differentiable {
    public var value: Tensor
    public var logDet: Tensor

    @differentiable(reverse)
    public init(value: Tensor, logDet: Tensor) {
        self.value = value
        self.logDet = logDet
    }
}

extension Bijector {
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { -forwardLogDetJacobian(inverse(y)) }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet {
        ValueAndLogDet(value: forward(x), logDet: forwardLogDetJacobian(x))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet {
        ValueAndLogDet(value: inverse(y), logDet: inverseLogDetJacobian(y))
    }

    /// The map that applies `self`, then `next`.
    @differentiable(reverse)
    public func then<Next: Bijector>(_ next: Next) -> Composition<Self, Next> { Composition(self, next) }

    /// f⁻¹ as a bijector of its own.
    @differentiable(reverse)
    public var inverted: Inverse<Self> { Inverse(self) }
}

/// A bijector whose value and log-determinant come out of one pass (chains, coupling and
/// autoregressive layers): it implements the two `…WithLogDet` methods and the other four
/// follow from them here.
public protocol FusedBijector: Bijector {}

extension FusedBijector {
    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { forwardWithLogDet(x).value }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { inverseWithLogDet(y).value }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { forwardWithLogDet(x).logDet }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { inverseWithLogDet(y).logDet }
}

/// f⁻¹: forward and inverse (and their log-determinants) swapped.
public struct Inverse<Base: Bijector>: Bijector {
    public var base: Base

    @differentiable(reverse)
    public init(_ base: Base) { self.base = base }

    public var eventRank: Int { base.eventRank }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { base.inverse(x) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { base.forward(y) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { base.inverseLogDetJacobian(x) }
    @differentiable(reverse)
    public func inverseLogDetJacobian(_ y: Tensor) -> Tensor { base.forwardLogDetJacobian(y) }
    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet { base.inverseWithLogDet(x) }
    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet { base.forwardWithLogDet(y) }
}

/// `second ∘ first`: y = second(first(x)). Its event rank is the larger of the two; the
/// log-determinant of the lower-rank part is summed over the extra dimensions.
public struct Composition<First: Bijector, Second: Bijector>: Bijector {
    public var first: First
    public var second: Second

    @differentiable(reverse)
    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public var eventRank: Int { Swift.max(first.eventRank, second.eventRank) }

    @differentiable(reverse)
    public func forward(_ x: Tensor) -> Tensor { second.forward(first.forward(x)) }
    @differentiable(reverse)
    public func inverse(_ y: Tensor) -> Tensor { first.inverse(second.inverse(y)) }
    @differentiable(reverse)
    public func forwardLogDetJacobian(_ x: Tensor) -> Tensor { forwardWithLogDet(x).logDet }

    @differentiable(reverse)
    public func forwardWithLogDet(_ x: Tensor) -> ValueAndLogDet {
        let a = first.forwardWithLogDet(x)
        let b = second.forwardWithLogDet(a.value)
        return ValueAndLogDet(value: b.value, logDet: combined(a.logDet, b.logDet))
    }

    @differentiable(reverse)
    public func inverseWithLogDet(_ y: Tensor) -> ValueAndLogDet {
        let b = second.inverseWithLogDet(y)
        let a = first.inverseWithLogDet(b.value)
        return ValueAndLogDet(value: a.value, logDet: combined(a.logDet, b.logDet))
    }

    @differentiable(reverse)
    func combined(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (rankA, rankB) = (withoutDerivative(at: first).eventRank, withoutDerivative(at: second).eventRank)
        let rank = Swift.max(rankA, rankB)
        // The lower-rank part's log-determinant summed over the event dimensions it does not span.
        return summedOverEvent(a, rank - rankA) + summedOverEvent(b, rank - rankB)
    }
}

extension Inverse: FusedBijector where Base: FusedBijector {}
