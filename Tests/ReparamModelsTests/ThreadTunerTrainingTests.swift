import ReparamEstimators
import ReparamRandom
import ReparamTensor
import ReparamTestSupport
import Testing

@testable import ReparamModels

/// The tuner may switch thread counts between any two steps, so training must not depend on them.
@Suite("Training under the thread tuner")
struct ThreadTunerTrainingTests {
    /// Runs `epoch` on a trainer made and trained on two threads with every product split (its
    /// tuner alternates 2 and 1 in its trial steps), and on one made and trained on one thread.
    static func bothWays<T>(_ make: () -> T, _ epoch: (inout T) throws -> Void) throws -> (tuned: T, single: T) {
        var tuned = Kernels.withOverrides(threads: 2, parallelThreshold: 0) { make() }
        try withPoolWorkers(runs: 1) {
            Result { try Kernels.withOverrides(threads: 2, parallelThreshold: 0) { try epoch(&tuned) } }
        }.result.get()
        var single = Kernels.withOverrides(threads: 1) { make() }
        try Kernels.withOverrides(threads: 1) { try epoch(&single) }
        return (tuned, single)
    }

    @Test(
        "VAE: an epoch switching between 2 threads and 1 equals one on 1 thread, bit for bit",
        arguments: [PosteriorKind.diagonal, .iaf])
    func vae(posterior: PosteriorKind) throws {
        var c = VAEConfiguration()
        (c.inputSize, c.hidden, c.latent, c.batchSize, c.seed, c.binarize) = (784, [64], 4, 25, 3, true)
        if posterior != .diagonal { (c.posterior, c.flowSteps, c.objective) = (posterior, 2, .elboMC) }
        let data = RandomKey(seed: 5).uniform([150, 784])
        let (tuned, single) = try Self.bothWays({ VAETrainer(configuration: c) }) { _ = try $0.runEpoch(data) }
        #expect(tuned.threadTuner.candidates == [2, 1] && tuned.threadTuner.stepCounts.allSatisfy { $0 > 0 })
        #expect(single.threadTuner.candidates == [1])
        for path in tuned.model.parameterPaths {
            #expect(tuned.model[keyPath: path.value] == single.model[keyPath: path.value], "\(path.name)")
        }
    }

    @Test(
        "Discrete VAE: the same for a relaxed and a score-function estimator",
        arguments: [EstimatorKind.gumbelSoftmax, .relax])
    func discreteVAE(estimator: EstimatorKind) throws {
        var c = DiscreteVAEConfiguration()
        (c.latent, c.variables, c.hidden, c.batchSize, c.estimator) = (.bernoulli, 8, [64], 25, estimator)
        let data = RandomKey(seed: 6).uniform([150, 784])
        let (tuned, single) = try Self.bothWays({ DiscreteVAETrainer(configuration: c) }) { _ = try $0.runEpoch(data) }
        #expect(tuned.threadTuner.stepCounts.allSatisfy { $0 > 0 })
        for path in tuned.model.parameterPaths {
            #expect(tuned.model[keyPath: path.value] == single.model[keyPath: path.value], "\(path.name)")
        }
    }
}
