# End-to-end: `evsim map` and `evsim run` cost a CN through one entry point,
# so a mapping's complete temporal_ordering, the notes and the cache behave
# the same in both (issue 10, point 2). LeNet-5 conv1 on one SENECA-like
# core, no tiling: the run's one CN is the layer `evsim map` maps. The run
# costs a CN whose operands fit the core on the core without its off-chip
# level (sim/run/plan_fit.c), so the run is compared with `evsim map` on
# that core (ON: the core file less its `offchip` memory).
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=tests/data/run
HW=configs/hw/seneca_core.yaml
ON=$tmp/seneca_core_on.yaml
awk '/^  offchip:/{skip=1} !skip{print} skip&&/^    served_dimensions/{skip=0}' $HW >"$ON"
cn_cycles() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["cns"][0]["cycles"])' "$1"; }
map_cycles() { python3 -c 'import json,sys; print("%.0f" % json.loads(open(sys.argv[1]).readline())["latency_cycles"])' "$1"; }

# A complete ordering is costed as given, in map and in run.
"$EVSIM" map --hw $HW --workload $D/conv1.workload.yaml --mapping $D/conv1_fixed.mapping.yaml \
  --json >"$tmp/map.json" 2>"$tmp/map.err"; rc=$?
check "map exits 0 (rc=$rc)" '[ $rc -eq 0 ]'
m=$(map_cycles "$tmp/map.json")
check "map costs the ordering as given ($m cycles)" '[ "$m" = 58832 ] &&
  grep -q "\"orderings_evaluated\":1," "$tmp/map.json"'
"$EVSIM" run $D/conv1_fixed.yaml -q --no-trace --json "$tmp/run.json" 2>"$tmp/run.err"; rc=$?
check "run exits 0 (rc=$rc: $(head -c 300 "$tmp/run.err"))" '[ $rc -eq 0 ]'
r=$(cn_cycles "$tmp/run.json")
"$EVSIM" map --hw "$ON" --workload $D/conv1.workload.yaml --mapping $D/conv1_fixed.mapping.yaml \
  --json >"$tmp/map_on.json" 2>/dev/null
mo=$(map_cycles "$tmp/map_on.json")
check "run costs the ordering as map does on the core without the off-chip level (run $r, map $mo; with it $m)" \
  '[ "$r" = "$mo" ] && [ "$r" != "$m" ] && grep -q "\"orderings_evaluated\":1," "$tmp/map_on.json"'

# The notes reach the user in both.
check "map notes the reduced unroll" 'grep -q "note: layer 0 (conv1): spatial unroll D1 \[K, 8\] reduced to 6" "$tmp/map.err"'
check "run notes the reduced unroll" 'grep -q "^evsim run: note: layer conv1: spatial unroll D1 \[K, 8\] reduced to 6" "$tmp/run.err"'

# The cache keeps fixed-ordering results (keyed by the ordering): a second
# run finds it, and reports the same cost.
"$EVSIM" run $D/conv1_fixed.yaml -q --no-trace --cache "$tmp/c.bin" --json "$tmp/c1.json" 2>/dev/null
"$EVSIM" run $D/conv1_fixed.yaml -q --no-trace --cache "$tmp/c.bin" --json "$tmp/c2.json" 2>/dev/null
check "cached fixed ordering: searched once, then found" \
  'grep -q "\"searched\":1," "$tmp/c1.json" && grep -q "\"searched\":0," "$tmp/c2.json"'
check "cached fixed ordering: same cost ($(cn_cycles "$tmp/c2.json"))" '[ "$(cn_cycles "$tmp/c2.json")" = "$r" ]'
# ... and map on the same core, reading the same cache file, takes it from there.
"$EVSIM" map --hw "$ON" --workload $D/conv1.workload.yaml --mapping $D/conv1_fixed.mapping.yaml \
  --json --cache "$tmp/c.bin" >"$tmp/mapc.json" 2>/dev/null
check "map finds run's cached fixed-ordering result" \
  'grep -q "\"from_cache\":true" "$tmp/mapc.json" && [ "$(map_cycles "$tmp/mapc.json")" = "$r" ]'
# A search for the same shape is another key: it must not get the fixed cost.
sed '/^  temporal_ordering/,$d' $D/conv1_fixed.mapping.yaml >"$tmp/free.mapping.yaml"
"$EVSIM" map --hw "$ON" --workload $D/conv1.workload.yaml --mapping "$tmp/free.mapping.yaml" \
  --json --cache "$tmp/c.bin" >"$tmp/maps.json" 2>/dev/null
s=$(map_cycles "$tmp/maps.json")
check "a search through the same cache is not served the fixed result ($s)" \
  '[ "$s" != "$r" ] && grep -q "\"from_cache\":false" "$tmp/maps.json"'

# An ordering with `*` loops is not applied, in map and run alike, with a note.
sed "s/- \[FY, 5\]/- ['*', '*']/" $D/conv1_fixed.mapping.yaml >"$tmp/star.mapping.yaml"
sed "s#conv1_fixed.mapping.yaml#$tmp/star.mapping.yaml#; s#^chip: #chip: $PWD/$D/#; s#^workload: #workload: $PWD/$D/#" \
  $D/conv1_fixed.yaml >"$tmp/star.yaml"
"$EVSIM" map --hw "$ON" --workload $D/conv1.workload.yaml --mapping "$tmp/star.mapping.yaml" \
  --json >"$tmp/mstar.json" 2>"$tmp/mstar.err"
"$EVSIM" run "$tmp/star.yaml" -q --no-trace --json "$tmp/rstar.json" 2>"$tmp/rstar.err"; rc=$?
check "partial ordering: run exits 0 (rc=$rc: $(head -c 300 "$tmp/rstar.err"))" '[ $rc -eq 0 ]'
check "partial ordering: both search, same cost" \
  '[ "$(map_cycles "$tmp/mstar.json")" = "$(cn_cycles "$tmp/rstar.json")" ] &&
   [ "$(map_cycles "$tmp/mstar.json")" = "$s" ]'
check "partial ordering: both note it" \
  'grep -q "temporal_ordering has .\*. loops and is not applied" "$tmp/mstar.err" &&
   grep -q "temporal_ordering has .\*. loops and is not applied" "$tmp/rstar.err"'

# With intra-core tiling the ordering applies to each CN: whole-layer sizes
# are refused with a hint, '*' sizes take each CN's rest of the dim.
sed 's/^  core_allocation: \[0\]/  core_allocation: [0]\n  intra_core_tiling: ["OY, all"]/' \
  $D/conv1_fixed.mapping.yaml >"$tmp/tiled.mapping.yaml"
sed "s#$tmp/star.mapping.yaml#$tmp/tiled.mapping.yaml#" "$tmp/star.yaml" >"$tmp/tiled.yaml"
"$EVSIM" run "$tmp/tiled.yaml" -q --no-trace 2>"$tmp/tiled.err"; rc=$?
check "tiled CNs with whole-layer ordering sizes: exit 1 with a hint (rc=$rc)" \
  '[ $rc -eq 1 ] && grep -q "applies to each CN of the tiling" "$tmp/tiled.err"'
sed -i "s/- \[OY, 28\]/- [OY, '*']/" "$tmp/tiled.mapping.yaml"
"$EVSIM" run "$tmp/tiled.yaml" -q --no-trace --json "$tmp/tiled.json" 2>"$tmp/tiled.err"; rc=$?
check "tiled CNs with '*' sizes: costed as given (rc=$rc: $(head -c 200 "$tmp/tiled.err"))" \
  '[ $rc -eq 0 ] && grep -q "\"unique_cns\":1," "$tmp/tiled.json"'

[ $fail -eq 0 ] && echo "PASS: run_fixed_order"
exit $fail
