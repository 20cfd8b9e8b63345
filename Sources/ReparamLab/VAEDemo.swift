import Foundation
import Reparam

/// A few seconds of VAE training on MNIST for the demo (the full trainer is `reparam vae train`).
public enum VAEDemo {
    /// Trains the pytorch/examples VAE (784-400-20, ReLU, Adam 1e-3, batch 128, continuous
    /// MNIST, analytic KL) for about `seconds`, reporting the test −ELBO before and after.
    public static func run(mnist: MNIST, seconds: Double, key: RandomKey) throws -> LabResult {
        var configuration = VAEConfiguration()
        configuration.seed = UInt64(key.bits(count: 2).reduce(0) { $0 << 32 | UInt64($1) })
        var trainer = VAETrainer(configuration: configuration)
        let before = trainer.testLoss(mnist.testImages)
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var curve: [(x: Double, y: Double)] = [], running = 0.0
        var stopped = false
        while !stopped {
            stopped = try !trainer.runEpoch(mnist.trainImages, shouldStop: { elapsed() >= seconds }) { t in
                running += Double(t.lastStepLoss)
                if t.state.step % 50 == 0 {
                    curve.append((Double(t.state.step), running / 50))
                    running = 0
                }
            }
        }
        let step = trainer.state.step
        let trainingSeconds = elapsed()
        let after = trainer.testLoss(mnist.testImages)
        let epochs = Double(step * 128) / Double(mnist.trainImages.shape[0])
        let chart = Chart(
            name: "vae-training", title: "VAE on MNIST: training −ELBO per image",
            caption:
                "A few seconds of the pytorch/examples VAE (784-400-20, ReLU, Adam 1e-3, batch 128): running mean of the training loss over 50 steps. Test −ELBO went from \(formatted(before)) to \(formatted(after)) nats.",
            xLabel: "step", yLabel: "−ELBO per image (nats)",
            series: [Chart.Series(name: "train", points: curve, markers: false)])
        let table = Table(
            header: ["steps", "epochs", "seconds", "images/s", "test −ELBO before", "test −ELBO after"],
            rows: [
                [
                    String(step), String(format: "%.2f", epochs), String(format: "%.1f", trainingSeconds),
                    String(format: "%.0f", Double(step * 128) / trainingSeconds), formatted(before), formatted(after),
                ]
            ])
        return LabResult(
            title: "VAE on MNIST (a few seconds)",
            headline: [
                "Gaussian posterior trained by the pathwise gradient, Bernoulli decoder, continuous MNIST; test −ELBO per image in nats (lower is better)."
            ],
            table: table,
            records: [
                Record([
                    ("steps", .integer(step)), ("epochs", .number(epochs)), ("seconds", .number(trainingSeconds)),
                    ("test_loss_before", .number(before)), ("test_loss_after", .number(after)),
                ])
            ],
            charts: [chart])
    }
}
