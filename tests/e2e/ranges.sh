# End-to-end: values that cannot be meant (a 500 GHz clock, a 1000x1000
# mesh) are refused by `evsim check` and `evsim run` with the range and the
# estimate in the message, accepted with --force; unusual values warn; a
# long set-up shows a progress line on stderr, not with -q.
set -u
EVSIM=${EVSIM:-build/evsim}
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp configs/hw/seneca_core.yaml "$t/"
sed -e 's/^clock_ghz: 0.5 /clock_ghz: 500 /' configs/hw/seneca_2x2.yaml > "$t/clk.yaml"
sed -e 's/mesh: \[2, 2\]/mesh: [1000, 1000]/' configs/hw/seneca_2x2.yaml > "$t/mesh.yaml"
sed -e 's/^clock_ghz: 0.5 /clock_ghz: 0.02 /' configs/hw/seneca_2x2.yaml > "$t/slow.yaml"
for f in clk mesh slow; do
  sed -e "s#^chip: .*#chip: $t/$f.yaml#; s#^workload: #workload: $PWD/configs/#;
          s#^mapping: #mapping: $PWD/configs/#; s#dir: ../out#dir: $t/out#" \
      configs/lenet5_seneca_2x2.yaml > "$t/sc_$f.yaml"
done

err=$("$EVSIM" check -q "$t/clk.yaml" 2>&1); rc=$?
check "check refuses a 500 GHz clock (exit 1)" '[ $rc -eq 1 ]'
check "the message gives the range and --force" \
  'printf "%s" "$err" | grep -q "clk.yaml:4:12: clock_ghz: 500 GHz is outside the plausible 0.01-10 GHz (give --force"'
err=$("$EVSIM" check -q --force "$t/clk.yaml" 2>&1); rc=$?
check "check --force accepts it with a warning" \
  '[ $rc -eq 0 ] && printf "%s" "$err" | grep -q "warning: 500 GHz"'
err=$("$EVSIM" check -q "$t/sc_mesh.yaml" 2>&1); rc=$?
check "check refuses a scenario on a 1000x1000 mesh, with the estimate" \
  '[ $rc -eq 1 ] && printf "%s" "$err" | grep -q "noc.mesh: 1000x1000 is beyond the plausible 64x64: 1000000 routers, an estimated 5.4 GiB"'
err=$("$EVSIM" run -q "$t/sc_mesh.yaml" 2>&1); rc=$?
check "run refuses it too, at once (exit 1)" \
  '[ $rc -eq 1 ] && printf "%s" "$err" | grep -q "beyond the plausible 64x64"'
check "a refused run writes nothing" '[ ! -e "$t/out" ]'
err=$("$EVSIM" run -q "$t/sc_slow.yaml" 2>&1); rc=$?
check "an unusual clock warns and runs" \
  '[ $rc -eq 0 ] && printf "%s" "$err" | grep -q "clock_ghz: warning: 0.02 GHz is unusual (chips run at 0.05-5 GHz)"'
err=$("$EVSIM" check "configs/lenet5_seneca_2x2.yaml" 2>&1 >/dev/null)
check "a shipped scenario draws no warning" '! printf "%s" "$err" | grep -q warning'

# the set-up progress line (threshold lowered from 1 s for the test)
err=$(EVSIM_PROGRESS_AFTER=0 "$EVSIM" run --no-trace "$t/sc_slow.yaml" 2>&1 >/dev/null)
check "a set-up longer than the threshold shows a mapping progress line" \
  'printf "%s" "$err" | grep -Eq "^evsim run: mapping: [0-9]+ CNs costed \([0-9]+ searched\), [0-9.]+ s$"'
err=$(EVSIM_PROGRESS_AFTER=0 "$EVSIM" run -q --no-trace "$t/sc_slow.yaml" 2>&1 >/dev/null)
check "-q suppresses it" '! printf "%s" "$err" | grep -q "mapping:"'
err=$("$EVSIM" run --no-trace "$t/sc_slow.yaml" 2>&1 >/dev/null)
check "a quick set-up shows none" '! printf "%s" "$err" | grep -q "mapping:"'

[ $fail -eq 0 ] && echo "PASS: ranges"
