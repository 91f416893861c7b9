# Stream's allocation search (issue 15): configs/stream_resnet18_quad_search.yaml
# leaves the cores of ResNet-18's 21 Conv/Gemm layers open on Stream's quad
# core. `evsim check` summarises the search settings and refuses bad ones
# at their positions; `evsim run` starts from Stream's fixed round-robin
# allocation (c3 exactly: 6,419,853 cycles), reports a best no worse, the
# same bytes twice; the best allocation written back as a fixed mapping
# schedules to the same latency and CNs; the Pareto objective reports a
# front; without a search: key the search runs with its defaults.
set -u
fail=0
pass() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
py=/usr/bin/python3
S=configs/stream_resnet18_quad_search.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$PWD

out=$("$EVSIM" check "$S" 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" "search: objective latency, seed 1, population 32, generations 40, patience 0, max_evaluations 0 (0 = none)" \
  && has "$out" "21 layers leave their cores to the search (21 genes)" \
  && pass "check summarises the search" || { bad "check search (rc $rc)"; printf '%s\n' "$out" | tail -5; }

# the scenario, made to run from $tmp (absolute inputs)
sed "s#\.\./tests/#$root/tests/#; s#^mapping: mappings/#mapping: $root/configs/mappings/#; s#dir: \.\./out#dir: $tmp/out#" "$S" > "$tmp/s.yaml"
sed 's/population: 32/populaton: 32/' "$tmp/s.yaml" > "$tmp/bad1.yaml"
err=$("$EVSIM" check "$tmp/bad1.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/bad1.yaml:18:3: search.populaton: unknown key 'populaton' (did you mean 'population'?)" \
  && pass "unknown search key positioned" || { bad "unknown search key (rc $rc)"; printf '%s\n' "$err"; }
sed 's/objective: latency/objective: delay/' "$tmp/s.yaml" > "$tmp/bad2.yaml"
err=$("$EVSIM" run "$tmp/bad2.yaml" -q 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/bad2.yaml:16:14: search.objective: expected latency, energy, edp or pareto, found 'delay'" \
  && pass "bad objective refused by run" || { bad "bad objective (rc $rc)"; printf '%s\n' "$err"; }
sed 's/^scheduler: stream$/scheduler: evsim/' "$tmp/s.yaml" > "$tmp/bad3.yaml"
err=$("$EVSIM" check "$tmp/bad3.yaml" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && has "$err" "$tmp/bad3.yaml:16:3: search: the allocation search belongs to scheduler: stream" \
  && pass "search without Stream's scheduler refused" || { bad "search on evsim (rc $rc)"; printf '%s\n' "$err"; }

out=$("$EVSIM" run "$tmp/s.yaml" --json "$tmp/a.json" --report "$tmp/a.txt" 2>&1); rc=$?
"$EVSIM" run "$tmp/s.yaml" --json "$tmp/b.json" --report "$tmp/b.txt" -q >/dev/null 2>&1
[ $rc -eq 0 ] && cmp -s "$tmp/a.json" "$tmp/b.json" && cmp -s "$tmp/a.txt" "$tmp/b.txt" \
  && pass "search run, twice the same bytes" || { bad "search run (rc $rc)"; printf '%s\n' "$out" | head; }
has "$out" "round-robin      6419853.0 cycles" && pass "text report: round-robin start" \
  || { bad "text report lacks the start"; printf '%s\n' "$out" | head -30; }
# the cost table keeps every allowed core's cost; the text lists the
# loop orders of those some CN runs with
"$py" - "$tmp/a.json" "$tmp/a.txt" <<'EOP' && pass "search: cost_table of every allowed core, text lists the used ones" || bad "search loop orders"
import json, sys
d, t = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
ct = d["cost_table"]
used = sorted(set(c["cost"] for c in d["cns"]))
ok = used == [k for k, e in enumerate(ct) if e["n_cns"] > 0] and len(ct) > len(used)
ok &= ("loop orders (per unique CN shape: %d; %d more costed on cores not chosen" % (len(used), len(ct) - len(used))) in t
ok &= len(t.split("\nloop orders")[1].splitlines()) == 3 + 2 * len(used)
sys.exit(0 if ok else 1)
EOP
# start = c3 (Stream's fixed round robin), best <= start, one gene per
# Conv/Gemm layer on one of its four cores, the reported schedule the best
"$py" - "$tmp/a.json" "$root/configs/mappings/stream_resnet18_quad_search.yaml" "$tmp/best_map.yaml" <<'EOP' \
  && pass "start is c3, best no worse, allocation of 21 layers" || bad "search figures"
import json, sys
d = json.load(open(sys.argv[1])); s = d["search"]
ok = s["start"]["latency_cycles"] == 6419853 and abs(s["start"]["energy_pj"] - 2627655832.064) < 1
ok &= s["best"]["latency_cycles"] <= s["start"]["latency_cycles"] and s["evaluations"] > 100
ok &= s["best"]["latency_cycles"] == d["latency_cycles"] and s["best"]["energy_pj"] == d["energy_pj"]
ok &= s["genes"] == 21 and len(s["allocation"]) == 21 and s["infeasible"] == 0
ok &= all(a["allowed"] == [0, 1, 2, 3] and a["core"] in a["allowed"] for a in s["allocation"])
ok &= abs(s["latency_gain_pct"] - 100 * (1 - s["best"]["latency_cycles"] / s["start"]["latency_cycles"])) < 1e-4
core = {a["name"]: a["core"] for a in s["allocation"]}
ok &= all(c["core"] == core[c["name"]] for c in d["cns"] if c["name"] in core)
# the best allocation as a fixed mapping, for the next check
out, name = [], None
for l in open(sys.argv[2]).read().splitlines():
    if l.startswith("- name:"):
        name = l.split(":", 1)[1].strip()
    if "core_allocation" in l and name in core:
        l = "  core_allocation: [%d]" % core[name]
    out.append(l)
open(sys.argv[3], "w").write("\n".join(out) + "\n")
if not ok:
    print({k: v for k, v in s.items() if k != "allocation"}, file=sys.stderr)
sys.exit(0 if ok else 1)
EOP
sed "s#^mapping: .*#mapping: $tmp/best_map.yaml#; /^search:/,/generations:/d" "$tmp/s.yaml" > "$tmp/fixed.yaml"
"$EVSIM" run "$tmp/fixed.yaml" --json "$tmp/f.json" --report "" -q >/dev/null 2>&1
# (the search's cost table also holds the cores not chosen: the CNs'
# cost indices differ, the entries they point at do not)
"$py" - "$tmp/a.json" "$tmp/f.json" <<'EOP' && pass "best allocation as a fixed mapping: same schedule and loop orders" || bad "fixed best differs"
import json, sys
a, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def cns(d):
    t = d["cost_table"]
    return [dict(c, cost=(t[c["cost"]]["core"], t[c["cost"]]["runtime"], t[c["cost"]]["temporal"]))
            for c in d["cns"]]
ok = all(c["cost"][:2] == (c["core"], c["runtime"]) for c in cns(a))
ok &= len(a["cost_table"]) > len(f["cost_table"])
sys.exit(0 if ok and "search" not in f and f["latency_cycles"] == a["latency_cycles"]
         and f["energy_pj"] == a["energy_pj"] and cns(f) == cns(a) else 1)
EOP

sed 's/objective: latency/objective: pareto/; s/generations: 40/generations: 10/' "$tmp/s.yaml" > "$tmp/p.yaml"
"$EVSIM" run "$tmp/p.yaml" --json "$tmp/p.json" --report "$tmp/p.txt" -q >/dev/null 2>&1
"$py" - "$tmp/p.json" <<'EOP' && pass "pareto: a front by latency, non-dominated, the best on it" || bad "pareto front"
import json, sys
s = json.load(open(sys.argv[1]))["search"]; f = s["pareto_front"]
ok = len(f) >= 1 and s["objective"] == "pareto"
ok &= all(f[i]["latency_cycles"] < f[i + 1]["latency_cycles"] and f[i]["energy_pj"] > f[i + 1]["energy_pj"] for i in range(len(f) - 1))
ok &= any(p["latency_cycles"] == s["best"]["latency_cycles"] and p["energy_pj"] == s["best"]["energy_pj"] for p in f)
ok &= all(len(p["cores"]) == 21 for p in f)
ok &= not (s["best"]["latency_cycles"] > s["start"]["latency_cycles"] and s["best"]["energy_pj"] > s["start"]["energy_pj"])
sys.exit(0 if ok else 1)
EOP
grep -q "Pareto front (" "$tmp/p.txt" && pass "pareto: text report lists the front" || bad "pareto text"

sed '/^search:/,/generations:/d' "$tmp/s.yaml" > "$tmp/d.yaml"
out=$("$EVSIM" check "$tmp/d.yaml" 2>&1)
has "$out" "search (defaults, used if a layer's cores are left open): objective latency" \
  && pass "check: defaults shown without a search key" || { bad "check defaults"; printf '%s\n' "$out" | grep search; }
"$EVSIM" run "$tmp/d.yaml" --json "$tmp/d.json" --report "" -q >/dev/null 2>&1
"$py" - "$tmp/d.json" "$tmp/a.json" <<'EOP' && pass "no search key: the default search runs (seed 1: as the scenario)" || bad "default search"
import json, sys
d, a = json.load(open(sys.argv[1]))["search"], json.load(open(sys.argv[2]))["search"]
sys.exit(0 if d["evaluations"] == a["evaluations"] and d["best"] == a["best"] and d["seed"] == 1 else 1)
EOP
# a search: key with every core fixed: a note, the schedule as given
printf 'search: {objective: energy}\n' | cat "$root/configs/stream_resnet18_quad_fused.yaml" - \
  | sed "s#\.\./tests/#$root/tests/#; s#dir: \.\./out#dir: $tmp/out#" > "$tmp/n.yaml"
out=$("$EVSIM" run "$tmp/n.yaml" --json "$tmp/n.json" --report "" 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" "note: search: every layer's core is fixed by the mapping" \
  && ! grep -q '"search"' "$tmp/n.json" && grep -q '"latency_cycles":6419853,' "$tmp/n.json" \
  && pass "search: with fixed cores: a note, c3 as given" || { bad "search with fixed cores (rc $rc)"; printf '%s\n' "$out" | head -3; }
[ $fail -eq 0 ] && echo "PASS: stream_search"
exit $fail
