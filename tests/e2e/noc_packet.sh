#!/usr/bin/env bash
# The packet-level NoC model end to end: `evsim noc --model packet`, a bad
# model name, and a chip run whose chip file says `noc: {model: packet}`
# (same packets, deliveries and NoC energy as the flit model; the run's
# latency within 1 %).
set -u
EVSIM=${EVSIM:-build/evsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$EVSIM" noc --model packet --rate 0.2 --json) || fail "evsim noc --model packet"
echo "$out" | grep -q '"model": "packet"' || fail "JSON does not name the model: $out"
echo "$out" | grep -q '"stable": true' || fail "not stable at 0.2: $out"
"$EVSIM" noc --rate 0.2 --json | grep -q '"model"' && fail "flit model output names a model"

"$EVSIM" noc --model pakket >"$tmp/err" 2>&1
[ $? -eq 2 ] || fail "bad --model: expected exit 2"
grep -q "expected flit or packet, found 'pakket'" "$tmp/err" || fail "bad --model message: $(head -1 "$tmp/err")"

cp -r configs traces "$tmp/" || fail "copy"
sed -i 's/^noc:$/noc:\n  model: packet/' "$tmp"/configs/hw/seneca_2x2.yaml
"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --no-trace --json "$tmp/f.json" --report /dev/null \
  2>/dev/null || fail "flit run"
"$EVSIM" run "$tmp/configs/lenet5_seneca_2x2.yaml" -q --no-trace --json "$tmp/p.json" \
  --report /dev/null 2>/dev/null || fail "packet run"
python3 - "$tmp/f.json" "$tmp/p.json" <<'PY' || fail "packet run differs"
import json, sys
f, p = (json.load(open(x)) for x in sys.argv[1:3])
for k in ("packets", "deliveries", "flits_injected", "flit_link_hops"):
    assert f["noc"][k] == p["noc"][k], (k, f["noc"][k], p["noc"][k])
for k in ("noc_router", "noc_link"):
    assert f["energy_pj"][k] == p["energy_pj"][k], (k, f["energy_pj"][k], p["energy_pj"][k])
err = abs(p["latency_ps"] - f["latency_ps"]) / f["latency_ps"]
assert err < 0.01, ("latency", f["latency_ps"], p["latency_ps"])
PY

sed -i 's/  model: packet/  model: pakket/' "$tmp"/configs/hw/seneca_2x2.yaml
"$EVSIM" check "$tmp/configs/lenet5_seneca_2x2.yaml" >"$tmp/err" 2>&1 && fail "check passed a bad model"
grep -q "seneca_2x2.yaml:14:10: noc.model: expected flit or packet, found 'pakket'" "$tmp/err" ||
  fail "check message: $(cat "$tmp/err")"
echo "ok: noc_packet"
