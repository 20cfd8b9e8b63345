"""`reparam vae eval` in PyTorch: the test −L_k of a Reparam VAE run (diagonal posterior), read
from its checkpoint, so both sides evaluate the same weights on the same images.

Images go through in batches of 50 and the k samples in chunks of 500, as Reparam does; the
log-mean-exp is accumulated in float64. Use a run trained without binarization (--binarize none):
then the test images are MNIST's grey levels on both sides; a dynamically binarized run's test set
is drawn from the run's key, which only Reparam has.

Prints one JSON object: nll, standard_error, k, images, seconds (the evaluation loop alone).
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch

import mnist


def read_checkpoint(path):
    """Tensors and metadata of a safetensors file (F32 only, as Reparam writes)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=np.float32).reshape(entry["shape"]).copy())
    return tensors, metadata


def mlp(tensors, prefix, activation):
    """x·W + b per layer (Reparam stores W as [inputs, outputs]), the activation between layers."""
    layers = []
    i = 0
    while f"{prefix}.layers[{i}].weight" in tensors:
        layers.append((tensors[f"{prefix}.layers[{i}].weight"], tensors[f"{prefix}.layers[{i}].bias"]))
        i += 1
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]

    def apply(x):
        for j, (w, b) in enumerate(layers):
            x = torch.addmm(b, x, w) if x.dim() == 2 else x @ w + b
            if j < len(layers) - 1:
                x = act(x)
        return x
    return apply


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run", help="a `reparam vae train` run folder (diagonal posterior)")
    parser.add_argument("--k", type=int, default=5000)
    parser.add_argument("--limit", type=int, help="only the first N test images")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: as torch starts)")
    parser.add_argument("--data")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tensors, metadata = read_checkpoint(os.path.join(args.run, "checkpoint.safetensors"))
    configuration = json.loads(metadata["configuration"])
    if configuration.get("binarize"):
        raise SystemExit("this run binarizes its test set from its own key; train one with --binarize none")
    if (configuration.get("posterior") or "diagonal") != "diagonal":
        raise SystemExit("only the diagonal posterior is implemented here")
    latent = configuration["latent"]
    encoder = mlp(tensors, "encoder", configuration["activation"])
    decoder = mlp(tensors, "decoder", configuration["activation"])
    _, test = mnist.load(mnist.locate(args.data))
    images = torch.from_numpy(test[: args.limit] if args.limit else test)
    log_2pi = math.log(2 * math.pi)
    values = []
    start = time.perf_counter()
    with torch.no_grad():
        for x in images.split(50):
            h = encoder(x)
            mu, logvar = h[:, :latent], h[:, latent: 2 * latent]
            sigma = torch.exp(0.5 * logvar)
            total = torch.full((x.shape[0],), -math.inf, dtype=torch.float64)
            done = 0
            while done < args.k:
                n = min(500, args.k - done)
                eps = torch.randn(n, *mu.shape)
                z = mu + sigma * eps
                logits = decoder(z)
                log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, x.expand_as(logits), reduction="none").sum(-1)
                log_pz = (-0.5 * z.pow(2) - 0.5 * log_2pi).sum(-1)
                log_qz = (-0.5 * eps.pow(2) - 0.5 * log_2pi - 0.5 * logvar).sum(-1)
                chunk = torch.logsumexp((log_px + log_pz - log_qz).double(), dim=0)
                total = torch.logaddexp(total, chunk)
                done += n
            values += (-(total - math.log(args.k))).tolist()
    seconds = time.perf_counter() - start
    nll = float(np.mean(values))
    standard_error = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
    print(json.dumps({"nll": nll, "standard_error": standard_error, "k": args.k, "images": len(values),
                      "seconds": seconds, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
