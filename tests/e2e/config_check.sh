# End-to-end: `evsim check` accepts every shipped config, rejects a broken
# one with positioned errors (exit 1), and treats bad usage as exit 2.
set -u
fail=0
pass() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

files=$(find configs -name '*.yaml' | sort)
[ -n "$files" ] || bad "no shipped configs found"
for f in $files; do
  if out=$("$EVSIM" check "$f" 2>&1); then pass "check $f"; else bad "check $f"; printf '%s\n' "$out"; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^  flit_width_bits: 32/  flit_widht_bits: 32/' configs/hw/seneca_2x2.yaml > "$tmp/typo.yaml"
cp configs/hw/seneca_core.yaml "$tmp/"
err=$("$EVSIM" check "$tmp/typo.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && pass "broken chip exits 1" || bad "broken chip exits 1 (got $rc)"
printf '%s' "$err" | grep -q "typo.yaml:15:3: noc.flit_widht_bits: unknown key 'flit_widht_bits' (did you mean 'flit_width_bits'?)" \
  && pass "unknown key positioned with suggestion" || { bad "unknown key message"; printf '%s\n' "$err"; }
printf '%s' "$err" | grep -q "missing key 'flit_width_bits'" && pass "missing key reported too" || bad "missing key reported too"

# A tiling naming a dim the layer lacks fails in `evsim check` (and in
# `evsim run`, before planning) at the tiling entry, not only in the plan.
mkdir -p "$tmp/sc/hw" "$tmp/sc/workloads" "$tmp/sc/mappings"
cp configs/default.yaml "$tmp/sc/"
cp configs/hw/seneca_2x2.yaml configs/hw/seneca_core.yaml "$tmp/sc/hw/"
cp configs/workloads/lenet5.yaml "$tmp/sc/workloads/"
sed '10s/OY, all/OQ, all/' configs/mappings/lenet5_seneca_2x2.yaml > "$tmp/sc/mappings/lenet5_seneca_2x2.yaml"
want="$tmp/sc/mappings/lenet5_seneca_2x2.yaml:10:7: [0].intra_core_tiling[0]: expected one of the loop dims of layer"
err=$("$EVSIM" check "$tmp/sc/default.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && pass "bad tiling: check exits 1" || bad "bad tiling: check exits 1 (got $rc)"
printf '%s' "$err" | grep -qF "$want" && printf '%s' "$err" | grep -qF "found 'OQ'" \
  && pass "bad tiling: check names file:line:col" || { bad "bad tiling: check message"; printf '%s\n' "$err"; }
err=$("$EVSIM" run "$tmp/sc/default.yaml" --no-trace -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && printf '%s' "$err" | grep -qF "$want" \
  && pass "bad tiling: run reports it the same way" || { bad "bad tiling: run message (rc $rc)"; printf '%s\n' "$err"; }

"$EVSIM" check >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass "no FILE exits 2" || bad "no FILE exits 2 (got $rc)"
"$EVSIM" check --bogus configs/default.yaml >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass "unknown option exits 2" || bad "unknown option exits 2 (got $rc)"
"$EVSIM" check --help | grep -q '^usage: evsim check' && pass "--help" || bad "--help"
"$EVSIM" check "$tmp/missing.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "missing file exits 1" || bad "missing file exits 1 (got $rc)"

# The summary names what was understood.
out=$("$EVSIM" check configs/default.yaml)
printf '%s' "$out" | grep -q "chip seneca_2x2: 4 cores on a 2x2 mesh" && pass "scenario summary" || bad "scenario summary"
printf '%s' "$out" | grep -q "\[2\] conv2 .*MACs 240000" && pass "layer MACs in summary" || bad "layer MACs in summary"

exit $fail
