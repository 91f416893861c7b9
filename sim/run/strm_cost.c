/* strm_cost.c -- a CN's cost as Stream takes it from ZigZag (strm_cost.h):
 * the CN's core with Stream's DRAM level appended for the too-large
 * operands (add_offchip_to_core), the core's dataflows as the spatial
 * mapping, LOMA with Stream's objective (LOMA_CRIT_STREAM), and the
 * numbers Stream derives from the result (set_fixed_allocation_
 * performance.py: on/off-chip energy split, scaled DRAM bandwidths). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/adapt_loma.h"
#include "run/strm_cost.h"

static const cfg_core *core_of(const cfg_chip *chip, int idx)
{
    int t = chip->cores[idx].type;
    return t >= 0 && t < chip->n_types ? &chip->types[t].core : NULL;
}

/* The top memory of the off-chip core, restricted to the too-large
 * operands (their port allocations only), and served over the compute
 * core's array dims of the same names (a name the core lacks is
 * dropped), as add_offchip_to_core builds it. */
static void dram_level(const cfg_core *off, const cfg_core *core, const bool tl[STRM_N_OPS],
                       cfg_memory *out)
{
    const cfg_memory *top = &off->mems[off->n_mems - 1];
    *out = *top;
    out->n_operands = 0;
    memset(out->holds, 0, sizeof out->holds);
    for (int i = 0; i < top->n_operands; i++) {
        cfg_mem_operand op = top->operands[i];
        if (!tl[op])
            continue;
        out->operands[out->n_operands++] = op;
        out->holds[op] = true;
    }
    for (int p = 0; p < out->n_ports; p++)
        for (int op = 0; op < CFG_MOP_COUNT; op++)
            if (!tl[op])
                for (int d = 0; d < CFG_DIR_COUNT; d++) {
                    out->ports[p].alloc_mask &= ~CFG_ALLOC_BIT(op, d);
                    out->port_of[op][d] = -1;
                }
    out->n_served = 0;
    for (int s = 0; s < top->n_served; s++) {
        int k = cfg_core_oa_dim(core, off->oa_dims[top->served[s]]);
        if (k >= 0)
            out->served[out->n_served++] = k;
    }
}

/* The core the CN is costed on, into *out: a copy of the chip's core, with
 * the DRAM level on top when an operand is too large. */
static int cn_core(const cfg_chip *chip, int core, const cfg_layer *layer,
                   const bool tl[STRM_N_OPS], cfg_core *out, base_error *err)
{
    const cfg_core *c = core_of(chip, core);
    if (!c)
        return base_fail(err, "layer %s: core %d has no core type", layer->name, core);
    *out = *c;
    if (!tl[STRM_OP_I1] && !tl[STRM_OP_I2] && !tl[STRM_OP_O])
        return 0;
    int oi = cfg_chip_find_core(chip, chip->offchip_core_id);
    const cfg_core *off = oi >= 0 ? core_of(chip, oi) : NULL;
    if (!off || off->n_mems < 1)
        return base_fail(err, "layer %s on core %s: operands are too large for the core, but the "
                         "chip has no off-chip core (offchip_core_id %lld)", layer->name, c->name,
                         (long long)chip->offchip_core_id);
    if (out->n_mems >= CFG_MAX_MEMS)
        return base_fail(err, "layer %s on core %s: no room for the DRAM level (%d memories)",
                         layer->name, c->name, out->n_mems);
    dram_level(off, c, tl, &out->mems[out->n_mems++]);
    return 0;
}

/* ZigZag's bound on a user unroll by the array (SpatialMappingGenerator-
 * Stage.get_max_unrolling, applied by SpatialMapping.check_and_reduce, then
 * again in SpatialMappingConversionStage.generate_limited_user_spatial_
 * mapping "Check 1"): an unroll larger than its OA dim becomes the OA
 * dim's size, not its largest divisor (eyeriss_like's `K, 16` on D1 of 14
 * units is K 14). The mapper then applies the rest of ZigZag's rule as for
 * any mapping: min with the layer size and an innermost port's width, and
 * a size the unroll does not divide gets the fractional unroll
 * size / ceil(size / unroll) (K 32 on 14: 32 / 3 = 10.67 per unit, the
 * integer 10 for the transfer intervals). evsim's own mappings keep the
 * mapper's error for an unroll beyond the array. */
static void clamp_to_array(const cfg_core *core, cfg_map_entry *e)
{
    for (int s = 0; s < e->n_spatial; s++) {
        int o = cfg_core_oa_dim(core, e->spatial[s].oa_dim);
        if (o < 0)
            continue;
        for (int u = 0; u < e->spatial[s].n_unrolls; u++)
            if (e->spatial[s].unrolls[u].factor > core->oa_sizes[o])
                e->spatial[s].unrolls[u].factor = core->oa_sizes[o];
    }
}

/* The mapping entry Stream uses on this core: the layer's, with the
 * core's dataflows as its spatial mapping (Stream's dataflows always win
 * over the mapping file's), bounded by the array as ZigZag bounds it. */
static int cn_entry(const cfg_mapping *mapping, const cfg_layer *layer, const cfg_core *core,
                    cfg_map_entry *out, base_error *err)
{
    const cfg_map_entry *me = mapping ? cfg_mapping_find(mapping, layer) : NULL;
    if (!me)
        return base_fail(err, "layer %s: no mapping entry (by name, operator type or default)",
                         layer->name);
    *out = *me;
    if (core->n_dataflows > 0) {
        out->n_spatial = core->n_dataflows;
        memcpy(out->spatial, core->dataflows, sizeof out->spatial);
    }
    clamp_to_array(core, out);
    return 0;
}

/* Stream's nb_parallel_nodes: the product of the inter-core tiling
 * factors (1 with a `*`). */
static int parallel_cns(const cfg_map_entry *me, const cfg_layer *layer)
{
    uint64_t n = 1;
    for (int i = 0; i < me->n_inter; i++) {
        uint64_t f = me->inter_tiling[i].factor;
        if (f == CFG_FACTOR_STAR)
            return 1;
        if (f == CFG_FACTOR_ALL) {
            int d = cfg_layer_dim(layer, me->inter_tiling[i].dim);
            f = d >= 0 ? layer->sizes[d] : 1;
        }
        n *= f;
    }
    return n > 1 << 20 ? 1 << 20 : (int)n;
}

/* The layer operand (the mapper's index) each memory operand holds. */
static void layer_ops(const cfg_core *core, const loma_core *lc, int lop[STRM_N_OPS])
{
    for (int i = 0; i < STRM_N_OPS; i++)
        lop[i] = -1;
    for (int k = 0; k < core->n_mems && k < lc->n_mems; k++)
        for (int i = 0; i < core->mems[k].n_operands && i < lc->mem[k].n_ops; i++)
            lop[core->mems[k].operands[i]] = lc->mem[k].ops[i];
}

/* Stream's objective options: the operands with the most memory levels
 * (once a DRAM level is appended) count their DRAM bandwidth; with
 * several, one input is taken as broadcast (Stream takes the first
 * non-output operand of a set; evsim takes I1, the activations the
 * K-split CNs share). */
static void stream_options(const loma_core *lc, const int lop[STRM_N_OPS], bool dram,
                           int parallel, loma_options *o)
{
    o->criterion = LOMA_CRIT_STREAM;
    o->dram_ops = 0;
    o->parallel_cns = parallel;
    o->broadcast_op = -1;
    if (!dram)
        return;
    int nlev[LOMA_N_OPS] = {0}, most = 0;
    for (int k = 0; k < lc->n_mems; k++)
        for (int i = 0; i < lc->mem[k].n_ops; i++)
            nlev[lc->mem[k].ops[i]]++;
    for (int op = 0; op < LOMA_N_OPS; op++)
        most = nlev[op] > most ? nlev[op] : most;
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (nlev[op] == most)
            o->dram_ops |= 1u << op;
    const int pref[2] = {STRM_OP_I1, STRM_OP_I2};
    for (int i = 0; i < 2 && o->broadcast_op < 0; i++)
        if (lop[pref[i]] >= 0 && (o->dram_ops & (1u << lop[pref[i]])))
            o->broadcast_op = lop[pref[i]];
}

/* The CN's shape: the whole layer with the tile's loop sizes, window dims
 * shrunk to what the tile reads (as the run's plan cuts CNs). */
static void cn_shape(const loma_layer *whole, const uint64_t *tile, loma_layer *out)
{
    *out = *whole;
    for (int d = 0; d < out->n_dims; d++)
        out->dim_size[d] = tile[d];
    for (int i = 0; i < out->n_pr; i++) {
        loma_pr *p = &out->pr[i];
        uint64_t w = p->sa * (out->dim_size[p->dim_a] - 1) +
                     p->sb * (out->dim_size[p->dim_b] - 1) + 1;
        if (w < p->total)
            p->total = w;
    }
}

/* The chosen mapping as ZigZag prints it: per operand and level, inner
 * first, "{O: [[(FX, 7), (FY, 7)], [...]], W: ...}". */
static void describe(const loma_result *r, const loma_layer *l, const loma_core *c,
                     strm_cost *out)
{
    size_t n = 0, cap = sizeof out->temporal;
#define PUT(...) (n += (size_t)snprintf(out->temporal + (n < cap ? n : cap), n < cap ? cap - n : 0, __VA_ARGS__))
    PUT("{");
    for (int op = 0; op < LOMA_N_OPS; op++) {
        PUT("%s%s: [", op ? ", " : "", l->op_name[op]);
        for (int lv = 0; lv < r->n_levels[op]; lv++) {
            PUT("%s[", lv ? ", " : "");
            for (int i = 0; i < r->n_loops[op][lv]; i++)
                PUT("%s(%s, %g)", i ? ", " : "", l->dim_name[r->loops[op][lv][i].dim],
                    r->loops[op][lv][i].size);
            PUT("]");
        }
        PUT("]");
    }
    PUT("}");
#undef PUT
    n = 0;
    cap = sizeof out->spatial;
    out->spatial[0] = '\0';
    for (int oa = 0; oa < LOMA_MAX_OA; oa++) /* by array dim, as the core lists them */
        for (int i = 0; i < r->n_spatial && n < cap; i++)
            if (r->sp_oa[i] == oa)
                n += (size_t)snprintf(out->spatial + n, cap - n, "%s%s %s %g", n ? ", " : "",
                                      c->oa_name[oa], l->dim_name[r->sp_loop[i].dim],
                                      r->sp_loop[i].size);
}

/* Stream's numbers from the result: the DRAM part of each too-large
 * operand, and its bandwidth scaled to the CN's whole runtime. */
static void fill_cost(const loma_result *r, const loma_core *lc, const int lop[STRM_N_OPS],
                      const bool tl[STRM_N_OPS], strm_cost *out)
{
    static const int dir[STRM_N_DIRS] = {LOMA_TL, LOMA_FL, LOMA_TH, LOMA_FH};
    out->latency_total0 = r->latency0_cycles;
    out->latency_total1 = r->latency1_cycles;
    out->latency_total2 = r->latency_cycles;
    out->ideal_cycle = r->ideal_cycles;
    out->ideal_temporal_cycle = r->ideal_temporal_cycles;
    out->onloading_cycle = r->onload_cycles;
    out->offloading_cycle = r->offload_cycles;
    out->energy_total = r->energy_pj;
    out->mac_energy = r->mac_energy_pj;
    out->mac_spatial_utilization = r->spatial_utilization;
    double scaling = r->latency_cycles > 0 ? r->ideal_temporal_cycles / r->latency_cycles : 1;
    for (int op = 0; op < STRM_N_OPS; op++) {
        out->too_large[op] = tl[op];
        if (!tl[op] || lop[op] < 0)
            continue;
        int top = r->n_levels[lop[op]] - 1;
        out->offchip_pj[op] = r->energy_level_pj[lop[op]][top];
        double bw[LOMA_N_DIRS];
        loma_inst_bandwidth(r, lc, lop[op], top, scaling, bw);
        for (int d = 0; d < STRM_N_DIRS; d++)
            out->offchip_bw[op][d] = bw[dir[d]] > 0 ? (uint32_t)bw[dir[d]] : 0;
    }
}

/* What the mapper is given, built on the heap (the structs are large). */
typedef struct {
    cfg_core core;
    cfg_map_entry entry;
    adapt_loma_in in;
    loma_layer shape;
    loma_result own;
} cn_inputs;

int strm_cost_eval(const cfg_chip *chip, int core, const cfg_layer *layer,
                   const cfg_mapping *mapping, const uint64_t *tile,
                   const bool too_large[STRM_N_OPS], const loma_options *opt,
                   loma_cache *cache, strm_cost *out, base_error *err)
{
    memset(out, 0, sizeof *out);
    if (!chip || core < 0 || core >= chip->n_cores)
        return base_fail(err, "layer %s: no core %d on the chip", layer->name, core);
    cn_inputs *x = base_calloc(1, sizeof *x);
    if (!x)
        return base_fail(err, "layer %s: out of memory", layer->name);
    int rc = -1;
    bool dram = too_large[STRM_OP_I1] || too_large[STRM_OP_I2] || too_large[STRM_OP_O];
    if (cn_core(chip, core, layer, too_large, &x->core, err) ||
        cn_entry(mapping, layer, &x->core, &x->entry, err) ||
        adapt_loma_all(&x->core, layer, &x->entry, &x->in, err))
        goto done;
    int lop[STRM_N_OPS];
    layer_ops(&x->core, &x->in.core, lop);
    loma_options o = *opt;
    stream_options(&x->in.core, lop, dram, parallel_cns(&x->entry, layer), &o);
    cn_shape(&x->in.whole, tile, &x->shape);
    loma_job job = adapt_loma_job(&x->in, &x->shape, &o);
    loma_costed got;
    if (loma_cost(cache, &job, cache ? NULL : &x->own, &got, err)) {
        char m[BASE_MSG_MAX];
        snprintf(m, sizeof m, "%s", err->msg);
        base_fail(err, "%s (on core %s)", m, x->core.name);
        goto done;
    }
    fill_cost(got.r, &x->in.core, lop, too_large, out);
    describe(got.r, &x->shape, &x->in.core, out);
    rc = 0;
done:
    base_free(x);
    return rc;
}
