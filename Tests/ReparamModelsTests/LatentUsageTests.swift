import Foundation
import ReparamEstimators
import ReparamNN
import ReparamRandom
import ReparamTensor
import Testing

@testable import ReparamModels

@Suite("Latent usage")
struct LatentUsageTests {
    /// Four 6-pixel images; variable 1's encoder weights are zeroed, so its posterior is the
    /// same for every image.
    static let images = Tensor(
        shape: [4, 6], scalars: [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1])

    static func model(_ latent: DiscreteLatent) -> DiscreteVAE {
        var model = DiscreteVAE(
            latent: latent, variables: 2, classes: 3, inputSize: 6, hidden: [5], activation: .tanh,
            key: RandomKey(seed: 8))
        let last = model.encoder.layers.count - 1
        let columns = latent == .bernoulli ? [1] : [3, 4, 5]
        var weight = model.encoder.layers[last].weight.scalars
        let width = model.encoder.layers[last].weight.shape[1]
        for row in 0..<model.encoder.layers[last].weight.shape[0] { for c in columns { weight[row * width + c] = 0 } }
        model.encoder.layers[last].weight = Tensor(shape: model.encoder.layers[last].weight.shape, scalars: weight)
        return model
    }

    /// q(b_v = c | x) per image, from the logits in Double: [image][variable][class].
    static func posteriors(_ model: DiscreteVAE) -> [[[Double]]] {
        let logits = model.logits(images).scalars.map(Double.init)
        let perVariable = model.latent == .bernoulli ? 1 : model.classes
        return (0..<images.shape[0]).map { i in
            (0..<model.variables).map { v in
                let row = Array(
                    logits[(i * model.variables + v) * perVariable..<(i * model.variables + v + 1) * perVariable])
                if model.latent == .bernoulli { return [1 / (1 + exp(-row[0]))] }
                let total = row.map { exp($0 - row.max()!) }.reduce(0, +)
                return row.map { exp($0 - row.max()!) / total }
            }
        }
    }

    @Test(
        "activity is Σ_c Var_x q(c|x) and KL is the mean per-variable KL to uniform",
        arguments: [DiscreteLatent.bernoulli, .categorical])
    func matchesDirectComputation(latent: DiscreteLatent) {
        let model = LatentUsageTests.model(latent)
        let q = LatentUsageTests.posteriors(model)
        let n = Double(q.count)
        for batchSize in [1, 3, 1000] {
            let usage = model.latentUsage(LatentUsageTests.images, batchSize: batchSize)
            for v in 0..<model.variables {
                let activity = (0..<q[0][v].count).reduce(0.0) { total, c in
                    let mean = q.reduce(0.0) { $0 + $1[v][c] } / n
                    return total + q.reduce(0.0) { $0 + ($1[v][c] - mean) * ($1[v][c] - mean) } / n
                }
                let kl =
                    q.reduce(0.0) { total, image in
                        let probabilities = latent == .bernoulli ? [image[v][0], 1 - image[v][0]] : image[v]
                        return total + probabilities.reduce(0.0) { $0 + $1 * log($1) }
                            + log(Double(probabilities.count))
                    } / n
                #expect(abs(usage.activity[v] - activity) <= 1e-6, "variable \(v), batch \(batchSize)")
                #expect(abs(usage.kullbackLeibler[v] - kl) <= 1e-5, "variable \(v), batch \(batchSize)")
            }
            // The zeroed variable does not move with x; the other does.
            #expect(usage.activity[1] < 1e-12 && usage.activity[0] > 1e-4)
            #expect(usage.activeCount == (usage.activity[0] > LatentUsage.activeThreshold ? 1 : 0))
        }
    }
}
