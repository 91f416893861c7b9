#!/bin/bash
# tools/golden.sh OUTDIR -- run a fixed set of evsim commands (every e2e
# scenario's outputs: run reports and traces, map, noc, events, check) and
# keep what each writes in OUTDIR, so two builds can be compared with
# `diff -r` (wall-clock fields are masked). Used when a refactor must keep
# outputs byte-identical.
set -u
EVSIM=${EVSIM:-build/evsim}
SHARED=${SHARED:-../shared}
out=${1:?usage: tools/golden.sh OUTDIR}
mkdir -p "$out"
n=0
# one command: NAME then the evsim arguments; stdout, stderr and rc kept
g() {
  local name=$1; shift
  "$EVSIM" "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo $? >"$out/$name.rc"
  n=$((n + 1))
}
# wall-clock figures differ run to run: mask them
mask() {
  sed -i -E 's/"(wall_s|mapper_wall_s|wall_time_s)":[0-9.eE+-]+/"\1":W/g;
             s/, [0-9]+\.[0-9]{6} s$/, W s/; s/in [0-9.]+ (ms|s)\b/in W \1/g;
             s/searched in [0-9.]+/searched in W/g; s/now \([0-9.]+ s\)/now (W s)/;
             s#'"$out"'#OUT#g' "$@"
}

L=tests/data/loma
for sc in configs/lenet5_seneca_2x2.yaml configs/tiny_yolov2_edge_tpu.yaml configs/resnet18_seneca_4x4.yaml; do
  b=$(basename "$sc" .yaml)
  g "run_$b" run "$sc" --json "$out/run_$b.json" --report "$out/run_$b.txt" \
    --trace "$out/run_$b.pftrace"
done
g run_default_tjson run configs/lenet5_seneca_2x2.yaml -q --json "$out/run_default_tj.json" \
  --trace-json "$out/run_default.trace.json"
g run_default_maxtime run configs/lenet5_seneca_2x2.yaml -q --max-time 1000 --no-trace \
  --json "$out/run_default_maxtime.json" --report "$out/run_default_maxtime.txt"
g run_default_maxev run configs/lenet5_seneca_2x2.yaml -q --max-events 500 --no-trace \
  --json "$out/run_default_maxev.json"
g run_default_energy run configs/lenet5_seneca_2x2.yaml -q --criterion energy --lpf-limit 4 --no-trace \
  --json "$out/run_default_energy.json"
for f in configs/*.yaml configs/hw/*.yaml configs/workloads/*.yaml configs/mappings/*.yaml; do
  g "check_$(echo "$f" | tr / _)" check "$f"
done
g map_lenet_seneca map --hw configs/hw/seneca_core.yaml --workload configs/workloads/lenet5.yaml \
  --mapping configs/mappings/lenet5_seneca_2x2.yaml
g map_lenet_seneca_json map --hw configs/hw/seneca_core.yaml --workload configs/workloads/lenet5.yaml \
  --mapping configs/mappings/lenet5_seneca_2x2.yaml --json
g map_tiny_json map --hw $L/tiny.hw.yaml --workload $L/tiny.workload.yaml --mapping $L/tiny.mapping.yaml --json
g map_tiny map --hw $L/tiny.hw.yaml --workload $L/tiny.workload.yaml --mapping $L/tiny.mapping.yaml
g map_free_json map --hw $L/tiny.hw.yaml --workload $L/tiny.workload.yaml --mapping $L/free.mapping.yaml --json
g map_wide map --hw $L/tiny.hw.yaml --workload $L/tiny.workload.yaml --mapping $L/wide.mapping.yaml
g map_smallk map --hw $L/tiny.hw.yaml --workload $L/small_k.workload.yaml --mapping $L/tiny.mapping.yaml
g map_edge_json map --hw configs/hw/edge_tpu_core.yaml --workload configs/workloads/tiny_yolov2.yaml \
  --mapping configs/mappings/cnn_edge_tpu.yaml --json --lpf-limit 4
g noc_bare noc
g noc_json noc --mesh 4x4 --rate 0.2 --json
g noc_bitcomp noc --mesh 3x5 --traffic bitcomp --packet-flits 2 --rate 0.2 --json
g noc_hotspot noc --mesh 3x3 --traffic hotspot --hotspot 4 --measure-cycles 2000
g noc_stages noc --terminals-per-router 2 --router-stage-cycles 2,1,1,1 --link-latency-cycles 2 --json
g noc_sweep noc --mesh 2x2 --measure-cycles 1000 --sweep --sweep-step 0.5 --json
g noc_mc noc --multicast 0.1:3 --packet-flits 4 --json
g noc_trace noc --mesh 4x4 --warmup-cycles 0 --measure-cycles 2000 --rate 0.3 \
  --multicast 0.1:3 --packet-flits 4 --trace "$out/noc.pftrace"
g ev_nm events traces/nmnist_sample.bin
g ev_nm_json events traces/nmnist_sample.bin --json --to-csv "$out/ev_nm.csv"
R=$SHARED/reference/events
if [ -d "$R" ]; then
  for f in "$R"/*; do
    case "$f" in *.md|*.txt|*.json|*.py) continue;; esac
    g "ev_ref_$(basename "$f")" events "$f" --json
  done
fi
mask "$out"/*.out "$out"/*.err "$out"/*.json "$out"/*.txt 2>/dev/null
echo "golden: $n commands into $out"
