#!/usr/bin/env bash
# A real Slurm cluster of one node on this machine, for `reparam sweep submit --slurm`:
# installs slurm-wlm and munge from Debian's packages (as root, apt-get), starts munged, slurmctld and
# slurmd on localhost with a generated slurm.conf, submits an 8-task sweep as a job array, cancels it
# with scancel part-way, submits the rest, and checks that the merged table equals the same sweep run
# with --local byte for byte and that no finished result was rewritten. Stops the daemons it started.
#
#   scripts/slurm-sweep-test.sh [path/to/reparam]     (default: .build/release/reparam)
#
# Exit 0: passed. Exit 77: skipped (not root, or no apt-get / packages), with the reason on stderr.
# Anything else: failed.
set -euo pipefail
cd "$(dirname "$0")/.."
reparam="$(realpath "${1:-.build/release/reparam}")"
skip() { echo "slurm sweep test: SKIPPED: $*" >&2; exit 77; }

[ -x "$reparam" ] || { echo "slurm sweep test: no reparam binary at $reparam (swift build -c release)" >&2; exit 1; }
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
    [ "$(id -u)" = 0 ] || skip "slurm-wlm is not installed and installing it needs root"
    command -v apt-get > /dev/null || skip "slurm-wlm is not installed and there is no apt-get"
    echo "slurm sweep test: installing slurm-wlm and munge" >&2
    if ! { apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge > /dev/null; }; then
        skip "apt-get could not install slurm-wlm and munge"
    fi
fi
[ "$(id -u)" = 0 ] || skip "slurmd must run as root"

work="$(mktemp -d /tmp/reparam-slurm.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    sleep 1
    for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# munge: a key of its own, a socket in the work folder.
mkdir -p "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
munged --force --key-file="$work/munge/munge.key" --socket="$socket" --pid-file="$work/munge/munged.pid" \
    --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed"
pids+=("$(cat "$work/munge/munged.pid")")

host="$(hostname -s)"
cpus="$(nproc)"
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=reparam-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 50); do [ -s "$work/slurmctld.pid" ] && [ -s "$work/slurmd.pid" ] && break; sleep 0.2; done
pids+=("$(cat "$work/slurmctld.pid")" "$(cat "$work/slurmd.pid")")
for _ in $(seq 100); do sinfo -h -o %T 2> /dev/null | grep -q idle && break; sleep 0.3; done
if ! sinfo -h -o %T | grep -q idle; then
    echo "slurm sweep test: the node never became idle:" >&2
    tail -20 "$work/slurmd.log" >&2
    exit 1
fi
echo "slurm sweep test: slurmctld and slurmd up on $host ($cpus CPUs)" >&2

spec() {  # 2 flows × 2 widths × 2 seeds of a tiny two-moons training
    cat > "$work/$1.json" <<JSON
{"command": ["flow", "train"], "fixed": {"task": "two-moons", "steps": 200, "layers": 2, "out": "{task}/run"},
 "switches": ["json"], "grid": {"flow": ["realnvp", "planar"], "hidden": [4, 8]}, "seeds": 2, "output": "$1"}
JSON
}
spec local
spec cluster
"$reparam" sweep run "$work/local.json" --local --workers 2 > /dev/null

wait_for_job() {
    for _ in $(seq 600); do
        [ -z "$(squeue -h -j "$1" 2> /dev/null)" ] && return 0
        sleep 0.5
    done
    echo "slurm sweep test: job $1 did not finish in 5 minutes" >&2
    exit 1
}

# One task at a time, cancelled once two have finished.
job=$("$reparam" sweep submit "$work/cluster.json" --slurm --array-limit 1 --partition test \
    | awk '/submitted job/ {print $3}')
[ -n "$job" ] || { echo "slurm sweep test: sweep submit printed no job id" >&2; exit 1; }
echo "slurm sweep test: job $job submitted" >&2
for _ in $(seq 600); do
    [ "$(ls "$work"/cluster/tasks/*/result.json 2> /dev/null | wc -l)" -ge 2 ] && break
    sleep 0.2
done
scancel "$job"
wait_for_job "$job"
done_before=$(ls "$work"/cluster/tasks/*/result.json 2> /dev/null | wc -l)
[ "$done_before" -ge 2 ] && [ "$done_before" -lt 8 ] || {
    echo "slurm sweep test: expected 2-7 results after scancel, found $done_before" >&2; exit 1; }
(cd "$work" && sha256sum cluster/tasks/*/result.json) > "$work/before.sha"
"$reparam" sweep status "$work/cluster.json" >&2

job=$("$reparam" sweep submit "$work/cluster.json" --slurm --partition test | awk '/submitted job/ {print $3}')
echo "slurm sweep test: job $job submitted for the $((8 - done_before)) tasks left" >&2
grep -q "^#SBATCH --array=" "$work/cluster/sweep.sbatch"
wait_for_job "$job"
if ! (cd "$work" && sha256sum --quiet -c before.sha); then
    echo "slurm sweep test: a finished result was rewritten" >&2
    exit 1
fi

"$reparam" sweep merge "$work/cluster.json" >&2
"$reparam" sweep merge "$work/local.json" > /dev/null
if ! cmp "$work/cluster/merged.csv" "$work/local/merged.csv"; then
    echo "slurm sweep test: the Slurm and local merged tables differ" >&2
    diff "$work/cluster/merged.csv" "$work/local/merged.csv" >&2 || true
    exit 1
fi
echo "slurm sweep test: passed ($done_before tasks before scancel, 8 in all; merged table equals the local run's)" >&2
