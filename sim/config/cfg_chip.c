/* cfg_chip.c -- evsim's chip description: core types (a ZigZag core
 * inline, or a file path relative to the chip file), core instances on a
 * 2D mesh, the NoC parameters, and shared / off-chip memories with the
 * mesh position of their controller. Modelled on Stream's multi-core
 * files (cores + an off-chip core + connectivity), with the connectivity
 * reduced to a mesh and the NoC made explicit. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_yaml.h"

static const char *const chip_keys[] = {"name", "clock_ghz", "core_types", "cores", "noc",
                                        "memories", NULL};
static const char *const type_keys[] = {"file", "core", NULL};
static const char *const inst_keys[] = {"id", "type", "at", NULL};
/* In cfg_noc_key order. */
static const char *const noc_keys[CFG_NOC_N_KEYS + 1] = {
    "mesh", "terminals_per_router", "flit_width_bits", "virtual_channels", "vc_depth_flits",
    "router_stage_cycles", "link_latency_cycles", "credit_delay_cycles", "clock_ghz",
    "energy_per_flit_hop_pj", "energy_per_bit_link_pj", "multicast_lookup_cycles", "routing",
    "deadlock_cycles", "model", NULL};
static const char *const mem_keys[] = {
    "name", "type", "size_bits", "bandwidth_gbps", "latency_ns", "read_energy_pj_per_bit",
    "write_energy_pj_per_bit", "static_power_mw", "at", NULL};
static const char *const kind_names[] = {"dram", "stt_mram", "hbm", "sram", NULL};

const char *cfg_noc_key_name(cfg_noc_key k)
{
    return (unsigned)k < CFG_NOC_N_KEYS ? noc_keys[k] : NULL;
}

const char *cfg_offchip_kind_name(cfg_mem_kind k)
{
    return (unsigned)k <= CFG_MEM_SRAM ? kind_names[k] : "?";
}

int cfg_chip_find_core(const cfg_chip *c, int64_t id)
{
    for (int i = 0; i < c->n_cores; i++)
        if (c->cores[i].id == id)
            return i;
    return -1;
}

/* [x, y] inside the mesh. */
static bool parse_at(cfg_doc *d, const cfg_node *map, const char *path, const cfg_noc *noc,
                     int *x, int *y)
{
    char kp[256], b[96];
    cfg_node *at = cfg_need(d, map, path, "at");
    if (!at)
        return false;
    cfg_path_key(kp, sizeof kp, path, "at");
    if (!cfg_is_seq(at) || cfg_seq_len(at) != 2) {
        cfg_err_at(d, at, kp, "expected a mesh position [x, y], found %s",
                   cfg_describe(at, b, sizeof b));
        return false;
    }
    int64_t v[2];
    for (int k = 0; k < 2; k++) {
        char ip[280];
        if (!cfg_as_int(d, cfg_seq_at(d, at, k), cfg_path_idx(ip, sizeof ip, kp, k), 0,
                        INT32_MAX, &v[k]))
            return false;
    }
    if (noc->mesh_w > 0 && (v[0] >= noc->mesh_w || v[1] >= noc->mesh_h)) {
        cfg_err_at(d, at, kp, "position [%lld, %lld] is off the %dx%d mesh: expected x in "
                   "0..%d and y in 0..%d", (long long)v[0], (long long)v[1], noc->mesh_w,
                   noc->mesh_h, noc->mesh_w - 1, noc->mesh_h - 1);
        return false;
    }
    *x = (int)v[0];
    *y = (int)v[1];
    return true;
}

/* The value of key k in the noc block, recorded as given at its position;
 * NULL when absent (after "missing key" when required). */
static cfg_node *noc_value(cfg_doc *d, const cfg_node *nn, const char *path, cfg_noc *n,
                           cfg_noc_key k, bool required)
{
    cfg_node *v = required ? cfg_need(d, nn, path, noc_keys[k])
                           : cfg_map_get(d, nn, noc_keys[k]);
    if (!v)
        return NULL;
    n->given |= 1u << k;
    n->line[k] = (int)v->start_mark.line + 1;
    n->col[k] = (int)v->start_mark.column + 1;
    return v;
}

/* A list of len counts (mesh, router_stage_cycles) into out. */
static void noc_counts(cfg_doc *d, const cfg_node *v, const char *kp, int len,
                       const char *what, int64_t hi, int64_t *out)
{
    char ip[280], b[96];
    if (!cfg_is_seq(v) || cfg_seq_len(v) != len) {
        cfg_err_at(d, v, kp, "expected %s, found %s", what, cfg_describe(v, b, sizeof b));
        return;
    }
    for (int i = 0; i < len; i++)
        cfg_as_int(d, cfg_seq_at(d, v, i), cfg_path_idx(ip, sizeof ip, kp, i), 0, hi, &out[i]);
}

/* Types only: the NoC model owns the defaults and the ranges (see
 * cfg_noc). Energies, clock and flit width have no default: a chip says
 * what its links are. */
static void parse_noc(cfg_doc *d, const cfg_node *nn, const char *path, cfg_noc *n)
{
    char kp[256];
    if (!cfg_expect_map(d, nn, path))
        return;
    cfg_check_keys(d, nn, path, noc_keys);
    n->block_line = (int)nn->start_mark.line + 1;
    n->block_col = (int)nn->start_mark.column + 1;
    cfg_node *v;
    int64_t pair[4] = {0, 0, 0, 0};
    if ((v = noc_value(d, nn, path, n, CFG_NOC_MESH, true))) {
        noc_counts(d, v, cfg_path_key(kp, sizeof kp, path, "mesh"), 2, "[width, height]",
                   INT32_MAX, pair);
        n->mesh_w = (int)pair[0];
        n->mesh_h = (int)pair[1];
    }
    if ((v = noc_value(d, nn, path, n, CFG_NOC_ROUTER_STAGE_CYCLES, false))) {
        noc_counts(d, v, cfg_path_key(kp, sizeof kp, path, "router_stage_cycles"), 4,
                   "4 cycle counts [routing, vc_alloc, switch_alloc, switch_traversal]",
                   UINT32_MAX, pair);
        for (int i = 0; i < 4; i++)
            n->router_stage_cycles[i] = (uint32_t)pair[i];
    }
    const struct { cfg_noc_key k; bool required; uint32_t *out; } counts[] = {
        {CFG_NOC_TERMINALS_PER_ROUTER, false, &n->terminals_per_router},
        {CFG_NOC_FLIT_WIDTH_BITS, true, &n->flit_width_bits},
        {CFG_NOC_VIRTUAL_CHANNELS, false, &n->virtual_channels},
        {CFG_NOC_VC_DEPTH_FLITS, false, &n->vc_depth_flits},
        {CFG_NOC_LINK_LATENCY_CYCLES, false, &n->link_latency_cycles},
        {CFG_NOC_CREDIT_DELAY_CYCLES, false, &n->credit_delay_cycles},
        {CFG_NOC_MULTICAST_LOOKUP_CYCLES, false, &n->multicast_lookup_cycles},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        int64_t x;
        if ((v = noc_value(d, nn, path, n, counts[i].k, counts[i].required)) &&
            cfg_as_int(d, v, cfg_path_key(kp, sizeof kp, path, noc_keys[counts[i].k]), 0,
                       UINT32_MAX, &x))
            *counts[i].out = (uint32_t)x;
    }
    const struct { cfg_noc_key k; double *out; } reals[] = {
        {CFG_NOC_CLOCK_GHZ, &n->clock_ghz},
        {CFG_NOC_ENERGY_PER_FLIT_HOP_PJ, &n->energy_per_flit_hop_pj},
        {CFG_NOC_ENERGY_PER_BIT_LINK_PJ, &n->energy_per_bit_link_pj},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        if ((v = noc_value(d, nn, path, n, reals[i].k, true)))
            cfg_as_double(d, v, cfg_path_key(kp, sizeof kp, path, noc_keys[reals[i].k]),
                          -DBL_MAX, DBL_MAX, reals[i].out);
    if ((v = noc_value(d, nn, path, n, CFG_NOC_ROUTING, false)))
        cfg_as_str(d, v, cfg_path_key(kp, sizeof kp, path, "routing"), n->routing,
                   sizeof n->routing);
    if ((v = noc_value(d, nn, path, n, CFG_NOC_DEADLOCK_CYCLES, false)))
        cfg_as_uint(d, v, cfg_path_key(kp, sizeof kp, path, "deadlock_cycles"), 0,
                    &n->deadlock_cycles);
    if ((v = noc_value(d, nn, path, n, CFG_NOC_MODEL, false)))
        cfg_as_str(d, v, cfg_path_key(kp, sizeof kp, path, "model"), n->model,
                   sizeof n->model);
}

static void parse_types(cfg_doc *d, const cfg_node *tn, const char *path, const char *base,
                        cfg_chip *c)
{
    char kp[256], fp[1024], b[96];
    if (!cfg_expect_map(d, tn, path))
        return;
    int n = cfg_map_len(tn);
    if (n > CFG_MAX_LIST) {
        cfg_err_at(d, tn, path, "expected at most %d core types, found %d", CFG_MAX_LIST, n);
        return;
    }
    c->types = base_calloc((size_t)n + 1, sizeof *c->types);
    if (!c->types) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    if (n == 0)
        cfg_err_at(d, tn, path, "expected at least one core type");
    for (int i = 0; i < n; i++) {
        cfg_node *kn = cfg_map_key(d, tn, i), *v = cfg_map_val(d, tn, i);
        cfg_core_type *t = &c->types[c->n_types];
        if (!cfg_as_str(d, kn, path, t->name, sizeof t->name))
            continue;
        cfg_path_key(kp, sizeof kp, path, t->name);
        c->n_types++;
        if (!cfg_expect_map(d, v, kp))
            continue;
        cfg_check_keys(d, v, kp, type_keys);
        cfg_node *file = cfg_map_get(d, v, "file"), *inl = cfg_map_get(d, v, "core");
        if ((file != NULL) == (inl != NULL)) {
            cfg_err_at(d, v, kp, "expected exactly one of 'file' (a core YAML, relative to "
                       "this file) or 'core' (the core inline), found %s",
                       file ? "both" : "neither");
            continue;
        }
        if (inl) {
            char ip[280];
            cfg_core_parse(d, inl, cfg_path_key(ip, sizeof ip, kp, "core"), &t->core);
            continue;
        }
        const char *rel = cfg_text(file);
        if (!rel || cfg_is_null(file) || !cfg_join(base, rel, fp, sizeof fp) ||
            strlen(fp) >= sizeof t->source) {
            char ip[280];
            cfg_err_at(d, file, cfg_path_key(ip, sizeof ip, kp, "file"),
                       "expected a path to a core YAML, found %s",
                       cfg_describe(file, b, sizeof b));
            continue;
        }
        strcpy(t->source, fp);
        cfg_core *core = cfg_core_load_file(fp, d->err);
        if (!core) {
            char ip[280];
            cfg_err_at(d, file, cfg_path_key(ip, sizeof ip, kp, "file"),
                       "core type %s: %s does not load (errors above)", t->name, fp);
            continue;
        }
        t->core = *core;
        cfg_core_free(core);
    }
}

static void parse_cores(cfg_doc *d, const cfg_node *cn, const char *path, cfg_chip *c)
{
    char ip[64], kp[256], b[96];
    if (!cfg_expect_seq(d, cn, path))
        return;
    int n = cfg_seq_len(cn);
    if (n > CFG_MAX_LIST) {
        cfg_err_at(d, cn, path, "expected at most %d cores, found %d", CFG_MAX_LIST, n);
        return;
    }
    c->cores = base_calloc((size_t)n + 1, sizeof *c->cores);
    if (!c->cores) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    if (n == 0)
        cfg_err_at(d, cn, path, "expected at least one core");
    const char *known[64];
    int nk = 0;
    for (int i = 0; i < c->n_types && nk < 63; i++)
        known[nk++] = c->types[i].name;
    known[nk] = NULL;
    for (int i = 0; i < n; i++) {
        cfg_node *en = cfg_seq_at(d, cn, i);
        cfg_core_inst *ci = &c->cores[c->n_cores];
        cfg_path_idx(ip, sizeof ip, path, i);
        if (!cfg_expect_map(d, en, ip))
            continue;
        cfg_check_keys(d, en, ip, inst_keys);
        ci->id = i;
        cfg_get_int(d, en, ip, "id", false, 0, INT32_MAX, &ci->id);
        cfg_node *tn = cfg_need(d, en, ip, "type");
        ci->type = -1;
        for (int t = 0; tn && cfg_text(tn) && t < c->n_types; t++)
            if (!strcmp(c->types[t].name, cfg_text(tn)))
                ci->type = t;
        if (tn && ci->type < 0) {
            const char *s = cfg_text(tn) ? cfg_suggest(cfg_text(tn), known) : NULL;
            cfg_err_at(d, tn, cfg_path_key(kp, sizeof kp, ip, "type"),
                       "expected one of the core_types, found %s%s%s%s",
                       cfg_describe(tn, b, sizeof b), s ? " (did you mean '" : "",
                       s ? s : "", s ? "'?)" : "");
        }
        if (!parse_at(d, en, ip, &c->noc, &ci->x, &ci->y))
            continue;
        for (int j = 0; j < c->n_cores; j++) {
            if (c->cores[j].id == ci->id)
                cfg_err_at(d, en, ip, "core id %lld is used twice (first by cores[%d])",
                           (long long)ci->id, j);
            if (c->cores[j].x == ci->x && c->cores[j].y == ci->y)
                cfg_err_at(d, cfg_map_get(d, en, "at"), cfg_path_key(kp, sizeof kp, ip, "at"),
                           "two cores on one spot: cores[%d] is already at [%d, %d]", j,
                           ci->x, ci->y);
        }
        c->n_cores++;
    }
}

static void parse_memories(cfg_doc *d, const cfg_node *mn, const char *path, cfg_chip *c)
{
    char ip[64], kp[256], b[96];
    if (!cfg_expect_seq(d, mn, path))
        return;
    int n = cfg_seq_len(mn);
    if (n > CFG_MAX_LIST) {
        cfg_err_at(d, mn, path, "expected at most %d memories, found %d", CFG_MAX_LIST, n);
        return;
    }
    c->memories = base_calloc((size_t)n + 1, sizeof *c->memories);
    if (!c->memories) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *en = cfg_seq_at(d, mn, i);
        cfg_offchip *m = &c->memories[c->n_memories];
        cfg_path_idx(ip, sizeof ip, path, i);
        if (!cfg_expect_map(d, en, ip))
            continue;
        cfg_check_keys(d, en, ip, mem_keys);
        cfg_get_str(d, en, ip, "name", true, m->name, sizeof m->name);
        cfg_node *tn = cfg_need(d, en, ip, "type");
        int k = -1;
        for (int j = 0; tn && cfg_text(tn) && kind_names[j]; j++)
            if (!strcmp(kind_names[j], cfg_text(tn)))
                k = j;
        if (tn && k < 0) {
            const char *s = cfg_text(tn) ? cfg_suggest(cfg_text(tn), kind_names) : NULL;
            cfg_err_at(d, tn, cfg_path_key(kp, sizeof kp, ip, "type"),
                       "expected dram, stt_mram, hbm or sram, found %s%s%s%s",
                       cfg_describe(tn, b, sizeof b), s ? " (did you mean '" : "",
                       s ? s : "", s ? "'?)" : "");
        }
        m->kind = k < 0 ? CFG_MEM_DRAM : (cfg_mem_kind)k;
        cfg_get_uint(d, en, ip, "size_bits", true, 1, &m->size_bits);
        cfg_get_double(d, en, ip, "bandwidth_gbps", true, 1e-9, 1e9, &m->bandwidth_gbps);
        cfg_get_double(d, en, ip, "latency_ns", true, 0, 1e9, &m->latency_ns);
        cfg_get_double(d, en, ip, "read_energy_pj_per_bit", true, 0, 1e6,
                       &m->read_energy_pj_per_bit);
        cfg_get_double(d, en, ip, "write_energy_pj_per_bit", true, 0, 1e6,
                       &m->write_energy_pj_per_bit);
        cfg_get_double(d, en, ip, "static_power_mw", false, 0, 1e9, &m->static_power_mw);
        parse_at(d, en, ip, &c->noc, &m->x, &m->y);
        for (int j = 0; j < c->n_memories; j++)
            if (!strcmp(c->memories[j].name, m->name))
                cfg_err_at(d, en, ip, "memory name %s is used twice", m->name);
        c->n_memories++;
    }
}

typedef struct {
    const char *base_dir;
} chip_arg;

static void *parse_chip_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    const chip_arg *ca = arg;
    cfg_chip *c = base_calloc(1, sizeof *c);
    if (!c) {
        cfg_err_file(d->err, d->file, "out of memory");
        return NULL;
    }
    c->offchip_core_id = -1;
    if (!cfg_expect_map(d, root, "")) {
        cfg_chip_free(c);
        return NULL;
    }
    snprintf(c->file, sizeof c->file, "%s", d->file);
    if (cfg_stream_acc_is(d, root)) {
        cfg_stream_acc_parse(d, root, ca->base_dir, c);
        if (cfg_doc_failed(d)) {
            cfg_chip_free(c);
            return NULL;
        }
        return c;
    }
    cfg_check_keys(d, root, "", chip_keys);
    cfg_get_str(d, root, "", "name", true, c->name, sizeof c->name);
    cfg_get_double(d, root, "", "clock_ghz", true, 1e-6, 1e3, &c->clock_ghz);
    const cfg_node *clk = cfg_map_get(d, root, "clock_ghz");
    c->clock_line = clk ? (int)clk->start_mark.line + 1 : 1;
    c->clock_col = clk ? (int)clk->start_mark.column + 1 : 1;
    /* The NoC first: core and controller positions are checked against
     * its mesh. */
    cfg_node *noc = cfg_need(d, root, "", "noc");
    if (noc)
        parse_noc(d, noc, "noc", &c->noc);
    cfg_node *types = cfg_need(d, root, "", "core_types");
    if (types)
        parse_types(d, types, "core_types", ca->base_dir, c);
    cfg_node *cores = cfg_need(d, root, "", "cores");
    if (cores && c->types)
        parse_cores(d, cores, "cores", c);
    cfg_node *mems = cfg_map_get(d, root, "memories");
    if (mems && !cfg_is_null(mems))
        parse_memories(d, mems, "memories", c);
    if (cfg_doc_failed(d)) {
        cfg_chip_free(c);
        return NULL;
    }
    return c;
}

cfg_chip *cfg_chip_load_file(const char *path, base_errors *err)
{
    char dir[1024];
    cfg_dirname(path, dir, sizeof dir);
    chip_arg a = {dir};
    return cfg_load_path(path, err, parse_chip_doc, &a);
}

cfg_chip *cfg_chip_load_string(const char *text, size_t len, const char *display_name,
                               const char *base_dir, base_errors *err)
{
    chip_arg a = {base_dir ? base_dir : "."};
    return cfg_load_text(text, len, display_name, err, parse_chip_doc, &a);
}

void cfg_chip_free(cfg_chip *c)
{
    if (!c)
        return;
    base_free(c->types);
    base_free(c->cores);
    base_free(c->memories);
    base_free(c->conns);
    base_free(c);
}
