# End-to-end: Stream's own files given to evsim unchanged
# (tests/data/stream/c1_resnet18_lbl_rr). `evsim check` summarises the
# accelerator (cores with kind and top memory, the off-chip core, every
# link and bus with the pairs it serves: the bus, listed last, serves all
# 42), the mapping, and a scenario of the three with its scheduler; a bad
# accelerator is refused with positioned errors; `evsim run` with
# `scheduler: stream` says the Stream scheduler is not in this build (exit 1);
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
err=$("$EVSIM" run "$tmp/s.yaml" --no-trace -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/s.yaml:6:12: scheduler: stream: the Stream scheduler is not in this build yet" \
  && pass "run refuses scheduler: stream" || { bad "run scheduler: stream (rc $rc)"; printf '%s\n' "$err"; }

sed 's/^scheduler: stream$/scheduler: evsim/' "$tmp/s.yaml" > "$tmp/e.yaml"
out=$("$EVSIM" run "$tmp/e.yaml" --no-trace 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" "on chip tpu_like_quad_core (6 cores, 3x2 mesh)" && has "$out" "/fc/Gemm" \
  && pass "run with scheduler: evsim places the chip and completes" || { bad "run scheduler: evsim (rc $rc)"; printf '%s\n' "$out" | head -20; }
out2=$("$EVSIM" run "$tmp/e.yaml" --no-trace 2>&1)
# the mapper's wall time is the one line allowed to differ
strip() { printf '%s\n' "$1" | grep -v 'searched now'; }
[ "$(strip "$out")" = "$(strip "$out2")" ] && pass "run is deterministic" || bad "two runs differ"

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
