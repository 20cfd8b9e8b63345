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


# What each peer library reads to cap its own instruction set: PyTorch's ATen kernels, MKL (its
# BLAS), oneDNN, XLA (JAX) and OpenBLAS (numpy). On an AVX-512 machine, capping both Reparam and
# the peers at AVX2 stands in for a CPU without AVX-512, which a Reparam-only cap does not.
PEER_ISA_ENVIRONMENT = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "XLA_FLAGS": "--xla_cpu_max_isa=AVX2", "OPENBLAS_CORETYPE": "Haswell"},
}


def peer_environment(isa):
    """The environment for a peer capped at `isa` (None: the peer chooses for itself)."""
    if isa is None:
        return None
    if isa not in PEER_ISA_ENVIRONMENT:
        raise SystemExit(f"--peers-isa: {isa} is not one of {', '.join(PEER_ISA_ENVIRONMENT)}")
    return dict(os.environ, **PEER_ISA_ENVIRONMENT[isa])
