import Foundation
import Reparam

/// A few seconds of VAE training on MNIST for the demo (the full trainer is `reparam vae train`).
public enum VAEDemo {
    /// Trains the pytorch/examples VAE (784-400-20, ReLU, Adam 1e-3, batch 128, continuous
    /// MNIST, analytic KL) for about `seconds`, reporting the test −ELBO before and after.
    public static func run(mnist: MNIST, seconds: Double, key: RandomKey) throws -> LabResult {
        let keys = key.split(3)
        var model = VAE(key: keys[0])
        var optimizer = Adam(for: model, learningRate: 1e-3)
        let evaluationKey = keys[2]
        let before = model.evaluate(mnist.testImages, key: evaluationKey)
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var curve: [(x: Double, y: Double)] = [], running = 0.0, step = 0, epoch = 0
        training: while true {
            for batch in Batches(mnist.trainImages, batchSize: 128, shuffledBy: keys[1].fold(in: UInt64(epoch))) {
                let noise = keys[1].fold(in: UInt64(1_000_000 + step)).normal([batch.shape[0], model.latentSize])
                let (loss, gradient) = valueWithGradient(at: model) { m in m.negativeELBO(batch, noise: noise) }
                try optimizer.update(&model, along: gradient)
                running += Double(loss)
                step += 1
                if step % 50 == 0 {
                    curve.append((Double(step), running / 50))
                    running = 0
                }
                if elapsed() >= seconds { break training }
            }
            epoch += 1
        }
        let trainingSeconds = elapsed()
        let after = model.evaluate(mnist.testImages, key: evaluationKey)
        let epochs = Double(step * 128) / Double(mnist.trainImages.shape[0])
        let chart = Chart(
            name: "vae-training", title: "VAE on MNIST: training −ELBO per image",
            caption: "A few seconds of the pytorch/examples VAE (784-400-20, ReLU, Adam 1e-3, batch 128): running mean of the training loss over 50 steps. Test −ELBO went from \(formatted(before)) to \(formatted(after)) nats.",
            xLabel: "step", yLabel: "−ELBO per image (nats)", series: [Chart.Series(name: "train", points: curve, markers: false)])
        let table = Table(header: ["steps", "epochs", "seconds", "images/s", "test −ELBO before", "test −ELBO after"],
                          rows: [[String(step), String(format: "%.2f", epochs), String(format: "%.1f", trainingSeconds),
                                  String(format: "%.0f", Double(step * 128) / trainingSeconds), formatted(before), formatted(after)]])
        return LabResult(
            title: "VAE on MNIST (a few seconds)",
            headline: ["Gaussian posterior trained by the pathwise gradient, Bernoulli decoder, continuous MNIST; test −ELBO per image in nats (lower is better)."],
            table: table,
            records: [Record([("steps", .integer(step)), ("epochs", .number(epochs)), ("seconds", .number(trainingSeconds)),
                              ("test_loss_before", .number(before)), ("test_loss_after", .number(after))])],
            charts: [chart])
    }
}
