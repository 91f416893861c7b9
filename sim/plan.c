/* plan.c -- layers into costed CNs; see plan.h. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loma/loma_cfg.h"

static int fail(plan_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *lname(const cfg_layer *l)
{
    return l->name[0] ? l->name : "(unnamed)";
}

/* Size of one index of an operand: a loop dim, or a window dim from its
 * relation (a*(A-1) + b*(B-1) + 1), else 1. */
static uint64_t index_size(const cfg_layer *l, const char *idx)
{
    int d = cfg_layer_dim(l, idx);
    if (d >= 0)
        return l->sizes[d];
    for (int r = 0; r < l->n_relations; r++) {
        const cfg_relation *rel = &l->relations[r];
        if (strcmp(rel->lhs, idx))
            continue;
        uint64_t n = 1;
        for (int t = 0; t < rel->n_terms; t++) {
            int dd = cfg_layer_dim(l, rel->dim[t]);
            if (dd >= 0 && rel->coef[t] > 0)
                n += (uint64_t)rel->coef[t] * (l->sizes[dd] - 1);
        }
        return n;
    }
    return 1;
}

static uint64_t operand_bits(const cfg_layer *l, int op, int prec)
{
    uint64_t n = (uint64_t)(prec > 0 ? prec : 0);
    for (int i = 0; i < l->operands[op].n_idx; i++)
        n *= index_size(l, l->operands[op].idx[i]);
    return n;
}

/* Split size S into n near-equal parts; part i's size. */
static uint64_t part_size(uint64_t S, uint64_t n, uint64_t i)
{
    return S / n + (i < S % n ? 1 : 0);
}

/* The CN's shape: the whole layer with the split and tile dims cut down;
 * window dims shrink with them (never beyond the padded whole). */
static void cn_shape(const loma_layer *whole, int split_d, uint64_t split_sz,
                     int tile_d, uint64_t tile_sz, loma_layer *out)
{
    *out = *whole;
    if (split_d >= 0)
        out->dim_size[split_d] = split_sz;
    if (tile_d >= 0)
        out->dim_size[tile_d] = tile_sz;
    for (int i = 0; i < out->n_pr; i++) {
        loma_pr *p = &out->pr[i];
        uint64_t w = p->sa * (out->dim_size[p->dim_a] - 1) +
                     p->sb * (out->dim_size[p->dim_b] - 1) + 1;
        if (w < p->total)
            p->total = w;
    }
}

/* Pick the tiling entry's dim and part count, as Stream reads them:
 * `all` cuts the dim completely, `*` into as many parts as `star` (the
 * allocated cores). Returns the loop dim index, -1 (no tiling), or -2 on
 * a dim the layer lacks. */
static int tiling(const cfg_layer *l, const cfg_loop *t, int n, uint64_t star,
                  uint64_t *parts)
{
    if (n == 0)
        return -1;
    int d = cfg_layer_dim(l, t[0].dim);
    if (d < 0)
        return -2;
    uint64_t want = t[0].factor == CFG_FACTOR_ALL    ? l->sizes[d]
                    : t[0].factor == CFG_FACTOR_STAR ? star
                                                     : t[0].factor;
    if (want > l->sizes[d])
        want = l->sizes[d];
    *parts = want ? want : 1;
    return d;
}

static int build_layer(plan *p, const cfg_scenario *s, uint32_t li,
                       const loma_options *opt, double *load_ps,
                       plan_error *err)
{
    const cfg_chip *chip = s->chip;
    const cfg_layer *l = &s->workload->layers[li];
    plan_layer *pl = &p->layers[li];
    pl->cfg = l;
    if (l->neuron.model != CFG_NEURON_NONE)
        return fail(err, "layer %s is a spiking layer: `evsim run` simulates "
                    "conventional layers only so far (spiking layers load in "
                    "`evsim check` and map in `evsim map`)", lname(l));
    const cfg_map_entry *me = cfg_mapping_find(s->mapping, l);
    if (!me)
        return fail(err, "layer %s: no mapping entry (by name, operator_type "
                    "or `default`)", lname(l));

    /* Cores the layer may use, as chip core indices. */
    uint32_t cand[CFG_MAX_CORE_ALLOC];
    uint32_t n_cand = 0;
    if (me->n_core_alloc == 0) {
        for (int c = 0; c < chip->n_cores && n_cand < CFG_MAX_CORE_ALLOC; c++)
            cand[n_cand++] = (uint32_t)c;
    } else {
        for (int i = 0; i < me->n_core_alloc; i++) {
            int c = cfg_chip_find_core(chip, me->core_alloc[i]);
            if (c < 0)
                return fail(err, "layer %s: core_allocation names core %lld, "
                            "which the chip does not have", lname(l),
                            (long long)me->core_alloc[i]);
            cand[n_cand++] = (uint32_t)c;
        }
    }
    if (n_cand == 0)
        return fail(err, "layer %s: the chip has no cores", lname(l));
    /* One core type for the whole layer: parts on cores of other types
     * would need their own mapping. */
    int type = chip->cores[cand[0]].type;
    for (uint32_t i = 1; i < n_cand; i++)
        if (chip->cores[cand[i]].type != type)
            return fail(err, "layer %s: core_allocation mixes core types "
                        "(%s and %s); give the layer cores of one type",
                        lname(l), chip->types[type].name,
                        chip->types[chip->cores[cand[i]].type].name);
    const cfg_core *core = &chip->types[type].core;

    loma_spatial sp;
    loma_error le;
    if (loma_from_cfg(core, l, me, &pl->core, &pl->whole, &sp, &le) != 0)
        return fail(err, "%s", le.msg);

    /* The cache keys on the core type; memory_operand_links change what
     * the mapper sees of it, so they are part of the key too. */
    int key = type;
    for (int i = 0; i < me->n_links; i++)
        key = key * 3 + (int)me->link_mem[i];

    if (chip->n_memories > 0 && core->n_mems > 0) {
        const cfg_memory *top = &core->mems[core->n_mems - 1];
        pl->top_is_offchip = top->holds[CFG_MOP_I1] && top->holds[CFG_MOP_I2] &&
                             top->holds[CFG_MOP_O];
    }

    uint64_t n_parts = 1, n_tiles = 1;
    int split_d = tiling(l, me->inter_tiling, me->n_inter, n_cand, &n_parts);
    int tile_d = tiling(l, me->intra_tiling, me->n_intra, n_cand, &n_tiles);
    if (split_d == -2 || tile_d == -2)
        return fail(err, "layer %s: %s tiling names %s, which is not one of "
                    "its loop dims", lname(l), split_d == -2 ? "inter-core" : "intra-core",
                    split_d == -2 ? me->inter_tiling[0].dim : me->intra_tiling[0].dim);
    if (split_d >= 0 && split_d == tile_d)
        return fail(err, "layer %s: inter- and intra-core tiling both cut "
                    "%s; cut different dims", lname(l), l->dims[split_d]);
    if (split_d >= 0)
        snprintf(pl->split_dim, sizeof pl->split_dim, "%s", l->dims[split_d]);
    if (tile_d >= 0)
        snprintf(pl->tile_dim, sizeof pl->tile_dim, "%s", l->dims[tile_d]);

    pl->macs = cfg_layer_macs(l);
    pl->out_bits = operand_bits(l, 0, l->operands[0].final_precision_bits > 0
                                          ? l->operands[0].final_precision_bits
                                          : l->operands[0].precision_bits);
    for (int op = 1; op < l->n_operands; op++) {
        const cfg_operand *o = &l->operands[op];
        bool constant = !o->has_source || o->source_layer_id == l->id;
        if (!constant) {
            int src = cfg_workload_find_id(s->workload, o->source_layer_id);
            if (src < 0 || (uint32_t)src >= li)
                return fail(err, "layer %s: operand %s comes from layer %lld, "
                            "which is not an earlier layer", lname(l), o->name,
                            (long long)o->source_layer_id);
            if (pl->n_producers == PLAN_MAX_PRODUCERS)
                return fail(err, "layer %s: more than %d producer layers",
                            lname(l), PLAN_MAX_PRODUCERS);
            pl->producers[pl->n_producers++] = (uint32_t)src;
            p->layers[src].n_consumers++;
        } else if (strcmp(o->name, "W") != 0) {
            /* A constant operand that is not the weights: the network
             * input, read from off-chip. Weights are preloaded. */
            pl->offchip_in_bits += operand_bits(l, op, o->precision_bits);
        }
    }

    pl->n_parts = (uint32_t)n_parts;
    pl->parts = calloc(n_parts, sizeof *pl->parts);
    if (!pl->parts)
        return fail(err, "out of memory");
    uint64_t split_total = split_d >= 0 ? l->sizes[split_d] : 1;
    bool split_in_out = split_d >= 0 && pl->whole.relevant[LOMA_OP_O][split_d];
    for (uint64_t part = 0; part < n_parts; part++) {
        plan_part *pp = &pl->parts[part];
        uint64_t ssz = split_d >= 0 ? part_size(split_total, n_parts, part) : 0;
        /* Parts go to the candidate core with the least work planned so
         * far: deterministic, and it spreads layers without inter-core
         * tiling over the allocation. */
        uint32_t best = cand[part % n_cand];
        if (n_parts == 1)
            for (uint32_t i = 0; i < n_cand; i++)
                if (load_ps[cand[i]] < load_ps[best])
                    best = cand[i];
        pp->core = best;
        pp->out_bits = split_in_out ? pl->out_bits / split_total * ssz
                                    : pl->out_bits / n_parts;
        pp->first_cn = p->n_cns;
        uint64_t tile_total = tile_d >= 0 ? l->sizes[tile_d] : 1;
        for (uint64_t t = 0; t < n_tiles; t++) {
            uint64_t tsz = tile_d >= 0 ? part_size(tile_total, n_tiles, t) : 0;
            loma_layer shape;
            cn_shape(&pl->whole, split_d, ssz, tile_d, tsz, &shape);
            const loma_result *r;
            size_t before = loma_cache_count(p->cache);
            if (loma_cache_map(p->cache, &shape, &pl->core, key, &sp, opt, &r,
                               &le) != 0)
                return fail(err, "%s", le.msg);
            if (loma_cache_count(p->cache) != before) {
                p->unique_cns++;
                p->mapper_wall_s += r->wall_s;
            }
            plan_cn *cn = &p->cns[p->n_cns++];
            cn->layer = li;
            cn->part = (uint32_t)part;
            cn->tile = (uint32_t)t;
            cn->macs = 1;
            for (int d = 0; d < shape.n_dims; d++)
                cn->macs *= shape.dim_size[d];
            cn->cycles = r->latency_cycles;
            cn->dur_ps = (uint64_t)(r->latency_cycles * 1000.0 / chip->clock_ghz + 0.5);
            if (cn->dur_ps == 0)
                cn->dur_ps = 1;
            cn->top_pj = 0;
            if (pl->top_is_offchip)
                for (int op = 0; op < LOMA_N_OPS; op++)
                    if (r->n_levels[op] > 0 &&
                        r->mem_of[op][r->n_levels[op] - 1] == pl->core.n_mems - 1)
                        cn->top_pj += r->energy_level_pj[op][r->n_levels[op] - 1];
            cn->energy_pj = r->energy_pj - cn->top_pj;
            cn->cost = r;
            load_ps[best] += (double)cn->dur_ps;
            pp->n_cns++;
        }
    }
    return 0;
}

plan *plan_build(const cfg_scenario *s, const loma_options *opt,
                 plan_error *err)
{
    const cfg_workload *w = s->workload;
    const cfg_chip *chip = s->chip;
    plan *p = calloc(1, sizeof *p);
    double *load = calloc((size_t)chip->n_cores + 1, sizeof *load);
    if (!p || !load) {
        free(p);
        free(load);
        fail(err, "out of memory");
        return NULL;
    }
    p->n_layers = (uint32_t)w->n_layers;
    p->layers = calloc((size_t)w->n_layers + 1, sizeof *p->layers);
    p->cache = loma_cache_new();
    /* Upper bound on CNs: every layer cut into its largest tiling. */
    uint64_t max_cns = 0;
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        uint64_t parts = chip->n_cores > 0 ? (uint64_t)chip->n_cores : 1;
        uint64_t biggest = 1;
        for (int d = 0; d < l->n_dims; d++)
            if (l->sizes[d] > biggest)
                biggest = l->sizes[d];
        const cfg_map_entry *me = cfg_mapping_find(s->mapping, l);
        uint64_t tiles = me && me->n_intra ? biggest : 1;
        uint64_t split = me && me->n_inter ? (parts > biggest ? parts : biggest) : 1;
        max_cns += split * tiles;
    }
    p->cns = calloc(max_cns ? max_cns : 1, sizeof *p->cns);
    if (!p->layers || !p->cache || !p->cns) {
        fail(err, "out of memory");
        goto bad;
    }
    for (uint32_t i = 0; i < p->n_layers; i++)
        if (build_layer(p, s, i, opt, load, err) != 0)
            goto bad;
    free(load);
    return p;
bad:
    free(load);
    plan_free(p);
    return NULL;
}

void plan_free(plan *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->n_layers && p->layers; i++)
        free(p->layers[i].parts);
    free(p->layers);
    free(p->cns);
    loma_cache_free(p->cache);
    free(p);
}

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

void plan_loop_order(const plan *p, const plan_cn *cn, char *buf, size_t len)
{
    const plan_layer *pl = &p->layers[cn->layer];
    const loma_result *r = cn->cost;
    size_t at = 0;
    buf[0] = 0;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        put(buf, len, &at, "%s%s:", op ? "; " : "", pl->whole.op_name[op]);
        for (int lev = 0; lev < r->n_levels[op]; lev++) {
            int m = r->mem_of[op][lev];
            put(buf, len, &at, " %s[", m >= 0 ? pl->core.mem[m].name : "?");
            for (int i = 0; i < r->n_loops[op][lev]; i++) {
                const loma_loop *lp = &r->loops[op][lev][i];
                put(buf, len, &at, "%s%s %g", i ? " " : "",
                    pl->whole.dim_name[lp->dim], lp->size);
            }
            put(buf, len, &at, "]");
        }
    }
}
