import Foundation
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamModels

/// A discrete VAE small enough to enumerate: 6 pixels, 3 Bernoulli units or 2 × 3 categorical.
private func tinyModel(_ latent: DiscreteLatent) -> DiscreteVAE {
    DiscreteVAE(
        latent: latent, variables: latent == .bernoulli ? 3 : 2, classes: 3, inputSize: 6, hidden: [5],
        activation: .tanh,
        key: RandomKey(seed: 31))
}

private let images = Tensor(shape: [2, 6], scalars: [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0])

/// Every latent configuration of one image, shaped [configurations, 1] + latent shape.
private func configurations(_ model: DiscreteVAE) -> Tensor {
    let all = model.latent.enumerate(
        latentShape: model.latent == .bernoulli ? [model.variables] : [model.variables, model.classes])
    return all.reshaped(to: [all.shape[0], 1] + Array(all.shape.dropFirst()))
}

/// The exact per-image −ELBO averaged over the batch, by summing over configurations.
@differentiable(reverse,wrt: model)
private func exactLoss(_ model: DiscreteVAE, _ z: Tensor, latent: DiscreteLatent) -> Float {
    var total = Tensor(0)
    for row in 0..<withoutDerivative(at: images.shape[0]) {
        let x = withoutDerivative(at: images.rows([row]))
        let θ = DiscreteVAE.logits(model.encoder, x, latent: latent, variables: model.variables, classes: model.classes)
        let logQ = DiscreteVAE.logProbability(z, logits: θ, latent: latent)
        let logLikelihood = DiscreteVAE.logLikelihood(model.decoder, z, x)
        total =
            total + (exp(logQ) * logLikelihood).sum()
            - DiscreteVAE.klToUniform(θ, latent: latent, classes: model.classes).sum()
    }
    return -total.sumToFloat() / Float(withoutDerivative(at: images.shape[0]))
}

private func flat(_ model: DiscreteVAE, _ g: DiscreteVAE.TangentVector) -> [Double] {
    model.parameterPaths.flatMap { model.gradient($0, in: g).scalars.map(Double.init) }
}

@Suite("Discrete VAE")
struct DiscreteVAETests {
    // VIMCO is unbiased for the K-sample bound, not for the ELBO tested here.
    static let cases: [(DiscreteLatent, EstimatorKind)] = DiscreteLatent.allCases.flatMap { latent in
        EstimatorKind.supporting(latent).filter { $0.isUnbiased && !$0.estimatesImportanceWeightedBound }.map {
            (latent, $0)
        }
    }

    @Test("each unbiased estimator's full gradient (encoder and decoder) matches enumeration", arguments: cases)
    func unbiased(latent: DiscreteLatent, kind: EstimatorKind) {
        let model = tinyModel(latent)
        let z = configurations(model)
        let exact = flat(model, gradient(at: model) { m in exactLoss(m, z, latent: latent) })
        // The tiny model's images have 6 pixels, not MNIST's 784: adapted parts to match.
        var settings = EstimatorSettings(key: RandomKey(seed: 33))
        (settings.samples, settings.baselineInputs, settings.baselineHidden) = (3, 6, 4)
        (settings.latentSize, settings.controlVariateHidden) = (z.count / z.shape[0], 8)
        var estimator = kind.make(settings)
        #expect(estimator.kind == kind && estimator.isUnbiased)
        let name = kind.rawValue
        let calls = 4_000
        var rows: [Float] = []
        for call in 0..<calls {
            let (_, g) = DiscreteVAETrainer.lossAndGradient(
                model, images, &estimator, RandomKey(seed: 35).fold(in: UInt64(call)))
            rows += flat(model, g).map(Float.init)
        }
        let d = GradientDiagnostics(
            estimator: name, parameters: exact.indices.map(String.init),
            estimates: Tensor(shape: [calls, exact.count], scalars: rows), exact: exact)
        let worst = d.biasInStandardErrors!.map(abs).max()!
        #expect(worst < 5, "\(latent) \(name): largest |bias|/SE \(worst) over \(exact.count) parameters")
    }

    @Test(
        "One decoder pass gives the relaxed estimators' decoder gradient that a second pass gives",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func sharedDecoderPass(latent: DiscreteLatent) {
        let model = tinyModel(latent)
        for straightThrough in [false, true] {
            var shared = GumbelSoftmax(temperature: 0.7, straightThrough: straightThrough), separate = shared
            let key = RandomKey(seed: 37)
            let a = model.lossAndGradient(images, estimator: &shared, key: key, draws: 1, sharingDecoderPass: true)
            let b = model.lossAndGradient(images, estimator: &separate, key: key, draws: 1, sharingDecoderPass: false)
            #expect(a.loss == b.loss)
            let (ga, gb) = (flat(model, a.gradient), flat(model, b.gradient))
            let scale = gb.map(abs).max()!
            for (x, y) in zip(ga, gb) { #expect(abs(x - y) <= 1e-6 * scale, "\(latent) st \(straightThrough)") }
        }
    }

    @Test(
        "A relaxation's step that skips its loss keeps its gradient bit for bit; score-function steps still report it",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func stepWithoutLoss(latent: DiscreteLatent) {
        let model = tinyModel(latent), key = RandomKey(seed: 38)
        for straightThrough in [false, true] {
            var reporting = GumbelSoftmax(temperature: 0.7, straightThrough: straightThrough), skipping = reporting
            #expect(!reporting.usesObjectiveValues)
            let a = model.lossAndGradient(images, estimator: &reporting, key: key, draws: 1, sharingDecoderPass: true)
            let b = model.lossAndGradient(
                images, estimator: &skipping, key: key, draws: 1, sharingDecoderPass: true, reportingLoss: false)
            // Straight-through's gradient pass is at the hard sample: its loss comes free either way.
            #expect(
                a.loss?.isFinite == true && (straightThrough ? b.loss == a.loss : b.loss == nil),
                "\(latent) st \(straightThrough): \(String(describing: a.loss)), \(String(describing: b.loss))")
            #expect(flat(model, a.gradient) == flat(model, b.gradient), "\(latent) st \(straightThrough)")
        }
        var settings = EstimatorSettings(key: RandomKey(seed: 39))
        (settings.baselineInputs, settings.baselineHidden) = (6, 4)
        var reinforce = EstimatorKind.reinforce.make(settings), again = reinforce
        #expect(reinforce.usesObjectiveValues)
        let c = DiscreteVAETrainer.lossAndGradient(model, images, &reinforce, key, reportingLoss: true)
        let d = DiscreteVAETrainer.lossAndGradient(model, images, &again, key, reportingLoss: false)
        #expect(
            c.0?.isFinite == true && c.0 == d.0, "\(latent): \(String(describing: c.0)), \(String(describing: d.0))")
    }

    @Test("Gumbel-softmax's gradient is biased at τ = 1 (it differentiates the relaxed objective)")
    func relaxedIsBiased() {
        let model = tinyModel(.categorical), z = configurations(model)
        let exact = flat(model, gradient(at: model) { m in exactLoss(m, z, latent: .categorical) })
        var estimator = GumbelSoftmax(temperature: 1)
        var rows: [Float] = []
        for call in 0..<4_000 {
            rows += flat(
                model,
                model.lossAndGradient(images, estimator: &estimator, key: RandomKey(seed: 36).fold(in: UInt64(call)))
                    .gradient
            ).map(Float.init)
        }
        let d = GradientDiagnostics(
            estimator: "gs", parameters: exact.indices.map(String.init),
            estimates: Tensor(shape: [4_000, exact.count], scalars: rows), exact: exact)
        #expect(d.biasInStandardErrors!.map(abs).max()! > 5)
    }

    @Test(
        "the hard-sample test ELBO is a lower bound on the exact log-likelihood",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func bound(latent: DiscreteLatent) {
        let model = tinyModel(latent), z = configurations(model)
        for row in 0..<images.shape[0] {
            let x = images.rows([row])
            let logPrior = -Float(model.variables) * logf(Float(model.classes))
            let logLikelihoods = DiscreteVAE.logLikelihood(model.decoder, z, x).scalars.map { Double($0 + logPrior) }
            let top = logLikelihoods.max()!
            let logMarginal = top + log(logLikelihoods.reduce(0) { $0 + exp($1 - top) })
            let draws = 20_000
            let elbos = (0..<draws).map {
                -Double(model.negativeELBO(x, key: RandomKey(seed: 37).fold(in: UInt64($0))).scalarValue)
            }
            let mean = elbos.reduce(0, +) / Double(draws)
            let se = (elbos.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws - 1) / Double(draws))
                .squareRoot()
            #expect(mean <= logMarginal + 5 * se, "image \(row): ELBO \(mean) ± \(se) vs log p(x) \(logMarginal)")
            // The same bound by enumeration: Σ q(b|x) log p(x|b) − KL(q ‖ p) ≤ log p(x), exactly.
            let θ = model.logits(x)
            let q = exp(DiscreteVAE.logProbability(z, logits: θ, latent: latent)).scalars
            let likelihoods = DiscreteVAE.logLikelihood(model.decoder, z, x).scalars
            let exactELBO =
                zip(q, likelihoods).reduce(0.0) { $0 + Double($1.0 * $1.1) }
                - Double(DiscreteVAE.klToUniform(θ, latent: latent, classes: model.classes).scalarValue)
            #expect(exactELBO <= logMarginal + 1e-4, "image \(row): exact ELBO \(exactELBO) vs log p(x) \(logMarginal)")
            #expect(
                abs(mean - exactELBO) < 5 * se, "image \(row): sampled ELBO \(mean) ± \(se) vs enumerated \(exactELBO)")
        }
    }

    @Test("log p(x|z) for several draws per image: Σ x·l − softplus(l) against each draw's own image, and its ∂/∂z")
    func logLikelihoodPerDraw() {
        let model = tinyModel(.categorical)
        // 3 draws × 2 images of one-hot latents; draw-major rows score against image (row mod 2).
        let z = Tensor(
            shape: [3, 2, 2, 3], scalars: (0..<36).map { i in i % 3 == (i / 3) % 3 || i % 7 == 0 ? 1 : 0 })
        let x = Tensor(shape: [2, 6], scalars: [1, 0, 0.25, 1, 0, 0.5, 0, 1, 1, 0, 0.75, 0])
        let value = DiscreteVAE.logLikelihood(model.decoder, z, x)
        let logits = model.decoder(z.reshaped(to: [6, 6])).scalars.map(Double.init)
        for row in 0..<6 {
            let expected = (0..<6).reduce(0.0) { total, j in
                let l = logits[row * 6 + j], target = Double(x.scalars[(row % 2) * 6 + j])
                return total + target * l - (max(l, 0) + log1p(exp(-abs(l))))
            }
            #expect(abs(Double(value.scalars[row]) - expected) < 1e-5 * max(1, abs(expected)), "row \(row)")
        }
        // ∂/∂z of a weighted sum against the same formula written elementwise, differentiated by autodiff.
        let weights = Tensor(shape: [3, 2], scalars: [0.5, -1, 2, 0.25, -0.75, 1.5])
        let fused = gradient(at: z) { z in (DiscreteVAE.logLikelihood(model.decoder, z, x) * weights).sumToFloat() }
        let elementwise = gradient(at: z) { z in
            let logits = model.decoder(z.reshaped(to: [6, 6]))
            let targets = withoutDerivative(at: x.broadcasted(to: [3, 2, 6]).reshaped(to: [6, 6]))
            return ((targets * logits - softplus(logits)).sum(alongAxes: [1]).reshaped(to: [3, 2]) * weights)
                .sumToFloat()
        }
        for (a, b) in zip(fused.scalars, elementwise.scalars) { #expect(abs(a - b) < 1e-5 * max(1, abs(b))) }
    }
}

@Suite("Discrete VAE evaluation")
struct DiscreteVAEEvaluationTests {
    static func trainer(_ latent: DiscreteLatent) -> DiscreteVAETrainer {
        var configuration = DiscreteVAEConfiguration()
        (configuration.latent, configuration.variables, configuration.hidden) = (
            latent, latent == .bernoulli ? 6 : 3, [16]
        )
        return DiscreteVAETrainer(configuration: configuration)
    }

    @Test(
        "the relaxed objective tends to the hard −ELBO as τ → 0 (same noise), and one sample is testLoss",
        arguments: DiscreteLatent.allCases)
    func relaxedLimit(latent: DiscreteLatent) {
        let trainer = Self.trainer(latent), data = RandomKey(seed: 41).uniform([300, 784])
        let hard = trainer.evaluate(data, samples: 3)
        let cold = trainer.evaluate(data, samples: 3, relaxedAt: 1e-4)
        #expect(
            abs(hard.mean - cold.mean) < 1e-3 * abs(hard.mean), "hard \(hard.mean) vs relaxed at τ = 1e-4 \(cold.mean)")
        // One sample per image: the per-batch sums of negativeELBO with the test-loss keys.
        var direct = 0.0
        for (i, batch) in Batches(trainer.testData(data), batchSize: 1000).enumerated() {
            direct += Double(
                trainer.model.negativeELBO(batch, key: trainer.runKey.fold(in: 4).fold(in: UInt64(i))).sum().scalarValue
            )
        }
        #expect(abs(trainer.evaluate(data).mean - direct / Double(data.shape[0])) < 1e-4 * abs(hard.mean))
    }
}

@Suite("Evaluation statistics")
struct EvaluationStatisticsTests {
    @Test("mean and standard error s/√n with the n − 1 variance")
    func meanAndError() {
        let (mean, error) = meanAndStandardError([1, 2, 3, 4])
        #expect(mean == 2.5)
        #expect(abs(error - (5.0 / 3 / 4).squareRoot()) < 1e-12)
        #expect(meanAndStandardError([]).mean.isNaN)
    }
}

@Suite("Discrete VAE checkpoints")
struct DiscreteVAECheckpointTests {
    @Test(
        "resuming mid-epoch restores the model, Adam and the estimator's adapted state bit for bit",
        arguments: [EstimatorKind.relax, .nvil, .mupropNVIL, .gumbelSoftmax])
    func resume(estimator: EstimatorKind) throws {
        var configuration = DiscreteVAEConfiguration()
        (configuration.latent, configuration.variables, configuration.hidden, configuration.batchSize) = (
            .bernoulli, 4, [16], 20
        )
        (configuration.estimator, configuration.annealEvery, configuration.annealRate) = (estimator, 2, 0.1)
        let data = RandomKey(seed: 40).uniform([100, 784])
        var straight = DiscreteVAETrainer(configuration: configuration)
        for _ in 0..<2 { _ = try straight.runEpoch(data) }

        var first = DiscreteVAETrainer(configuration: configuration)
        _ = try first.runEpoch(data)
        var batches = 0
        _ = try first.runEpoch(data, shouldStop: { batches == 2 }, afterBatch: { _ in batches += 1 })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-dvae.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.checkpoint.write(to: url)
        var resumed = try DiscreteVAETrainer(checkpoint: try DiscreteVAECheckpoint.read(url))
        _ = try resumed.runEpoch(data)
        #expect(resumed.state == straight.state)
        for path in straight.model.parameterPaths {
            #expect(
                resumed.model[keyPath: path.value] == straight.model[keyPath: path.value],
                "\(estimator): \(path.name) differs after resuming")
        }
        let (a, b) = (resumed.estimator.stateTensors, straight.estimator.stateTensors)
        #expect(
            a.keys.sorted() == b.keys.sorted() && a.allSatisfy { b[$0.key] == $0.value },
            "\(estimator): estimator state differs")
    }
}

@Suite("Discrete VAE with --estimator auto")
struct AutomaticEstimatorTests {
    static func configuration() -> DiscreteVAEConfiguration {
        var c = DiscreteVAEConfiguration()
        (c.latent, c.variables, c.hidden, c.batchSize) = (.bernoulli, 4, [16], 20)
        c.automatic = AutomaticEstimator()
        // Costs in evaluations: the choice then depends only on the run's key, not on timing.
        (c.automatic!.every, c.automatic!.images, c.automatic!.draws, c.automatic!.cost) = (4, 10, 16, .evaluations)
        return c
    }

    @Test("it chooses before the first step and every N steps, trains with the choice, and resumes bit for bit")
    func choosesAndResumes() throws {
        let data = RandomKey(seed: 40).uniform([100, 784])
        var straight = DiscreteVAETrainer(configuration: Self.configuration())
        for _ in 0..<2 { _ = try straight.runEpoch(data) }
        let choices = straight.takeSelections()
        // 10 steps: choices at steps 0, 4 and 8, each over every Bernoulli kind but VIMCO.
        #expect(choices.map(\.step) == [0, 4, 8])
        for choice in choices {
            #expect(Set(choice.selection.trials.map(\.kind)) == Set(EstimatorKind.allCases.filter { $0 != .vimco }))
            let best = choice.selection.trials.map(\.score).min()!
            #expect(choice.selection.trials.first { $0.kind == choice.selection.chosen }!.score == best)
        }
        #expect(straight.configuration.estimator == choices.last!.selection.chosen)
        #expect(straight.estimator.kind == straight.configuration.estimator)
        #expect(straight.takeSelections().isEmpty)

        var first = DiscreteVAETrainer(configuration: Self.configuration())
        _ = try first.runEpoch(data)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-auto.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.checkpoint.write(to: url)
        var resumed = try DiscreteVAETrainer(checkpoint: try DiscreteVAECheckpoint.read(url))
        #expect(resumed.configuration.automatic == Self.configuration().automatic)
        _ = try resumed.runEpoch(data)
        #expect(resumed.state == straight.state && resumed.configuration.estimator == straight.configuration.estimator)
        for path in straight.model.parameterPaths {
            #expect(resumed.model[keyPath: path.value] == straight.model[keyPath: path.value], "\(path.name)")
        }
    }
}

extension AutomaticEstimatorTests {
    @Test("with one sample per image, RLOO and VIMCO are not candidates (they need two)")
    func candidatesTheConfigurationCanBuild() throws {
        var c = Self.configuration()
        c.samples = 1
        var trainer = DiscreteVAETrainer(configuration: c)
        _ = try trainer.runEpoch(RandomKey(seed: 41).uniform([20, 784]))
        let kinds = trainer.takeSelections().flatMap { $0.selection.trials.map(\.kind) }
        #expect(!kinds.isEmpty && !kinds.contains(.rloo) && !kinds.contains(.vimco))
    }
}

@Suite("Discrete VAE configuration")
struct DiscreteVAEConfigurationTests {
    @Test(
        "the initializer is saved by name; an unknown name is refused on load; a run saved without one is pytorch"
    )
    func initializer() throws {
        var configuration = DiscreteVAEConfiguration()
        configuration.initializer = .glorotUniform
        #expect(configuration.problems.isEmpty)
        // Glorot biases are zero; PyTorch's are drawn.
        #expect(configuration.makeModel(key: RandomKey(seed: 1)).encoder.layers[0].bias.scalars.allSatisfy { $0 == 0 })
        configuration.initializer = nil
        #expect(configuration.makeModel(key: RandomKey(seed: 1)).encoder.layers[0].bias.scalars.contains { $0 != 0 })
        for initializer in [Initializer.pytorchDefault, .glorotUniform, .kaimingUniform, .orthogonal(gain: 1.5)] {
            configuration.initializer = initializer
            let data = try JSONEncoder().encode(configuration)
            #expect(String(decoding: data, as: UTF8.self).contains("\"initializer\":\"\(initializer)\""))
            #expect(try JSONDecoder().decode(DiscreteVAEConfiguration.self, from: data) == configuration)
        }
        var renamed = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as! [String: Any]
        renamed["initializer"] = "xavier"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                DiscreteVAEConfiguration.self, from: JSONSerialization.data(withJSONObject: renamed))
        }

        var saved =
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(DiscreteVAEConfiguration())) as! [String: Any]
        saved["initializer"] = nil
        let loaded = try JSONDecoder().decode(
            DiscreteVAEConfiguration.self, from: JSONSerialization.data(withJSONObject: saved))
        #expect(loaded.initializer == nil && loaded == DiscreteVAEConfiguration())
    }
}
