"""The flows of `reparam flow train` in normflows (PyTorch), for side-by-side runs: same layers,
conditioner widths, base, optimizer, batch, steps and data.

    python3 bench/flows/flows_normflows.py --task two-moons --flow realnvp --layers 8 --steps 2000 \
        --train train.csv --test test.csv            # points written by `reparam flow data`
    python3 bench/flows/flows_normflows.py --task u1 --flow planar --layers 32 --steps 2000

Layers as in Reparam:
  realnvp  normflows AffineCouplingBlock with MLP([1, 64, 64, 2], init_zeros) and Permute(swap)
  spline   normflows' PiecewiseRationalQuadraticCoupling (Durkan et al.'s code) with an MLP
           conditioner (zeroed last layer), 8 bins, linear tails at ±B, alternating masks
  planar   normflows Planar (tanh), used as given for an energy and inverted (data → noise)
           for a 2-D set, as Reparam does
Energies U1-U4 carry the same wall at |z_i| = 4. Prints one JSON object like `reparam flow
train --json`'s last line: task, flow, steps, seconds (training steps only), steps_per_second,
and test_log_likelihood or elbo, log_z."""
import argparse
import json
import math
import time

import numpy as np
import torch
import normflows as nf
from normflows.flows.neural_spline.coupling import PiecewiseRationalQuadraticCoupling
from normflows.utils.masks import create_alternating_binary_mask


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    torch.nn.init.zeros_(layers[-1].weight)
    torch.nn.init.zeros_(layers[-1].bias)
    return torch.nn.Sequential(*layers)


class MLPConditioner(torch.nn.Module):
    """nflows calls transform nets as net(inputs, context)."""

    def __init__(self, sizes):
        super().__init__()
        self.net = mlp(sizes)

    def forward(self, inputs, context=None):
        return self.net(inputs)


class SplineCoupling(nf.flows.Flow):
    """Noise → data applies the spline inverse, data → noise the spline (as normflows' wrapper)."""

    def __init__(self, dim, hidden, bins, bound, reverse):
        super().__init__()
        self.coupling = PiecewiseRationalQuadraticCoupling(
            mask=create_alternating_binary_mask(dim, even=reverse),
            transform_net_create_fn=lambda i, o: MLPConditioner([i] + hidden + [o]),
            num_bins=bins, tails="linear", tail_bound=bound)

    def forward(self, z, context=None):
        z, log_det = self.coupling.inverse(z, context)
        return z, log_det.view(-1)

    def inverse(self, z, context=None):
        z, log_det = self.coupling(z, context)
        return z, log_det.view(-1)


class Inverted(nf.flows.Flow):
    def __init__(self, flow):
        super().__init__()
        self.flow = flow

    def forward(self, z, context=None):
        return self.flow.inverse(z)

    def inverse(self, z, context=None):
        return self.flow(z)


def energy(name, z):
    z1, z2 = z[:, 0], z[:, 1]
    w1 = torch.sin(2 * math.pi * z1 / 4)
    if name == "u1":
        u = 0.5 * ((z.norm(dim=1) - 2) / 0.4) ** 2 - torch.logsumexp(
            torch.stack([-0.5 * ((z1 - 2) / 0.6) ** 2, -0.5 * ((z1 + 2) / 0.6) ** 2]), 0)
    elif name == "u2":
        u = 0.5 * ((z2 - w1) / 0.4) ** 2
    elif name == "u3":
        w2 = 3 * torch.exp(-0.5 * ((z1 - 1) / 0.6) ** 2)
        u = -torch.logsumexp(torch.stack([-0.5 * ((z2 - w1) / 0.35) ** 2, -0.5 * ((z2 - w1 + w2) / 0.35) ** 2]), 0)
    else:
        w3 = 3 * torch.sigmoid((z1 - 1) / 0.3)
        u = -torch.logsumexp(torch.stack([-0.5 * ((z2 - w1) / 0.4) ** 2, -0.5 * ((z2 - w1 + w3) / 0.35) ** 2]), 0)
    wall = torch.relu(z.abs() - 4) / 0.05
    return u + 0.5 * (wall ** 2).sum(1)


def make_flows(args, is_energy):
    hidden = [int(h) for h in args.hidden.split(",")]
    flows = []
    for i in range(args.layers):
        if args.flow == "realnvp":
            flows += [nf.flows.AffineCouplingBlock(nf.nets.MLP([1] + hidden + [2], init_zeros=True)),
                      nf.flows.Permute(2, mode="swap")]
        elif args.flow == "spline":
            flows.append(SplineCoupling(2, hidden, args.bins, args.tail_bound, reverse=i % 2 == 1))
        elif args.flow == "planar":
            layer = nf.flows.Planar((2,), act="tanh")
            flows.append(layer if is_energy else Inverted(layer))
        else:
            raise SystemExit(f"--flow {args.flow} is not in this script")
    return flows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True)
    parser.add_argument("--flow", required=True)
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--hidden", default="64,64")
    parser.add_argument("--bins", type=int, default=8)
    parser.add_argument("--tail-bound", type=float, default=5)
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--anneal", type=int, help="energies: beta = min(1, 0.01 + step/N), as reparam flow train --anneal")
    parser.add_argument("--train")
    parser.add_argument("--test")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    is_energy = args.task in ("u1", "u2", "u3", "u4")
    base = nf.distributions.DiagGaussian(2, trainable=False)
    model = nf.NormalizingFlow(base, make_flows(args, is_energy))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    if not is_energy:
        train = torch.tensor(np.loadtxt(args.train, delimiter=",", skiprows=1), dtype=torch.float32)
        test = torch.tensor(np.loadtxt(args.test, delimiter=",", skiprows=1), dtype=torch.float32)
    seconds = 0.0
    for step in range(args.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        if is_energy:
            beta = min(1.0, 0.01 + step / args.anneal) if args.anneal else 1.0
            z, log_q = model.sample(args.batch)
            loss = (log_q + beta * energy(args.task, z)).mean()
        else:
            batch = train[torch.randint(0, train.shape[0], (args.batch,))]
            loss = model.forward_kld(batch)
        loss.backward()
        optimizer.step()
        seconds += time.perf_counter() - start
    result = {"task": args.task, "flow": args.flow, "layers": args.layers, "steps": args.steps, "seconds": seconds,
              "steps_per_second": args.steps / seconds, "loss": loss.item()}
    with torch.no_grad():
        if is_energy:
            weights = []
            for _ in range(10):
                z, log_q = model.sample(10000)
                weights.append(-energy(args.task, z) - log_q)
            weights = torch.cat(weights).double()
            result["elbo"] = weights[:20000].mean().item()
            result["elbo_se"] = (weights[:20000].std() / math.sqrt(20000)).item()
            result["log_z"] = (torch.logsumexp(weights, 0) - math.log(weights.numel())).item()
        else:
            log_p = torch.cat([model.log_prob(test[i:i + 8192]) for i in range(0, test.shape[0], 8192)]).double()
            result["test_log_likelihood"] = log_p.mean().item()
            result["test_log_likelihood_se"] = (log_p.std() / math.sqrt(log_p.numel())).item()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
