"""The pytorch/examples VAE in JAX + optax (784-400-20, ReLU, Adam 1e-3, batch 128, continuous MNIST,
analytic KL), with a jitted training step. Prints one JSON object per epoch like vae_torch.py."""
import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import mnist


def init_linear(key, fan_in, fan_out):
    # PyTorch's default: U(±1/√fan_in) for weights and biases.
    bound = 1 / np.sqrt(fan_in)
    k1, k2 = jax.random.split(key)
    return {"w": jax.random.uniform(k1, (fan_in, fan_out), minval=-bound, maxval=bound),
            "b": jax.random.uniform(k2, (fan_out,), minval=-bound, maxval=bound)}


def init(key):
    keys = jax.random.split(key, 5)
    sizes = [(784, 400), (400, 20), (400, 20), (20, 400), (400, 784)]
    return {name: init_linear(k, *s) for name, k, s in zip(["fc1", "fc21", "fc22", "fc3", "fc4"], keys, sizes)}


def linear(p, x):
    return x @ p["w"] + p["b"]


def loss_sum(params, x, key):
    h = jax.nn.relu(linear(params["fc1"], x))
    mu, logvar = linear(params["fc21"], h), linear(params["fc22"], h)
    z = mu + jax.random.normal(key, mu.shape) * jnp.exp(0.5 * logvar)
    logits = linear(params["fc4"], jax.nn.relu(linear(params["fc3"], z)))
    bce = jnp.sum(jax.nn.softplus(logits) - x * logits)
    return bce - 0.5 * jnp.sum(1 + logvar - mu ** 2 - jnp.exp(logvar))


optimizer = optax.adam(1e-3)


@jax.jit
def train_step(params, state, x, key):
    loss, grads = jax.value_and_grad(loss_sum)(params, x, key)
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


evaluate = jax.jit(loss_sum)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    train, test = mnist.load(mnist.locate(args.data))
    key = jax.random.PRNGKey(args.seed)
    key, sub = jax.random.split(key)
    params = init(sub)
    state = optimizer.init(params)
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        start, total = time.perf_counter(), 0.0
        order = rng.permutation(len(train))
        for i in range(0, len(train), 128):
            key, sub = jax.random.split(key)
            params, state, loss = train_step(params, state, jnp.asarray(train[order[i:i + 128]]), sub)
            total += float(loss)
        seconds = time.perf_counter() - start
        test_total = 0.0
        for i in range(0, len(test), 1000):
            key, sub = jax.random.split(key)
            test_total += float(evaluate(params, jnp.asarray(test[i:i + 1000]), sub))
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "test_loss": test_total / len(test), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
