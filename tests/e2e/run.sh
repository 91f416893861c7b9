# End-to-end: `evsim run` on the dense LeNet-5 scenario -- a complete run, a
# report with the figures a user reads, a trace the validator accepts,
# byte-identical outputs on a second run, and clear errors on bad input.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --json "$tmp/a.json" --report "$tmp/a.txt" \
  --trace "$tmp/a.pftrace" 2>"$tmp/err"; rc=$?
check "default scenario runs (rc=$rc: $(head -c 300 "$tmp/err"))" '[ $rc -eq 0 ]'
check "JSON report written" '[ -s "$tmp/a.json" ]'
check "run is complete" 'grep -q "\"complete\":true" "$tmp/a.json"'
check "every layer reported with a loop order" \
  '[ "$(grep -o "\"loop_order\":" "$tmp/a.json" | wc -l)" -ge 7 ]'
check "energy breakdown present" 'grep -q "\"noc_router\":" "$tmp/a.json" && grep -q "\"compute\":" "$tmp/a.json"'
lat=$(sed -n 's/.*"latency_ps":\([0-9]*\).*/\1/p' "$tmp/a.json")
check "latency is positive ($lat ps)" '[ "${lat:-0}" -gt 0 ]'
check "text report names every core" '[ "$(grep -cE "^[0-3] +seneca" "$tmp/a.txt")" -eq 4 ]'
check "no temporary files left" '[ -z "$(ls "$tmp" | grep "\.tmp$")" ]'

# The last layer cannot end before the first starts, and the run not
# before the last layer ends.
python3 - "$tmp/a.json" <<'PY' || { echo "FAIL: layer times are inconsistent"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
prev_end = 0
for l in r["layers"]:
    assert l["start_ps"] < l["end_ps"], l["name"]
    assert l["end_ps"] >= prev_end, l["name"]   # a chain: each after the last
    prev_end = l["end_ps"]
assert prev_end <= r["latency_ps"]
assert abs(sum(l["energy_pj"] for l in r["layers"]) - r["energy_pj"]["compute"]) \
    <= 1e-4 * r["energy_pj"]["compute"]
PY

if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/a.pftrace" 2>&1); rc=$?
  check "trace passes the Perfetto validator: $(printf '%s' "$out" | tail -3)" '[ $rc -eq 0 ]'
else
  echo "SKIP: trace validation (no ../shared/tools/perfetto_check.py)"
fi

# Stopped at 1 ns, before the DRAM's 50 ns latency: nothing has been read,
# so nothing is paid for reading (read energy used to be booked when the
# read was set up: the whole input's 89,292.8 pJ).
"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --max-time 1000 --no-trace --json "$tmp/t.json" \
  --report "$tmp/t.txt" 2>"$tmp/t.err"; rc=$?
check "an INCOMPLETE run exits 3 (rc=$rc)" '[ $rc -eq 3 ]'
check "an INCOMPLETE run says why" 'grep -q "INCOMPLETE: time limit reached (exit status 3)" "$tmp/t.err"'
check "an INCOMPLETE run still writes its report" '[ -s "$tmp/t.json" ] && grep -q INCOMPLETE "$tmp/t.txt"'
check "a run stopped before the memory latency has read nothing" \
  'grep -q "\"offchip_read\":0," "$tmp/t.json" && grep -q "(read 0 bits," "$tmp/t.txt"'

"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --json "$tmp/b.json" --report "$tmp/b.txt" \
  --trace "$tmp/b.pftrace" 2>/dev/null
check "same inputs, identical JSON" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
check "same inputs, identical trace" 'cmp -s "$tmp/a.pftrace" "$tmp/b.pftrace"'

# --cache: the second run finds every CN cost in the file, searches none,
# and reports the same figures.
"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --no-trace --cache "$tmp/c.bin" --json "$tmp/c1.json" 2>/dev/null
"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --no-trace --cache "$tmp/c.bin" --json "$tmp/c2.json" 2>/dev/null
check "cache file written" '[ -s "$tmp/c.bin" ]'
check "first run searches" 'grep -q "\"searched\":[1-9]" "$tmp/c1.json"'
check "second run searches nothing" 'grep -q "\"searched\":0," "$tmp/c2.json"'
check "cached run reports the same" \
  '[ "$(sed "s/\"searched\":[0-9]*//" "$tmp/c1.json")" = "$(sed "s/\"searched\":[0-9]*//" "$tmp/c2.json")" ]'
printf 'not a cache' > "$tmp/bad.bin"
err=$("$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --no-trace --cache "$tmp/bad.bin" 2>&1 >/dev/null); rc=$?
check "a foreign cache file is refused (rc=$rc: $err)" '[ $rc -eq 1 ] && [ -n "$err" ]'

err=$("$EVSIM" run "$tmp/missing.yaml" 2>&1 >/dev/null); rc=$?
check "missing scenario exits 1" '[ $rc -eq 1 ]'
check "missing scenario is named" 'printf "%s" "$err" | grep -q "missing.yaml"'
err=$("$EVSIM" run configs/lenet5_seneca_2x2.yaml --frob 2>&1 >/dev/null); rc=$?
check "unknown option exits 2" '[ $rc -eq 2 ]'
check "unknown option is named" 'printf "%s" "$err" | head -1 | grep -q -- "--frob"'
err=$("$EVSIM" run 2>&1 >/dev/null); rc=$?
check "no scenario exits 2" '[ $rc -eq 2 ]'

# SIGINT / SIGTERM mid-run: exit 130 / 143, a message, no .tmp left
# (ResNet-18 runs for seconds; the trace is being written when the signal
# comes).
for sig in INT TERM; do
  rm -f "$tmp"/s.*
  "$EVSIM" run configs/resnet18_seneca_4x4.yaml -q --trace "$tmp/s.pftrace" --json "$tmp/s.json" \
    --report "$tmp/s.txt" 2>"$tmp/s.err" &
  pid=$!
  for _ in $(seq 50); do [ -e "$tmp/s.pftrace.tmp" ] && break; sleep 0.1; done
  kill -$sig $pid; wait $pid; rc=$?
  want=$([ $sig = INT ] && echo 130 || echo 143)
  check "SIG$sig exits $want (rc=$rc)" '[ $rc -eq $want ]'
  check "SIG$sig says what was interrupted" 'grep -q "^evsim run: .* by SIG$sig; temporary outputs removed" "$tmp/s.err"'
  check "SIG$sig leaves no temporary or partial output" '[ -z "$(ls "$tmp" | grep "^s\.\(pftrace\|json\|txt\)")" ]'
done

# A spiking workload is refused with a reason, not run wrongly.
sed 's#workloads/lenet5.yaml#workloads/snn_lenet5_nmnist.yaml#; s#lenet5_seneca_2x2.yaml#snn_lenet5_seneca_2x2.yaml#' \
  configs/lenet5_seneca_2x2.yaml > configs/.e2e_snn.yaml
err=$("$EVSIM" run configs/.e2e_snn.yaml -q --no-trace --json "$tmp/s.json" 2>&1 >/dev/null); rc=$?
rm -f configs/.e2e_snn.yaml
check "spiking workload exits 1" '[ $rc -eq 1 ]'
check "spiking workload says why ($err)" 'printf "%s" "$err" | grep -q "spiking layer"'

[ $fail -eq 0 ] && echo "PASS: run"
exit $fail
