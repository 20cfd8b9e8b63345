"""Loads a `reparam vae train` checkpoint of the pytorch/examples VAE into that model in PyTorch
and checks that both compute the same test loss.

    python3 scripts/checkpoint_to_torch.py RUN [--data DIR] [--draws 8]

How the checkpoint maps onto pytorch/examples' `VAE` (784-400-20, ReLU):
- Reparam stores a dense layer's weight as [inputs, outputs] (x·W + b); nn.Linear stores
  [outputs, inputs] (x·Wᵀ + b), so every weight is transposed.
- encoder.layers[0] → fc1; decoder.layers[0] → fc3; decoder.layers[1] → fc4.
- encoder.layers[1] has 2·20 outputs: the first 20 columns are μ (fc21), the last 20 log σ²
  (fc22) — Reparam's posterior scale is exp(½·log σ²), as in pytorch/examples.
- Tensors under optimizer.* are Adam's moments (same names) and are not needed here.

The test loss is −ELBO per image with one reparameterized draw, so the two programs' numbers
differ by Monte Carlo noise only. The script averages `--draws` draws per image in PyTorch and
accepts Reparam's last logged test loss (metrics.jsonl) within 4 standard errors of that noise.
Needs torch and numpy; reads safetensors itself (no safetensors package needed)."""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "vae"))
import mnist  # noqa: E402
from vae_torch import VAE  # noqa: E402


def read_safetensors(path):
    """name → float32 array, and the metadata, from a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(entry["shape"])
    return tensors, metadata


def torch_model(tensors, latent=20):
    model = VAE()
    w = {k: torch.from_numpy(np.ascontiguousarray(v.T)) if v.ndim == 2 else torch.from_numpy(v.copy())
         for k, v in tensors.items() if not k.startswith("optimizer")}
    expected = {"encoder.layers[0].weight": (784, 400), "encoder.layers[1].weight": (400, 2 * latent),
                "decoder.layers[0].weight": (latent, 400), "decoder.layers[1].weight": (400, 784)}
    for name, shape in expected.items():
        if name not in tensors or tuple(tensors[name].shape) != shape:
            raise SystemExit(f"not the pytorch/examples VAE: {name} should be {shape}, "
                             f"got {None if name not in tensors else tensors[name].shape}")
    with torch.no_grad():
        model.fc1.weight.copy_(w["encoder.layers[0].weight"])
        model.fc1.bias.copy_(w["encoder.layers[0].bias"])
        model.fc21.weight.copy_(w["encoder.layers[1].weight"][:latent])
        model.fc21.bias.copy_(w["encoder.layers[1].bias"][:latent])
        model.fc22.weight.copy_(w["encoder.layers[1].weight"][latent:])
        model.fc22.bias.copy_(w["encoder.layers[1].bias"][latent:])
        model.fc3.weight.copy_(w["decoder.layers[0].weight"])
        model.fc3.bias.copy_(w["decoder.layers[0].bias"])
        model.fc4.weight.copy_(w["decoder.layers[1].weight"])
        model.fc4.bias.copy_(w["decoder.layers[1].bias"])
    return model


def per_image_loss(model, x):
    """−ELBO per image, one draw."""
    logits, mu, logvar = model(x)
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run")
    parser.add_argument("--data")
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    tensors, metadata = read_safetensors(os.path.join(args.run, "checkpoint.safetensors"))
    configuration = json.loads(metadata.get("configuration", "{}"))
    if configuration.get("binarize") or configuration.get("objective", "elbo") != "elbo":
        raise SystemExit("this script checks the pytorch/examples VAE (continuous MNIST, analytic KL)")
    with open(os.path.join(args.run, "metrics.jsonl")) as f:
        reparam_loss = json.loads(f.read().strip().splitlines()[-1])["test_loss"]
    _, test = (torch.from_numpy(a) for a in mnist.load(mnist.locate(args.data)))
    model = torch_model(tensors)
    torch.manual_seed(0)
    with torch.no_grad():
        draws = torch.stack([torch.cat([per_image_loss(model, x) for x in test.split(1000)])
                             for _ in range(args.draws)]).double()
    torch_loss = draws.mean().item()
    # Reparam's number is one draw per image: its noise around the mean over draws.
    noise = draws.std(0).mean().item() / len(test) ** 0.5
    difference = reparam_loss - torch_loss
    print(json.dumps({"reparam_test_loss": reparam_loss, "torch_test_loss": torch_loss,
                      "difference": difference, "standard_error": noise}))
    if abs(difference) > 4 * noise:
        raise SystemExit(f"the losses differ by {difference:.4f} nats, more than 4 standard errors ({noise:.4f})")
    print(f"PyTorch gives the same test loss: {torch_loss:.3f} vs Reparam's {reparam_loss:.3f} "
          f"(difference {difference:+.3f}, standard error {noise:.3f})")


if __name__ == "__main__":
    main()
