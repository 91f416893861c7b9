/* cli_check.c -- `evsim check FILE...`: load each configuration file (its
 * kind told from its keys), print a short summary of what was understood,
 * or every error found. Exit 0 when all load, 1 when any does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/cfg_nir.h"
#include "config/cfg_onnx.h"
#include "config/cfg_sweep.h"
#include "run/adapt.h"
#include "run/snn_plan.h"
#include "run/strm_plan.h"

static const char synopsis[] =
    "usage: evsim check [--quiet] [--force] FILE...\n"
    "\n"
    "Loads each YAML file (a core, chip, workload, mapping or scenario; the kind is\n"
    "told from its keys), NIR graph (FILE.nir) or ONNX model (FILE.onnx), prints a\n"
    "summary, or prints every\n"
    "error as FILE:LINE:COL: key.path: message. Values far outside a normal run\n"
    "(a clock outside 0.01-10 GHz, a mesh beyond 64x64, NoC state above 8 GiB) are\n"
    "errors unless --force; unusual ones are warnings. Exit status 0 when every\n"
    "file is valid, 1 when any is not, 2 on a usage error.\n";

static void print_core(const cfg_core *c, const char *indent)
{
    uint64_t pes = 1;
    printf("%score %s (%s port form): array", indent, c->name,
           c->form == CFG_CORE_FORM_OLD ? "old" : "current");
    for (int i = 0; i < c->n_oa_dims; i++) {
        printf(" %s=%llu", c->oa_dims[i], (unsigned long long)c->oa_sizes[i]);
        pes *= c->oa_sizes[i];
    }
    printf(" (%llu PEs), %g pJ/MAC, %d memories\n", (unsigned long long)pes, c->unit_energy_pj,
           c->n_mems);
    for (int op = 0; op < CFG_MOP_COUNT; op++) {
        printf("%s  %-2s:", indent, cfg_mem_operand_name(op));
        const char *sep = " ";
        for (int m = 0; m < c->n_mems; m++)
            if (c->mems[m].holds[op]) {
                printf("%s%s (%llu b)", sep, c->mems[m].name,
                       (unsigned long long)c->mems[m].size_bits);
                sep = " -> ";
            }
        printf("\n");
    }
}

static void print_workload(const cfg_workload *w)
{
    uint64_t total = 0;
    for (int i = 0; i < w->n_layers; i++)
        total += cfg_layer_macs(&w->layers[i]);
    printf("  workload: %d layers, %llu MACs\n", w->n_layers, (unsigned long long)total);
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        printf("    [%lld] %-14s %-10s", (long long)l->id, l->name[0] ? l->name : "-",
               l->operator_type[0] ? l->operator_type : "-");
        for (int k = 0; k < l->n_dims; k++)
            printf(" %s=%llu", l->dims[k], (unsigned long long)l->sizes[k]);
        printf("  MACs %llu", (unsigned long long)cfg_layer_macs(l));
        if (l->neuron.model != CFG_NEURON_NONE)
            printf("  %s neurons <- %s",
                   (const char *[]){"", "LIF", "IF", "CUBA-LIF", "sigma-delta"}[l->neuron.model],
                   l->input_source);
        for (int k = 1; l->neuron.model != CFG_NEURON_NONE && k < l->n_sources; k++)
            printf(" + %s%s", l->sources[k],
                   (const char *[]){"", " (recurrent: next step)", " (own weights)",
                                    " (own weights, recurrent: next step)"}
                       [(l->source_own[k] ? 2 : 0) + (l->source_layer[k] >= i)]);
        printf("\n");
    }
}

static void print_entry(const cfg_map_entry *e)
{
    for (int s = 0; s < e->n_spatial; s++) {
        printf(" %s=", e->spatial[s].oa_dim);
        for (int u = 0; u < e->spatial[s].n_unrolls; u++)
            printf("%s%s,%llu", u ? "+" : "", e->spatial[s].unrolls[u].dim,
                   (unsigned long long)e->spatial[s].unrolls[u].factor);
    }
    printf(" |");
    for (int k = 0; k < e->n_links; k++)
        printf(" %s->%s", e->link_operand[k], cfg_mem_operand_name(e->link_mem[k]));
    if (e->n_core_alloc) {
        printf(" | cores");
        for (int k = 0; k < e->n_core_alloc; k++)
            printf("%s%lld", k ? "," : " ", (long long)e->core_alloc[k]);
        if (e->core_alloc_fixed)
            printf(" (fixed)");
    }
    const cfg_loop *tl[2] = {e->intra_tiling, e->inter_tiling};
    const int tn[2] = {e->n_intra, e->n_inter};
    for (int t = 0; t < 2; t++) {
        if (tn[t])
            printf(" | %s", t ? "inter" : "intra");
        for (int k = 0; k < tn[t]; k++) {
            if (tl[t][k].factor == CFG_FACTOR_ALL || tl[t][k].factor == CFG_FACTOR_STAR)
                printf(" %s,%s", tl[t][k].dim, tl[t][k].factor ? "*" : "all");
            else
                printf(" %s,%llu", tl[t][k].dim, (unsigned long long)tl[t][k].factor);
        }
    }
    if (e->n_order)
        printf(" | fixed temporal order of %d loops", e->n_order);
    printf("\n");
}

static void print_mapping(const cfg_mapping *m)
{
    printf("  mapping: %d entries\n", m->n_entries);
    for (int i = 0; i < m->n_entries; i++) {
        printf("    %-16s", m->entries[i].name);
        print_entry(&m->entries[i]);
    }
}

/* The chip's NoC as the run will build it (nc: from the adapter). */
static void print_chip(const cfg_chip *c, const noc_config *nc)
{
    const cfg_noc *n = &c->noc;
    printf("  chip %s: %d cores on a %dx%d mesh, core clock %g GHz\n", c->name, c->n_cores,
           n->mesh_w, n->mesh_h, c->clock_ghz);
    const uint32_t *st = nc->router_stage_cycles;
    printf("    noc: %u-bit flits, %u VCs x %u flits, router stages %u/%u/%u/%u cycles, link "
           "%u cycles, %g GHz, %g pJ/flit/hop, %g pJ/bit/link, multicast lookup %u cycles\n",
           nc->flit_width_bits, nc->virtual_channels, nc->vc_depth_flits, st[0], st[1], st[2],
           st[3], nc->link_latency_cycles, nc->clock_ghz, nc->energy_per_flit_hop_pj,
           nc->energy_per_bit_link_pj, nc->multicast_lookup_cycles);
    /* The rarer keys, only when the file gives one of them. */
    if (cfg_noc_given(n, CFG_NOC_TERMINALS_PER_ROUTER) ||
        cfg_noc_given(n, CFG_NOC_CREDIT_DELAY_CYCLES) || cfg_noc_given(n, CFG_NOC_ROUTING) ||
        cfg_noc_given(n, CFG_NOC_DEADLOCK_CYCLES))
        printf("    noc: %u terminals per router, credit delay %u cycles, %s routing, "
               "deadlock after %llu cycles\n", nc->terminals_per_router,
               nc->credit_delay_cycles, noc_routing_name(nc->routing),
               (unsigned long long)nc->deadlock_cycles);
    for (int t = 0; t < c->n_types; t++) {
        int count = 0;
        for (int i = 0; i < c->n_cores; i++)
            count += c->cores[i].type == t;
        printf("    type %s: %d cores%s%s\n", c->types[t].name, count,
               c->types[t].source[0] ? ", from " : " (inline)", c->types[t].source);
        print_core(&c->types[t].core, "      ");
    }
    for (int i = 0; i < c->n_memories; i++) {
        const cfg_offchip *m = &c->memories[i];
        printf("    memory %s (%s): %llu b, %g Gbit/s, %g ns, %g/%g pJ/bit r/w, %g mW, "
               "controller at [%d, %d]\n", m->name, cfg_offchip_kind_name(m->kind),
               (unsigned long long)m->size_bits, m->bandwidth_gbps, m->latency_ns,
               m->read_energy_pj_per_bit, m->write_energy_pj_per_bit, m->static_power_mw,
               m->x, m->y);
    }
}

/* Pairs of a connection's cores it serves: those no later entry takes. */
static int conn_pairs_served(const cfg_chip *c, const cfg_conn *k, int *pairs)
{
    int served = 0;
    *pairs = 0;
    for (int i = 0; i < k->n_cores; i++)
        for (int j = 0; j < k->n_cores; j++)
            if (i != j) {
                ++*pairs;
                served += cfg_chip_conn_of(c, k->cores[i], k->cores[j]) == k;
            }
    return served;
}

/* A chip read from a Stream accelerator file: its cores (each its own
 * type), the off-chip core, and the links and buses in file order. */
static void print_stream_chip(const cfg_chip *c)
{
    printf("  chip %s (Stream accelerator): %d cores, %d connections, core clock %g GHz%s\n",
           c->name, c->n_cores, c->n_conns, c->clock_ghz,
           c->clock_line ? "" : " (the default: Stream has no clock)");
    for (int i = 0; i < c->n_cores; i++) {
        const cfg_core_type *t = &c->types[c->cores[i].type];
        const cfg_core *k = &t->core;
        const cfg_memory *top = k->n_mems ? &k->mems[k->n_mems - 1] : NULL;
        printf("    core %lld %s: %s", (long long)c->cores[i].id, t->name,
               k->kind == CFG_CORE_MEMORY ? "memory" : "compute");
        if (k->kind != CFG_CORE_MEMORY) {
            uint64_t pes = 1;
            for (int d = 0; d < k->n_oa_dims; d++)
                pes *= k->oa_sizes[d];
            printf(", %llu PEs", (unsigned long long)pes);
        }
        if (top)
            printf(", top memory %s %llu b", top->name, (unsigned long long)top->size_bits);
        printf("%s%s\n", t->source[0] ? ", from " : " (inline)", t->source);
    }
    printf("    off-chip core %lld\n", (long long)c->offchip_core_id);
    for (int i = 0; i < c->n_conns; i++) {
        const cfg_conn *k = &c->conns[i];
        int pairs, served = conn_pairs_served(c, k, &pairs);
        printf("    %s", k->type == CFG_CONN_BUS ? "bus " : "link");
        for (int j = 0; j < k->n_cores; j++)
            printf("%s%lld", j ? "," : " ", (long long)k->cores[j]);
        printf(": %g bits/cycle, %g pJ/bit, serves %d of its %d ordered pairs", k->bandwidth,
               k->unit_energy_pj, served, pairs);
        if (served < pairs)
            printf(" (later entries serve the other %d)", pairs - served);
        printf("\n");
    }
}

/* The dense run's mode and the scenario's layer stacks (layer ids, one
 * bracket per stack); an event-driven scenario says its own mode. */
static void print_mode(const cfg_scenario *s)
{
    if (s->timestep_mode) {
        printf("    mode %s\n", s->async_mode ? "async" : "timestep");
        return;
    }
    if (!s->fused) {
        printf("    mode lbl (layer by layer)\n");
        return;
    }
    if (s->n_stacks == 0) {
        printf("    mode fused, layer stacks chosen by the run (by weight capacity)\n");
        return;
    }
    printf("    mode fused, %d layer stacks:", s->n_stacks);
    for (int k = 0; k < s->n_stacks; k++) {
        printf(" [");
        int first = 1;
        for (int i = 0; i < s->n_stack_layers; i++)
            if (s->stack_of[i] == k) {
                printf("%s%lld", first ? "" : " ", (long long)s->stack_layer_id[i]);
                first = 0;
            }
        printf("]");
    }
    printf("\n");
}

/* The allocation search's settings (scheduler: stream): given, or the
 * defaults a run uses when some layer's cores are left open. */
static void print_search(const cfg_scenario *s)
{
    static const char *const obj[] = {"latency", "energy", "edp", "pareto"};
    if (s->scheduler != CFG_SCHED_STREAM)
        return;
    const cfg_search *q = &s->search;
    uint32_t genes, n = strm_plan_flexible_layers(s->chip, s->workload, s->mapping, &genes);
    if (n)
        printf("    %u layers leave their cores to the search (%u genes)\n", n, genes);
    printf("    search%s: objective %s, seed %llu, population %u, generations %u, patience %u, "
           "max_evaluations %llu (0 = none)\n",
           q->given ? "" : " (defaults, used if a layer's cores are left open)",
           obj[q->objective], (unsigned long long)q->seed, q->population, q->generations,
           q->patience, (unsigned long long)q->max_evaluations);
}

static void print_scenario(const cfg_scenario *s, const noc_config *nc)
{
    printf("  scenario %s: seed %llu\n", s->name[0] ? s->name : "-",
           (unsigned long long)s->seed);
    printf("    chip %s, workload %s, mapping %s\n", s->chip_path, s->workload_path,
           s->mapping_path);
    if (s->has_input)
        printf("    input %s%s%s\n", s->input.path, s->input.format[0] ? " as " : "",
               s->input.format);
    if (s->perfetto_path[0] || s->report_json_path[0] || s->report_text_path[0])
        printf("    outputs:%s%s%s%s%s%s\n", s->perfetto_path[0] ? " perfetto " : "",
               s->perfetto_path, s->report_json_path[0] ? " json " : "", s->report_json_path,
               s->report_text_path[0] ? " text " : "", s->report_text_path);
    print_mode(s);
    printf("    scheduler %s\n", s->scheduler == CFG_SCHED_STREAM ? "stream" : "evsim");
    print_search(s);
    if (s->max_time_ps || s->max_events)
        printf("    limits: %llu ps, %llu events (0 = none)\n",
               (unsigned long long)s->max_time_ps, (unsigned long long)s->max_events);
    if (s->chip->stream_form)
        print_stream_chip(s->chip);
    else
        print_chip(s->chip, nc);
    print_workload(s->workload);
    printf("  mapping per layer:\n");
    for (int i = 0; i < s->workload->n_layers; i++) {
        const cfg_layer *l = &s->workload->layers[i];
        const cfg_map_entry *e = cfg_mapping_find(s->mapping, l);
        printf("    [%lld] %-14s <- %-12s", (long long)l->id, l->name, e->name);
        print_entry(e);
    }
}

/* The chip's NoC through the run's adapter, so check rejects what a run
 * would: 0, or -1 with the positioned message added to err. */
static int noc_ok(const cfg_chip *c, uint64_t seed, noc_config *nc, base_errors *err)
{
    base_error be;
    if (c->stream_form)
        return 0;   /* links and buses, no mesh NoC to build */
    if (run_adapt_noc(c, run_noc_terminals_needed(c), seed, nc, &be) == 0)
        return 0;
    base_errors_add(err, &be);
    return -1;
}

/* An event-driven scenario through the run's snn plan and trace check. */
static int snn_ok(const cfg_scenario *s, base_errors *err)
{
    base_error be;
    if (!s->timestep_mode || snn_check(s, &be) == 0)
        return 0;
    base_errors_add(err, &be);
    return -1;
}

/* Loads path as kind k and prints its summary unless quiet; true when it
 * loads. */
static bool load_kind(cfg_kind k, const char *path, bool quiet, bool force, base_errors *err)
{
    bool ok = false;
    switch (k) {
    case CFG_KIND_CORE: {
        cfg_core *c = cfg_core_load_file(path, err);
        if ((ok = c) && !quiet)
            print_core(c, "  ");
        cfg_core_free(c);
        break;
    }
    case CFG_KIND_WORKLOAD: {
        cfg_workload *w = cfg_workload_load_file(path, err);
        if ((ok = w) && !quiet)
            print_workload(w);
        cfg_workload_free(w);
        break;
    }
    case CFG_KIND_MAPPING: {
        cfg_mapping *m = cfg_mapping_load_file(path, err);
        if ((ok = m) && !quiet)
            print_mapping(m);
        cfg_mapping_free(m);
        break;
    }
    case CFG_KIND_CHIP: {
        cfg_chip *c = cfg_chip_load_file(path, err);
        noc_config nc;
        if ((ok = c && !noc_ok(c, 1, &nc, err) && !cli_range_check(c, force, "", err)) &&
            !quiet) {
            if (c->stream_form)
                print_stream_chip(c);
            else
                print_chip(c, &nc);
        }
        cfg_chip_free(c);
        break;
    }
    case CFG_KIND_SCENARIO: {
        cfg_scenario *s = cfg_scenario_load_file(path, err);
        noc_config nc;
        if (s)
            cli_print_cfg_errors(stderr, "", &s->warnings);
        if ((ok = s && !noc_ok(s->chip, s->seed, &nc, err) && !snn_ok(s, err) &&
                  !cli_range_check(s->chip, force, "", err)) && !quiet)
            print_scenario(s, &nc);
        cfg_scenario_free(s);
        break;
    }
    default:
        break;
    }
    return ok;
}

/* Loads one file; prints its summary (unless quiet) or its errors. */
static int check_one(const char *path, bool quiet, bool force)
{
    if (cfg_nir_is_path(path))
        return cli_nir_check(path, quiet);
    if (cfg_onnx_is_path(path))
        return cli_onnx_check(path, quiet);
    if (cfg_sweep_is_file(path))
        return cli_sweep_check(path, quiet);
    base_errors err;
    base_errors_init(&err);
    cfg_kind k = cfg_detect_kind_file(path, &err);
    if (!quiet && k != CFG_KIND_UNKNOWN)
        printf("%s: %s\n", path, cfg_kind_name(k));
    bool ok = load_kind(k, path, quiet, force, &err);
    fflush(stdout); /* keep the summary and the errors in order on a terminal */
    cli_print_cfg_errors(stderr, "", &err);
    if (!ok && err.count == 0)
        fprintf(stderr, "%s: does not load\n", path);
    base_errors_clear(&err);
    return ok ? 0 : 1;
}

int cli_check_main(int argc, char **argv)
{
    bool quiet = false, force = false;
    const cli_opt opts[] = {
        {.name = "quiet", .short_name = 'q', .kind = CLI_FLAG, .ptr = &quiet,
         .help = "print only errors"},
        {.name = "force", .kind = CLI_FLAG, .ptr = &force, .help = CLI_FORCE_HELP},
        {.name = NULL}};
    const char **files = base_calloc((size_t)argc + 1, sizeof *files);
    int n = 0;
    const cli_spec spec = {.cmd = "check", .synopsis = synopsis, .tables = {opts},
                           .pos = files, .max_pos = argc, .n_pos = &n};
    if (!files) {
        fprintf(stderr, "evsim check: out of memory\n");
        return 1;
    }
    int rc = cli_parse(&spec, argc, argv);
    if (rc == 0 && n == 0)
        rc = cli_usage_error(&spec, "expected at least one FILE");
    if (rc) {
        base_free(files);
        return rc == 1 ? 0 : rc;
    }
    for (int i = 0; i < n; i++)
        rc |= check_one(files[i], quiet, force);
    base_free(files);
    return rc;
}
