#!/usr/bin/env python3
"""torch.distributions' numbers for the cases `reparam bench sampling` measures, as JSON lines.

    python3 bench/sampling_torch.py [--threads N]     (default: 1 thread)

Each case: rsample from the distribution, a weighted sum, backward to the parameters.
Figures are millions of sampled values per second. Needs `pip install torch`.
"""
import argparse
import json

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
args = parser.parse_args()
if args.threads < 1:
    parser.error("--threads must be at least 1")

import torch  # noqa: E402

from timing import median_seconds  # noqa: E402
from torch import distributions as D  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)




def normal():
    loc = torch.zeros(1 << 20, requires_grad=True)
    scale = torch.ones(1 << 20, requires_grad=True)
    return 1 << 20, lambda: D.Normal(loc, scale).rsample().square().sum().backward()


def gamma():
    concentration = torch.full((1 << 16,), 2.5, requires_grad=True)
    rate = torch.ones(1 << 16, requires_grad=True)
    return 1 << 16, lambda: D.Gamma(concentration, rate).rsample().sum().backward()


def dirichlet():
    concentration = torch.full((4096, 16), 0.8, requires_grad=True)
    weights = torch.randn(4096, 16)
    return 4096 * 16, lambda: (D.Dirichlet(concentration).rsample() * weights).sum().backward()


def relaxed():
    logits = torch.randn(4096, 256, requires_grad=True)
    weights = torch.randn(4096, 256)
    return 4096 * 256, lambda: (D.RelaxedOneHotCategorical(torch.tensor(0.5), logits=logits).rsample() * weights).sum().backward()


for name, case in [("normal", normal), ("gamma", gamma), ("dirichlet", dirichlet), ("relaxed-one-hot-categorical", relaxed)]:
    count, step = case()
    seconds = median_seconds(step, repeats=5, minimum=0.1)  # as `reparam bench sampling`
    print(json.dumps({"kernel": name, "n": count, "threads": args.threads, "msamples": round(count / seconds / 1e6, 2),
                      "torch": torch.__version__}), flush=True)
