#!/usr/bin/env bash
# `evsim map` end to end: help, the readable table, JSON keys, --layer,
# and the exit status and message for usage errors and bad inputs.
set -u
EVSIM=${EVSIM:-build/evsim}
D=tests/data/loma
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { if eval "$2"; then echo "PASS: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

"$EVSIM" map --help >"$T/help" 2>&1
check "map --help exits 0 and shows usage" '[ $? -eq 0 ] && grep -q "usage: evsim map" "$T/help"'

"$EVSIM" map --bogus >"$T/o" 2>"$T/e"; rc=$?
check "unknown option exits 2 with one line" '[ $rc -eq 2 ] && [ "$(head -1 "$T/e")" = "evsim map: unknown option '"'"'--bogus'"'"'" ]'

"$EVSIM" map --hw "$D/tiny.hw.yaml" >"$T/o" 2>"$T/e"; rc=$?
check "missing --workload exits 2" '[ $rc -eq 2 ]'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --criterion fastest >"$T/o" 2>"$T/e"; rc=$?
check "bad --criterion exits 2" '[ $rc -eq 2 ] && grep -q "criterion" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  >"$T/table" 2>"$T/e"; rc=$?
check "table output exits 0" '[ $rc -eq 0 ]'
check "table names both layers" 'grep -q "layer 0 (conv_a)" "$T/table" && grep -q "layer 1 (fc_b)" "$T/table"'
check "table lists levels with memory names" 'grep -q "L0 rf_w" "$T/table" && grep -q "L1 dram" "$T/table"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --layer 1 --json >"$T/json" 2>"$T/e"; rc=$?
check "--layer 1 --json exits 0 with one object" '[ $rc -eq 0 ] && [ $(wc -l <"$T/json") -eq 1 ]'
check "json has the listed keys" 'python3 -c "
import json,sys
o=json.load(open(sys.argv[1]))
keys=[\"layer\",\"latency_cycles\",\"energy_pj\",\"mac_energy_pj\",\"ideal_cycles\",\"orderings_evaluated\",
      \"spatial_mapping\",\"temporal_mapping\",\"wall_s\"]
assert all(k in o for k in keys), keys
assert o[\"layer\"] == 1
assert o[\"temporal_mapping\"][\"O\"][0][\"memory\"]
" "$T/json"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --layer 7 >"$T/o" 2>"$T/e"; rc=$?
check "unknown --layer id exits 1" '[ $rc -eq 1 ] && grep -q "no layer with id 7" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/too_big.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  >"$T/o" 2>"$T/e"; rc=$?
check "layer too big for the memories exits 1 naming it" '[ $rc -eq 1 ] && grep -q "huge" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/wide.mapping.yaml" \
  >"$T/o" 2>"$T/e"; rc=$?
check "unrolling beyond the array exits 1" '[ $rc -eq 1 ] && grep -q "exceeds the array" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --lpf-limit 12 --max-orderings 50 --layer 0 >"$T/o" 2>"$T/e"; rc=$?
check "bounded search warns with the skipped count" '[ $rc -eq 0 ] && grep -q "skipped" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/free.mapping.yaml" \
  --layer 0 --json >"$T/free" 2>"$T/e"; rc=$?
check "mapping without spatial_mapping generates an unrolling" '[ $rc -eq 0 ] && python3 -c "
import json,sys
o=json.load(open(sys.argv[1]))
assert o[\"spatial_utilization\"] == 1.0 and o[\"spatial_mapping\"][\"D1\"], o[\"spatial_mapping\"]
" "$T/free"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/small_k.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  >"$T/o" 2>"$T/e"; rc=$?
check "unroll beyond the layer dim is reduced with a note" '[ $rc -eq 0 ] && grep -q "\[K, 4\] reduced to 2" "$T/e"'

"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --json --cache "$T/cache.bin" >"$T/c1" 2>"$T/e"; rc1=$?
"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --json --cache "$T/cache.bin" >"$T/c2" 2>"$T/e"; rc2=$?
check "--cache: the second run is served from the cache, same costs" '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] &&
  grep -q "\"from_cache\":false" "$T/c1" && [ $(grep -c "\"from_cache\":true" "$T/c2") -eq 2 ] &&
  [ "$(sed "s/\"from_cache\":[a-z]*//" "$T/c1")" = "$(sed "s/\"from_cache\":[a-z]*//" "$T/c2")" ]'

echo "garbage" >"$T/bad.bin"
"$EVSIM" map --hw "$D/tiny.hw.yaml" --workload "$D/tiny.workload.yaml" --mapping "$D/tiny.mapping.yaml" \
  --cache "$T/bad.bin" >"$T/o" 2>"$T/e"; rc=$?
check "--cache with a foreign file exits 1" '[ $rc -eq 1 ] && grep -q "not an evsim mapping cache" "$T/e"'

# --stream: Stream's cost fields; too-large operands stream from the
# off-chip core's DRAM, appended on top of the core for them only
cat >"$T/offchip.yaml" <<'YAML'
name: offchip
type: memory
memories:
  dram:
    size: 10000000000
    r_cost: 1000
    w_cost: 1000
    area: 0
    latency: 1
    operands: [I1, I2, O]
    ports:
      - name: rw_port_1
        type: read_write
        bandwidth_min: 64
        bandwidth_max: 64
        allocation: ['I1, fh', 'I1, tl', 'I2, fh', 'I2, tl', 'O, fh', 'O, tl', 'O, fl', 'O, th']
    served_dimensions: [D1]
operational_array: {unit_energy: 0, unit_area: 0, dimensions: [D1], sizes: [0]}
YAML
M="--hw $D/tiny.hw.yaml --workload $D/tiny.workload.yaml --mapping $D/tiny.mapping.yaml --layer 0"
"$EVSIM" map $M --too-large I1 >"$T/o" 2>"$T/e"; rc=$?
check "--too-large without --stream is a usage error" '[ $rc -eq 2 ] && grep -q "go with --stream" "$T/e"'
"$EVSIM" map $M --stream --too-large I1 >"$T/o" 2>"$T/e"; rc=$?
check "--too-large without --offchip is a usage error" '[ $rc -eq 2 ] && grep -q "needs --offchip" "$T/e"'
"$EVSIM" map $M --stream --too-large I4 --offchip "$T/offchip.yaml" >"$T/o" 2>"$T/e"; rc=$?
check "--too-large with an unknown operand is a usage error" '[ $rc -eq 2 ] && grep -q "I1, I2, O" "$T/e"'
"$EVSIM" map $M --json >"$T/plain" 2>"$T/e"; rc1=$?
"$EVSIM" map $M --stream --json >"$T/s0" 2>"$T/e"; rc2=$?
"$EVSIM" map $M --stream --json --too-large I2,O --offchip "$T/offchip.yaml" >"$T/s2" 2>"$T/e"; rc3=$?
check "--stream: Stream's fields; too-large operands get a DRAM level and its energy" '[ $rc1 -eq 0 ] &&
  [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && python3 -c "
import json,sys
p,s0,s2=(json.load(open(f)) for f in sys.argv[1:4])
assert s0[\"latency_total2\"] == p[\"latency_cycles\"], (s0, p)
assert s0[\"too_large_operands\"] == [] and s0[\"offchip_energy\"] == {}
assert s2[\"too_large_operands\"] == [\"I2\", \"O\"], s2
assert s2[\"offchip_energy\"][\"O\"] > 0 and s2[\"energy_total\"] > s0[\"energy_total\"], s2
assert set(s2[\"offchip_inst_bandwidth_per_op_scaled\"]) == {\"I2\", \"O\"}
assert s2[\"temporal_mapping\"].count(\"], [\") > s0[\"temporal_mapping\"].count(\"], [\")
" "$T/plain" "$T/s0" "$T/s2"'

[ $fails -eq 0 ]
