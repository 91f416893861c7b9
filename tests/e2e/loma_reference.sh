#!/usr/bin/env bash
# Runs every ZigZag reference case (tests/data/loma/reference.jsonl, a copy
# of ../shared/reference/zigzag/reference.jsonl: the YAML texts and ZigZag's
# results) through `evsim map --json` and requires latency and energy within
# 0.5 % of ZigZag's (exact is expected, and is what evsim gives on all 24
# cases: the ordering ZigZag chose is also the one evsim chooses, at the
# same enumeration index). It also compares the LPF set and the chosen
# ordering, the chosen loops per operand
# and memory level, the orderings evaluated, the
# latency's parts (ideal, stall, on-/off-loading) and the energy of every
# operand at every memory level per direction; then costs ZigZag's chosen
# ordering given as the mapping's temporal_ordering, which must give the
# same figures. Prints the per-case gaps.
set -u
EVSIM=${EVSIM:-build/evsim}
DATA=tests/data/loma/reference.jsonl
[ -f "$DATA" ] || { echo "FAIL: $DATA missing"; exit 1; }
# Cases added to the shared reference later are checked too (the shared
# copy wins for a case id in both).
SHARED_REF="${SHARED:-../shared}/reference/zigzag/reference.jsonl"
if [ -f "$SHARED_REF" ]; then
  echo "using $DATA and $SHARED_REF"
else
  echo "SKIP: $SHARED_REF not found; checking the project's copy only"
  SHARED_REF=""
fi
python3 - "$EVSIM" "$DATA" "${LOMA_REF_VERBOSE:-0}" "$SHARED_REF" <<'PY'
import json, os, re, subprocess, sys, tempfile
evsim, data, verbose, shared = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
cases = {}
for path in [data] + ([shared] if shared else []):
    for line in open(path):
        if line.strip():
            c = json.loads(line)
            cases[c["case_id"]] = c
fails = 0; worst = 0.0; n = 0; exact = 0
with tempfile.TemporaryDirectory() as td:
    for c in cases.values():
        n += 1
        paths = {}
        for k in ("hardware_yaml", "workload_yaml", "mapping_yaml"):
            p = os.path.join(td, c["case_id"] + "." + k + ".yaml")
            text = c.get(k) or c.get(k + "_old_format") or ""
            open(p, "w").write(text); paths[k] = p
        cmd = [evsim, "map", "--hw", paths["hardware_yaml"], "--workload", paths["workload_yaml"],
               "--mapping", paths["mapping_yaml"], "--criterion", c.get("criterion", "latency"),
               "--lpf-limit", str(c.get("lpf_limit", 6)), "--json"]
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
        if "nb_temporal_mappings_evaluated" in ref:
            ok = ok and got["orderings_evaluated"] == ref["nb_temporal_mappings_evaluated"]
        # the latency's parts: ideal cycles, stalls, on- and off-loading
        for k, zk in (("ideal_cycles", "ideal_cycle"), ("ideal_temporal_cycles", "ideal_temporal_cycle"),
                      ("stall_cycles", "stall_slack_comb_cycles"), ("onload_cycles", "data_onloading_cycles"),
                      ("offload_cycles", "data_offloading_cycles")):
            if zk in ref and abs(got[k] - ref[zk]) > 0.005 * abs(ref[zk]) + 1e-6:
                print("  %s %s: %.6g, zigzag %.6g" % (c["case_id"], k, got[k], ref[zk]))
                ok = False
        # the LPF set ZigZag enumerated and the ordering it chose
        mine = [[d, round(f)] for d, f in got["ordering"]]
        lpfs = (ref.get("loma") or [{}])[0].get("lpfs_after_limit")
        if lpfs is not None and sorted(mine) != sorted(lpfs):
            print("  %s LPFs: %s, zigzag %s" % (c["case_id"], sorted(mine), sorted(lpfs)))
            ok = False
        want = ref.get("chosen_ordering_inner_to_outer")
        if want is not None and mine != want:
            print("  %s ordering: %s, zigzag %s" % (c["case_id"], mine, want))
            ok = False
        # the chosen mapping itself: each operand's loops per memory level
        # (after the stationary merge-down), as ZigZag chose them
        for op, levels in got["temporal_mapping"].items():
            mine = [[[d, round(f)] for d, f in lvd["loops"]] for lvd in levels]
            want = ref.get("temporal_mapping_per_level_stationary_merged", {}).get(op)
            if want is not None and mine != want:
                print("  %s %s loops: %s, zigzag %s" % (c["case_id"], op, mine, want))
                ok = False
        # and the energy of every operand at every memory level, per direction
        dirs = {"tl": "rd_out_to_low", "fl": "wr_in_by_low", "th": "rd_out_to_high", "fh": "wr_in_by_high"}
        for op, levels in got["temporal_mapping"].items():
            for lvd in levels:
                want = ref.get("mem_energy_breakdown_by_direction_pJ", {}).get(op, {}).get(lvd["memory"])
                for d, zz in (dirs.items() if want else ()):
                    g = lvd["energy_by_direction_pj"][d]
                    if abs(g - want[zz]) > 0.005 * max(abs(want[zz]), 1e-9) + 1e-9:
                        print("  %s %s %s %s: %.6g, zigzag %.6g" % (c["case_id"], op, lvd["memory"], d, g, want[zz]))
                        ok = False
        exact += ok
        tag = "PASS" if ok else "FAIL"
        print("%s: %s latency %.0f (zigzag %.0f, gap %.4f%%) energy %.1f (zigzag %.1f, gap %.4f%%) "
              "orderings %d (zigzag %d) chosen #%d (zigzag #%d)" % (
              tag, c["case_id"], got["latency_cycles"], ref["latency_total2_cycles"],
              100 * gl, got["energy_pj"], ref["energy_total_pJ"], 100 * ge, got["orderings_evaluated"],
              ref.get("nb_temporal_mappings_evaluated", -1), got["chosen_index"],
              ref.get("chosen_ordering_index_in_enumeration", -1)))
        if not ok:
            print("  (re-run: LOMA_REF_VERBOSE=1 for the full result)")
        if verbose and not ok:
            print(json.dumps(got, indent=None)[:3000])
        fails += not ok
        # the same case with ZigZag's chosen ordering fixed in the mapping
        # (temporal_ordering): costing that one ordering must give the same
        want = ref.get("chosen_ordering_inner_to_outer")
        if want:
            flow = "[" + ", ".join("[%s, %d]" % (d, f) for d, f in want) + "]"
            fixed = re.sub(r"^(- name: .*)$", lambda m: m.group(1) + "\n  temporal_ordering: " + flow,
                           c.get("mapping_yaml") or "", flags=re.M)
            pf = os.path.join(td, c["case_id"] + ".fixed.yaml")
            open(pf, "w").write(fixed)
            cmdf = cmd[:]
            cmdf[cmdf.index("--mapping") + 1] = pf
            r = subprocess.run(cmdf, capture_output=True, text=True)
            okf = r.returncode == 0
            if okf:
                gf = json.loads(r.stdout.splitlines()[0])
                okf = (gf["orderings_evaluated"] == 1 and gf["latency_cycles"] == got["latency_cycles"]
                       and gf["energy_pj"] == got["energy_pj"])
            print("%s: %s with its ordering fixed in the mapping" % ("PASS" if okf else "FAIL", c["case_id"]))
            fails += not okf
print("loma reference: %d/%d cases within 0.5%% (latency and energy), worst gap %.4f%%" % (exact, n, 100 * worst))
sys.exit(1 if fails else 0)
PY
