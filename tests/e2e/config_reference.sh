# End-to-end: every hardware, workload and mapping YAML text of ZigZag's
# reference cases (../shared/reference/zigzag/reference.jsonl) passes
# `evsim check`, and the copies in tests/data/config/zigzag/ are the same
# texts. Skips (visibly) when ../shared is absent.
set -u
ref="${SHARED:-../shared}/reference/zigzag/reference.jsonl"
if [ ! -f "$ref" ]; then echo "SKIP: $ref absent"; exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 absent"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$ref" "$tmp" <<'PY' || { echo "FAIL: cannot extract $ref"; exit 1; }
import json, sys, os
ref, out = sys.argv[1], sys.argv[2]
for n, line in enumerate(open(ref)):
    d = json.loads(line)
    for k in ("hardware_yaml", "hardware_yaml_old_format", "workload_yaml", "mapping_yaml"):
        if d.get(k):
            open(os.path.join(out, "%02d_%s_%s.yaml" % (n, d["case_id"], k)), "w").write(d[k])
PY
fail=0
n=0
for f in "$tmp"/*.yaml; do
  n=$((n+1))
  "$EVSIM" check -q "$f" || { echo "FAIL: check $(basename "$f")"; fail=1; }
  # The same text must be among the copies shipped in tests/data.
  found=0
  for c in tests/data/config/zigzag/*.yaml; do cmp -s "$f" "$c" && { found=1; break; }; done
  [ $found -eq 1 ] || { echo "FAIL: $(basename "$f") has no identical copy in tests/data/config/zigzag"; fail=1; }
done
[ $fail -eq 0 ] && echo "PASS: $n reference YAML texts load and match the copies"
exit $fail
