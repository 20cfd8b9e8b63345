import ArgumentParser
import CReparamKernels
import Foundation
import Reparam

struct AutodiffBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autodiff",
        abstract: "A VAE-sized MLP gradient step through valueWithGradient vs the same kernels called by hand.",
        discussion: """
            Model: 784-400-20-400-784 (ReLU hidden, Bernoulli-logits loss on the input), batch 128 — \
            the GEMM shapes of the MNIST VAE. Both paths run the same GEMM, bias/activation and loss \
            kernels; the ratio is what automatic differentiation costs on top.
            """)

    @OptionGroup var kernel: KernelOptions
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func run() throws {
        let isa = kernel.isa.flatMap { name in Kernels.ISA.allCases.first { $0.description == name } }
        let threads = kernel.threads ?? 1
        Kernels.withOverrides(isa: isa, threads: threads) {
            let key = RandomKey(seed: 3)
            let model = MLP(sizes: [784, 400, 20, 400, 784], hidden: .relu, key: key)
            let batch = key.fold(in: 1).uniform([128, 784])
            var manual = ManualStep(model: model)
            let check = manual.run(batch)
            let viaAD = valueWithGradient(at: model) { m in bernoulliLogitsNLL(logits: m(batch), targets: batch) }
            let gap = GradientCheck.maxRelativeError(viaAD.gradient.layers.base[0].weight, manual.gradients[0])
            let adSeconds = medianSeconds {
                _ = valueWithGradient(at: model) { m in bernoulliLogitsNLL(logits: m(batch), targets: batch) }
            }
            let manualSeconds = medianSeconds { _ = manual.run(batch) }
            let ratio = adSeconds / manualSeconds
            if json {
                print(
                    jsonLine([
                        ("kernel", "mlp-gradient-step"), ("threads", threads), ("steps", 1 / adSeconds),
                        ("ad_ms", adSeconds * 1e3), ("manual_ms", manualSeconds * 1e3), ("ratio", ratio),
                    ]))
            } else {
                print(
                    String(
                        format: "loss %.3f (AD) vs %.3f (by hand); first-layer gradient max rel. difference %.2e",
                        viaAD.value, check, gap))
                print(
                    String(
                        format:
                            "valueWithGradient %.3f ms/step, kernels by hand %.3f ms/step: ratio %.3f (%@, %d thread(s))",
                        adSeconds * 1e3, manualSeconds * 1e3, ratio, Kernels.isa.description, threads))
            }
        }
    }
}

/// The MLP's forward and backward written directly against the kernels, buffers reused.
struct ManualStep {
    let weights: [[Float]], biases: [[Float]], sizes: [Int], activations: [Activation]
    var outputs: [[Float]], cotangents: [[Float]], gradients: [Tensor], biasGradients: [[Float]]

    init(model: MLP) {
        weights = model.layers.map(\.weight.scalars)
        biases = model.layers.map(\.bias.scalars)
        sizes = [model.layers[0].weight.shape[0]] + model.layers.map { $0.weight.shape[1] }
        activations = model.layers.map(\.activation)
        outputs = sizes.dropFirst().map { [Float](repeating: 0, count: 128 * $0) }
        cotangents = outputs
        gradients = model.layers.map { Tensor.zeros($0.weight.shape) }
        biasGradients = model.layers.map { [Float](repeating: 0, count: $0.bias.count) }
    }

    mutating func run(_ batch: Tensor) -> Float {
        let m = Int32(batch.shape[0]), layers = weights.count
        for l in 0..<layers {
            let (k, n) = (Int32(sizes[l]), Int32(sizes[l + 1]))
            let input = l == 0 ? batch.scalars : outputs[l - 1]
            rp_sgemm_bias_activation(
                0, 0, m, n, k, input, k, weights[l], n, biases[l], activations[l].kernelCode, &outputs[l], n)
        }
        let loss = rp_bernoulli_logits_nll(
            outputs[layers - 1], batch.scalars, outputs[layers - 1].count, &cotangents[layers - 1], 1)
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let (k, n) = (Int32(sizes[l]), Int32(sizes[l + 1]))
            if l < layers - 1 {
                rp_activation_backward(activations[l].kernelCode, outputs[l], &cotangents[l], cotangents[l].count)
            }
            let input = l == 0 ? batch.scalars : outputs[l - 1]
            gradients[l].withUnsafeMutableScalars {
                rp_sgemm(1, 0, k, n, m, 1, input, k, cotangents[l], n, 0, $0.baseAddress, n)
            }
            rp_reduce(Int32(RP_REDUCE_SUM.rawValue), cotangents[l], 1, Int64(m), Int64(n), &biasGradients[l])
            if l > 0 { rp_sgemm(0, 1, m, k, n, 1, cotangents[l], n, weights[l], n, 0, &cotangents[l - 1], k) }
        }
        return Float(loss)
    }
}
