#!/usr/bin/env python3
"""PyTorch's time for the gradient step `reparam bench autodiff` measures, as JSON lines.

    python3 bench/autodiff_torch.py [--threads N]     (default: 1 thread)

784-400-20-400-784 MLP (ReLU hidden, nn.Linear layers), batch 128, Bernoulli-logits loss
(binary_cross_entropy_with_logits, summed) against the input; forward and backward, no
optimizer. Needs `pip install torch`.
"""
import argparse
import json

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
args = parser.parse_args()
if args.threads < 1:
    parser.error("--threads must be at least 1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from timing import median_seconds  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
sizes = [784, 400, 20, 400, 784]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
model = torch.nn.Sequential(*layers)
batch = torch.rand(128, 784)


def step():
    model.zero_grad(set_to_none=True)
    loss = F.binary_cross_entropy_with_logits(model(batch), batch, reduction="sum")
    loss.backward()




seconds = median_seconds(step)
print(json.dumps({"kernel": "mlp-gradient-step", "threads": args.threads, "steps": round(1 / seconds, 1),
                  "ms": round(seconds * 1e3, 3), "torch": torch.__version__}))
