# End-to-end: a failed `evsim run` leaves no output file behind, not even
# one it had completed before the failure (the trace is renamed into place
# before the reports are written).
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --trace "$tmp/t.pftrace" --report "$tmp/r.txt" \
  --json "$tmp/no/such/dir/r.json" 2>"$tmp/err"; rc=$?
check "unwritable report: exit 1 (rc=$rc)" '[ $rc -eq 1 ]'
check "unwritable report: one message naming it ($(head -c 200 "$tmp/err"))" \
  'grep -q "r.json" "$tmp/err"'
check "unwritable report: the trace is not left behind" '[ ! -e "$tmp/t.pftrace" ]'
check "unwritable report: nor any temporary" '[ -z "$(ls "$tmp" | grep -v "^err$")" ]'

"$EVSIM" run configs/lenet5_seneca_2x2.yaml -q --trace "$tmp/t.pftrace" --json "$tmp/r.json" \
  --cache "$tmp/c.bin" --report "$tmp/no/r.txt" 2>/dev/null; rc=$?
check "a failed run writes no cache file (rc=$rc)" '[ $rc -eq 1 ] && [ ! -e "$tmp/c.bin" ] &&
  [ ! -e "$tmp/r.json" ] && [ ! -e "$tmp/t.pftrace" ]'

[ $fail -eq 0 ] && echo "PASS: run_outputs"
exit $fail
