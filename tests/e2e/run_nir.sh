# End-to-end: NIR networks in. `evsim check FILE.nir` prints the graph
# (nodes, shapes, counts, recurrent edges, the evsim layers); the scenario
# configs/nmnist_nir_2x2.yaml (the NIR paper's N-MNIST CNN on the recorded
# sample) runs, reports its prediction, writes a valid trace and is
# byte-identical on a second run; bad NIR input is refused with the file
# and node named; the recurrent braille net runs (configs/nir_braille.yaml).
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
N=tests/data/nir

"$EVSIM" check $N/cnn_sinabs.nir >"$tmp/c.out" 2>&1; rc=$?
check "check cnn_sinabs.nir (rc=$rc)" '[ $rc -eq 0 ]'
check "cnn_sinabs: the first conv's shape and layer" \
  'grep -qE "^  0 +Conv2d +16x16x16 +825 +199712  layer 0 \"1\"" "$tmp/c.out"'
check "cnn_sinabs: an older IF without v_reset" 'grep -qE "^  1 +IF +16x16x16 +8192" "$tmp/c.out"'
check "cnn_sinabs: seven evsim layers" 'grep -q "evsim layers: 7" "$tmp/c.out"'
check "cnn_sinabs: a pool becomes a pass-through layer" \
  'grep -qE "^  4 +SumPool2d +16x8x8 .*pass-through" "$tmp/c.out"'

"$EVSIM" check $N/braille_noDelay_bias_zero.nir >"$tmp/b.out" 2>&1; rc=$?
check "check braille (rc=$rc)" '[ $rc -eq 0 ]'
check "braille: the recurrent edge is shown" \
  'grep -q "lif1.w_rec -> lif1.lif (recurrent)" "$tmp/b.out"'
check "braille: two evsim layers, the recurrent edge a source of its own" \
  'grep -q "evsim layers: 2" "$tmp/b.out" && grep -qE "^    \[0\] lif1.lif .* cuba_lif <- input \+ lif1.lif \(own weights, recurrent: next step\)" "$tmp/b.out"'
check "braille: lif1.w_rec is lif1.lif's own weights" \
  'grep -qE "^  lif1.w_rec +Affine +38 .*layer 0 \"lif1.lif\" \(own weights\)" "$tmp/b.out"'
"$EVSIM" check $N/lif_norse.nir >"$tmp/l.out" 2>&1; rc=$?
check "check lif_norse (rc=$rc)" '[ $rc -eq 0 ] && grep -qE "^  1 +LIF " "$tmp/l.out"'

"$EVSIM" check configs/nmnist_nir_2x2.yaml >"$tmp/s.out" 2>&1; rc=$?
check "check the NIR scenario (rc=$rc: $(tail -2 "$tmp/s.out"))" \
  '[ $rc -eq 0 ] && grep -qE "\[3\] 6 +<- 6 " "$tmp/s.out"'

cp $N/README.md "$tmp/text.nir"
"$EVSIM" check "$tmp/text.nir" >/dev/null 2>"$tmp/e"; rc=$?
check "a file that is not HDF5 (rc=$rc: $(cat "$tmp/e"))" \
  '[ $rc -eq 1 ] && grep -q "not an HDF5 file" "$tmp/e"'

for r in a b; do
  "$EVSIM" run configs/nmnist_nir_2x2.yaml -q --json "$tmp/$r.json" --report "$tmp/$r.txt" \
    --trace "$tmp/$r.pftrace" 2>"$tmp/err"; rc=$?
  check "nmnist_nir_2x2 runs (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ]'
done
check "JSON reports identical" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
check "traces identical" 'cmp -s "$tmp/a.pftrace" "$tmp/b.pftrace"'
check "the text report names the prediction" 'grep -q "^predicted class: [0-9]" "$tmp/a.txt"'
python3 - "$tmp/a.json" <<'PY' || { echo "FAIL: the JSON report lacks figures"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is True
assert r["input_events"]["used"] == 4325, r["input_events"]
assert [l["name"] for l in r["layers"]] == ["1", "3", "4", "6", "7", "10", "12"]
oc = r["output_spike_counts"]
assert len(oc) == 10 and sum(oc) > 0
best = max(range(10), key=lambda i: (oc[i], -i))
assert r["predicted_class"] == best, (r["predicted_class"], oc)
assert r["steps"] == 311, r["steps"]   # 1 ms frames from the first event (654 us)
assert r["energy_total_pj"] > 0 and r["energy_per_sop_pj"] > 0
PY
if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/a.pftrace" 2>&1); rc=$?
  check "trace passes the Perfetto validator: $(printf '%s' "$out" | tail -3)" '[ $rc -eq 0 ]'
else
  echo "SKIP: run_nir: trace validation (no ../shared/tools/perfetto_check.py)"
fi

"$EVSIM" run configs/nir_lif_norse.yaml -q --no-trace --json "$tmp/l.json" --report "$tmp/l.txt" \
  2>"$tmp/e"; rc=$?
check "nir_lif_norse runs (rc=$rc: $(head -c 300 "$tmp/e"))" \
  '[ $rc -eq 0 ] && grep -q "\"output_spike_counts\":\[[1-9][0-9]*\]" "$tmp/l.json"'

# The recurrent braille net on two cores: runs, twice the same report,
# its two layers and seven classes (a recurrent edge the chip cannot take
# is refused in tests/unit/test_nir.c).
for r in a b; do
  "$EVSIM" run configs/nir_braille.yaml -q --no-trace --json "$tmp/br$r.json" \
    --report "$tmp/br$r.txt" 2>"$tmp/e"; rc=$?
  check "nir_braille runs (rc=$rc: $(head -c 300 "$tmp/e"))" '[ $rc -eq 0 ]'
done
check "nir_braille: JSON reports identical" 'cmp -s "$tmp/bra.json" "$tmp/brb.json"'
python3 - "$tmp/bra.json" <<'PY' || { echo "FAIL: nir_braille's JSON report"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is True and r["steps"] == 300, r["steps"]
assert [l["name"] for l in r["layers"]] == ["lif1.lif", "lif2"]
assert r["layers"][0]["spikes"] > 30, r["layers"][0]
oc = r["output_spike_counts"]
assert len(oc) == 7 and sum(oc) == r["layers"][1]["spikes"], oc
PY
exit $fail
