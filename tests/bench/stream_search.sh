# bench: Stream's allocation search on its quad-core ResNet-18 with the
# Conv/Gemm cores left open (configs/stream_resnet18_quad_search.yaml: 21
# genes of 4 cores), whole from the files: ONNX parse, every flexible CN
# costed on each of its cores, the genetic search scheduling each
# allocation with Stream's scheduler, the best scheduled and reported.
# Target (issue 15): under 10 s, never worse than the round-robin start.
#   bench: stream_resnet18_quad_search wall_s V    (best of 3)
#   bench: stream_resnet18_quad_search gain_pct V  (best vs round-robin latency)
set -u
best=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in 1 2 3; do
  t0=${EPOCHREALTIME/./}   # microseconds (bash 5)
  "$EVSIM" run configs/stream_resnet18_quad_search.yaml --json "$out" --report "" -q >/dev/null \
    || { echo "bench: stream_search: the run failed" >&2; exit 1; }
  t=$(( ${EPOCHREALTIME/./} - t0 ))
  if [ $best -eq 0 ] || [ $t -lt $best ]; then best=$t; fi
done
printf 'bench: stream_resnet18_quad_search wall_s %d.%06d\n' $((best / 1000000)) $((best % 1000000))
/usr/bin/python3 - "$out" <<'EOP' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))["search"]
if s["best"]["latency_cycles"] > s["start"]["latency_cycles"]:
    sys.exit("bench: stream_search: the best is worse than the round-robin start")
print("bench: stream_resnet18_quad_search gain_pct %.2f (%d -> %d cycles, %d allocations)"
      % (s["latency_gain_pct"], s["start"]["latency_cycles"], s["best"]["latency_cycles"],
         s["evaluations"]))
EOP
