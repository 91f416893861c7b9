# End-to-end: `evsim check` accepts every shipped config, rejects a broken
# one with positioned errors (exit 1), and treats bad usage as exit 2.
set -u
fail=0
pass() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

files=$(find configs -name '*.yaml' | sort)
[ -n "$files" ] || bad "no shipped configs found"
for f in $files; do
  if out=$("$EVSIM" check "$f" 2>&1); then pass "check $f"; else bad "check $f"; printf '%s\n' "$out"; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^  flit_width_bits: 32/  flit_widht_bits: 32/' configs/hw/seneca_2x2.yaml > "$tmp/typo.yaml"
cp configs/hw/seneca_core.yaml "$tmp/"
err=$("$EVSIM" check "$tmp/typo.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && pass "broken chip exits 1" || bad "broken chip exits 1 (got $rc)"
printf '%s' "$err" | grep -q "typo.yaml:15:3: noc.flit_widht_bits: unknown key 'flit_widht_bits' (did you mean 'flit_width_bits'?)" \
  && pass "unknown key positioned with suggestion" || { bad "unknown key message"; printf '%s\n' "$err"; }
printf '%s' "$err" | grep -q "missing key 'flit_width_bits'" && pass "missing key reported too" || bad "missing key reported too"

# A tiling naming a dim the layer lacks fails in `evsim check` (and in
# `evsim run`, before planning) at the tiling entry, not only in the plan.
mkdir -p "$tmp/sc/hw" "$tmp/sc/workloads" "$tmp/sc/mappings"
cp configs/lenet5_seneca_2x2.yaml "$tmp/sc/"
cp configs/hw/seneca_2x2.yaml configs/hw/seneca_core.yaml "$tmp/sc/hw/"
cp configs/workloads/lenet5.yaml "$tmp/sc/workloads/"
sed '10s/OY, all/OQ, all/' configs/mappings/lenet5_seneca_2x2.yaml > "$tmp/sc/mappings/lenet5_seneca_2x2.yaml"
want="$tmp/sc/mappings/lenet5_seneca_2x2.yaml:10:7: [0].intra_core_tiling[0]: expected one of the loop dims of layer"
err=$("$EVSIM" check "$tmp/sc/lenet5_seneca_2x2.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && pass "bad tiling: check exits 1" || bad "bad tiling: check exits 1 (got $rc)"
printf '%s' "$err" | grep -qF "$want" && printf '%s' "$err" | grep -qF "found 'OQ'" \
  && pass "bad tiling: check names file:line:col" || { bad "bad tiling: check message"; printf '%s\n' "$err"; }
err=$("$EVSIM" run "$tmp/sc/lenet5_seneca_2x2.yaml" --no-trace -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && printf '%s' "$err" | grep -qF "$want" \
  && pass "bad tiling: run reports it the same way" || { bad "bad tiling: run message (rc $rc)"; printf '%s\n' "$err"; }

# Fused mode with the scenario's layer stacks: `evsim check` lists them
# (layer ids per stack; unlisted layers are stacks of their own), the run's
# text and JSON reports say the mode and the stacks it used.
cp configs/workloads/lenet5.yaml "$tmp/sc/workloads/"
cp configs/mappings/lenet5_seneca_2x2.yaml "$tmp/sc/mappings/"
{ sed '/^outputs:/,$d' configs/lenet5_seneca_2x2.yaml
  printf 'mode: fused\nlayer_stacks: [[0, 1, 2], [3, 4]]\n'; } > "$tmp/sc/fused.yaml"
out=$("$EVSIM" check "$tmp/sc/fused.yaml" 2>&1); rc=$?
[ $rc -eq 0 ] && printf '%s' "$out" | grep -qF "mode fused, 2 layer stacks: [0 1 2] [3 4]" \
  && pass "check lists the layer stacks" || { bad "check lists the layer stacks (rc $rc)"; printf '%s\n' "$out"; }
out=$("$EVSIM" run "$tmp/sc/fused.yaml" --no-trace --json "$tmp/fused.json" 2>/dev/null); rc=$?
[ $rc -eq 0 ] && printf '%s' "$out" | grep -qF "mode         fused, 4 stacks (from the scenario): 0-2 3-4 5 6" \
  && pass "run report: mode and stacks" || { bad "run report: mode and stacks (rc $rc)"; printf '%s\n' "$out"; }
py=$(command -v python3)
if [ -n "$py" ] && "$py" -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["mode"] == "fused" and d["stacks"] == [[0,1,2],[3,4],[5],[6]], d.get("stacks")
assert [l["stack"] for l in d["layers"]] == [0,0,0,1,1,2,3]' "$tmp/fused.json"; then
  pass "JSON report: mode, stacks, each layer's stack"
else bad "JSON report: mode, stacks, each layer's stack"; fi
out=$("$EVSIM" check configs/lenet5_seneca_2x2.yaml 2>&1)
printf '%s' "$out" | grep -qF "mode lbl (layer by layer)" && pass "check: layer by layer said" || bad "check: layer by layer said"

# A NoC value the model refuses (switch allocation takes a cycle at least)
# is refused by `evsim check` as by `evsim run`, at the key, through the
# same adapter; the loader alone used to let it pass.
cp -r "$tmp/sc" "$tmp/sc2"
cp configs/mappings/lenet5_seneca_2x2.yaml "$tmp/sc2/mappings/"
sed -i 's/^  router_stage_cycles: \[1, 1, 1, 1\]/  router_stage_cycles: [1, 1, 0, 1]/' "$tmp/sc2/hw/seneca_2x2.yaml"
want="$tmp/sc2/hw/seneca_2x2.yaml:18:24: noc.router_stage_cycles[2]: expected 1..1000000, found 0"
for f in hw/seneca_2x2.yaml lenet5_seneca_2x2.yaml; do
  err=$("$EVSIM" check "$tmp/sc2/$f" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 1 ] && printf '%s' "$err" | grep -qF "$want" \
    && pass "bad NoC value: check $f names the key" || { bad "bad NoC value: check $f (rc $rc)"; printf '%s\n' "$err"; }
done
err=$("$EVSIM" run "$tmp/sc2/lenet5_seneca_2x2.yaml" --no-trace -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && printf '%s' "$err" | grep -qF "$want" \
  && pass "bad NoC value: run refuses it the same way" || { bad "bad NoC value: run (rc $rc)"; printf '%s\n' "$err"; }
# Keys the chip file now takes: shown by check, accepted by run.
sed 's/^  router_stage_cycles: \[1, 1, 0, 1\]/  router_stage_cycles: [1, 1, 1, 1]\n  routing: yx\n  credit_delay_cycles: 1\n  deadlock_cycles: 5000\n  terminals_per_router: 2/' \
  "$tmp/sc2/hw/seneca_2x2.yaml" > "$tmp/sc2/hw/x" && mv "$tmp/sc2/hw/x" "$tmp/sc2/hw/seneca_2x2.yaml"
out=$("$EVSIM" check "$tmp/sc2/hw/seneca_2x2.yaml" 2>&1)
printf '%s' "$out" | grep -qF "noc: 2 terminals per router, credit delay 1 cycles, yx routing, deadlock after 5000 cycles" \
  && pass "new noc keys in the check summary" || { bad "new noc keys in the check summary"; printf '%s\n' "$out"; }
"$EVSIM" run "$tmp/sc2/lenet5_seneca_2x2.yaml" --no-trace -q --json "$tmp/sc2.json" >/dev/null 2>&1 \
  && pass "run with routing/credit delay/deadlock/terminals keys" || bad "run with the new noc keys"

"$EVSIM" check >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass "no FILE exits 2" || bad "no FILE exits 2 (got $rc)"
"$EVSIM" check --bogus configs/lenet5_seneca_2x2.yaml >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass "unknown option exits 2" || bad "unknown option exits 2 (got $rc)"
"$EVSIM" check --help | grep -q '^usage: evsim check' && pass "--help" || bad "--help"
"$EVSIM" check "$tmp/missing.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "missing file exits 1" || bad "missing file exits 1 (got $rc)"

# The summary names what was understood.
out=$("$EVSIM" check configs/lenet5_seneca_2x2.yaml)
printf '%s' "$out" | grep -q "chip seneca_2x2: 4 cores on a 2x2 mesh" && pass "scenario summary" || bad "scenario summary"
printf '%s' "$out" | grep -q "\[2\] conv2 .*MACs 240000" && pass "layer MACs in summary" || bad "layer MACs in summary"

exit $fail
