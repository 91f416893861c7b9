# End-to-end: Stream's own files given to evsim unchanged
# (tests/data/stream/c1_resnet18_lbl_rr). `evsim check` summarises the
# accelerator (cores with kind and top memory, the off-chip core, every
# link and bus with the pairs it serves: the bus, listed last, serves all
# 42), the mapping, and a scenario of the three with its scheduler; a bad
# accelerator is refused with positioned errors; `evsim run` with
# `scheduler: stream` gives Stream's own figures for c1 and c3;
# with `scheduler: evsim` the accelerator is placed on a 3x2 mesh and
# Stream's ResNet-18 files run end to end (about 2 s), twice the same.
set -u
fail=0
pass() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }

D=tests/data/stream/c1_resnet18_lbl_rr
out=$("$EVSIM" check "$D/tpu_like_quad_core.yaml" 2>&1); rc=$?
[ $rc -eq 0 ] && pass "check accelerator exits 0" || { bad "check accelerator (rc $rc)"; printf '%s\n' "$out"; }
for want in "chip tpu_like_quad_core (Stream accelerator): 7 cores, 13 connections, core clock 1 GHz (the default: Stream has no clock)" \
            "core 0 tpu_like: compute, 1024 PEs, top memory sram_2MB 16777216 b, from $D/cores/tpu_like.yaml" \
            "core 6 offchip: memory, top memory dram 10000000000 b" \
            "off-chip core 6" \
            "link 3,0: 32 bits/cycle, 0 pJ/bit, serves 0 of its 2 ordered pairs (later entries serve the other 2)" \
            "bus  0,1,2,3,4,5,6: 128 bits/cycle, 0 pJ/bit, serves 42 of its 42 ordered pairs"; do
  has "$out" "$want" && pass "summary: $want" || { bad "summary lacks: $want"; printf '%s\n' "$out"; }
done
out=$("$EVSIM" check "$D/mapping_resnet18_rr_fixed.yaml" 2>&1) && has "$out" "mapping: 43 entries" \
  && pass "check Stream mapping" || { bad "check Stream mapping"; printf '%s\n' "$out"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$PWD
cat > "$tmp/s.yaml" <<EOS
name: c1
chip: $root/$D/tpu_like_quad_core.yaml
workload: $root/$D/resnet18.onnx
mapping: $root/$D/mapping_resnet18_rr_fixed.yaml
mode: lbl
scheduler: stream
EOS
out=$("$EVSIM" check "$tmp/s.yaml" 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" "scheduler stream" && has "$out" "off-chip core 6" \
  && pass "check scenario: scheduler and Stream chip" || { bad "check scenario (rc $rc)"; printf '%s\n' "$out"; }
# scheduler: stream gives Stream's own numbers for its c1 and c3 (Stream
# cb9dfc52's results, ../shared/reference/stream/results/), from the files
# alone: latency, every one of the nine energy terms, CN count; reruns
# byte-identical.
py=/usr/bin/python3
for c in lbl fused; do
  j1="$tmp/$c.1.json" j2="$tmp/$c.2.json"
  t1="$tmp/$c.1.txt" t2="$tmp/$c.2.txt"
  out=$("$EVSIM" run configs/stream_resnet18_quad_$c.yaml --json "$j1" --report "$t1" 2>&1); rc=$?
  "$EVSIM" run configs/stream_resnet18_quad_$c.yaml --json "$j2" --report "$t2" -q >/dev/null 2>&1
  [ $rc -eq 0 ] && has "$out" "Stream's scheduler" && cmp -s "$j1" "$j2" && cmp -s "$t1" "$t2" \
    && pass "run $c with scheduler: stream, twice the same" || { bad "run $c (rc $rc)"; printf '%s\n' "$out" | head; }
  # the loop order of every unique CN shape: the JSON's cost_table (48
  # entries, Stream's cost_lut keys) with each CN's index into it, and
  # the text report's section, a line and its temporal mapping per entry
  # (conv1's as Stream's cost_lut has it: lbl the whole layer off-chip,
  # fused a row)
  if [ $c = lbl ]; then
    conv1='1246944.0 cycles, off-chip I1,I2,O: |{O: [[(FX, 7), (FY, 7)], [(OY, 16), (OY, 7), (OX, 112), (K, 2)], []], W: [[(FX, 7), (FY, 7), (OY, 16), (OY, 7), (OX, 112), (K, 2)], [], []], I: [[(FX, 7), (FY, 7), (OY, 16), (OY, 7), (OX, 112), (K, 2)], []]}'
  else
    conv1_row='11075.0 cycles: |{O: [[(FX, 7), (FY, 7)], [(OX, 7), (OX, 4), (OX, 4), (K, 2)]], W: [[(FX, 7), (FY, 7), (OX, 7), (OX, 4), (OX, 4), (K, 2)], []], I: [[(FX, 7), (FY, 7), (OX, 7), (OX, 4), (OX, 4), (K, 2)]]}'
    conv1=$conv1_row
  fi
  "$py" - "$j1" "$t1" "$conv1" <<'EOP' && pass "$c: cost_table, CN cost indices, loop orders section" || bad "$c: loop orders"
import json, sys
d = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read().split("\nloop orders (per unique CN shape: ")
ct, why = d.get("cost_table", []), []
if len(ct) != 48:
    why.append("cost_table has %d entries" % len(ct))
uses = [0] * len(ct)
for c in d["cns"]:
    k = c.get("cost", -1)
    if not (isinstance(k, int) and 0 <= k < len(ct)):
        why.append("CN %d/%d: cost %r" % (c["layer"], c["sub_id"], k)); break
    e = ct[k]
    uses[k] += 1
    if (e["layer"], e["core"], e["runtime"]) != (c["layer"], c["core"], c["runtime"]):
        why.append("CN %d/%d: entry %d is layer %d core %d" % (c["layer"], c["sub_id"], k, e["layer"], e["core"])); break
if uses != [e["n_cns"] for e in ct] or 0 in uses:
    why.append("n_cns differ from the CNs' indices")
cycles, conv1 = sys.argv[3].split("|")
if ct and (ct[0]["name"], ct[0]["temporal"], ct[0]["shape"]["OX"]) != ("/conv1/Conv", conv1, 112):
    why.append("conv1 entry %s" % ct[0])
if len(txt) != 2 or not txt[1].startswith("%d)\n" % len(ct)):
    why.append("no loop orders section for %d entries" % len(ct))
else:
    lines = txt[1].splitlines()[3:]
    if len(lines) != 2 * len(ct) or lines[1] != "       " + conv1 or cycles not in lines[0]:
        why.append("loop orders section: %s" % lines[:2])
for w in why:
    print("  " + w, file=sys.stderr)
sys.exit(1 if why else 0)
EOP
  if [ $c = lbl ]; then
    want='6817793 48 {"cn_onchip": 737995063.264, "cn_offchip_memory": 3048518000.0}'
  else
    want='6419853 1118 {"cn_onchip": 762269778.304, "cn_offchip_memory": 1825714211.2, "eviction_to_offchip_memory": 25414269.44, "core_to_core_memory": 14257573.12}'
  fi
  "$py" - "$j1" "$want" <<'EOP' && pass "$c: Stream's latency and nine energy terms" || bad "$c: Stream's figures"
import json, sys
d = json.load(open(sys.argv[1]))
lat, n, terms = sys.argv[2].split(" ", 2)
terms = json.loads(terms)
ok = d["latency_cycles"] == float(lat) and d["n_cns"] == int(n) and len(d["cns"]) == int(n)
for k, v in d["energy_terms_pj"].items():
    w = terms.get(k, 0.0)
    ok &= abs(v - w) <= 1e-9 * max(1.0, abs(w))
ok &= len(d["energy_terms_pj"]) == 9
ok &= abs(d["energy_pj"] - sum(d["energy_terms_pj"].values())) <= 1e-6 * d["energy_pj"]
if not ok:
    print(d["latency_cycles"], d["energy_terms_pj"], file=sys.stderr)
sys.exit(0 if ok else 1)
EOP
done
# Stream's Eyeriss-like cases c4 (FSRCNN fused on two cores, one output
# row per CN) and c5 (ResNet-18 fused, K split over four cores), from the
# reference inputs in ../shared (their results are kept apart, so only
# invariants here): they run to the end, every CN of Stream's scheduling
# order (case.json) is scheduled once on its fixed core, the nine terms add
# up to the total, the latency covers every CN; c5's stack id 47 (Flatten,
# no layer) is dropped with the same warning by check and run.
SREF="${SHARED:-../shared}/reference/stream/inputs"
if [ -d "$SREF/c4_fsrcnn_fused_eyeriss_dual" ] && [ -d "$SREF/c5_resnet18_fused_ksplit4_eyeriss_quad" ]; then
  c5_stacks="[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]"
  for i in $(seq 22 48); do c5_stacks="$c5_stacks, [$i]"; done
  c5_stacks="$c5_stacks]"
  for c in c4 c5; do
    if [ $c = c4 ]; then
      d="$SREF/c4_fsrcnn_fused_eyeriss_dual" acc=eyeriss_like_dual_core.yaml onnx=fsrcnn.onnx
      map=mapping_fsrcnn_dual_fixed.yaml stacks="[[0, 1, 2, 3, 4, 5, 6, 7]]"
    else
      d="$SREF/c5_resnet18_fused_ksplit4_eyeriss_quad" acc=eyeriss_like_quad_core.yaml onnx=resnet18.onnx
      map=mapping_resnet18_ksplit4_fixed.yaml stacks="$c5_stacks"
    fi
    printf 'name: %s\nchip: %s/%s\nworkload: %s/%s\nmapping: %s/%s\nscheduler: stream\nmode: fused\nlayer_stacks: %s\n' \
      "$c" "$d" "$acc" "$d" "$onnx" "$d" "$map" "$stacks" > "$tmp/$c.yaml"
    out=$("$EVSIM" run "$tmp/$c.yaml" --json "$tmp/$c.1.json" --report "" --no-trace 2>&1); rc=$?
    "$EVSIM" run "$tmp/$c.yaml" --json "$tmp/$c.2.json" --report "" --no-trace -q >/dev/null 2>&1
    [ $rc -eq 0 ] && has "$out" "Stream's scheduler" && cmp -s "$tmp/$c.1.json" "$tmp/$c.2.json" \
      && pass "$c (eyeriss_like) runs with scheduler: stream, twice the same" \
      || { bad "$c runs (rc $rc)"; printf '%s\n' "$out" | head; }
    "$py" - "$tmp/$c.1.json" "$d/case.json" "$d/$map" <<'EOP' && pass "$c: every CN of Stream's order on its core, terms add up, latency covers the CNs" || bad "$c: report invariants"
import ast, json, re, sys
d = json.load(open(sys.argv[1]))
opts = json.load(open(sys.argv[2]))["options"]
opts = ast.literal_eval(opts) if isinstance(opts, str) else opts
order = [tuple(x) for x in opts["scheduling_order"]]
alloc, name = {}, None   # the mapping's core_allocation by layer name
for line in open(sys.argv[3]):
    m = re.match(r"- name: (.*)", line)
    name = m.group(1).strip() if m else name
    m = re.match(r"\s+core_allocation: \[(.*)\]", line)
    if m:
        alloc[name] = [int(x) for x in m.group(1).split(",")]
cns = d["cns"]
why = []
if d["n_cns"] != len(order) or len(cns) != len(order):
    why.append("CNs %d/%d, Stream's order %d" % (d["n_cns"], len(cns), len(order)))
if sorted((c["layer"], c["sub_id"]) for c in cns) != sorted(order):
    why.append("CN set differs from the scheduling order")
for c in cns:
    # by name, else by operator type (the node name's last part here), else default
    a = alloc.get(c["name"], alloc.get(c["name"].rsplit("/", 1)[-1], alloc["default"]))
    if c["core"] != a[c["group"] % len(a)] or not (c["start"] >= 0 and abs(c["end"] - c["start"] - c["runtime"]) < 1e-6):
        why.append("CN %d/%d: core %d group %d, %s-%s" % (c["layer"], c["sub_id"], c["core"], c["group"], c["start"], c["end"]))
        break
terms = d["energy_terms_pj"]
if len(terms) != 9 or abs(sum(terms.values()) - d["energy_pj"]) > 1e-6 * d["energy_pj"] or min(terms.values()) < 0:
    why.append("energy terms %s, total %s" % (terms, d["energy_pj"]))
if terms["cn_onchip"] <= 0 or d["latency_cycles"] < max(c["end"] for c in cns):
    why.append("latency %s below a CN end" % d["latency_cycles"])
print("  %s: latency %.1f cycles, energy %.3f pJ, %d CNs, %d events" % (
    sys.argv[1].split("/")[-1], d["latency_cycles"], d["energy_pj"], len(cns), d["communication_events"]))
for w in why:
    print("  " + w, file=sys.stderr)
sys.exit(1 if why else 0)
EOP
  done
  w="layer_stacks[27][0]: warning: id 47 is node /Flatten (Flatten), a pass-through, not a layer: dropped from layer_stacks[27]"
  err=$("$EVSIM" check "$tmp/c5.yaml" 2>&1 >/dev/null); out=$("$EVSIM" check "$tmp/c5.yaml" 2>/dev/null); rc=$?
  [ $rc -eq 0 ] && has "$err" "$tmp/c5.yaml:7:" && has "$err" "$w" && has "$out" "[46] [] [48]" \
    && pass "check: c5's stack id 47 dropped with a positioned warning, stack 27 empty as Stream resolves it" \
    || { bad "check c5 stacks (rc $rc)"; printf '%s\n%s\n' "$err" "$out" | tail -4; }
  err=$("$EVSIM" run "$tmp/c5.yaml" --json "" --report "" --no-trace -q 2>&1 >/dev/null)
  has "$err" "evsim run: warning: $tmp/c5.yaml:7:" && has "$err" "id 47 is node /Flatten (Flatten)" \
    && pass "run: the same warning" || { bad "run c5 warning"; printf '%s\n' "$err" | head -3; }
else
  echo "SKIP: Stream's eyeriss cases c4, c5 (no $SREF)"
fi
# The schedule as a timeline: a track per core with its CNs, lanes of the
# transfers and blocks; Perfetto's own reader accepts it.
"$EVSIM" run configs/stream_resnet18_quad_fused.yaml --trace "$tmp/c3.pftrace" -q >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/c3.pftrace" ] && pass "stream schedule trace written" || bad "stream trace (rc $rc)"
# each CN slice carries its cost entry's spatial mapping and loop order:
# conv1's row loop order once per conv1 CN (112)
n=$("$py" -c '
import sys
d = open(sys.argv[1], "rb").read()
print(d.count(sys.argv[2].encode()), b"loop_order" in d and b"spatial" in d)' "$tmp/c3.pftrace" "${conv1_row#*|}")
[ "$n" = "112 True" ] && pass "trace: CN slices with spatial and loop_order args" || bad "trace loop orders: $n"
if [ -f "$SHARED/tools/perfetto_check.py" ]; then
  out=$(/usr/bin/python3 "$SHARED/tools/perfetto_check.py" "$tmp/c3.pftrace" 2>&1); rc=$?
  [ $rc -eq 0 ] && has "$out" "'core 0 (tpu_like)'" && has "$out" "slices=285" && has "$out" "'transfers 1'" \
    && pass "stream trace validates: core tracks and transfers" || { bad "stream trace validation"; printf '%s\n' "$out" | tail; }
else
  echo "SKIP: stream trace validation (no ../shared/tools/perfetto_check.py)"
fi
# Stream's scheduler needs Stream's hardware graph
sed 's#^chip: .*#chip: '"$root"'/configs/hw/seneca_4x4.yaml#' "$tmp/s.yaml" > "$tmp/m.yaml"
err=$("$EVSIM" run "$tmp/m.yaml" --no-trace -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/m.yaml:6:12: scheduler: stream needs a Stream accelerator file as the chip" \
  && pass "scheduler: stream on an evsim chip refused" || { bad "stream on evsim chip (rc $rc)"; printf '%s\n' "$err"; }
err=$("$EVSIM" check "$tmp/m.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/m.yaml:6:12: scheduler: stream needs a Stream accelerator file as the chip" \
  && pass "evsim check refuses it the same way" || { bad "check: stream on evsim chip (rc $rc)"; printf '%s\n' "$err"; }

sed 's/^scheduler: stream$/scheduler: evsim/' "$tmp/s.yaml" > "$tmp/e.yaml"
out=$("$EVSIM" run "$tmp/e.yaml" --no-trace 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" "on chip tpu_like_quad_core (6 cores, 3x2 mesh)" && has "$out" "/fc/Gemm" \
  && pass "run with scheduler: evsim places the chip and completes" || { bad "run scheduler: evsim (rc $rc)"; printf '%s\n' "$out" | head -20; }
out2=$("$EVSIM" run "$tmp/e.yaml" --no-trace 2>&1)
# the mapper's wall time is the one line allowed to differ
strip() { printf '%s\n' "$1" | grep -v 'searched now'; }
[ "$(strip "$out")" = "$(strip "$out2")" ] && pass "run is deterministic" || bad "two runs differ"

# c3 under evsim's scheduler: the plan reads the mapping as Stream does (a
# layer alone in its stack is not tiled, the cores' dataflows are the
# spatial mapping) and costs operands that fit without the DRAM level, so
# there are Stream's 1118 CNs and the stacked CNs take Stream's cycles
# (its cost_lut: conv1 rows 11075, layer1 convolutions 2053).
sed 's#\.\./tests/#'"$PWD"'/tests/#; s/^scheduler: stream$/scheduler: evsim/' \
  configs/stream_resnet18_quad_fused.yaml > "$tmp/c3e.yaml"
"$EVSIM" run "$tmp/c3e.yaml" -q --no-trace --json "$tmp/c3e.json" --report /dev/null 2>/dev/null; rc=$?
got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
cns = {L["name"]: L["cns"][0]["cycles"] for L in r["layers"] if L["cns"]}
print(r["mapper"]["cns"], cns["/conv1/Conv"], cns["/layer1/layer1.0/conv1/Conv"])' "$tmp/c3e.json" 2>&1)
[ $rc -eq 0 ] && [ "$got" = "1118 11075 2053" ] \
  && pass "c3 under scheduler: evsim: Stream's CNs and cycles ($got)" || bad "c3 evsim (rc $rc): $got"

# The accelerator with its off-chip core made a compute core and a link of
# three cores: both reported at their positions, exit 1.
mkdir -p "$tmp/acc"
cp -r "$D/cores" "$tmp/acc/"
sed 's/^offchip_core_id: 6 /offchip_core_id: 3 /; s/cores: \[3, 5\]/cores: [3, 5, 1]/' \
  "$D/tpu_like_quad_core.yaml" > "$tmp/acc/bad.yaml"
err=$("$EVSIM" check "$tmp/acc/bad.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && pass "bad accelerator exits 1" || bad "bad accelerator exits 1 (got $rc)"
has "$err" "bad.yaml:13:18: offchip_core_id: expected a memory core (a core file with type: memory), found core 3 (tpu_like), a compute core" \
  && pass "off-chip core positioned" || { bad "off-chip core message"; printf '%s\n' "$err"; }
has "$err" "bad.yaml:56:12: core_connectivity[11].cores: expected the 2 cores of a link, found 3" \
  && pass "link of 3 cores positioned" || { bad "link message"; printf '%s\n' "$err"; }
rm -r "$tmp/acc/cores"
err=$("$EVSIM" check "$tmp/acc/bad.yaml" 2>&1 >/dev/null)
has "$err" "bad.yaml:5:6: cores.0: core file 'tpu_like.yaml' not found: looked for $tmp/acc/cores/tpu_like.yaml, $tmp/acc/tpu_like.yaml" \
  && pass "missing core file says where it looked" || { bad "missing core file message"; printf '%s\n' "$err"; }
[ $fail -eq 0 ] && echo "PASS: stream_files"
exit $fail
