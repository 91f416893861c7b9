# End-to-end: `evsim sweep`. The results files are the same bytes for -j 1,
# 2 and 4; a sweep killed mid-way and resumed ends with the files of an
# uninterrupted one; a failing point is a row with its error while the
# others run; the mapper never searches again what an earlier point
# searched; each kind of bad input stops the sweep before anything runs,
# naming the sweep file's line and column.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=tests/data/sweep

for j in 1 2 4; do
  "$EVSIM" sweep $D/noc12.yaml --out "$tmp/j$j" -j$j -q; rc=$?
  check "-j $j: exit 0 (rc=$rc)" '[ $rc -eq 0 ]'
done
check "-j1 / -j2 / -j4: results.csv identical" \
  'cmp -s "$tmp/j1/results.csv" "$tmp/j2/results.csv" && cmp -s "$tmp/j1/results.csv" "$tmp/j4/results.csv"'
check "-j1 / -j2 / -j4: results.json identical" \
  'cmp -s "$tmp/j1/results.json" "$tmp/j2/results.json" && cmp -s "$tmp/j1/results.json" "$tmp/j4/results.json"'
check "12 rows and a header" '[ $(wc -l <"$tmp/j1/results.csv") -eq 13 ]'
check "every point ok" '[ $(grep -c ",ok," "$tmp/j1/results.csv") -eq 12 ]'
check "results.json parses with 12 results" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d[\"results\"]) != 12)" "$tmp/j1/results.json"'
# The last point (4 VCs, depth 4, link 4 cycles) is the run of a chip file
# with those values: same latency as `evsim run` of such a copy.
mkdir -p "$tmp/c/hw"
sed 's/virtual_channels: 2/virtual_channels: 4/; s/link_latency_cycles: 1/link_latency_cycles: 4/' \
  configs/hw/seneca_2x2.yaml >"$tmp/c/hw/chip.yaml"
cp configs/hw/seneca_core.yaml "$tmp/c/hw/"
sed "s#^chip: .*#chip: hw/chip.yaml#; s#^workload: #workload: $PWD/configs/#; s#^mapping: #mapping: $PWD/configs/#; /^outputs:/,/^[a-z]/{/^  /d}; s/^outputs:.*//" \
  configs/lenet5_seneca_2x2.yaml >"$tmp/c/s.yaml"
want=$("$EVSIM" run "$tmp/c/s.yaml" -q --no-trace --json "" --report /dev/stdout 2>/dev/null |
  sed -n 's/^latency .*(\([0-9]*\) ps).*/\1/p')
got=$(awk -F, '$1==11 {print $7}' "$tmp/j1/results.csv")
check "point 11 = evsim run of the edited chip (sweep $got ps, run $want ps)" '[ -n "$want" ] && [ "$got" = "$want" ]'
# The cost cache is shared: after the first point no search is repeated.
check "-j1: only point 0 searched the mapper" \
  '[ "$(awk -F, "NR>2 && \$6 != 0" "$tmp/j1/timing.csv" | wc -l)" -eq 0 ] &&
   [ "$(awk -F, "NR==2 {print \$6}" "$tmp/j1/timing.csv")" -gt 0 ]'
check "timing.csv: a row per point" '[ $(wc -l <"$tmp/j2/timing.csv") -eq 13 ]'

# Resume: an existing DIR is refused without --resume; with it nothing reruns.
"$EVSIM" sweep $D/noc12.yaml --out "$tmp/j1" -q 2>"$tmp/err"; rc=$?
check "existing results without --resume: exit 1 (rc=$rc)" '[ $rc -eq 1 ] && grep -q -- "--resume" "$tmp/err"'
"$EVSIM" sweep $D/noc12.yaml --out "$tmp/j1" --resume -j 2 2>"$tmp/err"; rc=$?
check "--resume of a finished sweep: 12 already done ($(tail -1 "$tmp/err"))" \
  '[ $rc -eq 0 ] && grep -q "(12 already done)" "$tmp/err" && cmp -s "$tmp/j1/results.csv" "$tmp/j2/results.csv"'

# Killed mid-way (the whole process group, SIGKILL), then resumed.
"$EVSIM" sweep $D/default24.yaml --out "$tmp/full" -j 2 -q
setsid "$EVSIM" sweep $D/default24.yaml --out "$tmp/killed" -j 1 -q & pid=$!
for _ in $(seq 200); do
  [ -f "$tmp/killed/results.csv" ] && [ $(wc -l <"$tmp/killed/results.csv") -ge 4 ] && break
  sleep 0.02
done
kill -9 -- -$pid 2>/dev/null; wait $pid 2>/dev/null
rows=$(($(wc -l <"$tmp/killed/results.csv") - 1))
check "killed mid-way: some rows written, not all ($rows of 24)" '[ $rows -ge 3 ] && [ $rows -lt 24 ]'
"$EVSIM" sweep $D/default24.yaml --out "$tmp/killed" -j 2 --resume 2>"$tmp/err"; rc=$?
check "resumed: exit 0, the done points skipped ($(tail -1 "$tmp/err"))" \
  '[ $rc -eq 0 ] && grep -q "($rows already done)" "$tmp/err"'
check "resumed: results.csv identical to the uninterrupted sweep" 'cmp -s "$tmp/full/results.csv" "$tmp/killed/results.csv"'
check "resumed: results.json identical to the uninterrupted sweep" 'cmp -s "$tmp/full/results.json" "$tmp/killed/results.json"'
check "no temporary left" '[ -z "$(ls -A "$tmp/killed" | grep -v "^results\.\|^timing.csv$\|^mapper.cache$")" ]'

# A worker killed mid-point: that point fails, the others run; --resume
# runs it again and the files end as those of an uninterrupted sweep.
setsid "$EVSIM" sweep $D/default24.yaml --out "$tmp/crash" -j 2 -q & pid=$!
victim=
for _ in $(seq 200); do
  victim=$(pgrep -P $pid | head -1)
  [ -n "$victim" ] && [ -f "$tmp/crash/results.csv" ] && break
  sleep 0.02
done
[ -n "$victim" ] && kill -9 "$victim"
wait $pid; rc=$?
check "a worker killed: the sweep goes on, exit 4 (rc=$rc)" '[ $rc -eq 4 ]'
check "a worker killed: one failed row saying so" \
  '[ $(grep -c "the worker running it exited before it finished" "$tmp/crash/results.csv") -eq 1 ]'
check "a worker killed: the other 23 ok" '[ $(grep -c ",ok," "$tmp/crash/results.csv") -eq 23 ]'
"$EVSIM" sweep $D/default24.yaml --out "$tmp/crash" -j 2 --resume -q; rc=$?
check "a worker killed, resumed: exit 0, files as uninterrupted (rc=$rc)" \
  '[ $rc -eq 0 ] && cmp -s "$tmp/full/results.csv" "$tmp/crash/results.csv" && cmp -s "$tmp/full/results.json" "$tmp/crash/results.json"'
# --resume of another sweep's folder is refused.
sed 's/\[1, 2, 4\]/[1, 2, 8]/; s#^base: ../../..#base: '"$PWD"'#' $D/noc12.yaml >"$tmp/other.yaml"
"$EVSIM" sweep "$tmp/other.yaml" --out "$tmp/j1" --resume -q 2>"$tmp/err"; rc=$?
check "--resume into another sweep's results: exit 1 ($(cat "$tmp/err"))" \
  '[ $rc -eq 1 ] && grep -q "not a point of this sweep" "$tmp/err"'

# A failing point: its row holds the loader's error, the others run.
"$EVSIM" sweep $D/fail.yaml --out "$tmp/fail" -j 2 -q; rc=$?
check "a failed point: exit 4 (rc=$rc)" '[ $rc -eq 4 ]'
check "points 0 and 2 ok" '[ $(grep -c ",ok," "$tmp/fail/results.csv") -eq 2 ]'
check "point 1 failed with the chip file's error ($(grep "^1," "$tmp/fail/results.csv" | head -c 300))" \
  'grep "^1,0,failed" "$tmp/fail/results.csv" | grep -q "seneca_2x2.yaml:16:21: noc.virtual_channels: expected 1..64, found 0"'

# A group sets several keys per value; an exclude drops a point.
"$EVSIM" sweep $D/group.yaml --out "$tmp/group" -j 2 -q; rc=$?
check "group: exit 0, 3 rows (one excluded) (rc=$rc)" '[ $rc -eq 0 ] && [ $(wc -l <"$tmp/group/results.csv") -eq 4 ]'
off() { awk -F, -v w="$1" -v v="$2" '$2==w && $3==v {print $10}' "$tmp/group/results.csv"; }
check "group: lpddr4 keeps the base's off-chip energy ($(off lpddr4 2) uJ, the base: $(awk -F, '$1==0 {print $9}' "$tmp/fail/results.csv"))" \
  '[ "$(off lpddr4 2)" = "$(awk -F, "\$1==0 {print \$9}" "$tmp/fail/results.csv")" ]'
# LeNet-5 reads its 491,760 weight bits (and the input) from that memory:
# at 3.9 pJ/b and no static power that is ~1.95 uJ against LPDDR4's 8.7.
check "group: hbm2 (no static power, 3.9 pJ/b) spends less off-chip ($(off hbm2 2) uJ)" \
  'awk "BEGIN {exit !($(off hbm2 2) < $(off lpddr4 2) / 4 && $(off hbm2 2) > 1.9)}"'

# Bad input: nothing runs, no DIR is made, the message names the place.
bad() { # NAME PARAMETERS-TEXT EXPECTED-REGEX [OPTIONS]
  printf "base: %s/configs/lenet5_seneca_2x2.yaml\nparameters:\n%b\n" "$PWD" "$2" >"$tmp/$1.yaml"
  "$EVSIM" sweep "$tmp/$1.yaml" --out "$tmp/o_$1" -q $4 2>"$tmp/$1.err"; local rc=$?
  check "bad input $1: exit 1 (rc=$rc), '$3' in: $(head -c 300 "$tmp/$1.err")" \
    "[ $rc -eq 1 ] && grep -qE \"$3\" \"$tmp/$1.err\" && [ ! -e \"$tmp/o_$1\" ]"
}
bad typo "  chip.noc.virtual_chanels: [2, 4]" \
  "typo.yaml:3:3: parameters.chip.noc.virtual_chanels: .*'noc' has no key 'virtual_chanels' \\(did you mean 'virtual_channels'\\?\\)" ""
bad nofile "  chap.noc.virtual_channels: [2, 4]" "nofile.yaml:3:3: .*the file has no key 'chap' \\(did you mean 'chip'\\?\\)" ""
bad index "  chip.memories[3].type: [dram]" "index.yaml:3:3: .*'memories' has 1 entries, \\[3\\] names nothing" ""
bad notfile "  chip.noc.virtual_channels.x: [2]" "notfile.yaml:3:3: .*not a file the key path can go on into" ""
bad type "  chip.noc.virtual_channels: [2, four]" "type.yaml:3:34: .*expected an integer as at .*seneca_2x2.yaml:16:21 .*found four" ""
bad empty "  chip.noc.virtual_channels: []" "empty.yaml:3:30: .*the grid is empty" ""
bad nomap "  mapping: [mappings/lenet5_seneca_2x2.yaml, mappings/nope.yaml]" \
  "nomap.yaml:3:46: .*'mapping' names a file, and there is no file mappings/nope.yaml" ""
bad none "" "empty.yaml|none.yaml:[0-9]+:[0-9]+: parameters: .*(the grid is empty|found nothing)" ""
bad big "  chip.noc.virtual_channels: [1, 2, 3, 4, 5, 6]\n  chip.noc.vc_depth_flits: [1, 2, 3]" \
  "18 points, more than --max-points 10" "--max-points 10"
# Every point's chip goes through run's plausibility check first: the
# point with 500 GHz is refused at its value, naming the range; --force
# runs it.
bad clock "  chip.clock_ghz: [1, 500]" \
  "clock.yaml:3:23: point 1 \\(chip.clock_ghz=500\\): .*seneca_2x2.yaml:[0-9]+:[0-9]+: clock_ghz: 500 GHz is outside the plausible 0.01-10 GHz" ""
"$EVSIM" sweep "$tmp/clock.yaml" --out "$tmp/o_clock_f" -q --force 2>/dev/null; rc=$?
check "--force runs the 500 GHz point (rc=$rc)" '[ $rc -eq 0 ] && [ $(grep -c ",ok," "$tmp/o_clock_f/results.csv") -eq 2 ]'
"$EVSIM" sweep "$tmp/big.yaml" --out "$tmp/o_force" -q --max-points 10 --force -j 2; rc=$?
check "--force runs a sweep beyond --max-points (rc=$rc)" '[ $rc -eq 0 ] && [ $(wc -l <"$tmp/o_force/results.csv") -eq 19 ]'

# evsim check knows a sweep file.
"$EVSIM" check $D/noc12.yaml >"$tmp/chk" 2>&1; rc=$?
check "check SWEEP: 12 points over 3 parameters ($(head -1 "$tmp/chk"))" '[ $rc -eq 0 ] && grep -q "12 points over 3 parameters" "$tmp/chk"'
"$EVSIM" check "$tmp/typo.yaml" >"$tmp/chk" 2>&1; rc=$?
check "check SWEEP with a typo: exit 1, the same message" '[ $rc -eq 1 ] && grep -q "did you mean .virtual_channels" "$tmp/chk"'

[ $fail -eq 0 ] && echo "PASS: sweep"
exit $fail
