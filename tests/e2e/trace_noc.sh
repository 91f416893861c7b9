# End-to-end: `evsim noc --trace` writes Perfetto (and JSON) traces that the
# independent validator accepts, at several loads and both detail levels,
# with a window; the same run gives the same bytes; a bad path or option
# leaves no file. Needs ../shared/tools/perfetto_check.py (skips visibly).
set -u
fail=0
tool="$SHARED/tools/perfetto_check.py"
if [ ! -r "$tool" ] || [ ! -x /usr/bin/python3 ]; then
  echo "SKIP: trace_noc: validator $tool (or /usr/bin/python3) not available"
  exit 0
fi
if ! "$EVSIM" noc --help 2>/dev/null | grep -q -- '--trace FILE'; then
  echo "SKIP: trace_noc: this evsim noc has no --trace option yet"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "PASS: $1"; }
ko() { echo "FAIL: $1"; fail=1; }

# validate NAME FILE [validator options]: the validator must exit 0
validate() {
  name=$1; file=$2; shift 2
  if /usr/bin/python3 "$tool" "$file" "$@" >"$tmp/check.out" 2>&1; then
    ok "$name"
  else
    ko "$name"; grep -E "VIOLATION|^    " "$tmp/check.out" | head -20
  fi
}

noc() { "$EVSIM" noc --mesh 4x4 --warmup-cycles 0 --measure-cycles 2000 "$@" \
        >/dev/null 2>"$tmp/err"; }

for rate in 0.05 0.3 0.6; do
  for level in summary full; do
    f="$tmp/r$rate-$level.pftrace"
    if noc --rate "$rate" --trace "$f" --trace-level "$level"; then
      if [ "$level" = full ]; then
        validate "validator: 4x4 rate $rate $level" "$f" --expect-min-slices 100
      else
        validate "validator: 4x4 rate $rate $level" "$f"
      fi
    else
      ko "evsim noc --rate $rate --trace-level $level exits 0"; cat "$tmp/err"
    fi
  done
done

# the summary leaves out packet slices, the full trace has them
/usr/bin/python3 "$tool" "$tmp/r0.3-summary.pftrace" --json >"$tmp/s.json" 2>/dev/null
/usr/bin/python3 - "$tmp/s.json" <<'PY' && ok "summary has counters and no slices" || ko "summary has counters and no slices"
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["slices"] == 0 and s["counter_samples"] > 100 else 1)
PY

f="$tmp/window.pftrace"
if noc --rate 0.3 --trace "$f" --trace-from 500 --trace-to 1.2us; then
  validate "validator: window 500 cycles .. 1.2us" "$f"
  /usr/bin/python3 "$tool" "$f" --json >"$tmp/w.json" 2>/dev/null
  /usr/bin/python3 - "$tmp/w.json" <<'PY' && ok "window bounds the timestamps" || ko "window bounds the timestamps"
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["ts_min"] >= 500 and s["ts_max"] <= 1200 else 1)
PY
else
  ko "evsim noc with a trace window exits 0"; cat "$tmp/err"
fi

f="$tmp/t.json"
if noc --rate 0.3 --trace-json "$f"; then
  validate "validator: Chrome JSON" "$f"
else
  ko "evsim noc --trace-json exits 0"; cat "$tmp/err"
fi

# Multicast from the command line: one slice per packet, an arrow to each
# copy's delivery, and the run stays stable at this load.
f="$tmp/mc.pftrace"
if "$EVSIM" noc --mesh 4x4 --warmup-cycles 200 --measure-cycles 2000 --rate 0.3 \
     --multicast 0.2:3 --trace "$f" >"$tmp/mc.out" 2>"$tmp/err"; then
  validate "validator: 4x4 rate 0.3 with 20 % multicast to 3" "$f" --expect-min-slices 100
  grep -q "^stable: yes" "$tmp/mc.out" && ok "multicast run is stable at 0.3" \
    || ko "multicast run is stable at 0.3"
  /usr/bin/python3 "$tool" "$f" >"$tmp/mc.check" 2>&1
  arrows=$(sed -n 's/^flow_arrows: *\([0-9]*\).*/\1/p' "$tmp/mc.check")
  [ "${arrows:-0}" -gt 100 ] && ok "multicast deliveries drawn as arrows ($arrows)" \
    || ko "multicast deliveries drawn as arrows (${arrows:-none})"
else
  ko "evsim noc --multicast exits 0"; cat "$tmp/err"
fi
"$EVSIM" noc --multicast 0.1:3 --packet-flits 16 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "exceed a VC buffer" "$tmp/err" \
  && ok "multicast packets longer than a VC buffer refused" \
  || ko "multicast packets longer than a VC buffer refused (got $rc)"

noc --rate 0.3 --seed 7 --trace "$tmp/a.pftrace"
noc --rate 0.3 --seed 7 --trace "$tmp/b.pftrace"
cmp -s "$tmp/a.pftrace" "$tmp/b.pftrace" && ok "same seed, same trace bytes" \
  || ko "same seed, same trace bytes"

noc --trace "$tmp/missing/dir/x.pftrace"; rc=$?
[ $rc -eq 1 ] && [ ! -e "$tmp/missing/dir/x.pftrace" ] && ok "unwritable trace path: exit 1" \
  || ko "unwritable trace path: exit 1 (got $rc)"
noc --trace "$tmp/bad.pftrace" --trace-level verbose; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/bad.pftrace" ] && [ ! -e "$tmp/bad.pftrace.tmp" ] \
  && ok "bad --trace-level: exit 2, no file" || ko "bad --trace-level: exit 2, no file (got $rc)"
noc --trace "$tmp/w2.pftrace" --trace-from 900 --trace-to 100; rc=$?
[ $rc -ne 0 ] && [ ! -e "$tmp/w2.pftrace" ] && ok "empty window refused, no file" \
  || ko "empty window refused, no file (got $rc)"

[ $fail -eq 0 ] && echo "PASS: trace_noc"
exit $fail
