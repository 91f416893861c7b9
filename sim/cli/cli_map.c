/* cli_map.c -- `evsim map`: maps each layer of a workload on one core with
 * the LOMA mapper and prints the loop-order table and cost breakdown, or
 * one JSON object per layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/cfg_onnx.h"
#include "run/standalone.h"

static const char synopsis[] =
    "usage: evsim map --hw CORE.yaml --workload LAYERS.yaml --mapping MAP.yaml [options]\n"
    "\n"
    "Maps each layer (or layer ID) on the core with LOMA and prints the chosen\n"
    "loop order per operand (innermost first, with the memory of each level)\n"
    "and the latency / energy breakdown. A complete temporal_ordering in the\n"
    "mapping is costed as given, as in `evsim run`. --threads spreads the evaluation\n"
    "of orderings over N threads; the result is the same for any N. --cache FILE\n"
    "keeps results per (layer shape, core) in FILE so a second run skips the search.\n"
    "The workload may be an ONNX model. --stream costs each layer as Stream takes it\n"
    "from ZigZag (the core's dataflows as spatial mapping, Stream's objective, the\n"
    "--too-large operands streamed from the --offchip core's DRAM) and prints ZigZag's\n"
    "cost fields as in Stream's cost table.\n";

static void print_loop(FILE *out, const loma_layer *ll, const loma_loop *l)
{
    if (l->size == (double)(long long)l->size)
        fprintf(out, "%s %lld", ll->dim_name[l->dim], (long long)l->size);
    else
        fprintf(out, "%s %.3g", ll->dim_name[l->dim], l->size);
}

/* The spatial unrolling and the temporal loops per operand and level. */
static void print_levels(FILE *out, const loma_layer *ll, const loma_core *lc,
                         const loma_result *r)
{
    fprintf(out, "  spatial:");
    for (int i = 0; i < r->n_spatial; i++) {
        fprintf(out, " %s:", lc->oa_name[r->sp_oa[i]]);
        print_loop(out, ll, &r->sp_loop[i]);
    }
    fprintf(out, "%s\n", r->n_spatial ? "" : " none");
    fprintf(out, "  temporal loops per operand, innermost first (level: memory: loops):\n");
    for (int op = 0; op < LOMA_N_OPS; op++) {
        fprintf(out, "    %s\n", ll->op_name[op]);
        for (int lv = 0; lv < r->n_levels[op]; lv++) {
            fprintf(out, "      L%d %-16s", lv, lc->mem[r->mem_of[op][lv]].name);
            if (r->n_loops[op][lv] == 0)
                fprintf(out, " -");
            for (int i = 0; i < r->n_loops[op][lv]; i++) {
                fprintf(out, " [");
                print_loop(out, ll, &r->loops[op][lv][i]);
                fprintf(out, "]");
            }
            fprintf(out, "\n");
        }
    }
}

/* The memory operand op fetches loop i (of the ordering) from. */
static const char *loop_memory(const loma_core *lc, const loma_result *r, int op, int i)
{
    int pos = 0, lv = 0;
    for (lv = 0; lv < r->n_levels[op]; lv++) {
        if (i < pos + r->n_loops[op][lv])
            break;
        pos += r->n_loops[op][lv];
    }
    if (lv >= r->n_levels[op])
        lv = r->n_levels[op] - 1;
    return lc->mem[r->mem_of[op][lv]].name;
}

/* ZigZag's loop-nest view: the whole ordering, outermost first, with the
 * memory each operand fetches that loop's data from. */
static void print_nest(FILE *out, const loma_layer *ll, const loma_core *lc,
                       const loma_result *r)
{
    fprintf(out, "  loop nest, outermost first (memory per operand):\n");
    fprintf(out, "    %-32s", "");
    for (int op = 0; op < LOMA_N_OPS; op++)
        fprintf(out, op + 1 < LOMA_N_OPS ? " %-16s" : " %s", ll->op_name[op]);
    fprintf(out, "\n");
    for (int i = r->n_order - 1; i >= 0; i--) {
        char loop[96];
        int depth = r->n_order - 1 - i;
        snprintf(loop, sizeof loop, "%*sfor %s in [0, %lld):", 2 * depth, "",
                 ll->dim_name[r->order[i].dim], (long long)r->order[i].size);
        fprintf(out, "    %-32s", loop);
        for (int op = 0; op < LOMA_N_OPS; op++)
            fprintf(out, op + 1 < LOMA_N_OPS ? " %-16s" : " %s", loop_memory(lc, r, op, i));
        fprintf(out, "\n");
    }
    for (int i = 0; i < r->n_spatial; i++) {
        char loop[96];
        snprintf(loop, sizeof loop, "%*sparfor %s in [0, %lld):", 2 * r->n_order, "",
                 ll->dim_name[r->sp_loop[i].dim], (long long)r->sp_loop[i].size);
        fprintf(out, "    %-32s %s\n", loop, lc->oa_name[r->sp_oa[i]]);
    }
}

static void print_costs(FILE *out, const loma_layer *ll, const loma_core *lc,
                        const loma_result *r)
{
    fprintf(out, "  latency %.0f cycles (ideal %.0f, temporal %.0f, stall %.0f, onload %.0f, "
                 "offload %.0f), utilisation %.3f\n",
            r->latency_cycles, r->ideal_cycles, r->ideal_temporal_cycles, r->stall_cycles,
            r->onload_cycles, r->offload_cycles, r->utilization);
    fprintf(out, "  energy %.3f pJ (MAC %.3f, memory %.3f)\n", r->energy_pj, r->mac_energy_pj,
            r->mem_energy_pj);
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lv = 0; lv < r->n_levels[op]; lv++)
            fprintf(out, "    %-2s L%d %-16s %.3f pJ\n", ll->op_name[op], lv,
                    lc->mem[r->mem_of[op][lv]].name, r->energy_level_pj[op][lv]);
    fprintf(out, "  orderings evaluated %llu (valid %llu), chosen #%llu, %.6f s\n",
            (unsigned long long)r->orderings_evaluated, (unsigned long long)r->orderings_valid,
            (unsigned long long)r->chosen_index, r->wall_s);
}

static void print_text(FILE *out, const loma_layer *ll, const loma_core *lc, const loma_result *r,
                       long long id)
{
    fprintf(out, "layer %lld (%s) on %s\n", id, ll->name, lc->name);
    print_levels(out, ll, lc, r);
    print_nest(out, ll, lc, r);
    print_costs(out, ll, lc, r);
}

/* The JSON line's stream, and whether a string failed to go out (out of
 * memory in cJSON's escaper), so the command can fail instead of
 * printing a broken line. */
typedef struct {
    FILE *f;
    int bad;
} map_json;

static void json_str(map_json *out, const char *s)
{
    if (base_json_put_str(out->f, s) != 0)
        out->bad = 1;
}

static void json_loops(map_json *out, const loma_layer *ll, const loma_loop *l, int n)
{
    for (int i = 0; i < n; i++) {
        fprintf(out->f, "%s[", i ? "," : "");
        json_str(out, ll->dim_name[l[i].dim]);
        fprintf(out->f, ",%.17g]", l[i].size);
    }
}

static void json_spatial(map_json *out, const loma_layer *ll, const loma_core *lc,
                         const loma_result *r)
{
    for (int o = 0; o < lc->n_oa; o++) {
        fprintf(out->f, "%s", o ? "," : "");
        json_str(out, lc->oa_name[o]);
        fprintf(out->f, ":[");
        int k = 0;
        for (int i = 0; i < r->n_spatial; i++)
            if (r->sp_oa[i] == o) {
                fprintf(out->f, "%s[", k++ ? "," : "");
                json_str(out, ll->dim_name[r->sp_loop[i].dim]);
                fprintf(out->f, ",%.17g]", r->sp_loop[i].size);
            }
        fprintf(out->f, "]");
    }
}

/* One memory level of one operand: energy, accesses, loops. */
static void json_level(map_json *out, const loma_layer *ll, const loma_core *lc,
                       const loma_result *r, int op, int lv)
{
    fprintf(out->f, "%s{\"memory\":", lv ? "," : "");
    json_str(out, lc->mem[r->mem_of[op][lv]].name);
    fprintf(out->f, ",\"energy_pj\":%.17g,\"energy_by_direction_pj\":{", r->energy_level_pj[op][lv]);
    for (int d = 0; d < LOMA_N_DIRS; d++)
        fprintf(out->f, "%s\"%s\":%.17g", d ? "," : "", loma_dir_name(d),
                r->energy_dir_pj[op][lv][d]);
    fprintf(out->f, "},\"word_accesses\":{");
    for (int d = 0; d < LOMA_N_DIRS; d++)
        fprintf(out->f, "%s\"%s\":%.17g", d ? "," : "", loma_dir_name(d),
                r->word_access[op][lv][d]);
    fprintf(out->f, "},\"double_buffered\":%s,\"loops\":[",
            r->double_buffer[op][lv + 1] ? "true" : "false");
    json_loops(out, ll, r->loops[op][lv], r->n_loops[op][lv]);
    fprintf(out->f, "]}");
}

/* One JSON line per layer; -1 when out of memory (nothing sensible to
 * print then). */
static int print_json(FILE *f, const loma_layer *ll, const loma_core *lc, const loma_result *r,
                      long long id, bool from_cache)
{
    map_json j = {f, 0}, *out = &j;
    fprintf(out->f, "{\"layer\":%lld,\"name\":", id);
    json_str(out, ll->name);
    fprintf(out->f,
            ",\"latency_cycles\":%.17g,\"energy_pj\":%.17g,\"mac_energy_pj\":%.17g,"
            "\"mem_energy_pj\":%.17g,\"ideal_cycles\":%.17g,\"ideal_temporal_cycles\":%.17g,"
            "\"stall_cycles\":%.17g,\"onload_cycles\":%.17g,\"offload_cycles\":%.17g,"
            "\"spatial_utilization\":%.17g,\"temporal_utilization\":%.17g,\"utilization\":%.17g,"
            "\"orderings_evaluated\":%llu,\"orderings_valid\":%llu,\"orderings_skipped\":%llu,"
            "\"chosen_index\":%llu,\"spatial_mapping\":{",
            r->latency_cycles, r->energy_pj, r->mac_energy_pj, r->mem_energy_pj, r->ideal_cycles,
            r->ideal_temporal_cycles, r->stall_cycles, r->onload_cycles, r->offload_cycles,
            r->spatial_utilization, r->ideal_temporal_cycles / r->latency_cycles, r->utilization,
            (unsigned long long)r->orderings_evaluated,
            (unsigned long long)r->orderings_valid, (unsigned long long)r->orderings_skipped,
            (unsigned long long)r->chosen_index);
    json_spatial(out, ll, lc, r);
    fprintf(out->f, "},\"temporal_mapping\":{");
    for (int op = 0; op < LOMA_N_OPS; op++) {
        fprintf(out->f, "%s", op ? "," : "");
        json_str(out, ll->op_name[op]);
        fprintf(out->f, ":[");
        for (int lv = 0; lv < r->n_levels[op]; lv++)
            json_level(out, ll, lc, r, op, lv);
        fprintf(out->f, "]");
    }
    fprintf(out->f, "},\"ordering\":[");
    json_loops(out, ll, r->order, r->n_order);
    fprintf(out->f, "],\"from_cache\":%s,\"wall_s\":%.9f}\n", from_cache ? "true" : "false",
            r->wall_s);
    return j.bad ? -1 : 0;
}

typedef struct {
    const char *hw, *wl, *mp, *cache_path, *offchip;
    long long layer_id;
    bool has_layer, json, stream, has_too_large;
    bool too_large[CFG_MOP_COUNT];
    loma_options opt;
} map_cli;

/* --too-large I1,I2,O (any of them, comma-separated; `none` for none). */
static int parse_too_large(const char *v, void *ptr, char *msg, size_t len)
{
    map_cli *c = ptr;
    char buf[64];
    memset(c->too_large, 0, sizeof c->too_large);
    c->has_too_large = true;
    snprintf(msg, len, "a comma-separated list of I1, I2, O (or none)");
    if (!strcmp(v, "none"))
        return 0;
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int op = cfg_mem_operand_from_name(t);
        if (op < 0)
            return -1;
        c->too_large[op] = true;
    }
    return 0;
}

static int parse_layer(const char *v, void *ptr, char *msg, size_t len)
{
    map_cli *c = ptr;
    char *end;
    c->layer_id = strtoll(v, &end, 10);
    c->has_layer = *v && !*end;
    if (!c->has_layer)
        snprintf(msg, len, "an integer layer id");
    return c->has_layer ? 0 : -1;
}

static int parse_criterion(const char *v, void *ptr, char *msg, size_t len)
{
    if (loma_criterion_parse(v, ptr) == 0)
        return 0;
    snprintf(msg, len, "latency, energy or edp");
    return -1;
}

static void show_criterion(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", loma_criterion_name(*(const loma_criterion *)ptr));
}

/* 0 parsed, else the exit status (help 0, usage error 2) + 1. */
static int parse(map_cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {
        {.name = "hw", .kind = CLI_STR, .ptr = &c->hw, .arg = "CORE.yaml",
         .help = "the core description"},
        {.name = "workload", .kind = CLI_STR, .ptr = &c->wl, .arg = "LAYERS.yaml",
         .help = "the layers"},
        {.name = "mapping", .kind = CLI_STR, .ptr = &c->mp, .arg = "MAP.yaml",
         .help = "the mapping (spatial unrolling, links, temporal_ordering)"},
        {.name = "layer", .kind = CLI_CUSTOM, .ptr = c, .arg = "ID", .parse = parse_layer,
         .help = "map only the layer with this id"},
        {.name = "criterion", .kind = CLI_CUSTOM, .ptr = &c->opt.criterion, .arg = "C",
         .parse = parse_criterion, .show = show_criterion, .help = "latency | energy | edp"},
        {.name = "lpf-limit", .kind = CLI_INT, .ptr = &c->opt.lpf_limit, .arg = "N", .min = 1,
         .max = LOMA_MAX_LPF, .help = "loop prime factors per search"},
        {.name = "max-orderings", .kind = CLI_U64, .ptr = &c->opt.max_orderings, .arg = "N",
         .min = 1, .max = 1.8e19, .no_default = true, .help = "bound on the orderings searched"},
        {.name = "threads", .kind = CLI_INT, .ptr = &c->opt.threads, .arg = "N", .min = 1,
         .max = LOMA_MAX_THREADS, .no_default = true, .help = "evaluation threads"},
        {.name = "cache", .kind = CLI_STR, .ptr = &c->cache_path, .arg = "FILE",
         .help = "keep results in FILE across runs"},
        {.name = "json", .kind = CLI_FLAG, .ptr = &c->json, .help = "one JSON object per layer"},
        {.name = "stream", .kind = CLI_FLAG, .ptr = &c->stream,
         .help = "cost as Stream takes it from ZigZag (ONNX layers as Stream's)"},
        {.name = "too-large", .kind = CLI_CUSTOM, .ptr = c, .arg = "I1,I2,O",
         .parse = parse_too_large, .help = "with --stream: operands streamed from DRAM"},
        {.name = "offchip", .kind = CLI_STR, .ptr = &c->offchip, .arg = "OFFCHIP.yaml",
         .help = "with --stream: the off-chip memory core"},
        {.name = NULL}};
    const cli_spec spec = {.cmd = "map", .synopsis = synopsis, .tables = {opts}};
    int rc = cli_parse(&spec, argc, argv);
    if (rc)
        return rc == 1 ? 1 : 3;
    if (!c->hw || !c->wl || !c->mp)
        return cli_usage_error(&spec, "--hw, --workload and --mapping are required") + 1;
    if (!c->stream && (c->has_too_large || c->offchip))
        return cli_usage_error(&spec, "--too-large and --offchip go with --stream") + 1;
    bool any = c->too_large[0] || c->too_large[1] || c->too_large[2];
    if (any && !c->offchip)
        return cli_usage_error(&spec, "--too-large needs --offchip (the DRAM they stream from)") + 1;
    return 0;
}

typedef struct {
    base_errors e;
    cfg_core *core, *offchip;
    cfg_workload *w;
    cfg_mapping *m;
    loma_cache *cache;
    cfg_chip *chip;                  /* --stream: the core and the off-chip core */
} map_inputs;

static int load_inputs(const map_cli *c, map_inputs *in)
{
    base_errors_init(&in->e);
    cfg_onnx_options oo = {.stream = c->stream};
    in->core = cfg_core_load_file(c->hw, &in->e);
    in->w = cfg_onnx_is_path(c->wl) ? cfg_onnx_workload_load_file_opt(c->wl, &oo, &in->e)
                                    : cfg_workload_load_file(c->wl, &in->e);
    in->m = cfg_mapping_load_file(c->mp, &in->e);
    in->offchip = c->offchip ? cfg_core_load_file(c->offchip, &in->e) : NULL;
    if (!in->core || !in->w || !in->m || (c->offchip && !in->offchip)) {
        cli_print_cfg_errors(stderr, "evsim map: ", &in->e);
        return -1;
    }
    if (c->stream && !(in->chip = cli_map_stream_chip(in->core, in->offchip))) {
        fprintf(stderr, "evsim map: out of memory\n");
        return -1;
    }
    if (!c->cache_path)
        return 0;
    base_error err;
    if (!(in->cache = loma_cache_new())) {
        fprintf(stderr, "evsim map: out of memory\n");
        return -1;
    }
    if (access(c->cache_path, F_OK) == 0 && loma_cache_load(in->cache, c->cache_path, &err)) {
        fprintf(stderr, "evsim map: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static void free_inputs(map_inputs *in)
{
    loma_cache_free(in->cache);
    cfg_chip_free(in->chip);
    cfg_core_free(in->offchip);
    cfg_core_free(in->core);
    cfg_workload_free(in->w);
    cfg_mapping_free(in->m);
    base_errors_clear(&in->e);
}

static void print_notes(const cfg_layer *l, const adapt_loma_in *in, const loma_notes *n)
{
    char note[512];
    bool warn;
    for (int k = 0; loma_note_text(n, k, &in->whole, &in->core, note, sizeof note, &warn); k++)
        fprintf(stderr, "evsim map: %s: layer %lld (%s): %s\n", warn ? "warning" : "note",
                (long long)l->id, in->whole.name, note);
}

/* Maps one layer through the costing entry point and prints it; 0 or -1. */
static int map_layer(const map_cli *c, const map_inputs *mi, const cfg_layer *l,
                     adapt_loma_in *in, loma_result *own)
{
    const cfg_map_entry *me = cfg_mapping_find(mi->m, l);
    if (!me) {
        fprintf(stderr, "evsim map: layer %lld (%s): no mapping entry (name, operator_type or "
                        "default) in %s\n", (long long)l->id, l->name, c->mp);
        return -1;
    }
    base_error err;
    loma_costed out;
    int bad = adapt_loma_all(mi->core, l, me, in, &err);
    if (!bad) {
        loma_job job = adapt_loma_job(in, &in->whole, &c->opt);
        bad = loma_cost(mi->cache, &job, own, &out, &err);
    }
    if (bad) {
        fprintf(stderr, "evsim map: %s\n", err.msg);
        return -1;
    }
    print_notes(l, in, &out.notes);
    if (c->json) {
        if (print_json(stdout, &in->whole, &in->core, out.r, (long long)l->id,
                       out.from_cache) != 0) {
            fprintf(stderr, "evsim map: out of memory writing JSON\n");
            return -1;
        }
    } else
        print_text(stdout, &in->whole, &in->core, out.r, (long long)l->id);
    return 0;
}

static int map_layers(const map_cli *c, const map_inputs *mi)
{
    adapt_loma_in *in = base_malloc(sizeof *in);
    loma_result *own = base_malloc(sizeof *own);
    int rc = 0, done = 0;
    if (!in || !own) {
        fprintf(stderr, "evsim map: out of memory\n");
        base_free(own);
        base_free(in);
        return 1;
    }
    for (int i = 0; i < mi->w->n_layers; i++) {
        const cfg_layer *l = &mi->w->layers[i];
        if (c->has_layer && l->id != c->layer_id)
            continue;
        done++;
        if (c->stream ? cli_map_stream_layer(mi->chip, mi->m, l, c->too_large, &c->opt,
                                             mi->cache, c->json)
                      : map_layer(c, mi, l, in, own))
            rc = 1;
    }
    base_free(own);
    base_free(in);
    if (c->has_layer && !done) {
        fprintf(stderr, "evsim map: no layer with id %lld in %s\n", c->layer_id, c->wl);
        rc = 1;
    }
    return rc;
}

int cli_map_main(int argc, char **argv)
{
    map_cli c = {.opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6}};
    int prc = parse(&c, argc, argv);
    if (prc)
        return prc - 1;
    map_inputs mi = {0};
    int rc = load_inputs(&c, &mi) ? 1 : map_layers(&c, &mi);
    if (mi.cache && rc == 0) {
        base_error err;
        if (loma_cache_save(mi.cache, c.cache_path, &err)) {
            fprintf(stderr, "evsim map: %s\n", err.msg);
            rc = 1;
        }
    }
    free_inputs(&mi);
    return rc;
}
