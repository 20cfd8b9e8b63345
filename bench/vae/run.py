"""Runs the pytorch/examples VAE in Reparam, PyTorch and JAX back to back on this machine and
prints seconds per epoch (median over epochs 2…N), final test loss, peak memory and the ratios.

    python3 bench/vae/run.py --epochs 10 [--rounds 3] [--data DIR] [--reparam .build/release/reparam] [--json]
    python3 bench/vae/run.py --model dvae --latent categorical --estimator st-gumbel --epochs 10

`--model flow-vae` times the VAE with an IAF posterior (784-200-200-50 tanh, dynamic binarization,
batch 100, one-sample ELBO; `reparam vae train --posterior iaf` against bench/flows/vae_flow_torch.py,
normflows' MaskedAffineAutoregressive layers).

`--model dvae` times Jang et al.'s discrete VAE instead (`reparam dvae train` against
bench/dvae/dvae_torch.py, for the estimators that script has; no JAX peer).

With --rounds R the systems run R times in turn (A B C A B C ...). A shared machine's speed
drifts between runs, so each round's ratios are taken within the round and the median ratio is
reported, beside the median seconds per epoch over rounds.

Before and after each Reparam run, `reparam bench placement` measures the round trip of a cache
line between CPUs 0 and 1 (the round keeps the slower of the two). On a VM the host moves virtual CPUs around: at ~100 ns they share an L3
cache; at several times that they do not, and Reparam's two threads run ~35% slower (the
peers, which lean less on a second core, much less so). Each round prints it, and the summary
gives the ratios of the rounds in each placement beside the overall median.

The summary's first line names the CPU and Reparam's kernel path; `--isa avx2` (or portable) runs
Reparam on that path (REPARAM_ISA) to compare each path with the same peers. `--peers-isa avx2`
caps the peers too (PyTorch's ATen, MKL, oneDNN, XLA), which stands in for a CPU without AVX-512
when the machine has it; the summary says so.

Build Reparam first (`swift build -c release`). Peers: `pip install torch jax optax`."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from machine import machine, peer_environment  # noqa: E402


def run(name, command, environment=None):
    """Runs one trainer, echoing its epochs; returns its JSON epochs and peak resident memory (MiB)."""
    print(f"== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE, env=environment)
    epochs = []
    for line in process.stdout:
        if line.startswith("{"):
            epochs.append(json.loads(line))
            print(f"   {name} epoch {epochs[-1]['epoch']}: {epochs[-1]['seconds']:.3f} s, test loss {epochs[-1]['test_loss']:.3f}",
                  file=sys.stderr, flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{name} failed with status {status}")
    return epochs, usage.ru_maxrss / 1024


def round_trip_ns(reparam):
    """Cache-line round trip between CPUs 0 and 1 in ns (None when it cannot be measured)."""
    try:
        out = subprocess.run([reparam, "bench", "placement", "--json", "--trips", "100000"], capture_output=True,
                             text=True, timeout=60)
        lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        return min(line["round_trip_ns"] for line in lines if "round_trip_ns" in line)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def trainers(args, data, run_folder):
    """The command line of each system for this model, keyed by system."""
    epochs = ["--epochs", str(args.epochs)]
    if args.model == "flow-vae":
        vae = ["--hidden", "200,200", "--latent", "50", "--activation", "tanh", "--binarize", "dynamic", "--batch", "100",
               "--objective", "elbo-mc", "--posterior", "iaf", "--flow-steps", str(args.flow_steps)]
        return {"reparam": [args.reparam, "vae", "train"] + vae + epochs + ["--json", "--out", run_folder] + data,
                "pytorch": [sys.executable, os.path.join("..", "flows", "vae_flow_torch.py"), "--flow-steps", str(args.flow_steps)]
                + epochs + data}
    if args.model == "dvae":
        model = ["--latent", args.latent, "--estimator", args.estimator] + epochs
        return {"reparam": [args.reparam, "dvae", "train"] + model + ["--json", "--out", run_folder] + data,
                "pytorch": [sys.executable, os.path.join("..", "dvae", "dvae_torch.py")] + model + data}
    return {"reparam": [args.reparam, "vae", "train"] + epochs + ["--json", "--out", run_folder] + data,
            "pytorch": [sys.executable, "vae_torch.py"] + epochs + data,
            "jax": [sys.executable, "vae_jax.py"] + epochs + data}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data")
    parser.add_argument("--reparam", default=os.path.join(ROOT, ".build", "release", "reparam"))
    parser.add_argument("--only", help="comma-separated subset of reparam,pytorch,jax")
    parser.add_argument("--model", choices=["vae", "dvae", "flow-vae"], default="vae")
    parser.add_argument("--flow-steps", type=int, default=4, help="flow-vae only: IAF layers")
    parser.add_argument("--latent", choices=["categorical", "bernoulli"], default="categorical", help="dvae only")
    parser.add_argument("--estimator", choices=["gumbel-softmax", "st-gumbel", "straight-through"], default="gumbel-softmax",
                        help="dvae only")
    parser.add_argument("--rounds", type=int, default=1, help="run the systems this many times in turn")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--isa", choices=["portable", "avx2", "avx512"],
                        help="Reparam's kernel path (REPARAM_ISA for its runs only; the peers run as they are)")
    parser.add_argument("--peers-isa", choices=["avx2"],
                        help="cap the peers' instruction set too (ATen, MKL, oneDNN, XLA): an AVX2-only CPU stand-in")
    args = parser.parse_args()
    if args.rounds < 1 or args.epochs < 1:
        raise SystemExit("--rounds and --epochs must be at least 1")
    data = ["--data", args.data] if args.data else []
    host = machine(args.reparam, args.isa)
    if args.peers_isa:
        host += f"; peers capped at {args.peers_isa}"
    peers_environment = peer_environment(args.peers_isa)
    print(host, file=sys.stderr, flush=True)
    reparam_environment = dict(os.environ, **({"REPARAM_ISA": args.isa} if args.isa else {}))
    rounds, placements = [], []
    with tempfile.TemporaryDirectory() as folder:
        for round_index in range(args.rounds):
            commands = trainers(args, data, os.path.join(folder, f"run{round_index}"))
            chosen = args.only.split(",") if args.only else list(commands)
            if set(chosen) - set(commands):
                raise SystemExit(f"--only: {', '.join(sorted(set(chosen) - set(commands)))} not among {', '.join(commands)} for --model {args.model}")
            results = {}
            placement = None
            for name in chosen:
                before = round_trip_ns(args.reparam) if name == "reparam" else None
                epochs, peak = run(name, commands[name], reparam_environment if name == "reparam" else peers_environment)
                if before is not None:  # the host can move the CPUs during the run: the worse of the two
                    after = round_trip_ns(args.reparam)
                    placement = max(before, after) if after is not None else None
                steady = [e["seconds"] for e in epochs[1:]] or [epochs[0]["seconds"]]
                results[name] = {"seconds_per_epoch": statistics.median(steady), "test_loss": epochs[-1]["test_loss"],
                                 "peak_mib": peak, "epochs": len(epochs)}
            base = results.get("reparam")
            for name, r in results.items():
                r["time_ratio_reparam_over_this"] = base["seconds_per_epoch"] / r["seconds_per_epoch"] if base else None
            rounds.append(results)
            placements.append(placement)
            if args.rounds > 1:
                where = f" [CPU round trip {placement:.0f} ns]" if placement else ""
                print(f"round {round_index + 1}{where}: " + ", ".join(
                    f"{name} {r['seconds_per_epoch']:.3f} s/epoch" + (f" (ratio {r['time_ratio_reparam_over_this']:.3f})" if base and name != "reparam" else "")
                    for name, r in results.items()), file=sys.stderr, flush=True)
    summary = {}
    for name in rounds[0]:
        per_round = [r[name] for r in rounds]
        ratios = [r["time_ratio_reparam_over_this"] for r in per_round]
        summary[name] = {"seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in per_round),
                         "test_loss": per_round[-1]["test_loss"], "peak_mib": max(r["peak_mib"] for r in per_round),
                         "epochs": per_round[-1]["epochs"], "rounds": len(rounds),
                         "time_ratio_reparam_over_this": statistics.median(ratios) if None not in ratios else None,
                         "ratio_per_round": ratios, "cpu_round_trip_ns_per_round": placements}
    if args.json:
        for name, r in summary.items():
            print(json.dumps({"system": name, "machine": host, **r}))
        return
    print(host)
    print(f"{'system':<8}  {'s/epoch':>8}  {'test loss':>9}  {'peak MiB':>8}  {'Reparam time / this':>19}")
    for name, r in summary.items():
        ratio = r["time_ratio_reparam_over_this"]
        spread = f"  (rounds: {', '.join(f'{x:.3f}' for x in r['ratio_per_round'])})" if len(rounds) > 1 and name != "reparam" and ratio else ""
        print(f"{name:<8}  {r['seconds_per_epoch']:8.3f}  {r['test_loss']:9.3f}  {r['peak_mib']:8.0f}  {ratio if ratio is not None else float('nan'):19.3f}{spread}")
    by_placement(summary, placements)
    print(f"(median seconds per epoch over epochs 2-{args.epochs}" + (f", then over {len(rounds)} rounds; ratio: median of the rounds' ratios" if len(rounds) > 1 else "")
          + f"; test loss after epoch {args.epochs})")


def by_placement(summary, placements):
    """Median ratios of the rounds whose CPUs shared a cache (round trip within 2x the fastest) and of the rest."""
    measured = [p for p in placements if p]
    if len(measured) < len(placements) or len(placements) < 2:
        return
    near = [p <= 2 * min(measured) for p in placements]
    if all(near):
        return
    for label, wanted in (("CPUs sharing a cache", True), ("CPUs apart", False)):
        picked = [i for i, n in enumerate(near) if n == wanted]
        if not picked:
            continue
        trips = statistics.median(placements[i] for i in picked)
        ratios = ", ".join(f"{name} {statistics.median(r['ratio_per_round'][i] for i in picked):.3f}"
                           for name, r in summary.items() if name != "reparam" and r["time_ratio_reparam_over_this"])
        print(f"  {len(picked)} round(s) with {label} (~{trips:.0f} ns): Reparam time / this: {ratios}")


if __name__ == "__main__":
    main()
