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
