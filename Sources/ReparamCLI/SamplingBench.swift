import ArgumentParser
import Foundation
import Reparam

struct SamplingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampling",
        abstract: "rsample + gradient throughput of Normal, Gamma, Dirichlet and RelaxedOneHotCategorical.",
        discussion: """
            Each case draws a reparameterized sample and takes the gradient of a weighted sum with \
            respect to the distribution's parameters, as `bench/sampling_torch.py` does with \
            torch.distributions. Figures are millions of sampled values per second.
            """)

    @OptionGroup var kernel: KernelOptions
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func run() throws {
        let threads = kernel.threads ?? 1
        let isa = kernel.isa.flatMap { name in Kernels.ISA.allCases.first { $0.description == name } }
        Kernels.withOverrides(isa: isa, threads: threads) {
            let key = RandomKey(seed: 5)
            report("normal", count: 1 << 20) {
                let loc = Tensor.zeros([1 << 20]), scale = Tensor.ones([1 << 20])
                return {
                    _ = gradient(at: loc, scale) { m, s in square(Normal(loc: m, scale: s).rsample(key)).sumToFloat() }
                }
            }
            report("gamma", count: 1 << 16) {
                let concentration = Tensor(repeating: 2.5, shape: [1 << 16]), rate = Tensor.ones([1 << 16])
                return {
                    _ = gradient(at: concentration, rate) { a, b in
                        Gamma(concentration: a, rate: b).rsample(key).sumToFloat()
                    }
                }
            }
            report("dirichlet", count: 4096 * 16) {
                let concentration = Tensor(repeating: 0.8, shape: [4096, 16])
                let weights = key.fold(in: 1).normal([4096, 16])
                return {
                    _ = gradient(at: concentration) { c in
                        (Dirichlet(concentration: c).rsample(key) * weights).sumToFloat()
                    }
                }
            }
            report("relaxed-one-hot-categorical", count: 4096 * 256) {
                let logits = key.fold(in: 2).normal([4096, 256])
                let weights = key.fold(in: 3).normal([4096, 256])
                return {
                    _ = gradient(at: logits) { l in
                        (RelaxedOneHotCategorical(temperature: 0.5, logits: l).rsample(key) * weights).sumToFloat()
                    }
                }
            }
        }

        func report(_ name: String, count: Int, _ setup: () -> () -> Void) {
            let step = setup()
            let seconds = medianSeconds(repeats: 5, minimum: 0.1, step)
            let rate = Double(count) / seconds / 1e6
            print(
                json
                    ? jsonLine([("kernel", name), ("n", count), ("threads", threads), ("msamples", rate)])
                    : String(format: "%-28@ %9d values  %8.1f M/s (rsample + gradient)", name, count, rate))
            fflush(nil)
        }
    }
}
