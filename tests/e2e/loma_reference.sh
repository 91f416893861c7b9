#!/usr/bin/env bash
# Runs every ZigZag reference case (tests/data/loma/reference.jsonl, a copy
# of ../shared/reference/zigzag/reference.jsonl: the YAML texts and ZigZag's
# results) through `evsim map --json` and requires latency and energy within
# 0.5 % of ZigZag's (exact is expected, and is what evsim gives on all 20
# cases: the ordering ZigZag chose is also the one evsim chooses, at the
# same enumeration index). Prints the per-case gaps.
set -u
EVSIM=${EVSIM:-build/evsim}
DATA=tests/data/loma/reference.jsonl
[ -f "$DATA" ] || { echo "FAIL: $DATA missing"; exit 1; }
python3 - "$EVSIM" "$DATA" "${LOMA_REF_VERBOSE:-0}" <<'PY'
import json, os, subprocess, sys, tempfile
evsim, data, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
fails = 0; worst = 0.0; n = 0; exact = 0
with tempfile.TemporaryDirectory() as td:
    for line in open(data):
        c = json.loads(line); n += 1
        paths = {}
        for k in ("hardware_yaml", "workload_yaml", "mapping_yaml"):
            p = os.path.join(td, c["case_id"] + "." + k + ".yaml")
            open(p, "w").write(c[k]); paths[k] = p
        cmd = [evsim, "map", "--hw", paths["hardware_yaml"], "--workload", paths["workload_yaml"],
               "--mapping", paths["mapping_yaml"], "--criterion", c["criterion"],
               "--lpf-limit", str(c["lpf_limit"]), "--json"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL: %s: evsim map exited %d: %s" % (c["case_id"], r.returncode, r.stderr.strip()))
            fails += 1; continue
        got = json.loads(r.stdout.splitlines()[0]); ref = c["results"]
        gl = abs(got["latency_cycles"] - ref["latency_total2_cycles"]) / ref["latency_total2_cycles"]
        ge = abs(got["energy_pj"] - ref["energy_total_pJ"]) / ref["energy_total_pJ"]
        worst = max(worst, gl, ge)
        ok = gl <= 0.005 and ge <= 0.005
        # the search space must be ZigZag's: same LPFs, same permutations
        ok = ok and got["orderings_evaluated"] == ref["nb_temporal_mappings_evaluated"]
        exact += ok
        tag = "PASS" if ok else "FAIL"
        print("%s: %s latency %.0f (zigzag %.0f, gap %.4f%%) energy %.1f (zigzag %.1f, gap %.4f%%) "
              "orderings %d (zigzag %d) chosen #%d (zigzag #%d)" % (
              tag, c["case_id"], got["latency_cycles"], ref["latency_total2_cycles"],
              100 * gl, got["energy_pj"], ref["energy_total_pJ"], 100 * ge, got["orderings_evaluated"],
              ref["nb_temporal_mappings_evaluated"], got["chosen_index"],
              ref.get("chosen_ordering_index_in_enumeration", -1)))
        if verbose and not ok:
            print(json.dumps(got, indent=None)[:3000])
        fails += not ok
print("loma reference: %d/%d cases within 0.5%% (latency and energy), worst gap %.4f%%" % (exact, n, 100 * worst))
sys.exit(1 if fails else 0)
PY
