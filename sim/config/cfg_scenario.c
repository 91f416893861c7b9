/* cfg_scenario.c -- a scenario names everything one run needs (chip,
 * workload, mapping, input trace, seed, outputs, limits), with every path
 * relative to the scenario file. Loading it loads the files it names and
 * makes the checks that need them together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cfg_nir.h"
#include "config/cfg_onnx.h"
#include "config/cfg_snn.h"

static const char *const scen_keys[] = {"name", "chip", "workload", "mapping", "input",
                                        "seed", "outputs", "limits", "mode", "timestep_us",
                                        "propagation", "spikes_per_packet",
                                        "queue_depth_events", "on_full", "layer_stacks", "scheduler",
                                        "search", NULL};
static const char *const input_keys[] = {"trace", "format", "at", "from_us", "to_us",
                                          "max_events", "origin", "crop", "scale",
                                          "polarity", "time_scale", "loop",
                                          "events_per_packet", NULL};
static const char *const out_keys[] = {"dir", "perfetto", "report_json", "report_text", NULL};
static const char *const limit_keys[] = {"max_time_ps", "max_events", NULL};
static const char *const search_keys[] = {"objective", "seed", "population", "generations",
                                          "patience", "max_evaluations", NULL};
static const char *const objective_names[] = {"latency", "energy", "edp", "pareto", NULL};

/* A path value of key, resolved against dir into out. */
static bool get_path(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                     bool required, const char *dir, char *out, size_t cap)
{
    char rel[512], kp[256];
    rel[0] = '\0';
    if (!cfg_get_str(d, map, path, key, required, rel, sizeof rel) || !rel[0])
        return false;
    if (!cfg_join(dir, rel, out, cap)) {
        cfg_err_at(d, cfg_map_get(d, map, key), cfg_path_key(kp, sizeof kp, path, key),
                   "path too long");
        return false;
    }
    return true;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Backpressure admits whole packets: a queue shorter than the largest
 * packet the workload sends could never take it. Spike packets between
 * layers hold up to spikes_per_packet spikes, input packets up to
 * input.events_per_packet of them (cut to spikes_per_packet). The run
 * also cuts packets to the NoC's buffers (chip_snn.c checks that size). */
static void check_queue(cfg_doc *d, const cfg_node *root, const cfg_scenario *s)
{
    cfg_node *q = cfg_map_get(d, root, "queue_depth_events");
    if (!q || s->queue_drop || !s->queue_depth_events)
        return;
    uint32_t spp = s->spikes_per_packet, epp = s->input_events_per_packet;
    uint32_t most = 0;
    const char *by = "";
    for (int i = 0; i < s->workload->n_layers; i++) {
        const cfg_layer *l = &s->workload->layers[i];
        if (l->neuron.model == CFG_NEURON_NONE)
            continue;
        int n = l->n_sources ? l->n_sources : 1;
        for (int k = 0; k < n; k++) {
            const char *src = l->n_sources ? l->sources[k] : l->input_source;
            int trace = !strcmp(src, "input");
            uint32_t sz = trace ? (epp < spp ? epp : spp) : spp;
            if (sz > most) {
                most = sz;
                by = trace && epp < spp ? "input.events_per_packet" : "spikes_per_packet";
            }
        }
    }
    if (s->queue_depth_events < most)
        cfg_err_at(d, q, "queue_depth_events",
                   "%llu is less than a packet's %u spikes (%s): with on_full: backpressure "
                   "such a packet could never enter; expected at least %u, or on_full: drop",
                   (unsigned long long)s->queue_depth_events, most, by, most);
}

/* Every layer's entry against the core types its allocation can use, and
 * allocations against the chip's core ids. */
static void cross_check(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    cfg_chip *c = s->chip;
    const char *mf = s->mapping_path;
    /* Stream's scheduler runs on Stream's hardware graph (links, buses,
     * an off-chip core), which only a Stream accelerator file gives. */
    if (s->scheduler == CFG_SCHED_STREAM && !c->stream_form)
        cfg_err_pos(d->err, s->file, s->scheduler_line, s->scheduler_col,
                    "scheduler: stream needs a Stream accelerator file as the chip (cores: "
                    "{id: core.yaml}, offchip_core_id, core_connectivity); found an evsim "
                    "chip (%s)", s->chip_path);
    for (int i = 0; i < s->mapping->n_entries; i++) {
        const cfg_map_entry *e = &s->mapping->entries[i];
        for (int k = 0; k < e->n_core_alloc; k++)
            if (cfg_chip_find_core(c, e->core_alloc[k]) < 0)
                cfg_err_pos(d->err, mf, e->core_alloc_line, e->core_alloc_col, "[%d].core_allocation: the mapping names "
                               "core %lld, which chip %s does not have (core ids 0..%d)", i,
                               (long long)e->core_alloc[k], c->name, c->n_cores - 1);
    }
    if (cfg_doc_failed(d))
        return;
    /* One cfg_check_mapping per core type some layer can run on. */
    bool *used = base_calloc((size_t)c->n_types + 1, sizeof *used);
    if (!used) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    for (int i = 0; i < s->workload->n_layers; i++) {
        const cfg_map_entry *e = cfg_mapping_find(s->mapping, &s->workload->layers[i]);
        if (!e || e->n_core_alloc == 0) {
            for (int t = 0; t < c->n_cores; t++)
                used[c->cores[t].type] = true;
            continue;
        }
        for (int k = 0; k < e->n_core_alloc; k++)
            used[c->cores[cfg_chip_find_core(c, e->core_alloc[k])].type] = true;
    }
    cfg_check_mapping(s->mapping, mf, s->workload, NULL, NULL, d->err);
    cfg_check_tiling(s->mapping, mf, s->workload, d->err);
    cfg_check_weights_in(s->mapping, mf, s->workload, c, d->err);
    for (int t = 0; t < c->n_types && !cfg_doc_failed(d); t++)
        if (used[t]) {
            /* Check only the layers whose allocation reaches this type. */
            cfg_workload sub = *s->workload;
            cfg_layer *ls = base_calloc((size_t)sub.n_layers + 1, sizeof *ls);
            if (!ls) {
                cfg_err_file(d->err, d->file, "out of memory");
                break;
            }
            int n = 0;
            for (int i = 0; i < s->workload->n_layers; i++) {
                const cfg_layer *l = &s->workload->layers[i];
                const cfg_map_entry *e = cfg_mapping_find(s->mapping, l);
                bool reach = !e || e->n_core_alloc == 0;
                for (int k = 0; e && k < e->n_core_alloc; k++)
                    reach |= c->cores[cfg_chip_find_core(c, e->core_alloc[k])].type == t;
                if (reach)
                    ls[n++] = *l;
            }
            sub.layers = ls;
            sub.n_layers = n;
            const char *cn = c->types[t].source[0] ? c->types[t].source : c->types[t].name;
            cfg_check_mapping(s->mapping, mf, &sub, &c->types[t].core, cn, d->err);
            base_free(ls);
        }
    base_free(used);
    bool needs_input = false;
    for (int i = 0; i < s->workload->n_layers; i++) {
        const cfg_layer *l = &s->workload->layers[i];
        needs_input |= l->neuron.model != CFG_NEURON_NONE && !strcmp(l->input_source, "input");
    }
    check_queue(d, root, s);
    if (needs_input && !s->has_input)
        cfg_err_at(d, root, NULL, "the workload has spiking layers fed by 'input' but the "
                   "scenario names no input trace: expected input: {trace: FILE}");
}


/* The names the trace readers take (sim/input/ev_reader.c's table; the
 * config layer does not include the readers, and test_config_errors.c
 * checks that the two lists agree). */
static const char *const trace_formats[] = {
    "auto", "nmnist", "ncaltech101", "aedat2", "aedat2-dvs128", "aedat2-davis",
    "aedat2-davis240", "aedat2-davis346", "evt2", "evt3", "dat", "csv", "aedat4", NULL};

static void check_format(cfg_doc *d, const cfg_node *v, const char *f)
{
    if (!v || !f[0])
        return;
    for (int i = 0; trace_formats[i]; i++)
        if (!strcmp(f, trace_formats[i]))
            return;
    const char *sug = cfg_suggest(f, trace_formats);
    cfg_err_at(d, v, "input.format", "expected a trace format (auto, nmnist, ncaltech101, aedat2, "
               "aedat2-dvs128, aedat2-davis, evt2, evt3, dat, csv, aedat4), found '%s'%s%s%s", f,
               sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
}
/* An id of layer_stacks[k] that names no layer. Stream keeps only the ids
 * of its computation nodes (LayerStacksGenerationStage.only_keep_
 * computation_node_ids: a pass-through such as ResNet-18's Flatten, id
 * 47, or an id no node has, leaves the stack shorter or empty), so with
 * Stream's numbering a pass-through's id is dropped with a warning, and
 * so is an unknown id under Stream's scheduler; for evsim's scheduler an
 * unknown id stays an error (a typo would silently change the run). */
static void dropped_id(cfg_doc *d, const cfg_node *v, const char *ip, cfg_scenario *s,
                       int64_t id, int k)
{
    const cfg_node_ref *pn = cfg_workload_find_pass(s->workload, id);
    size_t line = (size_t)cfg_node_line(v), col = (size_t)cfg_node_col(v);
    if (pn)
        cfg_err_pos(&s->warnings, d->file, line, col, "%s: warning: id %lld is node %s (%s), "
                    "a pass-through, not a layer: dropped from layer_stacks[%d], as Stream "
                    "keeps only computation nodes in its stacks", ip, (long long)id, pn->name,
                    pn->op_type, k);
    else if (s->scheduler == CFG_SCHED_STREAM)
        cfg_err_pos(&s->warnings, d->file, line, col, "%s: warning: no node of the workload "
                    "has id %lld: dropped from layer_stacks[%d], as Stream ignores ids that "
                    "do not exist", ip, (long long)id, k);
    else
        cfg_err_at(d, v, ip, "expected a layer id of the workload, found %lld, which no "
                   "layer has", (long long)id);
}

/* One stack of layer_stacks: each entry a layer id of the workload, in
 * no other stack. */
static void parse_stack(cfg_doc *d, const cfg_node *st, int k, cfg_scenario *s)
{
    char kp[64], ip[80];
    snprintf(kp, sizeof kp, "layer_stacks[%d]", k);
    if (!cfg_expect_seq(d, st, kp))
        return;
    for (int j = 0; j < cfg_seq_len(st); j++) {
        cfg_node *v = cfg_seq_at(d, st, j);
        int64_t id;
        cfg_path_idx(ip, sizeof ip, kp, j);
        if (!cfg_as_int(d, v, ip, INT64_MIN, INT64_MAX, &id))
            continue;
        if (cfg_workload_find_id(s->workload, id) < 0) {
            dropped_id(d, v, ip, s, id, k);
            continue;
        }
        for (int i = 0; i < s->n_stack_layers; i++)
            if (s->stack_layer_id[i] == id)
                cfg_err_at(d, v, ip, "layer %lld is already in layer_stacks[%d]: a layer "
                           "belongs to one stack", (long long)id, s->stack_of[i]);
        s->stack_layer_id[s->n_stack_layers] = id;
        s->stack_of[s->n_stack_layers++] = k;
    }
}

/* layer_stacks: a list of stacks, each a list of layer ids (fused mode;
 * a layer in no stack is a stack of its own). */
static void parse_stacks(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    cfg_node *ls = cfg_map_get(d, root, "layer_stacks");
    if (!ls || !cfg_expect_seq(d, ls, "layer_stacks"))
        return;
    s->stacks_line = cfg_node_line(ls);
    s->stacks_col = cfg_node_col(ls);
    if (!s->fused)
        cfg_err_at(d, ls, "layer_stacks", "layer_stacks belongs to mode: fused, found %s",
                   s->timestep_mode ? "an event-driven mode" : "mode lbl");
    int total = 0;
    for (int k = 0; k < cfg_seq_len(ls); k++) {
        cfg_node *st = cfg_seq_at(d, ls, k);
        total += cfg_is_seq(st) ? cfg_seq_len(st) : 0;
    }
    s->stack_layer_id = base_calloc((size_t)total + 1, sizeof *s->stack_layer_id);
    s->stack_of = base_calloc((size_t)total + 1, sizeof *s->stack_of);
    if (!s->stack_layer_id || !s->stack_of) {
        cfg_err_at(d, ls, "layer_stacks", "out of memory");
        return;
    }
    s->n_stacks = cfg_seq_len(ls);
    for (int k = 0; k < s->n_stacks; k++)
        parse_stack(d, cfg_seq_at(d, ls, k), k, s);
}

/* scheduler: evsim | stream. Stream's scheduler orders the dense CNs of
 * a layer-by-layer or fused run; it has no event-driven mode. */
static void parse_scheduler(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    static const char *const names[] = {"evsim", "stream", NULL};
    char v[32] = "", b[96];
    cfg_node *n = cfg_map_get(d, root, "scheduler");
    if (!n)
        return;
    s->scheduler_line = cfg_node_line(n);
    s->scheduler_col = cfg_node_col(n);
    if (!cfg_as_str(d, n, "scheduler", v, sizeof v) || (strcmp(v, "evsim") && strcmp(v, "stream"))) {
        const char *sug = cfg_text(n) ? cfg_suggest(cfg_text(n), names) : NULL;
        cfg_err_at(d, n, "scheduler", "expected evsim or stream, found %s%s%s%s",
                   cfg_describe(n, b, sizeof b), sug ? " (did you mean '" : "", sug ? sug : "",
                   sug ? "'?)" : "");
        return;
    }
    s->scheduler = strcmp(v, "stream") ? CFG_SCHED_EVSIM : CFG_SCHED_STREAM;
    if (s->scheduler == CFG_SCHED_STREAM && s->timestep_mode)
        cfg_err_at(d, n, "scheduler", "Stream's scheduler runs dense layers: expected mode "
                   "lbl or fused with scheduler: stream, found mode %s",
                   s->async_mode ? "async" : "timestep");
}

static void parse_objective(cfg_doc *d, const cfg_node *sn, cfg_search *q)
{
    char v[32] = "", b[96];
    cfg_node *n = cfg_map_get(d, sn, "objective");
    if (!n)
        return;
    if (cfg_as_str(d, n, "search.objective", v, sizeof v))
        for (int i = 0; objective_names[i]; i++)
            if (!strcmp(v, objective_names[i])) {
                q->objective = i;
                return;
            }
    const char *sug = cfg_text(n) ? cfg_suggest(cfg_text(n), objective_names) : NULL;
    cfg_err_at(d, n, "search.objective", "expected latency, energy, edp or pareto, found %s%s%s%s",
               cfg_describe(n, b, sizeof b), sug ? " (did you mean '" : "", sug ? sug : "",
               sug ? "'?)" : "");
}

static void get_u32(cfg_doc *d, const cfg_node *sn, const char *key, uint64_t lo, uint32_t *out)
{
    uint64_t v = *out;
    char kp[64];
    snprintf(kp, sizeof kp, "search.%s", key);
    cfg_node *n = cfg_map_get(d, sn, key);
    if (n && cfg_as_uint(d, n, kp, lo, &v)) {
        if (v > 1000000)
            cfg_err_at(d, n, kp, "expected at most 1000000, found %llu", (unsigned long long)v);
        else
            *out = (uint32_t)v;
    }
}

/* search: the allocation search (scheduler: stream only). The defaults
 * hold without the key: a scenario with flexible layers searches. */
static void parse_search(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    cfg_search *q = &s->search;
    *q = (cfg_search){.objective = CFG_SEARCH_LATENCY, .seed = s->seed, .population = 32,
                      .generations = 40};
    cfg_node *sn = cfg_map_get(d, root, "search");
    if (!sn)
        return;
    q->given = true;
    q->line = cfg_node_line(sn);
    q->col = cfg_node_col(sn);
    if (s->scheduler != CFG_SCHED_STREAM)
        cfg_err_at(d, sn, "search", "the allocation search belongs to scheduler: stream "
                   "(evsim's scheduler takes the mapping's cores as given)");
    if (cfg_is_null(sn) || !cfg_expect_map(d, sn, "search"))
        return;
    cfg_check_keys(d, sn, "search", search_keys);
    parse_objective(d, sn, q);
    cfg_get_uint(d, sn, "search", "seed", false, 0, &q->seed);
    get_u32(d, sn, "population", 2, &q->population);
    get_u32(d, sn, "generations", 1, &q->generations);
    get_u32(d, sn, "patience", 0, &q->patience);
    cfg_get_uint(d, sn, "search", "max_evaluations", false, 0, &q->max_evaluations);
}

static void *parse_scenario_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    const char *dir = arg;
    char kp[256], b[96];
    (void)b;
    cfg_scenario *s = base_calloc(1, sizeof *s);
    if (!s) {
        cfg_err_file(d->err, d->file, "out of memory");
        return NULL;
    }
    snprintf(s->file, sizeof s->file, "%s", d->file ? d->file : "");
    if (!cfg_expect_map(d, root, "")) {
        base_free(s);
        return NULL;
    }
    cfg_check_keys(d, root, "", scen_keys);
    cfg_get_str(d, root, "", "name", false, s->name, sizeof s->name);
    get_path(d, root, "", "chip", true, dir, s->chip_path, sizeof s->chip_path);
    get_path(d, root, "", "workload", true, dir, s->workload_path, sizeof s->workload_path);
    get_path(d, root, "", "mapping", true, dir, s->mapping_path, sizeof s->mapping_path);
    s->seed = 1;
    cfg_get_uint(d, root, "", "seed", false, 0, &s->seed);
    cfg_parse_snn_scenario(d, root, s);
    parse_scheduler(d, root, s);
    parse_search(d, root, s);
    cfg_node *in = cfg_map_get(d, root, "input");
    if (in && !cfg_is_null(in) && cfg_expect_map(d, in, "input")) {
        cfg_check_keys(d, in, "input", input_keys);
        s->has_input = get_path(d, in, "input", "trace", true, dir, s->input.path,
                                sizeof s->input.path);
        cfg_get_str(d, in, "input", "format", false, s->input.format, sizeof s->input.format);
        check_format(d, cfg_map_get(d, in, "format"), s->input.format);
        cfg_parse_snn_input(d, in, s);
        if (!s->timestep_mode)
            cfg_err_at(d, in, "input",
                       "a trace is read only by the event-driven mode: expected `mode: timestep` "
                       "with this input block (a dense run would ignore it), found mode dense");
        if (s->has_input && !file_exists(s->input.path))
            cfg_err_at(d, cfg_map_get(d, in, "trace"), "input.trace",
                       "expected an existing trace file, found no file at %s", s->input.path);
    }
    char outdir[512];
    snprintf(outdir, sizeof outdir, "%s", dir);
    cfg_node *out = cfg_map_get(d, root, "outputs");
    if (out && !cfg_is_null(out) && cfg_expect_map(d, out, "outputs")) {
        cfg_check_keys(d, out, "outputs", out_keys);
        if (get_path(d, out, "outputs", "dir", false, dir, s->out_dir, sizeof s->out_dir))
            snprintf(outdir, sizeof outdir, "%s", s->out_dir);
        get_path(d, out, "outputs", "perfetto", false, outdir, s->perfetto_path,
                 sizeof s->perfetto_path);
        get_path(d, out, "outputs", "report_json", false, outdir, s->report_json_path,
                 sizeof s->report_json_path);
        get_path(d, out, "outputs", "report_text", false, outdir, s->report_text_path,
                 sizeof s->report_text_path);
    }
    cfg_node *lim = cfg_map_get(d, root, "limits");
    if (lim && !cfg_is_null(lim) && cfg_expect_map(d, lim, "limits")) {
        cfg_check_keys(d, lim, "limits", limit_keys);
        cfg_get_uint(d, lim, "limits", "max_time_ps", false, 0, &s->max_time_ps);
        cfg_get_uint(d, lim, "limits", "max_events", false, 0, &s->max_events);
    }
    if (!cfg_doc_failed(d)) {
        /* Each named file reports its own errors; a line here says which
         * key of the scenario led to it. */
        struct { const char *key, *path; } f[] = {{"chip", s->chip_path},
                                                 {"workload", s->workload_path},
                                                 {"mapping", s->mapping_path}};
        int before = d->err->count + d->err->dropped;
        s->chip = cfg_chip_load_file(s->chip_path, d->err);
        s->workload = cfg_nir_is_path(s->workload_path)
                          ? cfg_nir_workload_load_file(s->workload_path, d->err)
                      : cfg_onnx_is_path(s->workload_path)
                          /* Stream's scheduler takes Stream's layers (a pool's C loop) */
                          ? cfg_onnx_workload_load_file_opt(
                                s->workload_path,
                                &(cfg_onnx_options){.stream = s->scheduler == CFG_SCHED_STREAM},
                                d->err)
                          : cfg_workload_load_file(s->workload_path, d->err);
        s->mapping = cfg_mapping_load_file(s->mapping_path, d->err);
        void *loaded[] = {s->chip, s->workload, s->mapping};
        for (int i = 0; i < 3; i++)
            if (!loaded[i])
                cfg_err_at(d, cfg_map_get(d, root, f[i].key), cfg_path_key(kp, sizeof kp, "",
                           f[i].key), "%s %s does not load (errors above)", f[i].key,
                           f[i].path);
        if (d->err->count + d->err->dropped == before)
            cross_check(d, root, s);
        if (s->workload)
            parse_stacks(d, root, s);
    }
    if (cfg_doc_failed(d)) {
        cfg_scenario_free(s);
        return NULL;
    }
    return s;
}

cfg_scenario *cfg_scenario_load_file(const char *path, base_errors *err)
{
    char dir[1024];
    cfg_dirname(path, dir, sizeof dir);
    return cfg_load_path(path, err, parse_scenario_doc, dir);
}

void cfg_scenario_free(cfg_scenario *s)
{
    if (!s)
        return;
    cfg_chip_free(s->chip);
    cfg_workload_free(s->workload);
    cfg_mapping_free(s->mapping);
    base_free(s->stack_layer_id);
    base_free(s->stack_of);
    base_errors_clear(&s->warnings);
    base_free(s);
}
