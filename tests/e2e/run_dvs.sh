# End-to-end: configs/dvs_snn_4x4.yaml replays a real Prophesee EVT 2.0
# recording (640 x 480, 539,481 events) through a conv SNN on all 16 cores
# of the 4x4 SENECA-like chip. The recording is GPL-2.0 test data kept in
# ../shared (never copied into traces/), so without ../shared this script
# skips, saying so. Checks: a complete run, every event read and used
# (input.scale: 4 pools the sensor onto the 160 x 120 input layer), the
# JSON keys other tools read, byte-identical outputs on a second run, the
# Perfetto validator, and positioned errors from `evsim check` when the
# input options do not fit the sensor.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
rec="$SHARED/reference/events/prophesee_evt2_sample.raw"
if [ ! -f "$rec" ]; then
  echo "SKIP: run_dvs: $rec absent (GPL-2.0 recording, not shipped in traces/)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The scenario reads ../../shared relative to configs/; from a worktree
# elsewhere, point it at $SHARED.
sed "s|trace: ../../shared/reference/events/|trace: $SHARED/reference/events/|" \
  configs/dvs_snn_4x4.yaml > configs/.run_dvs_$$.yaml
scen=configs/.run_dvs_$$.yaml
trap 'rm -rf "$tmp" "$scen"' EXIT

err=$("$EVSIM" check "$scen" 2>&1); rc=$?
check "evsim check accepts the scenario (rc=$rc: $err)" '[ $rc -eq 0 ]'
for r in a b; do
  "$EVSIM" run "$scen" -q --json "$tmp/$r.json" --report "$tmp/$r.txt" \
    --trace "$tmp/$r.pftrace" 2>"$tmp/err"; rc=$?
  check "dvs replay runs (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ]'
done
check "JSON reports identical" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
check "text reports identical" 'cmp -s "$tmp/a.txt" "$tmp/b.txt"'
check "traces identical" 'cmp -s "$tmp/a.pftrace" "$tmp/b.pftrace"'
check "the text report shows the recorded times" \
  'grep -q "recorded 1317888.000000 us .. 1367888.000000 us" "$tmp/a.txt"'

python3 - "$tmp/a.json" <<'PY' || { echo "FAIL: the JSON report lacks figures"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is True
ie = r["input_events"]
assert ie["read"] == 539481 and ie["used"] == 539481 and ie["skipped"] == {}, ie
assert ie["t_first_us"] == 1317888 and ie["t_last_us"] == 1367888, ie
assert r["steps"] == 51, r["steps"]
assert [l["name"] for l in r["layers"]] == ["dconv1", "dpool1", "dconv2", "dpool2", "dfc"]
assert r["layers"][0]["cores"] == 4 and r["layers"][2]["cores"] == 8
for l in r["layers"]:
    assert l["spikes"] > 0 and l["synaptic_ops"] > 0 and l["neuron_updates"] > 0, l
assert len(r["cores"]) == 16 and all(c["packets_in"] > 0 for c in r["cores"])
oc = r["output_spike_counts"]
assert len(oc) == 10 and sum(oc) > 0
assert r["predicted_class"] == max(range(10), key=lambda i: (oc[i], -i))
assert r["energy_total_pj"] > 0 and r["energy_per_sop_pj"] > 0
assert 0 < r["latency_first_output_ps"] <= r["latency_decision_ps"]
PY

if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/a.pftrace" 2>&1); rc=$?
  check "trace passes the Perfetto validator: $(printf '%s' "$out" | tail -3)" '[ $rc -eq 0 ]'
else
  echo "SKIP: run_dvs: trace validation (no $SHARED/tools/perfetto_check.py)"
fi

# Input options that do not fit: refused by `evsim check` at the input block.
bad() { # name, sed expression, expected message (ERE)
  sed "$2" "$scen" > configs/.run_dvs_bad_$$.yaml
  err=$("$EVSIM" check configs/.run_dvs_bad_$$.yaml 2>&1 >/dev/null); rc=$?
  rm -f configs/.run_dvs_bad_$$.yaml
  pat=$3
  check "$1 refused (rc=$rc: $err)" '[ $rc -ne 0 ] && printf "%s" "$err" | grep -Eq "$pat"'
}
bad "a sensor larger than the input layer, no scale" 's/^  scale: 4 .*$//' \
  'run_dvs_bad_[0-9]+\.yaml:[0-9]+:[0-9]+: input\.scale: the sensor of .*prophesee_evt2_sample\.raw is 640x480, larger than the input layer dconv1 \(160x120\) at input\.scale 1 .*set input\.scale to 4'
bad "a scale too small" 's/^  scale: 4 /  scale: 3 /' \
  'input\.scale: .* at input\.scale 3 \(214x160\)'
bad "a crop window off the sensor" 's/^  scale: 4 .*$/  crop: [600, 0, 160, 120]/' \
  'input\.crop: the window \[600, 0, 160, 120\] leaves the sensor'
bad "an unknown polarity mode" 's/^  polarity: split /  polarity: both /' \
  'yaml:[0-9]+:[0-9]+: input\.polarity: expected merge \| split'
bad "a zero scale" 's/^  scale: 4 /  scale: 0 /' 'yaml:[0-9]+:[0-9]+: input\.scale'

[ $fail -eq 0 ] && echo "PASS: run_dvs"
exit $fail
