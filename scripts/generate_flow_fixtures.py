#!/usr/bin/env python3
"""Writes Tests/ReparamFlowsTests/Fixtures/flows.json: references for the flow tasks.

- energies: U1-U4 of Rezende & Mohamed (2015) in float64 at grid points (the formulas as the
  paper prints them, with the [-4, 4]^2 wall Reparam adds), and log Z by a 2400 x 2400 midpoint
  rule on [-4.5, 4.5]^2 (the wall's slope holds mass just outside the box).
- toy_data: mean and covariance of each 2-D set from 400 000 points of FFJORD's generators
  (toy_data.py), scikit-learn's make_moons / make_swiss_roll for those two. The tests compare
  Reparam's points with them within standard errors computed from the same points.

Run once after changing either; commit both files. Needs numpy and scikit-learn.
"""
import json
import math
import pathlib

import numpy as np
from sklearn.datasets import make_moons, make_swiss_roll


def energy(name, z):
    z1, z2 = z[:, 0], z[:, 1]
    w1 = np.sin(2 * np.pi * z1 / 4)
    if name == "u1":
        a = -0.5 * ((z1 - 2) / 0.6) ** 2
        b = -0.5 * ((z1 + 2) / 0.6) ** 2
        u = 0.5 * ((np.linalg.norm(z, axis=1) - 2) / 0.4) ** 2 - np.logaddexp(a, b)
    elif name == "u2":
        u = 0.5 * ((z2 - w1) / 0.4) ** 2
    elif name == "u3":
        w2 = 3 * np.exp(-0.5 * ((z1 - 1) / 0.6) ** 2)
        u = -np.logaddexp(-0.5 * ((z2 - w1) / 0.35) ** 2, -0.5 * ((z2 - w1 + w2) / 0.35) ** 2)
    else:
        w3 = 3 / (1 + np.exp(-(z1 - 1) / 0.3))
        u = -np.logaddexp(-0.5 * ((z2 - w1) / 0.4) ** 2, -0.5 * ((z2 - w1 + w3) / 0.35) ** 2)
    wall = np.maximum(np.abs(z) - 4, 0) / 0.05
    return u + 0.5 * (wall ** 2).sum(axis=1)


def toy(name, n, rng):
    """FFJORD's toy_data.inf_train_gen, same constants."""
    if name == "swiss-roll":
        data = make_swiss_roll(n_samples=n, noise=1.0, random_state=rng)[0]
        return data[:, [0, 2]] / 5
    if name == "two-moons":
        data = make_moons(n_samples=n, noise=0.1, random_state=rng)[0]
        return data * 2 + np.array([-1, -0.2])
    if name == "eight-gaussians":
        scale = 4.0
        centers = [(1, 0), (-1, 0), (0, 1), (0, -1), (1 / np.sqrt(2), 1 / np.sqrt(2)), (1 / np.sqrt(2), -1 / np.sqrt(2)),
                   (-1 / np.sqrt(2), 1 / np.sqrt(2)), (-1 / np.sqrt(2), -1 / np.sqrt(2))]
        centers = np.array([(scale * x, scale * y) for x, y in centers])
        points = rng.randn(n, 2) * 0.5 + centers[rng.randint(8, size=n)]
        return points / 1.414
    if name == "checkerboard":
        x1 = rng.rand(n) * 4 - 2
        x2_ = rng.rand(n) - rng.randint(0, 2, n) * 2
        x2 = x2_ + (np.floor(x1) % 2)
        return np.stack([x1, x2], 1) * 2
    if name == "rings":
        n4 = n3 = n2 = n // 4
        n1 = n - n4 - n3 - n2
        circles = []
        for count, radius in ((n4, 1.0), (n3, 0.75), (n2, 0.5), (n1, 0.25)):
            angle = np.linspace(0, 2 * np.pi, count, endpoint=False)
            circles.append(np.stack([np.cos(angle), np.sin(angle)], 1) * radius)
        x = np.concatenate(circles) * 3.0
        return x + rng.normal(scale=0.08, size=x.shape)
    if name == "pinwheel":
        radial_std, tangential_std, num_classes, rate = 0.3, 0.1, 5, 0.25
        per_class = n // num_classes
        rads = np.linspace(0, 2 * np.pi, num_classes, endpoint=False)
        features = rng.randn(num_classes * per_class, 2) * np.array([radial_std, tangential_std])
        features[:, 0] += 1.0
        labels = np.repeat(np.arange(num_classes), per_class)
        angles = rads[labels] + rate * np.exp(features[:, 0])
        rotations = np.stack([np.cos(angles), -np.sin(angles), np.sin(angles), np.cos(angles)])
        rotations = np.reshape(rotations.T, (-1, 2, 2))
        return 2 * rng.permutation(np.einsum("ti,tij->tj", features, rotations))
    raise ValueError(name)


def main():
    rng = np.random.RandomState(0)
    points = np.concatenate([rng.uniform(-3.5, 3.5, size=(40, 2)), [[0, 0], [2, 0], [-2, 1], [4.2, -0.5], [-4.5, 4.6]]])
    points = points.astype(np.float32).astype(np.float64)
    energies = {}
    for name in ("u1", "u2", "u3", "u4"):
        h = 9 / 2400
        centres = -4.5 + h * (np.arange(2400) + 0.5)
        total = 0.0
        for z1 in centres:
            row = np.stack([np.full(2400, z1), centres], 1)
            total += np.exp(-energy(name, row)).sum()
        energies[name] = {"points": points.tolist(), "values": energy(name, points).tolist(),
                          "log_z": math.log(total * h * h)}
    toy_data = {}
    for name in ("two-moons", "eight-gaussians", "checkerboard", "rings", "pinwheel", "swiss-roll"):
        x = toy(name, 400_000, np.random.RandomState(1))
        toy_data[name] = {"mean": x.mean(0).tolist(), "covariance": np.cov(x.T).tolist(),
                          "fourth_moments": (x ** 4).mean(0).tolist(), "count": len(x)}
    out = pathlib.Path(__file__).resolve().parent.parent / "Tests/ReparamFlowsTests/Fixtures/flows.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"energies": energies, "toy_data": toy_data}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
