#!/usr/bin/env bash
# Design-space sweep throughput (`evsim sweep`, issue 16):
#   bench: sweep64_j1 wall_s V      64 points of the default scenario
#   bench: sweep64_j2 wall_s V      (tests/data/sweep/default64.yaml: the
#                                    NoC's VCs x depth x link latency) on
#                                    1 and 2 worker processes
#   bench: sweep64_speedup x V      j1 / j2 wall time (target >= 1.8 on 2 cores)
#   bench: sweep64_j1 cpu_s V       CPU time of the sweep and its workers
#   bench: sweep64_mpi2 wall_s V    mpirun -np 3 (2 worker ranks), when MPI is in
#   bench: sweep64_mpi_cost x V     mpi2 / j2 wall time, at equal worker counts
# Each figure is the best of 2 runs; a fresh output folder each time, so the
# mapper cache starts empty as in a first sweep. Wall times are noisy when
# other work shares the cores: the CPU time says what the work itself cost.
set -u
EVSIM=${EVSIM:-build/evsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
S=tests/data/sweep/default64.yaml

# best-of-2 wall and CPU seconds of one sweep command (after "--")
run() { # name, command...
  local name=$1; shift
  /usr/bin/python3 - "$tmp" "$name" "$@" <<'PY'
import resource, shutil, subprocess, sys, time
tmp, name, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
best = cpu = None
for i in range(2):
    out = "%s/%s-%d" % (tmp, name, i)
    c = [a.replace("@OUT@", out) for a in cmd]
    u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ct = u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime
    best = dt if best is None else min(best, dt)
    cpu = ct if cpu is None else min(cpu, ct)
    if i:
        shutil.rmtree(out)
print("%.3f %.3f" % (best, cpu))
PY
}

read j1 j1cpu < <(run j1 "$EVSIM" sweep $S --out @OUT@ -j 1 -q)
read j2 j2cpu < <(run j2 "$EVSIM" sweep $S --out @OUT@ -j 2 -q)
echo "bench: sweep64_j1 wall_s $j1"
echo "bench: sweep64_j2 wall_s $j2"
echo "bench: sweep64_speedup x $(awk "BEGIN {printf \"%.2f\", $j1 / $j2}")"
echo "bench: sweep64_j1 cpu_s $j1cpu"
echo "bench: sweep64_j2 cpu_s $j2cpu"
cmp -s "$tmp/j1-0/results.csv" "$tmp/j2-0/results.csv" || { echo "sweep bench: -j1 and -j2 results differ" >&2; exit 1; }
if "$EVSIM" --version | grep -q "^MPI: yes" && command -v mpirun >/dev/null 2>&1; then
  opts=
  if mpirun --version 2>&1 | grep -q "Open MPI"; then
    opts=--oversubscribe
    [ "$(id -u)" -eq 0 ] && opts="$opts --allow-run-as-root"
  fi
  read m2 m2cpu < <(run mpi2 mpirun $opts -np 3 "$EVSIM" sweep $S --out @OUT@ -q)
  echo "bench: sweep64_mpi2 wall_s $m2"
  echo "bench: sweep64_mpi_cost x $(awk "BEGIN {printf \"%.2f\", $m2 / $j2}")"
  cmp -s "$tmp/j1-0/results.csv" "$tmp/mpi2-0/results.csv" || { echo "sweep bench: MPI and -j1 results differ" >&2; exit 1; }
fi
