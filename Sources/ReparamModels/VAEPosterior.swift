import ReparamDistributions
import ReparamFlows
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// The family of a VAE's posterior q(z|x): a diagonal Gaussian, or that Gaussian pushed through
/// a flow whose layers read a context vector h(x) the encoder outputs beside μ and log σ²
/// (amortized planar flows, Rezende & Mohamed 2015; IAF, Kingma et al. 2016).
public enum PosteriorKind: String, Codable, CaseIterable, Sendable {
    case diagonal, planar, iaf
}

/// The flow of a VAE posterior, z_K = f(z_0; h) with log q(z_K|x) = log N(z_0; μ, σ²) − log|det ∂f/∂z_0|.
/// It holds a chain of each kind; the one of `kind` has the layers, the other is empty (a VAE
/// is one concrete type whatever its posterior, so its checkpoints and trainer stay one).
public struct PosteriorFlow: Differentiable {
    public var planar: Chain<Planar>
    public var iaf: Chain<Inverse<MaskedAutoregressive>>
    @noDerivative public let kind: PosteriorKind
    /// Size of the context h(x) the encoder outputs for the flow (0 for a diagonal posterior).
    @noDerivative public let contextSize: Int

    /// IAF layers get a MADE of one hidden layer of width `hidden` with the VAE's activation.
    public init(kind: PosteriorKind, latentSize d: Int, steps: Int, hidden: Int, activation: Activation, key: RandomKey)
    {
        let keys = key.split(Swift.max(steps, 1))
        let context = kind == .diagonal ? 0 : 2 * d
        planar = Chain(
            kind == .planar ? (0..<steps).map { Planar(dimension: d, contextSize: context, key: keys[$0]) } : [],
            eventRank: 1)
        iaf = Chain(
            kind == .iaf
                ? (0..<steps).map {
                    Inverse(
                        MaskedAutoregressive(
                            dimension: d, hidden: [hidden], activation: activation, contextSize: context,
                            reversedOrder: $0 % 2 == 1, key: keys[$0]))
                } : [], eventRank: 1)
        self.kind = kind
        contextSize = context
    }

    /// k reparameterized draws z_K [k, n, d] of q(z|x) with their log-densities [k, n], from the
    /// Gaussian `base` and the context [n, c].
    @differentiable(reverse,wrt: (self, base, context))
    public func rsampleWithLogProb(
        base: Independent<Normal>, context: Tensor, key: RandomKey, samples k: Int
    ) -> SampleWithLogProb {
        if withoutDerivative(at: kind) == .iaf {
            return TransformedDistribution(base: base, bijector: ConditionedFlow(iaf, context: context))
                .rsampleWithLogProb(key, sampleShape: [k])
        }
        return TransformedDistribution(base: base, bijector: ConditionedFlow(planar, context: context))
            .rsampleWithLogProb(key, sampleShape: [k])
    }
}

extension PosteriorFlow: ParameterListing {
    public var parameterPaths: [ParameterPath<PosteriorFlow>] {
        planar.parameterPaths.map {
            $0.nested(in: "planar", value: \PosteriorFlow.planar, gradient: \PosteriorFlow.TangentVector.planar)
        }
            + iaf.parameterPaths.map {
                $0.nested(in: "iaf", value: \PosteriorFlow.iaf, gradient: \PosteriorFlow.TangentVector.iaf)
            }
    }
}
