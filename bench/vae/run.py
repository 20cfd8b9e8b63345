"""Runs the pytorch/examples VAE in Reparam, PyTorch and JAX back to back on this machine and
prints seconds per epoch (median over epochs 2…N), final test loss, peak memory and the ratios.

    python3 bench/vae/run.py --epochs 10 [--data DIR] [--reparam .build/release/reparam] [--json]

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


def run(name, command):
    """Runs one trainer, echoing its epochs; returns its JSON epochs and peak resident memory (MiB)."""
    print(f"== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data")
    parser.add_argument("--reparam", default=os.path.join(ROOT, ".build", "release", "reparam"))
    parser.add_argument("--only", help="comma-separated subset of reparam,pytorch,jax")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = ["--data", args.data] if args.data else []
    with tempfile.TemporaryDirectory() as folder:
        commands = {
            "reparam": [args.reparam, "vae", "train", "--epochs", str(args.epochs), "--json", "--out", os.path.join(folder, "run")] + data,
            "pytorch": [sys.executable, "vae_torch.py", "--epochs", str(args.epochs)] + data,
            "jax": [sys.executable, "vae_jax.py", "--epochs", str(args.epochs)] + data,
        }
        chosen = args.only.split(",") if args.only else list(commands)
        results = {}
        for name in chosen:
            epochs, peak = run(name, commands[name])
            steady = [e["seconds"] for e in epochs[1:]] or [epochs[0]["seconds"]]
            results[name] = {"seconds_per_epoch": statistics.median(steady), "test_loss": epochs[-1]["test_loss"],
                             "peak_mib": peak, "epochs": len(epochs)}
    base = results.get("reparam")
    for name, r in results.items():
        r["time_ratio_reparam_over_this"] = base["seconds_per_epoch"] / r["seconds_per_epoch"] if base else None
    if args.json:
        for name, r in results.items():
            print(json.dumps({"system": name, **r}))
        return
    print(f"{'system':<8}  {'s/epoch':>8}  {'test loss':>9}  {'peak MiB':>8}  {'Reparam time / this':>19}")
    for name, r in results.items():
        ratio = r["time_ratio_reparam_over_this"]
        print(f"{name:<8}  {r['seconds_per_epoch']:8.3f}  {r['test_loss']:9.3f}  {r['peak_mib']:8.0f}  {ratio:19.3f}")
    print(f"(median seconds per epoch over epochs 2-{args.epochs}; test loss after epoch {args.epochs})")


if __name__ == "__main__":
    main()
