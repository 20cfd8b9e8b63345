"""The pytorch/examples VAE (784-400-20, ReLU, Adam 1e-3, batch 128, continuous MNIST, analytic KL).
Prints one JSON object per epoch: epoch, train_loss, test_loss (−ELBO per image), seconds."""
import argparse
import json
import time

import torch
from torch import nn
from torch.nn import functional as F

import mnist


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def loss_function(logits, x, mu, logvar):
    # BCE on logits is the stable form of pytorch/examples' BCE on sigmoid outputs.
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def forward_with(model, x):
    logits, mu, logvar = model(x)
    return logits, x, mu, logvar


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    train, test = (torch.from_numpy(a) for a in mnist.load(mnist.locate(args.data)))
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, args.epochs + 1):
        start, total = time.perf_counter(), 0.0
        model.train()
        for idx in torch.randperm(len(train)).split(128):
            x = train[idx]
            optimizer.zero_grad()
            logits, mu, logvar = model(x)
            loss = loss_function(logits, x, mu, logvar)
            loss.backward()
            optimizer.step()
            total += loss.item()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test_total = sum(loss_function(*forward_with(model, x)).item() for x in test.split(1000))
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "test_loss": test_total / len(test), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
