import ArgumentParser
import CReparamKernels
import Foundation
import Reparam
import ReparamLab

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "The headline results in under a minute: pathwise vs score function, samples needed, a discrete comparison, an HTML report."
    )

    @Option(help: "Samples for the Gaussian comparison.") var samples = 1_000_000
    @Option(
        help: ArgumentHelp("Folder for the HTML report.", valueName: "dir"),
        transform: pathArgument) var report = "reparam-demo-report"
    @Option(help: "Seed of the random key.", transform: seedArgument) var seed: UInt64 = 0
    @Option(
        help: ArgumentHelp(
            "MNIST folder for the VAE part (default: REPARAM_DATA, then ~/.cache/reparam/mnist).", valueName: "dir"),
        transform: pathArgument)
    var data: String?
    @Option(help: "Seconds of VAE training when MNIST is found (0 skips it).") var vaeSeconds = 8.0
    @Option(help: "Steps of each normalizing flow (0 skips them).") var flowSteps = 1500
    @Option(help: "PPO steps on CartPole (0 skips it).") var ppoSteps = 50_000
    @Option(help: "SAC steps on Pendulum before the policy-gradient comparison (0 skips it).") var sacSteps = 1500
    @Flag(help: "Skip the preference-optimization part.") var skipPreference = false

    func validate() throws {
        try checkSamples(samples, range: 1_000...50_000_000)
        guard vaeSeconds >= 0 && vaeSeconds <= 600 else {
            throw ValidationError("--vae-seconds must be between 0 and 600, got \(vaeSeconds)")
        }
        guard (0...1_000_000).contains(flowSteps) else {
            throw ValidationError("--flow-steps must be between 0 and 1000000, got \(flowSteps)")
        }
        guard (0...10_000_000).contains(ppoSteps) else {
            throw ValidationError("--ppo-steps must be between 0 and 10000000, got \(ppoSteps)")
        }
        guard sacSteps == 0 || (101...1_000_000).contains(sacSteps) else {
            throw ValidationError("--sac-steps must be 0 or between 101 and 1000000, got \(sacSteps)")
        }
    }

    func run() throws {
        // A named data folder must hold MNIST: say so now, not after the lab has run.
        let mnistFolder = vaeSeconds > 0 ? try locateMNIST() : nil
        let started = Date()
        let keys = RandomKey(seed: seed).split(6)
        print(
            """
            Reparam — gradients through random sampling
            A sample z ~ q_φ has no gradient with respect to φ. Reparam measures every way around that
            against exact answers; each result below is reproducible with `reparam lab …`.

            """)
        let lab = GaussianLab(function: .square, k: 0, mu: 1, sigma: 0.5)
        var results: [LabResult] = []
        func show(_ result: LabResult, command: String? = nil) {
            results.append(result)
            print(result.text + (command.map { "\n(more: `reparam lab \($0) --help`)" } ?? "") + "\n")
        }
        show(lab.compare(samples: samples, key: keys[0]), command: "gaussian")
        show(
            lab.samplesNeeded(samples: 200_000, relativeError: 0.1, confidence: 0.95, replicates: 200, key: keys[1]),
            command: "samples-needed")
        let sigmas = (0..<7).map { pow(10, -4 + Double($0) / 2) }
        let sweep = lab.sigmaSweep(sigmas: sigmas, samples: 100_000, key: keys[2])
        results.append(sweep)
        print(([sweep.title] + sweep.headline).joined(separator: "\n") + "\n(more: `reparam lab sigma-sweep --help`)\n")
        show(
            DiscreteLabProblem.bernoulli.compare(
                temperatures: [1, 0.5, 0.1], draws: 50_000, warmUp: 300, key: keys[3]), command: "discrete")
        results.append(NaiveLab.run(lab: lab, samples: 100_000, key: keys[4]))
        if let mnistFolder { show(try trainVAE(folder: mnistFolder, key: keys[5])) }
        if flowSteps > 0 {
            print("Training normalizing flows (\(flowSteps) steps each)…")
            for result in try FlowLab.demo(steps: flowSteps, seed: seed) { show(result) }
            print("(more: `reparam flow --help`)\n")
        }
        if ppoSteps > 0 || sacSteps > 0 {
            print("Reinforcement learning (PPO \(ppoSteps) steps, SAC \(sacSteps) steps)…")
            for result in try RLDemo.run(ppoSteps: ppoSteps, sacSteps: sacSteps, seed: seed) { show(result) }
            print("(more: `reparam rl --help`, `reparam lab policy-gradient --help`)\n")
        }
        if !skipPreference {
            print("Preference optimization (DPO and RLOO against the exact optimum)…")
            show(try PreferenceComparison.demo(seed: seed))
            print("(more: `reparam pref --help`)\n")
        }
        kernelSummary()
        let page = try writeReport(
            HTMLReport(
                title: "Reparam demo",
                introduction: [
                    "Every number here was measured by `reparam demo` on this machine and is checked against a closed form or exact enumeration."
                ], results: results), to: report)
        print(
            String(
                format: "\nReport: %@ (%.1f s). More: `reparam lab --help`, `reparam bench --help`.", page.path,
                Date().timeIntervalSince(started)))
    }

    /// MNIST's folder: missing data is a note (the VAE is skipped) unless --data named a folder.
    func locateMNIST() throws -> URL? {
        do {
            return try MNIST.locate(explicit: data)
        } catch {
            if data != nil { throw CommandFailure(description: "\(error)") }
            print("Note: MNIST not found, so the VAE part is skipped: \(error)\n")
            return nil
        }
    }

    /// A few seconds of VAE training; a malformed data file is an error that names it.
    func trainVAE(folder: URL, key: RandomKey) throws -> LabResult {
        print("Training a VAE on MNIST from \(folder.path) for \(String(format: "%.0f", vaeSeconds)) s…")
        do {
            return try VAEDemo.run(mnist: try MNIST.load(from: folder), seconds: vaeSeconds, key: key)
        } catch let error as DataFileError {
            throw CommandFailure(description: "\(error)")
        }
    }

    func kernelSummary() {
        let a = RandomKey(seed: 1).normal([128, 784]).scalars, b = RandomKey(seed: 2).normal([784, 400]).scalars
        var c = [Float](repeating: 0, count: 128 * 400)
        let gemm = medianSeconds(repeats: 5, minimum: 0.02) {
            rp_sgemm(0, 0, 128, 400, 784, 1, a, 784, b, 400, 0, &c, 400)
        }
        var normals = [Float](repeating: 0, count: 1 << 20)
        let fill = medianSeconds(repeats: 5, minimum: 0.02) { rp_fill_normal([9, 9], &normals, normals.count) }
        print(
            String(
                format: "Kernels (%@, %d thread(s)): GEMM 128·784·400 %.0f GFLOP/s; normal sampling %.0f M/s",
                Kernels.isa.description, Kernels.threads, 2 * 128 * 784 * 400 / gemm / 1e9,
                Double(normals.count) / fill / 1e6))
    }
}
