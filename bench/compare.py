#!/usr/bin/env python3
"""Ratios of Reparam to a peer from two files of JSON lines (medians over repeated runs).

    python3 bench/compare.py REPARAM.jsonl PEER.jsonl [--min-mflop X]

Each file may hold several runs of the same benchmark (append to it); every figure is the
median over its runs, and each ratio is Reparam's median over the peer's. For GEMM it also
prints the geometric mean of the ratios over the shapes of at least --min-mflop MFLOP.
"""
import argparse
import json
import math
import statistics
import sys
from collections import defaultdict

RATE_FIELDS = ("gflops", "gelems", "msamples", "steps")


def load(path):
    figures = defaultdict(list)
    try:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    sys.exit(f"{path}:{number}: not JSON ({error})")
                field = next((f for f in RATE_FIELDS if f in record), None)
                if field is None:
                    continue
                key = (record["kernel"], record.get("m"), record.get("k"), record.get("n"), record.get("trans"))
                figures[key].append((field, float(record[field])))
    except OSError as error:
        sys.exit(f"cannot read {path}: {error.strerror}")
    return {key: (values[0][0], statistics.median(v for _, v in values), len(values)) for key, values in figures.items()}


def main():
    parser = argparse.ArgumentParser(description="Reparam / peer ratios from JSON-lines benchmark output.")
    parser.add_argument("reparam")
    parser.add_argument("peer")
    parser.add_argument("--min-mflop", type=float, default=0.0, help="GEMM shapes below this are left out of the geomean")
    args = parser.parse_args()
    ours, theirs = load(args.reparam), load(args.peer)
    common = [key for key in ours if key in theirs]
    if not common:
        sys.exit("no benchmark appears in both files")
    print(f"{'benchmark':34} {'reparam':>10} {'peer':>10} {'ratio':>7}  runs")
    gemm_ratios = []
    for key in common:
        field, mine, runs = ours[key]
        _, peer, peer_runs = theirs[key]
        kernel, m, k, n, trans = key
        name = f"{kernel} {trans} {m}·{k}·{n}" if kernel.startswith("gemm") else kernel
        ratio = mine / peer
        print(f"{name:34} {mine:10.2f} {peer:10.2f} {ratio:7.3f}  {runs}/{peer_runs}  ({field})")
        if kernel == "gemm" and 2 * m * k * n / 1e6 >= args.min_mflop:
            gemm_ratios.append(ratio)
    if gemm_ratios:
        geomean = math.exp(sum(map(math.log, gemm_ratios)) / len(gemm_ratios))
        print(f"GEMM geometric mean ratio over {len(gemm_ratios)} shapes: {geomean:.3f}")


if __name__ == "__main__":
    main()
