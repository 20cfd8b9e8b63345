"""Trains the same agent with `reparam rl train` and with stable-baselines3 (PyTorch) on the same
gymnasium environment, hyperparameters and steps, one after the other on this machine, and
prints the wall time and the final evaluation return (deterministic policy) of each, with the
ratio of wall times. Round r uses seed r in both.

    pip install stable-baselines3 gymnasium
    swift build -c release
    python3 bench/rl/run.py --env pendulum --algo sac --steps 20000 [--rounds 3] [--episodes 5]

The SB3 side builds the agent from rl-baselines3-zoo's tuned settings for the environment, the
same values `reparam rl train --help` lists (SAC on Pendulum-v1: learning rate 1e-3, the rest
SB3's defaults), evaluates with `evaluate_policy(deterministic=True)`, and times `learn` alone.
Both sides use the machine's cores as they are set by default (REPARAM_THREADS, torch's threads).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GYM_IDS = {"cartpole": "CartPole-v1", "acrobot": "Acrobot-v1", "pendulum": "Pendulum-v1",
           "mountaincar-continuous": "MountainCarContinuous-v0"}
ZOO = {("sac", "pendulum"): {"learning_rate": 1e-3}}


def sb3(env_name, algo, steps, seed, episodes):
    """Runs SB3 in this process; returns (seconds of learn, mean and std of the evaluation return)."""
    import gymnasium as gym
    import stable_baselines3 as sb
    from stable_baselines3.common.evaluation import evaluate_policy
    env = gym.make(GYM_IDS[env_name])
    model = {"sac": sb.SAC}[algo]("MlpPolicy", env, seed=seed, verbose=0, **ZOO.get((algo, env_name), {}))
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    mean, std = evaluate_policy(model, gym.make(GYM_IDS[env_name]), n_eval_episodes=episodes, deterministic=True)
    return seconds, float(mean), float(std)


def reparam(binary, env_name, algo, steps, seed, episodes):
    """Runs `reparam rl train`; returns (wall seconds of training, last evaluation's mean and std)."""
    command = [binary, "rl", "train", "--env", env_name, "--algo", algo, "--steps", str(steps), "--seed", str(seed),
               "--eval-every", str(steps), "--eval-episodes", str(episodes), "--json"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    last = [json.loads(line) for line in out.splitlines() if line.startswith("{")][-1]
    return last["seconds"], last["eval_return_mean"], last["eval_return_std"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="pendulum", choices=sorted(GYM_IDS))
    parser.add_argument("--algo", default="sac", choices=["sac"])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--reparam", default=os.path.join(ROOT, ".build", "release", "reparam"))
    args = parser.parse_args()
    rows = []
    for r in range(args.rounds):
        ours = reparam(args.reparam, args.env, args.algo, args.steps, r, args.episodes)
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
