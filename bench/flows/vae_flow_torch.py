"""The VAE with an IAF posterior of `reparam vae train --posterior iaf`, in PyTorch with normflows'
MaskedAffineAutoregressive layers, for side-by-side timing (bench/flows/run_vae.py).

    python3 bench/flows/vae_flow_torch.py --epochs 3 [--flow-steps 4] [--data DIR] [--threads 2]

Same model: encoder 784-200-200-(2·50 + 100) tanh whose last 100 outputs are the flow's context
h(x), decoder 50-200-200-784 tanh with Bernoulli logits; q(z|x) = N(μ, σ²) pushed through
--flow-steps IAF layers (normflows' MaskedAffineAutoregressive with context: shift and
σ = sigmoid(s + 2) + 10⁻³ from a MADE with one hidden layer of width 200 that the context feeds:
num_blocks=0 with a tanh put before the output layer, as in Reparam), a random permutation
between layers where Reparam alternates the MADE order; dynamic binarization, batch 100, Adam 1e-3, the one-sample ELBO with
Monte Carlo KL. Prints one JSON object per epoch: epoch, seconds (training only), steps_per_second,
train_loss, test_loss (the one-sample −ELBO)."""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import normflows as nf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vae"))
import mnist  # noqa: E402


class FlowVAE(torch.nn.Module):
    def __init__(self, latent=50, hidden=200, steps=4):
        super().__init__()
        self.latent, self.context = latent, 2 * latent
        self.encoder = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                           torch.nn.Linear(hidden, 2 * latent + self.context))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(latent, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                           torch.nn.Linear(hidden, 784))
        layers = []
        for i in range(steps):
            layer = nf.flows.MaskedAffineAutoregressive(latent, hidden, context_features=self.context, num_blocks=0)
            # MADE with no blocks is input (+ context) → hidden → output with no nonlinearity between.
            made = layer.autoregressive_net
            made.final_layer = torch.nn.Sequential(torch.nn.Tanh(), made.final_layer)
            layers.append(layer)
            if i < steps - 1:
                layers.append(nf.flows.Permute(latent, mode="shuffle"))
        self.flows = torch.nn.ModuleList(layers)

    def negative_elbo(self, x):
        h = self.encoder(x)
        mu, log_var, context = h[:, :self.latent], h[:, self.latent:2 * self.latent], h[:, 2 * self.latent:]
        eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * log_var) * eps
        log_q = (-0.5 * eps ** 2 - 0.5 * log_var - 0.5 * math.log(2 * math.pi)).sum(1)
        for flow in self.flows:
            if isinstance(flow, nf.flows.Permute):
                z, log_det = flow(z)
            else:
                z, log_det = flow(z, context)
            log_q = log_q - log_det
        logits = self.decoder(z)
        log_px = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)
        return -(log_px + log_pz - log_q).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--flow-steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train_images, test_images = mnist.load(mnist.locate(args.data))
    train, test = torch.tensor(train_images), torch.tensor(test_images)
    model = FlowVAE(steps=args.flow_steps)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps_per_epoch = math.ceil(train.shape[0] / args.batch)
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(train.shape[0])
        total, start = 0.0, time.perf_counter()
        for i in range(steps_per_epoch):
            batch = train[order[i * args.batch:(i + 1) * args.batch]]
            batch = torch.bernoulli(batch)
            optimizer.zero_grad()
            loss = model.negative_elbo(batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.shape[0]
        seconds = time.perf_counter() - start
        with torch.no_grad():
            test_loss = sum(model.negative_elbo(torch.bernoulli(test[i:i + 1000])).item() * 1000 for i in range(0, 10000, 1000)) / 10000
        print(json.dumps({"epoch": epoch, "seconds": seconds, "steps_per_second": steps_per_epoch / seconds,
                          "train_loss": total / train.shape[0], "test_loss": test_loss}), flush=True)


if __name__ == "__main__":
    main()
