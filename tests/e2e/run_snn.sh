# End-to-end: the event-driven replay configs/nmnist_snn_2x2.yaml -- a
# complete run whose JSON report carries the keys other tools read, a trace
# the validator accepts, byte-identical outputs on a second run, and
# positioned errors on bad event-driven input from `evsim check`.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for r in a b; do
  "$EVSIM" run configs/nmnist_snn_2x2.yaml -q --json "$tmp/$r.json" --report "$tmp/$r.txt" \
    --trace "$tmp/$r.pftrace" 2>"$tmp/err"; rc=$?
  check "nmnist replay runs (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ]'
done
check "JSON reports identical" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
check "text reports identical" 'cmp -s "$tmp/a.txt" "$tmp/b.txt"'
check "traces identical" 'cmp -s "$tmp/a.pftrace" "$tmp/b.pftrace"'
"$EVSIM" run configs/nmnist_snn_2x2.yaml -q --no-trace --json "$tmp/c.json" --report "$tmp/c.txt" \
  2>/dev/null
check "a traced run reports what an untraced one does" 'cmp -s "$tmp/a.json" "$tmp/c.json"'
check "no temporary files left" '[ -z "$(ls "$tmp" | grep "\.tmp$")" ]'

python3 - "$tmp/a.json" <<'PY' || { echo "FAIL: the JSON report lacks figures"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is True
ie = r["input_events"]
assert ie["read"] > 1000 and ie["used"] + sum(ie["skipped"].values()) == ie["read"], ie
assert len(r["layers"]) == 7
for l in r["layers"]:
    assert {"name", "spikes", "synaptic_ops", "neuron_updates"} <= set(l), l
    assert l["neuron_updates"] > 0, l
assert sum(l["synaptic_ops"] for l in r["layers"]) > 0
oc = r["output_spike_counts"]
assert len(oc) == 10 and sum(oc) > 0
best = max(range(10), key=lambda i: (oc[i], -i))
assert r["predicted_class"] == best, (r["predicted_class"], oc)
assert r["energy_total_pj"] > 0 and r["energy_per_sop_pj"] > 0
assert 0 < r["latency_first_output_ps"] <= r["latency_decision_ps"]
assert r["drops"] == 0
PY

if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/a.pftrace" 2>&1); rc=$?
  check "trace passes the Perfetto validator: $(printf '%s' "$out" | tail -3)" '[ $rc -eq 0 ]'
else
  echo "SKIP: run_snn: trace validation (no ../shared/tools/perfetto_check.py)"
fi

# Bad event-driven input: each caught by `evsim check` with file:line:col.
d="$tmp/bad"
mkdir "$d"
cp tests/data/snn/* "$d/"
sed -i "s|../../../configs|$PWD/configs|" "$d"/cpd_1_same_step.yaml
bad() { # name, file to edit, sed expression, expected message (ERE)
  sed "$3" "$d/$2" > "$d/x_$2"
  if [ "$2" = cpd.workload.yaml ]; then
    sed "s/cpd.workload.yaml/x_cpd.workload.yaml/" "$d/cpd_1_same_step.yaml" > "$d/x.yaml"
  else
    cp "$d/x_$2" "$d/x.yaml"
  fi
  err=$("$EVSIM" check "$d/x.yaml" 2>&1 >/dev/null); rc=$?
  pat=$4
  check "$1 refused (rc=$rc: $err)" '[ $rc -ne 0 ] && printf "%s" "$err" | grep -Eq "$pat"'
}
bad "zero timestep" cpd_1_same_step.yaml 's/timestep_us: 1000/timestep_us: 0/' \
  'x.yaml:[0-9]+:[0-9]+: timestep_us: expected a step of at least 1 ps'
bad "unknown neuron model" cpd.workload.yaml 's/model: lif,/model: lifx,/' \
  'workload.yaml:[0-9]+:[0-9]+: \[2\]\.neuron\.model: expected lif \| if'
bad "unknown propagation" cpd_1_same_step.yaml 's/propagation: same_step/propagation: later/' \
  'x.yaml:[0-9]+:[0-9]+: propagation: expected same_step \| next_step'
bad "pool shape that does not fit its source" cpd.workload.yaml \
  's/loop_sizes: \[1, 4, 2, 6, 6, 3, 3\]/loop_sizes: [1, 4, 2, 5, 5, 3, 3]/' \
  'workload.yaml:[0-9]+:[0-9]+: layer pool: its source'
bad "trace sensor larger than the input layer" cpd_1_same_step.yaml \
  "s|trace: events_8x8.csv|trace: $PWD/traces/nmnist_sample.bin, format: nmnist|" \
  'sensor of .* is 34x34, larger than the input layer conv \(8x8\)'
# An NPY of the wrong shape: (3, 3) float32 for a 10 x 36 dense layer.
printf '\x93NUMPY\x01\x00\x76\x00' > "$d/w.npy"
h="{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }"
printf '%-117s\n' "$h" >> "$d/w.npy"
head -c 36 /dev/zero >> "$d/w.npy"
bad "NPY weights of the wrong shape" cpd.workload.yaml \
  's|weights: {scale: 1, seed: 7}|weights: {file: w.npy}|' \
  'workload.yaml:[0-9]+:[0-9]+: layer fc: weights: .*w.npy holds 9 values, the layer takes 360'
bad "spiking layer without a neuron block" cpd.workload.yaml \
  's/  neuron: {model: lif, threshold: 0.25.*$//; s/  input_source: pool//' \
  'layer fc: an event-driven run needs a neuron block'


# The event-driven timeline (README.md "Timelines in Perfetto", event-driven
# runs): per-core bursts and evaluations, queue depth and per-layer spike
# counters; --trace-events adds an instant per input event; a wider
# --trace-gap merges more, so the file shrinks.
if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  "$EVSIM" run configs/nmnist_snn_2x2.yaml -q --json "" --report "" --trace-events \
    --trace "$tmp/ev.pftrace" 2>"$tmp/err"; rc=$?
  check "--trace-events run (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ]'
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/ev.pftrace" 2>&1); rc=$?
  check "--trace-events trace passes the validator: $(printf '%s' "$out" | tail -3)" \
    '[ $rc -eq 0 ]'
  check "one input instant per used event" \
    'printf "%s\n" "$out" | grep -Eq "'"'"'input events'"'"' +slices=0 instants=4325 "'
  a=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/a.pftrace" 2>&1)
  check "core tracks carry slices, queue depth and layer counters" \
    'printf "%s\n" "$a" | grep -Eq "core 3 \(1,1\) seneca'"'"' +slices=[1-9]" &&
     [ "$(printf "%s\n" "$a" | grep -c "'"'"'queue depth'"'"'")" -eq 4 ] &&
     printf "%s\n" "$a" | grep -Eq "'"'"'sfc3'"'"' +samples=[1-9]"'
  "$EVSIM" run configs/nmnist_snn_2x2.yaml -q --json "" --report "" --trace-gap 1ms \
    --trace "$tmp/wide.pftrace" 2>/dev/null
  check "a wider --trace-gap writes a smaller file" \
    '[ "$(stat -c %s "$tmp/wide.pftrace")" -lt "$(stat -c %s "$tmp/a.pftrace")" ]'
fi
err=$("$EVSIM" run configs/nmnist_snn_2x2.yaml -q --trace-gap 1parsec 2>&1); rc=$?
check "a bad --trace-gap is a usage error (rc=$rc: $err)" \
  '[ $rc -eq 2 ] && printf "%s" "$err" | grep -q "trace-gap"'

[ $fail -eq 0 ] && echo "PASS: run_snn"
exit $fail
