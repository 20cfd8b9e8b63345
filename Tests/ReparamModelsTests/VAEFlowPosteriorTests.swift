import Foundation
import ReparamDistributions
import ReparamFlows
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamModels
@testable import ReparamNN

@Suite("VAE with a flow posterior")
struct VAEFlowPosteriorTests {
    static let data = RandomKey(seed: 1).uniform([6, 7])

    static func model(_ kind: PosteriorKind) -> VAE {
        var model = VAE(
            inputSize: 7, hidden: [5], latentSize: 3, activation: .tanh, posterior: kind, flowSteps: 2,
            key: RandomKey(seed: 2))
        // Off the near-identity start, so the flow's terms are not trivially small.
        for (i, path) in model.flow.parameterPaths.enumerated() {
            let value = model.flow[keyPath: path.value]
            model.flow[keyPath: path.value] = value + 0.3 * RandomKey(seed: 3).fold(in: UInt64(i)).normal(value.shape)
        }
        return model
    }

    @Test(
        "the importance-weighted loss's gradient matches central differences for every parameter",
        arguments: [PosteriorKind.planar, .iaf])
    func gradient(kind: PosteriorKind) {
        let model = Self.model(kind)
        let key = RandomKey(seed: 4)
        let objective = VAEObjective.iwae(samples: 3, gradient: .standard)
        let g = _Differentiation.gradient(at: model) { $0.loss(Self.data, objective: objective, key: key) }
        for path in model.parameterPaths {
            let numeric = GradientCheck.numericalGradient(
                ofDouble: { value in
                    var perturbed = model
                    perturbed[keyPath: path.value] = value
                    return Double(perturbed.loss(Self.data, objective: objective, key: key))
                }, at: model[keyPath: path.value], step: 3e-3)
            let error = GradientCheck.maxRelativeError(model.gradient(path, in: g), numeric)
            #expect(error < 1e-2, "\(kind) \(path.name): max relative error \(error)")
        }
    }

    /// The closures the optimizers use reach the tensors the key paths name, through the VAE's
    /// networks (arrays of layers), the IAF chain (an array of flows) and each MADE.
    @Test("every parameter path's closures reach the tensors its key paths name")
    func parameterPathClosures() {
        let model = Self.model(.iaf)
        let g = _Differentiation.gradient(at: model) {
            $0.loss(Self.data, objective: .iwae(samples: 2, gradient: .standard), key: RandomKey(seed: 6))
        }
        let paths = model.parameterPaths
        #expect(paths.count == 16, "weight and bias of 2 encoder, 2 decoder and 2 × 2 MADE layers")
        var emptied = model, emptiedGradient = g
        for path in paths {
            #expect(path.readGradient(g) == g[keyPath: path.gradient], "\(path.name): gradient")
            #expect(path.tensor(in: model) == model[keyPath: path.value], "\(path.name): tensor(in:)")
            #expect(path.takeGradient(from: &emptiedGradient) == g[keyPath: path.gradient], "\(path.name): taken")
            let taken = path.take(from: &emptied)
            #expect(taken == model[keyPath: path.value], "\(path.name): value")
            #expect(emptied[keyPath: path.value].isShapelessZero, "\(path.name): left empty")
        }
        for path in paths.reversed() {
            path.set(model[keyPath: path.value] + 1, in: &emptied)
            path.setGradient(g[keyPath: path.gradient] * 2, in: &emptiedGradient)
        }
        for path in paths {
            #expect(emptied[keyPath: path.value] == model[keyPath: path.value] + 1, "\(path.name): put back")
            #expect(emptiedGradient[keyPath: path.gradient] == g[keyPath: path.gradient] * 2, "\(path.name)")
        }
    }

    /// log q(z_K|x) from the forward pass equals the density the flow's inverse gives at z_K.
    @Test(
        "log q from the forward pass equals log q at the sample through the inverse",
        arguments: [PosteriorKind.planar, .iaf])
    func density(kind: PosteriorKind) {
        let model = Self.model(kind)
        let draw = model.flowPosteriorSamples(Self.data, key: RandomKey(seed: 5), samples: 4)
        let h = model.encoder(Self.data)
        let context = h.slice(axis: 1, 6..<h.shape[1])
        let q: Tensor =
            kind == .iaf
            ? TransformedDistribution(
                base: model.gaussian(h), bijector: ConditionedFlow(model.flow.iaf, context: context)
            ).logProb(draw.value)
            : TransformedDistribution(
                base: model.gaussian(h), bijector: ConditionedFlow(model.flow.planar, context: context)
            ).logProb(draw.value)
        #expect(draw.logProb.shape == [4, 6])
        #expect(GradientCheck.maxRelativeError(q, draw.logProb) < 1e-4, "\(q) vs \(draw.logProb)")
    }

    @Test(
        "the test log-likelihood estimate −L_k lies above the ELBO's and below 0",
        arguments: [PosteriorKind.planar, .iaf])
    func evaluation(kind: PosteriorKind) {
        let model = Self.model(kind)
        let x = binarized(Self.data, key: RandomKey(seed: 6))
        let one = model.logLikelihood(x, samples: 1, key: RandomKey(seed: 7))
        let many = model.logLikelihood(x, samples: 2000, chunk: 300, key: RandomKey(seed: 7))
        let elbo = (0..<200).map { model.logLikelihood(x, samples: 1, key: RandomKey(seed: 100 + UInt64($0))) }
        for i in 0..<6 {
            let mean = elbo.map { $0[i] }.reduce(0, +) / 200
            #expect(many[i] < 0 && one[i].isFinite)
            #expect(many[i] >= mean, "image \(i): L_2000 \(many[i]) below the mean ELBO \(mean)")
        }
    }

    @Test("a flow posterior needs a Monte Carlo objective and a layer count")
    func configuration() {
        var c = VAEConfiguration()
        c.posterior = .iaf
        c.flowSteps = 0
        let problems = c.problems.joined(separator: "\n")
        #expect(problems.contains("--flow-steps") && problems.contains("elbo-mc or iwae"))
        c.flowSteps = 4
        c.objective = .iwae
        c.samples = 5
        c.gradient = .doublyReparameterized
        #expect(c.problems.contains { $0.contains("standard gradient") })
        c.gradient = .standard
        #expect(c.problems.isEmpty)
    }
}
