/* cfg_check.c -- checks that need more than one file (a mapping against
 * a workload and a core), and telling the kind of a file from its
 * top-level keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_yaml.h"

/* Entry-level checks (spatial unrolling against the array) are made once
 * per entry (spatial_once); the links are checked per layer, since they
 * depend on the layer's operand names. */
static void check_entry(const cfg_map_entry *e, const char *mf, const cfg_layer *l,
                        const cfg_core *c, const char *cn, bool spatial_once, base_errors *err)
{
    const char *known[CFG_MAX_OA_DIMS + 1];
    for (int i = 0; i < c->n_oa_dims; i++)
        known[i] = c->oa_dims[i];
    known[c->n_oa_dims] = NULL;
    for (int s = 0; spatial_once && s < e->n_spatial; s++) {
        const cfg_spatial *sp = &e->spatial[s];
        int k = cfg_core_oa_dim(c, sp->oa_dim);
        if (k < 0) {
            const char *sug = cfg_suggest(sp->oa_dim, known);
            cfg_err_pos(err, mf, sp->line, sp->col, "%s.spatial_mapping.%s: core %s (%s) has no "
                           "operational_array dimension %s%s%s%s",
                           e->name, sp->oa_dim, c->name, cn, sp->oa_dim,
                           sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
            continue;
        }
        uint64_t prod = 1;
        for (int u = 0; u < sp->n_unrolls; u++)
            prod *= sp->unrolls[u].factor;
        if (prod > c->oa_sizes[k])
            cfg_err_pos(err, mf, sp->line, sp->col, "%s.spatial_mapping.%s: spatial mapping larger than "
                           "the array: unrolls %llu but core %s (%s) has %s = %llu", e->name, sp->oa_dim,
                           (unsigned long long)prod, c->name, cn, sp->oa_dim,
                           (unsigned long long)c->oa_sizes[k]);
    }
    for (int o = 0; o < l->n_operands; o++) {
        int j = 0;
        while (j < e->n_links && strcmp(e->link_operand[j], l->operands[o].name))
            j++;
        if (j == e->n_links) {
            cfg_err_pos(err, mf, e->line, e->col, "%s.memory_operand_links: layer %s (id %lld) has "
                           "operand %s but the entry does not link it to I1, I2 or O", e->name, l->name, (long long)l->id,
                           l->operands[o].name);
            continue;
        }
        cfg_mem_operand mop = e->link_mem[j];
        if (cfg_core_top_memory(c, mop) < 0)
            cfg_err_pos(err, mf, e->line, e->col, "%s.memory_operand_links.%s: operand %s has no "
                           "top-level memory in core %s (%s): add one that holds %s, e.g. "
                           "a DRAM", e->name, l->operands[o].name,
                           cfg_mem_operand_name(mop), c->name, cn, cfg_mem_operand_name(mop));
    }
}

int cfg_check_mapping(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                      const cfg_core *c, const char *core_name, base_errors *err)
{
    int before = err->count + err->dropped;
    bool *seen = base_calloc((size_t)m->n_entries + 1, sizeof *seen);
    if (!seen) {
        cfg_err_file(err, mapping_file, "out of memory");
        return -1;
    }
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        const cfg_map_entry *e = cfg_mapping_find(m, l);
        if (!e) {
            cfg_err_pos(err, mapping_file, 1, 1, "layer %s (id %lld) has no mapping entry: expected "
                           "an entry named '%s', '%s' (its operator_type) or 'default'", l->name, (long long)l->id, l->name,
                           l->operator_type);
            continue;
        }
        size_t ei = (size_t)(e - m->entries);
        if (c)
            check_entry(e, mapping_file, l, c, core_name, !seen[ei], err);
        seen[ei] = true;
    }
    base_free(seen);
    return err->count + err->dropped > before ? -1 : 0;
}

/* ---- tiling ----------------------------------------------------------- */

/* The layer's loop dims as "B, K, C" for messages. */
static const char *dim_list(const cfg_layer *l, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n_dims && at + 1 < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", l->dims[i]);
        if (w < 0)
            break;
        at += (size_t)w < len - at ? (size_t)w : len - at - 1;
    }
    return buf;
}

static const char *const tiling_key[2] = {"inter_core_tiling", "intra_core_tiling"};

/* One tiling list of entry ei against layer l; bad[k] marks items already
 * reported (for an earlier layer), so each bad item is reported once.
 * dims[k] gets the dim index of item k (-1 when unknown). */
static void check_one_tiling(const cfg_map_entry *e, int ei, int t, const cfg_layer *l,
                             const char *mf, bool *bad, int *dims, base_errors *err)
{
    const cfg_loop *lp = t == 0 ? e->inter_tiling : e->intra_tiling;
    int n = t == 0 ? e->n_inter : e->n_intra;
    char buf[CFG_MAX_LOOP_DIMS * (CFG_DIM_NAME_MAX + 2) + 1];
    for (int k = 0; k < n; k++) {
        dims[k] = cfg_layer_dim(l, lp[k].dim);
        if (bad[k])
            continue;
        if (dims[k] < 0) {
            bad[k] = true;
            cfg_err_pos(err, mf, lp[k].line, lp[k].col, "[%d].%s[%d]: expected one of the loop dims of "
                           "layer %s (%s), found '%s'", ei,
                           tiling_key[t], k, l->name[0] ? l->name : "(unnamed)",
                           dim_list(l, buf, sizeof buf), lp[k].dim);
            continue;
        }
        for (int j = 0; j < k; j++)
            if (dims[j] == dims[k]) {
                bad[k] = true;
                cfg_err_pos(err, mf, lp[k].line, lp[k].col, "[%d].%s[%d]: expected each dim cut at most "
                               "once, found %s again (first cut by [%d].%s[%d])", ei, tiling_key[t], k, lp[k].dim, ei,
                               tiling_key[t], j);
                break;
            }
    }
}

int cfg_check_tiling(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                     base_errors *err)
{
    int before = err->count + err->dropped;
    /* reported[entry][inter/intra][item] */
    bool (*reported)[2][CFG_MAX_TILING] = base_calloc((size_t)m->n_entries + 1, sizeof *reported);
    if (!reported) {
        cfg_err_file(err, mapping_file, "out of memory");
        return -1;
    }
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        const cfg_map_entry *e = cfg_mapping_find(m, l);
        if (!e)
            continue;   /* cfg_check_mapping reports it */
        int ei = (int)(e - m->entries);
        int dims[2][CFG_MAX_TILING];
        for (int t = 0; t < 2; t++)
            check_one_tiling(e, ei, t, l, mapping_file, reported[ei][t], dims[t], err);
        /* A part is one piece of the inter-core cut and its tiles are
         * pieces of that part: the two must cut different dims. */
        for (int k = 0; k < e->n_intra; k++)
            for (int j = 0; j < e->n_inter && !reported[ei][1][k]; j++)
                if (dims[1][k] >= 0 && dims[1][k] == dims[0][j]) {
                    reported[ei][1][k] = true;
                    const cfg_loop *lp = &e->intra_tiling[k];
                    cfg_err_pos(err, mapping_file, lp->line, lp->col, "[%d].intra_core_tiling[%d]: expected a dim "
                                   "that inter_core_tiling does not cut, found %s (cut by "
                                   "[%d].inter_core_tiling[%d] too)", ei, k, lp->dim, ei, j);
                }
    }
    base_free(reported);
    return err->count + err->dropped > before ? -1 : 0;
}

/* ---- kind detection --------------------------------------------------- */

const char *cfg_kind_name(cfg_kind k)
{
    static const char *const names[] = {"unknown", "core", "workload", "mapping", "chip",
                                        "scenario"};
    return (unsigned)k <= CFG_KIND_SCENARIO ? names[k] : "unknown";
}

static void *detect(cfg_doc *d, const cfg_node *root, void *arg)
{
    cfg_kind *k = arg;
    *k = CFG_KIND_UNKNOWN;
    if (cfg_is_map(root)) {
        /* A chip has memories too: test its own keys first. */
        if (cfg_map_get(d, root, "cores") || cfg_map_get(d, root, "noc") ||
            cfg_map_get(d, root, "core_types"))
            *k = CFG_KIND_CHIP;
        else if (cfg_map_get(d, root, "memories") || cfg_map_get(d, root, "operational_array"))
            *k = CFG_KIND_CORE;
        else if (cfg_map_get(d, root, "chip") || cfg_map_get(d, root, "workload"))
            *k = CFG_KIND_SCENARIO;
        else if (cfg_map_get(d, root, "layers"))
            *k = CFG_KIND_MAPPING;   /* newer Stream mapping files */
    } else if (cfg_is_seq(root) && cfg_seq_len(root) > 0) {
        cfg_node *first = cfg_seq_at(d, root, 0);
        if (cfg_map_get(d, first, "equation") || cfg_map_get(d, first, "loop_dims") ||
            cfg_map_get(d, first, "id"))
            *k = CFG_KIND_WORKLOAD;
        else if (cfg_map_get(d, first, "spatial_mapping") ||
                 cfg_map_get(d, first, "memory_operand_links") ||
                 cfg_map_get(d, first, "core_allocation") ||
                 cfg_map_get(d, first, "inter_core_tiling") ||
                 cfg_map_get(d, first, "intra_core_tiling"))
            *k = CFG_KIND_MAPPING;
    }
    if (*k == CFG_KIND_UNKNOWN)
        cfg_err_at(d, root, NULL, "cannot tell what kind of file this is: expected a core "
                   "(memories, operational_array), a chip (core_types, cores, noc), a "
                   "scenario (chip, workload, mapping), or a list of layers (id, equation) "
                   "or of mapping entries (name, spatial_mapping)");
    return NULL;
}

cfg_kind cfg_detect_kind_file(const char *path, base_errors *err)
{
    cfg_kind k = CFG_KIND_UNKNOWN;
    cfg_load_path(path, err, detect, &k);
    return k;
}
