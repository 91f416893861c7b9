# Bench: what --trace costs `evsim noc` on an 8x8 mesh, uniform traffic at
# 0.3 flits/terminal/cycle, 100k measured cycles: wall time untraced and
# traced (best of two, the machine is shared), extra time, bytes per slice.
# Targets (issue 7): under 30 % extra time, under 64 bytes per slice.
set -u
if ! "$EVSIM" noc --help 2>/dev/null | grep -q -- '--trace FILE'; then
  echo "SKIP: trace_noc bench: this evsim noc has no --trace option yet" \
       "(tests/bench/bench_trace_noc.c measures the same run through the observer)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args="--mesh 8x8 --rate 0.3 --warmup-cycles 0 --measure-cycles 100000"
best() { # best wall seconds of two runs of: evsim noc $args "$@"
  b=
  for _ in 1 2; do
    s=$(date +%s.%N)
    "$EVSIM" noc $args "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-}" | awk '{d=$2-$1; if ($3 == "" || d < $3) print d; else print $3}')
  done
  echo "$b"
}
plain=$(best)
traced=$(best --trace "$tmp/t.pftrace")
line=$(grep "slices," "$tmp/err")
slices=$(echo "$line" | sed -E 's/.*: ([0-9]+) slices, ([0-9]+) bytes/\1/')
bytes=$(echo "$line" | sed -E 's/.*: ([0-9]+) slices, ([0-9]+) bytes/\2/')
echo "bench: evsim_noc_8x8_u0.3_100k_wall $plain s"
echo "bench: evsim_noc_8x8_u0.3_100k_traced_wall $traced s"
echo "$plain $traced" | awk '{printf "bench: evsim_noc_trace_extra_time %.1f %%\n", 100 * ($2 - $1) / $1}'
echo "$bytes $slices" | awk '{printf "bench: evsim_noc_trace_bytes_per_slice %.1f bytes\n", $2 ? $1 / $2 : 0}'
