# Bench: the flit NoC model against BookSim 2 on the same work (issue 14):
# 4x4 mesh, BookSim's default router, uniform traffic, 1- and 4-flit
# packets at 0.05, 0.1, 0.2 and 0.3 flits/node/cycle, 100k measured cycles,
# CPU time of each (tools/bench_booksim.sh: best of two, back to back).
#   bench: noc_vs_booksim_4x4_ratio V x   (the smallest ratio of the eight)
# Target: at least 10 x. BookSim is not part of evsim: the line is printed
# only where a BookSim binary is found ($BOOKSIM, or `booksim` on PATH);
# otherwise the bench says so and prints nothing else.
set -u
BOOKSIM=${BOOKSIM:-$(command -v booksim 2>/dev/null || true)}
if [ -z "$BOOKSIM" ] || [ ! -x "$BOOKSIM" ]; then
  echo "SKIP: noc_booksim bench: no BookSim binary (set BOOKSIM=/path/to/booksim)"
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$(BOOKSIM="$BOOKSIM" EVSIM="$EVSIM" REPS=${REPS:-2} bash "$here/../../tools/bench_booksim.sh" 4) ||
  { echo "noc_booksim bench: tools/bench_booksim.sh failed" >&2; exit 1; }
echo "$out" | sed 's/^/  /'
echo "$out" | awk 'NR > 1 { if (min == "" || $8 < min) { min = $8; at = $1 " " $2 "-flit " $3 } }
  END { printf "bench: noc_vs_booksim_4x4_ratio %.2f x (smallest, at %s)\n", min, at }'
