#!/usr/bin/env bash
# bench_booksim.sh -- wall time of BookSim 2 and `evsim noc` (flit model) on
# the same work: k x k mesh, BookSim's default input-queued router (16 VCs of
# 8 flits, iSLIP 1 iteration, 1-cycle stages), uniform traffic, fixed packet
# size, offered load in flits/node/cycle, and the same simulated cycles (3000
# warm-up + MEASURE measured; BookSim's convergence test is disabled by zero
# stopping thresholds, so it runs every sample period). Each pair is run back
# to back REPS times and the minimum CPU time (user + system, process start
# included) of each is kept: the machine is shared, the minimum is the
# signal.
#
#   BOOKSIM=/path/to/booksim EVSIM=build/evsim tools/bench_booksim.sh [K...]
#
# Prints one line per point: mesh, flits, load, both times, simulated cycles
# of each, the ratio BookSim / evsim. Exits 2 when BookSim is not there.
set -u
BOOKSIM=${BOOKSIM:-/tmp/booksim/src/booksim}
EVSIM=${EVSIM:-build/evsim}
REPS=${REPS:-3}
MEASURE=${MEASURE:-100000}
LOADS=${LOADS:-0.05 0.1 0.2 0.3}
FLITS=${FLITS:-1 4}
MESHES=${*:-4 8}
[ -x "$BOOKSIM" ] || { echo "bench_booksim.sh: no BookSim at $BOOKSIM" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpu() { # command... -> its user + system CPU seconds on stdout (steadier
        # than wall time on a shared machine), its output in $tmp/out
    python3 -c '
import os, subprocess, sys
with open(sys.argv[1], "w") as out:
    p = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
    _, _, ru = os.wait4(p.pid, 0)  # BookSim exits -1 after a good run: not checked
print("%.4f" % (ru.ru_utime + ru.ru_stime))' "$tmp/out" "$@"
}
cycles() { # the simulated cycles in $tmp/out, or stop
    local c
    c=$(sed -n -e 's/^Time taken is \([0-9]*\) cycles.*/\1/p' -e 's/.*"cycles": \([0-9]*\).*/\1/p' "$tmp/out")
    [ -n "$c" ] || { echo "bench_booksim.sh: run failed:" >&2; tail -5 "$tmp/out" >&2; exit 1; }
    echo "$c"
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

printf '%-5s %5s %5s %10s %10s %9s %9s %7s\n' mesh flits load booksim_s evsim_s bs_cyc ev_cyc ratio
for k in $MESHES; do for L in $FLITS; do for rate in $LOADS; do
    cat > "$tmp/cfg" <<CFG
topology = mesh; k = $k; n = 2; routing_function = dim_order;
num_vcs = 16; vc_buf_size = 8; vc_allocator = islip; sw_allocator = islip;
alloc_iters = 1; speculative = 0; credit_delay = 0;
traffic = uniform; packet_size = $L; injection_rate_uses_flits = 1;
injection_rate = $rate; sim_type = latency; seed = 0;
warmup_periods = 3; sample_period = 1000; max_samples = $((3 + MEASURE / 1000));
stopping_thres = 0.0; acc_stopping_thres = 0.0;
CFG
    bs="" ev=""
    for _ in $(seq "$REPS"); do
        bs=$(min "$bs" "$(cpu "$BOOKSIM" "$tmp/cfg")")
        bcyc=$(cycles) || exit 1
        ev=$(min "$ev" "$(cpu "$EVSIM" noc --mesh ${k}x$k --packet-flits "$L" --rate "$rate" \
                 --warmup-cycles 3000 --measure-cycles "$MEASURE" --seed 1 --json)")
        ecyc=$(cycles) || exit 1
    done
    printf '%-5s %5s %5s %10.3f %10.3f %9s %9s %7.2f\n' "${k}x$k" "$L" "$rate" "$bs" "$ev" \
        "$bcyc" "$ecyc" "$(echo "$bs / $ev" | bc -l)"
done; done; done
