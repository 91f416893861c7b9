#!/usr/bin/python3
"""Runs ZigZag itself on reference cases, to add cases to reference.jsonl.

usage: /usr/bin/python3 tests/data/loma/zigzag_run.py ZIGZAG_SRC CASES.jsonl > OUT.jsonl

ZIGZAG_SRC is a checkout of KULeuven-MICAS/zigzag at the commit the shared
reference names (3d12a96e, v3.8.5); CASES.jsonl has lines with case_id,
criterion, lpf_limit and the hardware/workload/mapping YAML texts (as in
reference.jsonl). Each line comes back with ZigZag's `results` (the fields
tests/e2e/loma_reference.sh compares). Needs Debian's python3-numpy,
-networkx, -sympy, -tqdm, -cerberus, -onnx, -yaml; ZigZag's imports of
typeguard (Debian's is too old), multiprocessing_on_dill, matplotlib and
seaborn, which the cost model does not use, are stubbed here. The two
npe8bw_* cases were made this way."""
import json, logging, os, sys, tempfile

STUBS = {
    "typeguard.py": "def typeguard_ignore(f):\n    return f\n"
                    "def typechecked(f=None, **kw):\n    return f if f is not None else (lambda g: g)\n",
    "multiprocessing_on_dill.py": "from multiprocessing import *\n",
    "seaborn.py": "def __getattr__(name):\n    return lambda *a, **k: None\n",
    "matplotlib/__init__.py": "def __getattr__(name):\n    return lambda *a, **k: None\n",
    "matplotlib/pyplot.py": "def __getattr__(name):\n    return lambda *a, **k: None\n",
}


def setup(src):
    stub = tempfile.mkdtemp(prefix="zz_stubs_")
    for name, text in STUBS.items():
        os.makedirs(os.path.dirname(os.path.join(stub, name)), exist_ok=True)
        open(os.path.join(stub, name), "w").write(text)
    sys.path[:0] = [stub, src]
    sys.setrecursionlimit(10000)
    import zigzag.api
    zigzag.api.VisualizationStage = None  # drawing only; dropped from the stages
    logging.disable(logging.CRITICAL)


def results(case, work):
    from zigzag.api import get_hardware_performance_zigzag
    from zigzag.cost_model import cost_model as cm
    from zigzag.hardware.architecture.memory_port import DataDirection
    count = [0]
    run0 = cm.CostModelEvaluation.run

    def counted(self):
        count[0] += 1
        return run0(self)
    cm.CostModelEvaluation.run = counted
    paths = {}
    for k in ("hardware_yaml", "workload_yaml", "mapping_yaml"):
        paths[k] = os.path.join(work, k + ".yaml")
        open(paths[k], "w").write(case[k])
    _, _, cmes = get_hardware_performance_zigzag(
        paths["workload_yaml"], paths["hardware_yaml"], paths["mapping_yaml"],
        opt=case["criterion"], lpf_limit=case["lpf_limit"], dump_folder=work,
        loma_show_progress_bar=False)
    cm.CostModelEvaluation.run = run0
    m = cmes[0][1][0][0]
    r = {"energy_total_pJ": m.energy_total, "latency_total2_cycles": m.latency_total2,
         "latency_total0_cycles": m.latency_total0, "latency_total1_cycles": m.latency_total1,
         "ideal_cycle": m.ideal_cycle, "ideal_temporal_cycle": m.ideal_temporal_cycle,
         "stall_slack_comb_cycles": m.stall_slack_comb,
         "data_onloading_cycles": m.data_onloading_cycle,
         "data_offloading_cycles": m.data_offloading_cycle,
         "stall_slack_per_port": [{"memory": lvl.name, "ports": dict(d)} for lvl, d in
                                  zip(m.mem_level_list, m.stall_slack_comb_collect)],
         "nb_temporal_mappings_evaluated": count[0]}
    br = {}
    for op, levels in m.mem_energy_breakdown_further.items():
        mem_op = m.memory_operand_links.layer_to_mem_op(op)
        br[str(op)] = {m.accelerator.get_memory_level(mem_op, lv).name:
                       {str(d): fw.get(d) for d in DataDirection} for lv, fw in enumerate(levels)}
    r["mem_energy_breakdown_by_direction_pJ"] = br
    tm = m.temporal_mapping
    r["chosen_ordering_inner_to_outer"] = [[str(d), int(f)] for lv in
                                           tm.mapping_dic_origin[m.layer.output_operand]
                                           for d, f in lv]
    r["temporal_mapping_per_level_stationary_merged"] = {
        str(op): [[[str(d), int(f)] for d, f in lv] for lv in levs]
        for op, levs in tm.mapping_dic_stationary.items()}
    return r


def main():
    src, cases = sys.argv[1], sys.argv[2]
    setup(src)
    for line in open(cases):
        if line.strip():
            c = json.loads(line)
            c["results"] = results(c, tempfile.mkdtemp(prefix="zz_" + c["case_id"] + "_"))
            print(json.dumps(c, default=str))


if __name__ == "__main__":
    main()
