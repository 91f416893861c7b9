# End-to-end: `mpirun -np 3 evsim sweep` (rank 0 coordinates, ranks 1 and
# 2 run points) writes the same results files as `evsim sweep -j 1`, and
# --version says MPI is in. Open MPI runs with --oversubscribe (this
# machine has 2 cores); as root it needs --allow-run-as-root.
set -u
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: no mpirun (tools/deps.sh installs mpi-default-bin)"; exit 0
fi
check "--version says MPI is in ($("$EVSIM" --version | tail -1))" '"$EVSIM" --version | grep -q "^MPI: yes"'
opts=
if mpirun --version 2>&1 | grep -q "Open MPI"; then
  opts=--oversubscribe
  [ "$(id -u)" -eq 0 ] && opts="$opts --allow-run-as-root"
fi
D=tests/data/sweep
# Open MPI's own allocations outlive MPI_Finalize: under an ASan build
# LeakSanitizer would report them (none is evsim's; sweep.sh checks the
# sweep's own memory without MPI).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
"$EVSIM" sweep $D/noc12.yaml --out "$tmp/j1" -j 1 -q
mpirun $opts -np 3 "$EVSIM" sweep $D/noc12.yaml --out "$tmp/mpi" -q; rc=$?
check "mpirun -np 3: exit 0 (rc=$rc)" '[ $rc -eq 0 ]'
check "mpirun -np 3: results.csv identical to -j 1" 'cmp -s "$tmp/j1/results.csv" "$tmp/mpi/results.csv"'
check "mpirun -np 3: results.json identical to -j 1" 'cmp -s "$tmp/j1/results.json" "$tmp/mpi/results.json"'
check "mpirun -np 3: both worker ranks ran points" \
  '[ "$(awk -F, "NR>1 {print \$3}" "$tmp/mpi/timing.csv" | sort -u | tr "\n" " ")" = "0 1 " ]'
# a failing point under MPI: its row, the others run
mpirun $opts -np 3 "$EVSIM" sweep $D/fail.yaml --out "$tmp/mfail" -q 2>"$tmp/mfail.err"; rc=$?
"$EVSIM" sweep $D/fail.yaml --out "$tmp/jfail" -j 1 -q
check "mpirun, a failing point: exit 4 and the rows of -j 1 (rc=$rc)" \
  '[ $rc -eq 4 ] && cmp -s "$tmp/jfail/results.csv" "$tmp/mfail/results.csv"'
# resume under MPI of a sweep begun with -j
head -5 "$tmp/j1/results.csv" >"$tmp/part.csv"; mkdir "$tmp/res"; cp "$tmp/part.csv" "$tmp/res/results.csv"
mpirun $opts -np 3 "$EVSIM" sweep $D/noc12.yaml --out "$tmp/res" --resume -q; rc=$?
check "mpirun --resume of 4 done points: the full files (rc=$rc)" \
  '[ $rc -eq 0 ] && cmp -s "$tmp/j1/results.csv" "$tmp/res/results.csv" && cmp -s "$tmp/j1/results.json" "$tmp/res/results.json"'
[ $fail -eq 0 ] && echo "PASS: sweep_mpi"
exit $fail
