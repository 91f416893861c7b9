# End-to-end: the CLI skeleton -- help, version, and usage errors exit 2.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }

out=$("$EVSIM" --help); rc=$?
check "--help exits 0" '[ $rc -eq 0 ]'
check "--help shows usage" 'printf "%s" "$out" | grep -q "^usage: evsim"'

out=$("$EVSIM" --version); rc=$?
check "--version exits 0" '[ $rc -eq 0 ]'
check "--version prints a version" 'printf "%s" "$out" | grep -Eq "^evsim [0-9]+\.[0-9]+\.[0-9]+$"'

err=$("$EVSIM" frobnicate 2>&1 >/dev/null); rc=$?
check "unknown command exits 2" '[ $rc -eq 2 ]'
check "unknown command is named" 'printf "%s" "$err" | head -1 | grep -q "unknown command .frobnicate."'

err=$("$EVSIM" --bogus 2>&1 >/dev/null); rc=$?
check "unknown option exits 2" '[ $rc -eq 2 ]'
check "unknown option is named" 'printf "%s" "$err" | head -1 | grep -q "unknown option .--bogus."'

"$EVSIM" >/dev/null 2>&1; rc=$?
check "no command exits 2" '[ $rc -eq 2 ]'

[ $fail -eq 0 ] && echo "PASS: cli"
exit $fail
