"""The machine a benchmark ran on, for every summary: a ratio is never quoted without it."""
import os
import subprocess


def machine(binary, isa=None):
    """The CPU model, logical CPUs and Reparam's kernel path (`isa` forces one, as REPARAM_ISA)."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    environment = dict(os.environ, **({"REPARAM_ISA": isa} if isa else {}))
    info = subprocess.run([binary, "info"], capture_output=True, text=True, env=environment).stdout
    path = next((line.strip() for line in info.splitlines() if "instruction" in line.lower()), "kernel path unknown")
    return f"{model}, {os.cpu_count()} logical CPUs; Reparam {path}"
