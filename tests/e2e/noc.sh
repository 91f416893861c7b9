# End-to-end: evsim noc -- defaults, JSON keys, determinism, sweep, bad
# input (exit 2), deadlock report (exit 1).
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: noc: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$EVSIM" noc --help > "$tmp/help"; rc=$?
check "--help exits 0" '[ $rc -eq 0 ] && grep -q "^usage: evsim noc" "$tmp/help"'
"$EVSIM" --help | grep -q "^  noc " ; check "noc listed in evsim --help" '[ $? -eq 0 ]'
# Defaults in the help come from the model's structs (BookSim's router).
check "--help shows the model's VC defaults" \
  'grep -q -- "--virtual-channels N .*(default 16)" "$tmp/help" && grep -q -- "--vc-depth-flits N .*(default 8)" "$tmp/help"'
check "--help shows routing and credit delay defaults" \
  'grep -q -- "--routing R .*(default xy)" "$tmp/help" && grep -A1 -- "--credit-delay-cycles N" "$tmp/help" | grep -q "(default 0)"'

"$EVSIM" noc > "$tmp/bare"; rc=$?
check "bare run exits 0" '[ $rc -eq 0 ]'
check "bare run is BookSim's 4x4 uniform 1-flit at 0.1" \
  'grep -q "^mesh 4x4, uniform traffic, 1-flit packets, offered 0.1 " "$tmp/bare"'
check "bare run is stable" 'grep -q "^stable: yes" "$tmp/bare"'

"$EVSIM" noc --mesh 3x5 --traffic bitcomp --packet-flits 2 --rate 0.2 \
  --measure-cycles 3000 --seed 9 --json > "$tmp/a.json"; rc=$?
check "json run exits 0" '[ $rc -eq 0 ]'
check "json has the keys" '/usr/bin/python3 - "$tmp/a.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("mesh", "traffic", "packet_flits", "offered_rate",
          "mean_packet_latency_cycles", "accepted_flit_rate", "mean_hops",
          "stable"):
    assert k in d, k
assert d["mesh"] == "3x5" and d["traffic"] == "bitcomp"
assert d["packet_flits"] == 2 and d["stable"] is True
assert abs(d["accepted_flit_rate"] - 0.2) < 0.03
PY'
"$EVSIM" noc --mesh 3x5 --traffic bitcomp --packet-flits 2 --rate 0.2 \
  --measure-cycles 3000 --seed 9 --json > "$tmp/b.json"
check "same seed, same bytes" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
"$EVSIM" noc --mesh 3x5 --traffic bitcomp --packet-flits 2 --rate 0.2 \
  --measure-cycles 3000 --seed 10 --json > "$tmp/c.json"
check "other seed, other result" '! cmp -s "$tmp/a.json" "$tmp/c.json"'

"$EVSIM" noc --mesh 3x3 --traffic hotspot --hotspot 4 --measure-cycles 2000 \
  --sweep --sweep-step 0.2 --sweep-tol 0.05 > "$tmp/sweep.csv"; rc=$?
check "sweep exits 0" '[ $rc -eq 0 ]'
check "sweep CSV header" \
  '[ "$(head -1 "$tmp/sweep.csv")" = "offered_rate,stable,mean_packet_latency_cycles,accepted_flit_rate" ]'
check "sweep has stable and unstable points" \
  'grep -q "^[0-9.]*,1," "$tmp/sweep.csv" && grep -q "^[0-9.]*,0," "$tmp/sweep.csv"'
check "sweep reports saturation" 'grep -q "^# saturation: offered_rate=" "$tmp/sweep.csv"'

# Other pipeline and two terminals per router: the fastest packet (same
# router) takes 1 + inject 1 + router (2+1+1+1) + eject 1 = 8 cycles.
"$EVSIM" noc --terminals-per-router 2 --router-stage-cycles 2,1,1,1 --link-latency-cycles 2 \
  --rate 0.01 --json > "$tmp/p.json"; rc=$?
check "pipeline options exit 0" '[ $rc -eq 0 ]'
check "pipeline options set the zero-load latency" \
  'grep -q "\"min_packet_latency_cycles\": 8," "$tmp/p.json"'

# Credits that come back late starve shallow buffers: same load, less
# accepted, longer latency.
"$EVSIM" noc --virtual-channels 1 --vc-depth-flits 2 --rate 0.2 --measure-cycles 2000 \
  --json > "$tmp/c0.json"
"$EVSIM" noc --virtual-channels 1 --vc-depth-flits 2 --rate 0.2 --measure-cycles 2000 \
  --credit-delay-cycles 4 --json > "$tmp/c4.json"; rc=$?
check "--credit-delay-cycles exits 0" '[ $rc -eq 0 ]'
check "credit delay lowers accepted throughput" '/usr/bin/python3 - "$tmp/c0.json" "$tmp/c4.json" <<PY
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert b["accepted_flit_rate"] < a["accepted_flit_rate"]
assert b["mean_packet_latency_cycles"] > a["mean_packet_latency_cycles"]
PY'

# Energy: one flit, one router, no link on a 1x1 mesh.
"$EVSIM" noc --mesh 1x1 --energy-per-flit-hop-pj 2.5 --energy-per-bit-link-pj 1 \
  --flit-width-bits 32 --clock-ghz 2 --rate 0.5 --json > "$tmp/e.json"; rc=$?
check "energy options exit 0" '[ $rc -eq 0 ]'
check "energy counts router traversals only on 1x1" '/usr/bin/python3 - "$tmp/e.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["link_energy_pj"] == 0
assert d["router_energy_pj"] > 0 and d["router_energy_pj"] % 2.5 == 0
PY'

"$EVSIM" noc --mesh 2x2 --measure-cycles 1000 --sweep --sweep-step 0.5 \
  --sweep-tol 0.2 --json > "$tmp/sweep.json"; rc=$?
check "sweep --json exits 0" '[ $rc -eq 0 ]'
check "sweep --json has points and a stable saturation point" \
  '/usr/bin/python3 - "$tmp/sweep.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
rates = [p["offered_rate"] for p in d["points"]]
assert rates == sorted(rates) and len(rates) >= 2
assert d["saturation"]["stable"] is True
assert d["saturation"]["offered_rate"] in rates
PY'

bad() {  # description, args...
  local what=$1; shift
  "$EVSIM" noc "$@" > /dev/null 2> "$tmp/err"; local rc=$?
  check "$what exits 2" '[ $rc -eq 2 ]'
  check "$what: one-line error" '[ "$(grep -c "^evsim noc: " "$tmp/err")" -ge 1 ]'
}
bad "mesh 0x4" --mesh 0x4
bad "mesh too big for memory" --mesh 1024x1024
bad "rate 0" --rate 0
bad "rate 1.5" --rate 1.5
bad "rate not a number" --rate fast
bad "0-flit packets" --packet-flits 0
bad "VC depth 0" --vc-depth-flits 0
bad "0 VCs" --virtual-channels 0
bad "clock 0 GHz" --clock-ghz 0
bad "negative energy" --energy-per-flit-hop-pj -1
bad "hotspot outside the mesh" --traffic hotspot --hotspot 16
bad "transpose on a non-square mesh" --mesh 4x2 --traffic transpose
bad "unknown traffic" --traffic tornado
bad "unknown option" --bogus
bad "bad stages" --router-stage-cycles 1,1,1
bad "missing value" --rate
bad "unknown routing" --routing zigzag
bad "credit delay beyond the limit" --credit-delay-cycles 2000000
# One name per value: the old spellings are gone (chip key = option name).
bad "old spelling --vc-buf" --vc-buf 4
bad "old spelling --vcs" --vcs 4

"$EVSIM" noc --routing xyyx --virtual-channels 1 --vc-depth-flits 1 --packet-flits 4 --rate 0.9 \
  --seed 3 --deadlock-cycles 200 > /dev/null 2> "$tmp/dl"; rc=$?
check "deadlock exits 1" '[ $rc -eq 1 ]'
check "deadlock names routers" 'grep -q "deadlock.*routers holding flits ([0-9]*): [0-9]" "$tmp/dl"'

[ $fail -eq 0 ] && echo "PASS: noc"
exit $fail
