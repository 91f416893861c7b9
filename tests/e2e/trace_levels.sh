#!/usr/bin/env bash
# evsim run's trace levels on a whole network: ResNet-18 on 4x4 (on the
# packet-level NoC, for speed) at the default level stays under 30 MB and
# passes the independent checker; summary is smaller, and only full has
# the per-packet tracks (sources named by core, packets by their data);
# a level that does not exist is a usage error.
set -u
EVSIM=${EVSIM:-build/evsim}
SHARED=${SHARED:-../shared}
CHECK=$SHARED/tools/perfetto_check.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cp -r configs "$tmp/" || fail "copy"
sed -i 's/^noc:$/noc:\n  model: packet/' "$tmp"/configs/hw/seneca_4x4.yaml
sc="$tmp/configs/resnet18_seneca_4x4.yaml"
"$EVSIM" run "$sc" -q --trace "$tmp/d.pftrace" --json /dev/null --report /dev/null 2>/dev/null ||
  fail "default-level run"
size=$(stat -c %s "$tmp/d.pftrace")
[ "$size" -lt 30000000 ] || fail "default trace is $size bytes (limit 30 MB)"
"$EVSIM" run "$sc" -q --trace-level summary --trace "$tmp/s.pftrace" --json /dev/null \
  --report /dev/null 2>/dev/null || fail "summary run"
[ "$(stat -c %s "$tmp/s.pftrace")" -lt "$size" ] || fail "summary not smaller than default"
if [ -x /usr/bin/python3 ] && [ -f "$CHECK" ]; then
  /usr/bin/python3 "$CHECK" "$tmp/d.pftrace" >"$tmp/check" 2>&1 || fail "checker: $(tail -5 "$tmp/check")"
  grep -q "'weights held'" "$tmp/check" || fail "no occupancy counters"
  grep -q "'dram bandwidth in use'" "$tmp/check" || fail "no bandwidth counter"
  grep -q "'from core" "$tmp/check" && fail "per-packet tracks at the default level"
else
  echo "SKIP: $CHECK not found: default trace not validated"
fi
"$EVSIM" run "$sc" -q --trace-level verbose --no-trace >"$tmp/err" 2>&1
[ $? -eq 2 ] || fail "bad --trace-level: expected exit 2"
grep -q "summary, default or full" "$tmp/err" || fail "bad level message: $(head -1 "$tmp/err")"
echo "PASS: trace levels (ResNet-18 default trace $size bytes)"
