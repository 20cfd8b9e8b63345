import Foundation
import ReparamNN
import ReparamRandom
import ReparamTensor
import _Differentiation

/// REBAR (Tucker et al. 2017) and RELAX (Grathwohl et al. 2018). With z the continuous noise
/// behind b = H(z) and z̃ ~ p(z | b) drawn from fresh uniforms v,
/// g = (f(b) − c(z̃))·∇θ log q(b) + ∇θ c(z) − ∇θ c(z̃),
/// unbiased for any c. REBAR's c is η·f(σ_λ(·)); RELAX adds a neural r_ψ. After each call
/// (η, λ, ψ) take one Adam step down ∂E[|g|²]/∂(η, λ, ψ); the Jacobian-vector products inside
/// that second-order gradient are central differences along the fixed direction, so only
/// first-order autodiff is needed.
public struct RELAX: DiscreteGradientEstimator {
    public var controlVariate: ControlVariate
    var optimizer: Adam<ControlVariate>
    /// Whether to adapt (η, λ, ψ) after each call.
    public var adapts = true

    /// REBAR: c = η·f(σ_λ(z)).
    public static func rebar(temperature: Float = 0.5, learningRate: Float = 1e-2, key: RandomKey) -> RELAX {
        RELAX(
            controlVariate: ControlVariate(
                temperature: temperature, latentSize: 1, hidden: 1, usesNetwork: false, key: key),
            learningRate: learningRate)
    }

    /// RELAX: c = η·f(σ_λ(z)) + r_ψ(z), r_ψ a tanh MLP over the latentSize values of one batch row's z.
    public static func relax(
        latentSize: Int, hidden: Int = 32, temperature: Float = 0.5, learningRate: Float = 1e-2,
        key: RandomKey
    ) -> RELAX {
        RELAX(
            controlVariate: ControlVariate(
                temperature: temperature, latentSize: latentSize, hidden: hidden,
                usesNetwork: true, key: key),
            learningRate: learningRate)
    }

    init(controlVariate: ControlVariate, learningRate: Float) {
        self.controlVariate = controlVariate
        optimizer = Adam(for: controlVariate, learningRate: learningRate)
    }

    public var kind: EstimatorKind { controlVariate.usesNetwork ? .relax : .rebar }

    public mutating func estimate(
        logits: Tensor, latent: DiscreteLatent, objective: DiscreteObjective,
        key: RandomKey, draws: Int
    ) -> DiscreteGradientEstimate {
        guard let f = objective.relaxed else { preconditionFailure("\(name) needs a differentiable objective") }
        let keys = key.split(2)
        let noise = latent.noise(keys[0], shape: [draws] + logits.shape)
        let v = keys[1].openUniform([draws] + logits.shape)
        let θ = perDraw(logits, draws)
        let z = Perturbation.z(θ, noise: noise, latent: latent)
        let b = latent.hardSample(perturbed: z)
        let fb = objective.evaluate(b)
        let c = controlVariate
        let (cz, pullbackZ) = valueWithPullback(at: θ) { θ in
            c(Perturbation.z(θ, noise: noise, latent: latent), latent: latent, objective: f)
        }
        let (cz̃, pullbackZ̃) = valueWithPullback(at: θ) { θ in
            c(Perturbation.conditional(θ, b: b, v: v, latent: latent), latent: latent, objective: f)
        }
        let ones = Tensor.ones(cz.shape)
        let estimates = weighted(latent.score(b, logits: logits), by: fb - cz̃) + pullbackZ(ones) - pullbackZ̃(ones)
        if adapts {
            adapt(
                estimates: estimates, θ: θ, z: z, z̃: Perturbation.conditional(θ, b: b, v: v, latent: latent),
                b: b, v: v, latent: latent, objective: f)
        }
        return DiscreteGradientEstimate(objective: fb, perDraw: estimates, evaluationsPerDraw: 3, points: b)
    }

    /// One Adam step on ½E|g|² = E[g·∂g/∂(η, λ, ψ)] with g held fixed:
    /// −(g·s)·c(z̃) + ⟨J_z g, ∇c(z)⟩ − ⟨J_z̃ g, ∇c(z̃)⟩, the inner products by central differences.
    mutating func adapt(
        estimates g: Tensor, θ: Tensor, z: Tensor, z̃: Tensor, b: Tensor, v: Tensor,
        latent: DiscreteLatent, objective f: @escaping @differentiable(reverse) (Tensor) -> Tensor
    ) {
        let along = Perturbation.zTangent(θ, g, latent: latent)
        let alongConditional = Perturbation.conditionalTangent(θ, g, b: b, v: v, latent: latent)
        let largest = max(along.scalars.map(abs).max() ?? 0, alongConditional.scalars.map(abs).max() ?? 0)
        guard largest > 0, largest.isFinite else { return }
        let h = 1e-2 / largest
        let scoreProjection = latent.sumOverLatent(g * latent.score(b, logits: θ))
        let gradient =
            ControlVariate.TangentVector.zero
            + _Differentiation.gradient(at: controlVariate) { c in
                let direct = -(scoreProjection * c(z̃, latent: latent, objective: f))
                let atZ =
                    c(z + h * along, latent: latent, objective: f) - c(z - h * along, latent: latent, objective: f)
                let atZ̃ =
                    c(z̃ + h * alongConditional, latent: latent, objective: f)
                    - c(z̃ - h * alongConditional, latent: latent, objective: f)
                return (direct + (atZ - atZ̃) / (2 * h)).mean().sumToFloat()
            }
        try? optimizer.update(&controlVariate, along: gradient)
    }
}
