#!/usr/bin/env bash
# Speed of the LOMA mapper on every ZigZag reference case: the search and
# costing time of one layer (loma_map's own wall clock, YAML loading not
# included), best of 5 runs, against ZigZag's recorded wall_s for the same
# layer. Prints one bench line per case and the geometric-mean speed-up.
set -u
EVSIM=${EVSIM:-build/evsim}
DATA=tests/data/loma/reference.jsonl
python3 - "$EVSIM" "$DATA" <<'PY'
import json, math, os, subprocess, sys, tempfile
evsim, data = sys.argv[1], sys.argv[2]
logs = []; worst = None
with tempfile.TemporaryDirectory() as td:
    for line in open(data):
        c = json.loads(line)
        p = {}
        for k in ("hardware_yaml", "workload_yaml", "mapping_yaml"):
            p[k] = os.path.join(td, k + ".yaml"); open(p[k], "w").write(c[k])
        best = None
        for _ in range(5):
            r = subprocess.run([evsim, "map", "--hw", p["hardware_yaml"], "--workload", p["workload_yaml"],
                                "--mapping", p["mapping_yaml"], "--criterion", c["criterion"],
                                "--lpf-limit", str(c["lpf_limit"]), "--json"],
                               capture_output=True, text=True, check=True)
            o = json.loads(r.stdout.splitlines()[0])
            if best is None or o["wall_s"] < best["wall_s"]:
                best = o
        w = max(best["wall_s"], 1e-7)
        zz = c["results"]["zigzag_wall_seconds"]
        speed = zz / w
        logs.append(math.log(speed))
        worst = speed if worst is None else min(worst, speed)
        print("bench: loma_case %s wall_s %.6f orderings_per_sec %.0f" % (
            c["case_id"], w, best["orderings_evaluated"] / w))
        print("bench: loma_speedup_%s %.0f x" % (c["case_id"], speed))
print("bench: loma_speedup_geomean %.0f x" % math.exp(sum(logs) / len(logs)))
print("bench: loma_speedup_min %.0f x" % worst)
PY
