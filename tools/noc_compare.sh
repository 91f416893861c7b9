#!/usr/bin/env bash
# tools/noc_compare.sh [SCENARIO.yaml ...] -- every shipped scenario
# (configs/*.yaml by default) run twice, with the chip file's NoC model as
# shipped (flit) and switched to `noc: {model: packet}` (a copy of
# configs/ in a temporary directory), and one line per scenario: total
# latency, mean packet latency (dense runs; event-driven runs report no
# packet latency: their first-output and decision latencies instead), NoC
# energy (router + link) and CPU seconds of each, with the packet model's
# error against the flit model. The README's NoC-model table comes from
# this. Scenarios that need ../shared are skipped when it is missing.
set -u
EVSIM=${EVSIM:-build/evsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# $tmp/wt/configs: the edited copy; the data it names (../traces,
# ../tests/data, ../../shared) through links
mkdir -p "$tmp/wt" && cp -r configs "$tmp/wt/" || exit 1
ln -s "$PWD/traces" "$PWD/tests" "$tmp/wt/"
[ -d ../shared ] && ln -s "$(cd ../shared && pwd)" "$tmp/shared"
sed -i 's/^noc:$/noc:\n  model: packet/' "$tmp"/wt/configs/hw/*.yaml
[ $# -gt 0 ] || set -- configs/*.yaml

python3 - "$EVSIM" "$tmp" "$@" <<'PY'
import json, os, resource, subprocess, sys
evsim, tmp = sys.argv[1:3]

def run(scen, tag):
    j = "%s/%s.json" % (tmp, tag)
    u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([evsim, "run", scen, "-q", "--no-trace", "--json", j, "--report",
                        "/dev/null"], stderr=subprocess.PIPE, text=True)
    u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"
    cpu = u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime
    return (json.load(open(j)), cpu), None

def err(a, b):
    return "%+.2f%%" % (100.0 * (b - a) / a) if a else ("0" if a == b else "n/a")

print("scenario | latency flit -> packet (error) | NoC latency flit -> packet (error) | "
      "NoC energy pJ flit / packet | CPU s flit / packet")
for scen in sys.argv[3:]:
    name = os.path.basename(scen)[:-5]
    f, why = run(scen, name + "_flit")
    if f is None:
        print("%s | skipped: %s" % (name, why))
        continue
    p, why = run(os.path.join(tmp, "wt", scen), name + "_packet")
    if p is None:
        print("%s | packet model failed: %s" % (name, why))
        continue
    (fj, fc), (pj, pc) = f, p
    e = lambda r: r["energy_pj"].get("noc_router", 0) + r["energy_pj"].get("noc_link", 0)
    if "latency_ps" in fj:
        lat = "%.4g us -> %.4g us (%s)" % (fj["latency_ps"] / 1e6, pj["latency_ps"] / 1e6,
                                          err(fj["latency_ps"], pj["latency_ps"]))
        nl = "%.1f -> %.1f cycles (%s)" % (fj["noc"]["mean_latency_cycles"],
                                           pj["noc"]["mean_latency_cycles"],
                                           err(fj["noc"]["mean_latency_cycles"],
                                               pj["noc"]["mean_latency_cycles"]))
    else:
        lat = "decision %.6g us -> %.6g us (%s)" % (
            fj["latency_decision_ps"] / 1e6, pj["latency_decision_ps"] / 1e6,
            err(fj["latency_decision_ps"], pj["latency_decision_ps"]))
        nl = "first output %.6g us -> %.6g us (%s)" % (
            fj["latency_first_output_ps"] / 1e6, pj["latency_first_output_ps"] / 1e6,
            err(fj["latency_first_output_ps"], pj["latency_first_output_ps"]))
    same = "equal" if e(fj) == e(pj) else "DIFFER"
    print("%s | %s | %s | %.6g / %.6g (%s) | %.2f / %.2f" %
          (name, lat, nl, e(fj), e(pj), same, fc, pc))
PY
