#!/usr/bin/env python3
"""Writes Tests/ReparamRLTests/Fixtures/environments.json: trajectories of gymnasium's
CartPole-v1, Acrobot-v1, Pendulum-v1 and MountainCarContinuous-v0 (through `gymnasium.make`, so
with their time limits) for the Swift environments to match state by state.

Each environment gets two 500-step action sequences: uniform random actions from a fixed numpy
seed, and a feedback policy that reaches the goal (so terminations and their rewards occur, not
only time limits). The policy's actions are recorded, so the Swift tests replay a fixed sequence.
An episode that ends (terminated or truncated) is followed by `reset()`, which continues the
environment's own seeded generator; the recorded reset state is what the Swift test starts the
next episode from (the Swift environments draw their own resets from Philox keys).

Per step: the action, the internal state after it (float64, `env.unwrapped.state`), the
observation (float32), the reward, terminated and truncated. Per episode: the reset state and
observation.

    pip install gymnasium numpy
    python3 scripts/generate_rl_fixtures.py

Run once after changing it; commit the script and the JSON together.
"""
import json
import math
import pathlib

import gymnasium as gym
import numpy as np

STEPS = 500


def policy(name, state):
    """A feedback controller that pumps energy into the system until the episode's goal."""
    if name == "CartPole-v1":  # push the cart under the pole: reaches the 500-step limit
        x, x_dot, theta, theta_dot = state
        return int(theta + 0.5 * theta_dot + 0.01 * x + 0.1 * x_dot > 0)
    if name == "Acrobot-v1":  # torque along the second joint's velocity swings the tip up
        return 2 if state[3] > 0 else 0
    if name == "Pendulum-v1":  # torque along the velocity, saturated beyond the limit
        return np.array([4.0 if state[1] >= 0 else -4.0], dtype=np.float32)
    return np.array([1.5 if state[1] >= 0 else -1.5], dtype=np.float32)  # mountain car


def random_action(env, rng):
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(space.n))
    # Beyond the bounds too, so the clipping is tested.
    return (rng.uniform(-1.5, 1.5, size=space.shape) * space.high).astype(np.float32)


def floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def trajectory(name, seed, mode):
    env = gym.make(name)
    rng = np.random.default_rng(1000 + seed)
    obs, _ = env.reset(seed=seed)
    episodes = [{"reset_state": floats(env.unwrapped.state), "reset_observation": floats(obs), "steps": []}]
    for _ in range(STEPS):
        state = np.asarray(env.unwrapped.state, dtype=np.float64)
        action = random_action(env, rng) if mode == "random" else policy(name, state)
        obs, reward, terminated, truncated, _ = env.step(action)
        episodes[-1]["steps"].append({
            "action": int(action) if np.isscalar(action) else floats(action),
            "state": floats(env.unwrapped.state),
            "observation": floats(obs),
            "reward": float(reward),
            "terminated": bool(terminated),
            "truncated": bool(truncated),
        })
        if terminated or truncated:
            obs, _ = env.reset()
            episodes.append({"reset_state": floats(env.unwrapped.state), "reset_observation": floats(obs),
                             "steps": []})
    if not episodes[-1]["steps"]:
        episodes.pop()
    return {"environment": name, "seed": seed, "actions": mode, "episodes": episodes}


def main():
    cases = []
    for seed, name in enumerate(["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"]):
        for mode in ["random", "policy"]:
            case = trajectory(name, seed, mode)
            ends = sum(e["steps"][-1]["terminated"] for e in case["episodes"])
            print(f"{name} {mode}: {len(case['episodes'])} episodes, {ends} terminated")
            cases.append(case)
    out = pathlib.Path(__file__).resolve().parent.parent / "Tests/ReparamRLTests/Fixtures/environments.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"gymnasium": gym.__version__, "numpy": np.__version__, "steps": STEPS}
    out.write_text(json.dumps({"meta": meta, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
