"""Reparam's flows against the same flows in normflows, side by side on this machine: steps per
second (training steps only) and the final test log-likelihood (2-D sets) or bound and log Z
(energies), for each configuration in turn, in alternating order over --rounds rounds.

    python3 bench/flows/run.py                       # the acceptance grid, 10 000 steps
    python3 bench/flows/run.py --steps 2000 --rounds 3 --only two-moons:realnvp,u1:planar
    python3 bench/flows/run.py --isa avx2            # Reparam on its AVX2 kernels

Round r uses seed --seed + r in both systems, so the medians over rounds are also medians over
seeds (a single seed's bound can differ between two libraries by more than their gap).

Both systems run on one thread (REPARAM_THREADS=1, torch.set_num_threads(1)): the products of
a 2-D flow are far too small to split. The summary names the CPU and Reparam's instruction set;
ratios are Reparam's steps/s over normflows' (> 1: Reparam is faster), medians over rounds.

Build Reparam first (`swift build -c release`); peer: `pip install torch normflows`."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (task, flow, layers): the configurations the flow issue's acceptance names.
GRID = [("two-moons", "realnvp", 8), ("two-moons", "spline", 4), ("eight-gaussians", "realnvp", 8),
        ("eight-gaussians", "spline", 4), ("two-moons", "planar", 32), ("eight-gaussians", "planar", 32)] + \
       [(u, flow, layers) for u in ("u1", "u2", "u3", "u4") for flow, layers in (("planar", 32), ("spline", 4))]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def last_json(command, env=None):
    print("   $ " + " ".join(command), file=sys.stderr, flush=True)
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"failed ({out.returncode}): {' '.join(command)}\n{out.stderr[-2000:]}")
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=1, help="rounds, each with the next seed")
    parser.add_argument("--only", help="comma-separated task:flow pairs from the grid")
    parser.add_argument("--reparam", default=os.path.join(ROOT, ".build/release/reparam"))
    parser.add_argument("--isa", choices=["portable", "avx2", "avx512"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per configuration")
    args = parser.parse_args()
    grid = GRID
    if args.only:
        wanted = set(tuple(pair.split(":")) for pair in args.only.split(","))
        grid = [g for g in GRID if (g[0], g[1]) in wanted]
    env = dict(os.environ, REPARAM_THREADS="1")
    if args.isa:
        env["REPARAM_ISA"] = args.isa
    info = subprocess.run([args.reparam, "info"], capture_output=True, text=True, env=env).stdout
    isa = next((line.split(":", 1)[1].split("(")[0].strip() for line in info.splitlines() if line.startswith("instruction set")), "?")
    data = tempfile.mkdtemp(prefix="reparam-flows-")
    results = {}
    for round_index in range(args.rounds):
        for task, flow, layers in grid:
            seed = args.seed + round_index
            common = ["--task", task, "--flow", flow, "--layers", str(layers), "--steps", str(args.steps), "--seed", str(seed)]
            peer = [sys.executable, os.path.join(HERE, "flows_normflows.py"), "--threads", "1"] + common
            if not task.startswith("u"):
                folder = os.path.join(data, task)
                if not os.path.exists(folder):
                    subprocess.run([args.reparam, "flow", "data", "--task", task, "--out", folder], check=True, capture_output=True)
                peer += ["--train", os.path.join(folder, "train.csv"), "--test", os.path.join(folder, "test.csv")]
            ours = [args.reparam, "flow", "train", "--json", "--eval-every", str(args.steps)] + common
            runs = [("reparam", ours, env), ("normflows", peer, None)]
            if round_index % 2 == 1:
                runs.reverse()
            measured = {name: last_json(command, e) for name, command, e in runs}
            results.setdefault((task, flow, layers), []).append(measured)
            r, n = measured["reparam"], measured["normflows"]
            metric = "test_log_likelihood" if "test_log_likelihood" in r else "elbo"
            print(f"round {round_index + 1} {task:16s} {flow:8s} reparam {r['steps_per_second']:7.1f} steps/s {metric} {r[metric]:.4f} | "
                  f"normflows {n['steps_per_second']:7.1f} steps/s {n[metric]:.4f}", file=sys.stderr, flush=True)
    print(f"\nCPU: {cpu_model()}; Reparam kernels: {isa}; one thread each; {args.steps} steps, {args.rounds} round(s), "
          f"seeds {args.seed}-{args.seed + args.rounds - 1}")
    print(f"{'task':16s} {'flow':8s} {'layers':>6s}  {'Reparam steps/s':>15s} {'normflows':>10s} {'ratio':>6s}   "
          f"{'metric':20s} {'Reparam':>9s} {'normflows':>9s} {'diff':>7s}")
    for (task, flow, layers), rounds in results.items():
        ratios = [m["reparam"]["steps_per_second"] / m["normflows"]["steps_per_second"] for m in rounds]
        r_speed = statistics.median(m["reparam"]["steps_per_second"] for m in rounds)
        n_speed = statistics.median(m["normflows"]["steps_per_second"] for m in rounds)
        metric = "test_log_likelihood" if "test_log_likelihood" in rounds[0]["reparam"] else "elbo"
        r_value = statistics.median(m["reparam"][metric] for m in rounds)
        n_value = statistics.median(m["normflows"][metric] for m in rounds)
        extra = ""
        if metric == "elbo":
            extra = f"   log Z: IS {rounds[-1]['reparam']['log_z']:.4f} / {rounds[-1]['normflows']['log_z']:.4f}, " \
                    f"exact {rounds[-1]['reparam']['exact_log_z']:.4f}"
        print(f"{task:16s} {flow:8s} {layers:6d}  {r_speed:15.1f} {n_speed:10.1f} {statistics.median(ratios):6.2f}   "
              f"{metric:20s} {r_value:9.4f} {n_value:9.4f} {r_value - n_value:+7.4f}{extra}")
        if args.json:
            print(json.dumps({"task": task, "flow": flow, "layers": layers, "cpu": cpu_model(), "isa": isa, "rounds": rounds,
                              "speed_ratio_median": statistics.median(ratios)}))


if __name__ == "__main__":
    main()
