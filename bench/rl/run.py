"""Trains the same agent with `reparam rl train` and with stable-baselines3 (PyTorch) on the same
gymnasium environment, hyperparameters and steps, one after the other on this machine, and
prints the wall time and the final evaluation return (deterministic policy) of each, with the
ratio of wall times. Round r uses seed r in both.

    pip install stable-baselines3 gymnasium
    swift build -c release
    python3 bench/rl/run.py --env pendulum --algo sac --steps 20000 [--rounds 3] [--episodes 5]
    python3 bench/rl/run.py --env cartpole --algo ppo --steps 100000 --rounds 5

The SB3 side builds the agent from rl-baselines3-zoo's tuned settings for the environment (the
table ZOO below, copied from the zoo's hyperparams/<algo>.yml: vectorized copies, VecNormalize,
action noise, linear schedules), the same values `reparam rl train --help` lists, evaluates with
`evaluate_policy(deterministic=True)` and times `learn` alone. The zoo's gSDE option on the
continuous PPO/A2C settings is left out on both sides. Both use the machine's cores as they are
set by default (REPARAM_THREADS, torch's threads); the summary names the CPU and Reparam's
kernel path.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import machine  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GYM_IDS = {"cartpole": "CartPole-v1", "acrobot": "Acrobot-v1", "pendulum": "Pendulum-v1",
           "mountaincar-continuous": "MountainCarContinuous-v0"}
LIN = "lin"  # a value decayed linearly to zero over the run, as the zoo's "lin_<value>"
_DETERMINISTIC = {"gamma": 0.98, "buffer_size": 200000, "learning_starts": 10000, "noise": ("normal", 0.1),
                  "learning_rate": 1e-3, "net_arch": [400, 300]}
ZOO = {
    ("sac", "pendulum"): {"learning_rate": 1e-3},
    ("sac", "mountaincar-continuous"): {"learning_rate": 3e-4, "buffer_size": 50000, "batch_size": 512,
                                        "tau": 0.01, "gamma": 0.9999, "train_freq": 32, "gradient_steps": 32,
                                        "learning_starts": 0, "net_arch": [64, 64]},
    ("td3", "pendulum"): _DETERMINISTIC,
    ("ddpg", "pendulum"): _DETERMINISTIC,
    ("td3", "mountaincar-continuous"): {"noise": ("ou", 0.5)},
    ("ddpg", "mountaincar-continuous"): {"noise": ("ou", 0.5)},
    ("ppo", "cartpole"): {"n_envs": 8, "n_steps": 32, "batch_size": 256, "gae_lambda": 0.8, "gamma": 0.98,
                          "n_epochs": 20, "ent_coef": 0.0, "learning_rate": (LIN, 1e-3), "clip_range": (LIN, 0.2)},
    ("ppo", "acrobot"): {"normalize": True, "n_envs": 16, "n_steps": 256, "gae_lambda": 0.94, "gamma": 0.99,
                         "n_epochs": 4, "ent_coef": 0.0},
    ("ppo", "pendulum"): {"n_envs": 4, "n_steps": 1024, "gae_lambda": 0.95, "gamma": 0.9, "n_epochs": 10,
                          "ent_coef": 0.0, "learning_rate": 1e-3, "clip_range": 0.2},
    ("a2c", "cartpole"): {"n_envs": 8, "ent_coef": 0.0},
    ("a2c", "acrobot"): {"normalize": True, "n_envs": 16, "ent_coef": 0.0},
}


def sb3(env_name, algo, steps, seed, episodes):
    """Runs SB3 in this process; returns (seconds of learn, mean and std of the evaluation return)."""
    import gymnasium as gym
    import numpy as np
    import stable_baselines3 as sb
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
    from stable_baselines3.common.vec_env import VecNormalize
    settings = dict(ZOO.get((algo, env_name), {}))
    n_envs, normalize = settings.pop("n_envs", 1), settings.pop("normalize", False)
    env = make_vec_env(GYM_IDS[env_name], n_envs=n_envs, seed=seed)
    if normalize:
        env = VecNormalize(env, gamma=settings.get("gamma", 0.99))
    if "net_arch" in settings:
        settings["policy_kwargs"] = {"net_arch": settings.pop("net_arch")}
    if "noise" in settings:
        kind, sigma = settings.pop("noise")
        n = env.action_space.shape[0]
        noise = NormalActionNoise if kind == "normal" else OrnsteinUhlenbeckActionNoise
        settings["action_noise"] = noise(mean=np.zeros(n), sigma=sigma * np.ones(n))
    for name in ("learning_rate", "clip_range"):
        if isinstance(settings.get(name), tuple):
            start = settings[name][1]
            settings[name] = lambda progress, start=start: progress * start
    model = getattr(sb, algo.upper())("MlpPolicy", env, seed=seed, verbose=0, **settings)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    eval_env = make_vec_env(GYM_IDS[env_name], n_envs=1, seed=seed + 1000)
    if normalize:
        eval_env = VecNormalize(eval_env, training=False, norm_reward=False)
        eval_env.obs_rms = env.obs_rms
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=episodes, deterministic=True)
    return seconds, float(mean), float(std)


def reparam(binary, env_name, algo, steps, seed, episodes, isa=None):
    """Runs `reparam rl train`; returns (wall seconds of training, last evaluation's mean and std)."""
    command = [binary, "rl", "train", "--env", env_name, "--algo", algo, "--steps", str(steps), "--seed", str(seed),
               "--eval-every", str(steps), "--eval-episodes", str(episodes), "--json"] + (["--isa", isa] if isa else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    last = [json.loads(line) for line in out.splitlines() if line.startswith("{")][-1]
    return last["seconds"], last["eval_return_mean"], last["eval_return_std"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="pendulum", choices=sorted(GYM_IDS))
    parser.add_argument("--algo", default="sac", choices=["sac", "td3", "ddpg", "a2c", "ppo"])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--isa", choices=["portable", "avx2", "avx512"], help="Reparam's kernel path (default: best)")
    parser.add_argument("--reparam", default=os.path.join(ROOT, ".build", "release", "reparam"))
    args = parser.parse_args()
    print(machine(args.reparam) + (f" (forced: {args.isa})" if args.isa else ""), flush=True)
    rows = []
    for r in range(args.rounds):
        ours = reparam(args.reparam, args.env, args.algo, args.steps, r, args.episodes, args.isa)
        theirs = sb3(args.env, args.algo, args.steps, r, args.episodes)
        rows.append((ours, theirs))
        print(f"round {r}: reparam {ours[0]:.1f} s, return {ours[1]:.1f} ± {ours[2]:.1f} | "
              f"sb3 {theirs[0]:.1f} s, return {theirs[1]:.1f} ± {theirs[2]:.1f} | "
              f"time ratio {ours[0] / theirs[0]:.3f}", flush=True)
    print(f"median over {args.rounds} round(s): reparam {statistics.median(o[0] for o, _ in rows):.1f} s "
          f"(return {statistics.median(o[1] for o, _ in rows):.1f}), "
          f"sb3 {statistics.median(t[0] for _, t in rows):.1f} s "
          f"(return {statistics.median(t[1] for _, t in rows):.1f}), "
          f"Reparam time / SB3 time {statistics.median(o[0] / t[0] for o, t in rows):.3f}")


if __name__ == "__main__":
    main()
