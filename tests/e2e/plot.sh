# End-to-end: tools/plot.py turns a sweep's results.csv into a Pareto plot
# and one plot per swept parameter, and a run's JSON report (dense and
# event-driven) into an energy and a utilisation chart, PNG and SVG; a
# file that is neither is refused with exit 1.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
svg() { grep -q "<svg" "$1"; }

"$EVSIM" sweep tests/data/sweep/noc12.yaml --out "$tmp/s" -q -j 2
tools/plot.py sweep "$tmp/s/results.csv" --out "$tmp/p" >"$tmp/list"; rc=$?
check "plot sweep: exit 0 (rc=$rc)" '[ $rc -eq 0 ]'
for f in pareto param_chip_noc_virtual_channels param_chip_noc_vc_depth_flits param_chip_noc_link_latency_cycles; do
  check "plot sweep: $f.png is a PNG" 'png "$tmp/p/$f.png"'
  check "plot sweep: $f.svg is an SVG" 'svg "$tmp/p/$f.svg"'
done
check "plot sweep: lists the 8 files it wrote" '[ $(wc -l <"$tmp/list") -eq 8 ]'
check "plot sweep: the Pareto plot marks the front" 'grep -q "Pareto front" "$tmp/p/pareto.svg"'

"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --no-trace --report "" --json "$tmp/r.json" 2>/dev/null
"$EVSIM" run configs/default.yaml -q --no-trace --report "" --json "$tmp/snn.json" 2>/dev/null
for r in r snn; do
  tools/plot.py report "$tmp/$r.json" --out "$tmp/$r" >/dev/null; rc=$?
  check "plot report $r: exit 0 (rc=$rc)" '[ $rc -eq 0 ]'
  for f in energy utilisation; do
    check "plot report $r: $f.png and $f.svg" 'png "$tmp/$r/$f.png" && svg "$tmp/$r/$f.svg"'
  done
done

tools/plot.py sweep "$tmp/r.json" --out "$tmp/bad" 2>"$tmp/err"; rc=$?
check "plot sweep of a JSON report: exit 1 with a message ($(cat "$tmp/err"))" '[ $rc -eq 1 ] && [ -s "$tmp/err" ]'
tools/plot.py report "$tmp/s/results.csv" --out "$tmp/bad" 2>"$tmp/err"; rc=$?
check "plot report of a CSV: exit 1 with a message" '[ $rc -eq 1 ] && [ -s "$tmp/err" ]'
[ $fail -eq 0 ] && echo "PASS: plot"
exit $fail
