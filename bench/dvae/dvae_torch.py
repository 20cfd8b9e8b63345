"""A second, independent implementation of `reparam dvae train` for the pathwise-style estimators,
in PyTorch, to check Table 1 reproductions against a peer framework.

Same setup as Reparam's defaults: 784-512-256-latent encoder and the mirrored decoder (ReLU),
20 categorical variables x 10 classes or 200 Bernoulli units, uniform prior with the exact KL,
Adam 1e-3, batch 100, pixels binarized afresh per batch (the test set once, with a fixed seed),
temperature tau = max(0.5, exp(-1e-4 * t)) updated every 1000 steps. The test -ELBO uses one hard
sample per image. Estimators:
  gumbel-softmax     decoder gets softmax((theta + g) / tau) (sigmoid((theta + l) / tau) for Bernoulli)
  st-gumbel          forward onehot(argmax(theta + g)), backward through softmax((theta + g) / tau)
  straight-through   forward a sample of q, backward through softmax(theta) (sigmoid(theta))
Prints one JSON object per epoch: epoch, train_loss, test_loss, seconds, temperature.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vae"))
import mnist  # noqa: E402


class DiscreteVAE(nn.Module):
    def __init__(self, latent, variables, classes):
        super().__init__()
        self.latent, self.variables, self.classes = latent, variables, classes
        size = variables if latent == "bernoulli" else variables * classes
        self.encoder = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, size))
        self.decoder = nn.Sequential(nn.Linear(size, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784))

    def logits(self, x):
        theta = self.encoder(x)
        return theta if self.latent == "bernoulli" else theta.view(-1, self.variables, self.classes)

    def noise(self, theta):
        u = torch.rand_like(theta).clamp(1e-7, 1 - 1e-7)
        return torch.log(u) - torch.log1p(-u) if self.latent == "bernoulli" else -torch.log(-torch.log(u))

    def hard(self, perturbed):
        if self.latent == "bernoulli":
            return (perturbed > 0).float()
        return F.one_hot(perturbed.argmax(-1), self.classes).float()

    def soft(self, values):
        return torch.sigmoid(values) if self.latent == "bernoulli" else torch.softmax(values, -1)

    def sample(self, theta, estimator, tau):
        perturbed = theta + self.noise(theta)
        if estimator == "gumbel-softmax":
            return self.soft(perturbed / tau)
        hard = self.hard(perturbed)
        if estimator == "hard":
            return hard
        relaxed = self.soft(perturbed / tau) if estimator == "st-gumbel" else self.soft(theta)
        return hard + relaxed - relaxed.detach()

    def kl_to_uniform(self, theta):
        if self.latent == "bernoulli":
            p = torch.sigmoid(theta)
            return (p * F.logsigmoid(theta) + (1 - p) * F.logsigmoid(-theta) + math.log(2)).sum(1)
        log_q = torch.log_softmax(theta, -1)
        return (log_q.exp() * log_q).sum((1, 2)) + self.variables * math.log(self.classes)

    def loss(self, x, estimator, tau):
        """-ELBO per image: -log p(x | z) + KL(q || uniform)."""
        theta = self.logits(x)
        z = self.sample(theta, estimator, tau).reshape(len(x), -1)
        nll = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(1)
        return nll + self.kl_to_uniform(theta)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latent", choices=["categorical", "bernoulli"], default="categorical")
    parser.add_argument("--estimator", choices=["gumbel-softmax", "st-gumbel", "straight-through"], default="gumbel-softmax")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    train, test = (torch.from_numpy(a) for a in mnist.load(mnist.locate(args.data)))
    test = torch.bernoulli(test, generator=torch.Generator().manual_seed(12345))
    model = DiscreteVAE(args.latent, 200 if args.latent == "bernoulli" else 20, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    step = 0
    for epoch in range(1, args.epochs + 1):
        start, total = time.perf_counter(), 0.0
        model.train()
        for idx in torch.randperm(len(train)).split(100):
            tau = max(0.5, math.exp(-1e-4 * (step // 1000 * 1000)))
            x = torch.bernoulli(train[idx])
            loss = model.loss(x, args.estimator, tau).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            step += 1
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test_total = sum(model.loss(x, "hard", tau).sum().item() for x in test.split(1000))
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "test_loss": test_total / len(test),
                          "seconds": seconds, "temperature": tau}), flush=True)


if __name__ == "__main__":
    main()
