import Foundation
import ReparamData
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing
import _Differentiation

@testable import ReparamModels

@Suite("VAE")
struct VAETests {
    static let data = RandomKey(seed: 1).uniform([8, 6])

    @Test("the −ELBO gradient matches central differences for a weight of every layer")
    func gradient() {
        let model = VAE(inputSize: 6, hidden: [5], latentSize: 2, activation: .tanh, key: RandomKey(seed: 2))
        let noise = RandomKey(seed: 3).normal([8, 2])
        let g = _Differentiation.gradient(at: model) { $0.negativeELBO(Self.data, noise: noise) }
        for path in model.parameterPaths {
            let numeric = GradientCheck.numericalGradient(
                ofDouble: { value in
                    var perturbed = model
                    perturbed[keyPath: path.value] = value
                    return Double(perturbed.negativeELBO(Self.data, noise: noise))
                }, at: model[keyPath: path.value], step: 1e-2)
            let error = GradientCheck.maxRelativeError(model.gradient(path, in: g), numeric)
            #expect(error < 2e-2, "\(path.name): max relative error \(error)")
        }
    }

    @Test("−ELBO equals reconstruction NLL plus the closed-form KL, per image")
    func value() {
        let model = VAE(inputSize: 6, hidden: [5], latentSize: 2, key: RandomKey(seed: 4))
        let noise = RandomKey(seed: 5).normal([8, 2])
        let h = model.encoder(Self.data)
        let (loc, logVariance) = (h.slice(axis: 1, 0..<2), h.slice(axis: 1, 2..<4))
        let z = loc + exp(0.5 * logVariance) * noise
        let logits = model.decoder(z)
        var total = 0.0
        for i in 0..<logits.count {
            let (l, x) = (Double(logits.scalars[i]), Double(Self.data.scalars[i]))
            total += log1p(exp(-abs(l))) + max(l, 0) - x * l
        }
        for i in 0..<loc.count {
            let (m, v) = (Double(loc.scalars[i]), Double(logVariance.scalars[i]))
            total += -0.5 * (1 + v - m * m - exp(v))
        }
        #expect(abs(Double(model.negativeELBO(Self.data, noise: noise)) - total / 8) < 1e-4 * total / 8)
    }

    @Test("a few hundred Adam steps lower the test −ELBO (MNIST slice when available, else synthetic digits)")
    func training() throws {
        let images: Tensor
        if let folder = try? MNIST.locate() {
            images = try MNIST.load(from: folder).trainImages.rows(Array(0..<2_000))
        } else {
            // Two prototype patterns with noise: structure an encoder can learn.
            let prototypes = RandomKey(seed: 6).uniform([2, 784]).map { $0 > 0.5 ? 1 : 0 }
            let noise = RandomKey(seed: 7).uniform([2_000, 784])
            images = Tensor(
                shape: [2_000, 784],
                scalars: (0..<2_000 * 784).map { i in
                    abs(prototypes.scalars[(i / 784 % 2) * 784 + i % 784] - (noise.scalars[i] < 0.1 ? 1 : 0))
                })
        }
        let (train, test) = (images.rows(Array(0..<1_500)), images.rows(Array(1_500..<2_000)))
        var configuration = VAEConfiguration()
        (
            configuration.hidden, configuration.latent, configuration.batchSize, configuration.learningRate,
            configuration.seed
        ) = ([64], 8, 50, 3e-3, 8)
        var trainer = VAETrainer(configuration: configuration)
        let before = trainer.testLoss(test)
        for _ in 0..<4 { _ = try trainer.runEpoch(train) }
        let after = trainer.testLoss(test)
        #expect(after < 0.6 * before, "test −ELBO \(before) → \(after)")
    }
}
