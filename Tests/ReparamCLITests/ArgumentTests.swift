import ArgumentParser
import Foundation
import Testing

@testable import ReparamCLI

/// The message the command line would print for `arguments`, or nil when they parse and
/// validate (nothing runs: parsing stops before `run()`).
private func refusal(_ arguments: [String]) -> String? {
    do {
        _ = try ReparamCommand.parseAsRoot(joiningNegativeValues(arguments))
        return nil
    } catch {
        return ReparamCommand.message(for: error)
    }
}

/// A writable folder for commands that check their --out while validating.
private let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reparam-cli-tests").path

@Suite struct ArgumentTests {
    @Test func negativeNumbersAfterAnOptionBecomeItsValue() {
        #expect(
            joiningNegativeValues(["vae", "train", "--epochs", "-1", "--lr", "-1e-3", "--json"])
                == ["vae", "train", "--epochs=-1", "--lr=-1e-3", "--json"])
        #expect(joiningNegativeValues(["--mu", "-inf", "--sigma", "-NaN"]) == ["--mu=-inf", "--sigma=-NaN"])
        // Not numbers, an option already joined, a short flag and everything after "--" stay as given.
        #expect(
            joiningNegativeValues(["--out", "-x", "--k=-2", "-h", "--", "--a", "-1"])
                == ["--out", "-x", "--k=-2", "-h", "--", "--a", "-1"])
    }

    /// Each bad value is refused before any work, with a message naming the flag and the value.
    @Test(arguments: [
        (["vae", "train", "--out", "r", "--epochs", "-1"], ["--epochs", "-1"]),
        (["vae", "train", "--out", "r", "--hidden", "abc"], ["--hidden", "'abc'"]),
        (["vae", "train", "--out", "r", "--hidden", "200,,3"], ["--hidden", "'200,,3'"]),
        (["dvae", "train", "--out", "r", "--hidden", "1,x"], ["--hidden", "'1,x'"]),
        (["dvae", "train", "--out", "r", "--temperature", "inf"], ["--temperature", "inf"]),
        (["dvae", "train", "--out", "r", "--tau-min", "nan"], ["--tau-min", "nan"]),
        (["dvae", "compare", "--out", scratch, "--estimators", ""], ["--estimators", "''"]),
        (["dvae", "compare", "--out", scratch, "--estimators", "rloo,,arm"], ["--estimators", "'rloo,,arm'"]),
        (["dvae", "compare", "--out", "/proc/no-such-folder"], ["--out", "/proc/no-such-folder", "not a writable"]),
        (["flow", "train", "--task", "two-moons", "--hidden", "q"], ["--hidden", "'q'"]),
        // A seed is a whole number from 0 to 2⁶⁴ − 1, in every command that takes one.
        (["vae", "train", "--out", "r", "--seed", "-1"], ["--seed", "'-1'", "whole number from 0"]),
        (["flow", "train", "--task", "two-moons", "--seed", "1.5"], ["--seed", "'1.5'", "whole number from 0"]),
        (["rl", "train", "--env", "cartpole", "--algo", "ppo", "--seed", "x"], ["--seed", "'x'", "whole number"]),
        // An empty item in any comma-separated list is refused, not skipped.
        (["rl", "compare", "--env", "cartpole", "--algos", "ppo,,a2c", "--steps", "100"], ["--algos", "'ppo,,a2c'"]),
        (["pref", "compare", "--betas", "0.1,,1"], ["--betas", "'0.1,,1'"]),
        (["pref", "compare", "--methods", "dpo,,ipo"], ["--methods", "'dpo,,ipo'"]),
        (["lab", "discrete", "--temperatures", "0.5,,1"], ["--temperatures", "'0.5,,1'"]),
        // Names of estimators and configuration choices parse into types; an unknown one is refused
        // with the valid values, a combination that does not apply with the reason.
        (["dvae", "train", "--out", "r", "--estimator", "rlooo"], ["--estimator", "'rlooo'", "rloo", "disarm"]),
        (
            ["dvae", "compare", "--out", scratch, "--estimators", "rloo,nope"],
            ["--estimators", "'nope'", "gumbel-softmax"]
        ),
        (
            ["dvae", "train", "--out", "r", "--estimator", "disarm"],
            ["disarm needs Bernoulli latents", "--latent bernoulli"]
        ),
        (
            ["dvae", "train", "--out", "r", "--estimator", "rloo", "--k", "1"],
            ["--estimator rloo", "--k 2…1000", "got 1"]
        ),
        (
            ["dvae", "train", "--out", "r", "--latent", "gaussian"],
            ["--latent", "'gaussian'", "bernoulli", "categorical"]
        ),
        (["dvae", "train", "--out", "r", "--initializer", "xavier"], ["--initializer", "'xavier'", "glorot"]),
        (["vae", "train", "--out", "r", "--initializer", "orthogonal(-1)"], ["--initializer", "'orthogonal(-1)'"]),
        (["vae", "train", "--out", "r", "--objective", "elbo2"], ["--objective", "'elbo2'", "elbo-mc", "iwae"]),
        (
            ["vae", "train", "--out", "r", "--activation", "identity"],
            ["--activation", "relu, tanh or sigmoid", "'identity'"]
        ),
        (["vae", "train", "--out", "r", "--gradient", "dreg"], ["--gradient dreg", "--objective iwae or elbo-mc"]),
        (["vae", "train", "--out", "r", "--schedule", "cosine"], ["--schedule", "'cosine'", "constant", "iwae"]),
        (["vae", "train", "--out", "r", "--binarize", "yes"], ["--binarize", "'yes'", "none", "dynamic"]),
        // 10¹⁰ samples per step: more memory than any machine has, refused before allocating.
        (
            ["vae", "train", "--out", "r", "--objective", "iwae", "--k", "10000", "--batch", "1000000"],
            ["--batch 1000000", "--k 10000", "GB of memory"]
        ),
        (
            [
                "dvae", "train", "--out", "r", "--estimator", "rloo", "--k", "1000", "--batch", "100000", "--variables",
                "10000",
            ],
            ["--batch 100000", "--k 1000", "--variables 10000", "GB of memory"]
        ),
        (
            ["flow", "train", "--task", "two-moons", "--flow", "realnvp", "--batch", "100000000"],
            ["--batch 100000000", "GB of memory"]
        ),
    ])
    func badValuesAreNamed(arguments: [String], phrases: [String]) {
        let message = refusal(arguments)
        #expect(message != nil, "\(arguments) was accepted")
        for phrase in phrases {
            #expect(message?.contains(phrase) == true, "\(message ?? "") should mention \(phrase)")
        }
    }

    @Test func goodValuesPass() {
        #expect(refusal(["vae", "train", "--out", "r", "--hidden", "200, 200", "--epochs", "3"]) == nil)
        #expect(refusal(["lab", "gaussian", "--mu", "-0.5"]) == nil)
        #expect(refusal(["dvae", "compare", "--out", scratch, "--estimators", "rloo,gumbel-softmax"]) == nil)
        #expect(refusal(["dvae", "train", "--out", "r", "--latent", "bernoulli", "--estimator", "disarm"]) == nil)
        #expect(
            refusal([
                "vae", "train", "--out", "r", "--initializer", "orthogonal(1.41)", "--objective", "iwae",
                "--k", "5", "--gradient", "dreg", "--schedule", "iwae", "--activation", "tanh",
            ]) == nil)
    }
}
