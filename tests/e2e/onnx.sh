# End-to-end: ONNX workloads. `evsim check FILE.onnx` summarises Stream's
# ResNet-18 example (tests/data/onnx/resnet18.onnx): 48 layers numbered as
# Stream numbers them, conv1's loops, the Adds' two producers, the
# Flatten passed through, 1.819 G MACs; bad ONNX input (not ONNX,
# truncated, empty, an unsupported op) is refused with exit 1 and a clear
# message; a scenario with `workload: NET.onnx` and a mapping naming ONNX
# node names runs end to end on a chip (a pytorch-converted model from
# Debian's libonnx-testdata; SKIP without it) and twice gives the same
# report; Stream's ResNet-18 scenario (tests/data/onnx/resnet18_seneca_4x4.yaml,
# a minute of simulation) is checked, not run.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=tests/data/onnx
PTC=/usr/share/libonnx-testdata/data/pytorch-converted

"$EVSIM" check $D/resnet18.onnx >"$tmp/c.out" 2>&1; rc=$?
check "check resnet18.onnx (rc=$rc)" '[ $rc -eq 0 ]'
check "resnet18: 48 layers" 'grep -q "^  evsim layers: 48$" "$tmp/c.out"'
check "resnet18: conv1's loops" \
  'grep -q "^    \[0\] /conv1/Conv Conv B=1 K=64 G=1 OX=112 C=3 FX=7 OY=112 FY=7  MACs 118013952  <- input$" "$tmp/c.out"'
check "resnet18: an Add reads two layers" \
  'grep -q "^    \[6\] /layer1/layer1.0/Add Add B=1 H=64 D=56 K=56  MACs 200704  <- W:5 I:2$" "$tmp/c.out"'
check "resnet18: the Gemm reads the pool through the Flatten (id 47)" \
  'grep -q "^    \[48\] /fc/Gemm Gemm D=1 C=512 K=1000  MACs 512000  <- I:46$" "$tmp/c.out" && grep -q "passed through: \[47\] /Flatten (Flatten)" "$tmp/c.out"'
check "resnet18: total MACs" 'grep -q "total: 1818965504 MACs (1.819 G)" "$tmp/c.out"'

# bad input
head -c 9000 $D/resnet18.onnx >"$tmp/trunc.onnx"
: >"$tmp/empty.onnx"
cp configs/default.yaml "$tmp/yaml.onnx"
for f in trunc empty yaml; do
  "$EVSIM" check "$tmp/$f.onnx" >"$tmp/$f.out" 2>&1; rc=$?
  check "$f.onnx refused (rc=$rc)" '[ $rc -eq 1 ] && grep -q "$tmp/$f.onnx: not an ONNX model" "$tmp/$f.out"'
done
sed 's/Gemm/Gemx/g' $D/resnet18.onnx >"$tmp/unsup.onnx"
"$EVSIM" check "$tmp/unsup.onnx" >"$tmp/u.out" 2>&1; rc=$?
check "an unsupported op is listed with its node (rc=$rc)" \
  '[ $rc -eq 1 ] && grep -q "unsupported ONNX op: Gemx (/fc/Gemx)" "$tmp/u.out"'

"$EVSIM" check $D/resnet18_seneca_4x4.yaml >"$tmp/s.out" 2>&1; rc=$?
check "the ResNet-18 ONNX scenario checks (rc=$rc)" \
  '[ $rc -eq 0 ] && grep -q "workload: 48 layers, 1818965504 MACs" "$tmp/s.out"'

if [ -f $PTC/test_Conv2d_strided/model.onnx ]; then
  cat >"$tmp/map.yaml" <<'EOM'
- name: default
  core_allocation: [0, 1, 2, 3]
  inter_core_tiling: ['K, *']
  spatial_mapping: {D1: [K, 8]}
  memory_operand_links: {O: O, W: I2, I: I1}
- name: Conv_0
  core_allocation: [0, 1]
  intra_core_tiling: ['OY, all']
  inter_core_tiling: ['K, *']
  spatial_mapping: {D1: [K, 8]}
  memory_operand_links: {O: O, W: I2, I: I1}
EOM
  cat >"$tmp/sc.yaml" <<EOM
name: onnx_conv
chip: $PWD/configs/hw/seneca_2x2.yaml
workload: $PTC/test_Conv2d_strided/model.onnx
mapping: map.yaml
seed: 1
outputs: {dir: out, report_json: r.json}
EOM
  "$EVSIM" run "$tmp/sc.yaml" >"$tmp/r1.out" 2>&1; rc=$?
  check "a scenario with an ONNX workload runs (rc=$rc)" \
    '[ $rc -eq 0 ] && grep -q "^scenario onnx_conv: .*model.onnx on chip seneca_2x2" "$tmp/r1.out"'
  check "the ONNX node name is the layer's, on the cores its mapping entry names" \
    'grep -q "\"name\":\"Conv_0\"" "$tmp/out/r.json" && grep -qE "^  Conv_0 part 0 " "$tmp/r1.out"'
  cp "$tmp/out/r.json" "$tmp/r1.json"
  "$EVSIM" run "$tmp/sc.yaml" >"$tmp/r2.out" 2>&1
  sed -E 's/"(wall_s|mapper_wall_s|wall_time_s)":[0-9.eE+-]+//g' "$tmp/r1.json" >"$tmp/a.json"
  sed -E 's/"(wall_s|mapper_wall_s|wall_time_s)":[0-9.eE+-]+//g' "$tmp/out/r.json" >"$tmp/b.json"
  check "the ONNX scenario is deterministic" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
else
  echo "SKIP: onnx scenario run (needs $PTC, Debian's libonnx-testdata)"
fi
[ $fail -eq 0 ] && echo "PASS: onnx"
exit $fail
