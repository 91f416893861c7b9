/* adapt_loma.c -- converts loaded YAML configs into the mapper's plain
 * inputs: layer operands are linked to memory operands through the
 * mapping's memory_operand_links, window dims come from
 * dimension_relations (with padding or explicit pr sizes). */
#include <stdio.h>
#include <string.h>

#include "run/adapt_loma.h"

#define ERR(...) (snprintf(err->msg, sizeof err->msg, __VA_ARGS__), -1)

static const char *lname(const cfg_layer *l)
{
    static const char *anon = "(unnamed)";
    return l->name[0] ? l->name : anon;
}

static int dir_of(int cfg_dir)
{
    switch (cfg_dir) {
    case CFG_DIR_FH: return LOMA_FH;
    case CFG_DIR_TL: return LOMA_TL;
    case CFG_DIR_FL: return LOMA_FL;
    default: return LOMA_TH;
    }
}

/* One dimension relation (IX = 1*OX + 1*FX) as a window dim of the
 * operand that indexes it, its full size after padding or as given. */
static int fill_window(const cfg_layer *l, const cfg_relation *rel, loma_layer *ll,
                       base_error *err)
{
    int op = -1;
    for (int k = 0; k < 3 && op < 0; k++)
        for (int i = 0; i < l->operands[k].n_idx; i++)
            if (!strcmp(l->operands[k].idx[i], rel->lhs))
                op = k;
    if (op < 0)
        return 0; /* a relation no operand uses */
    if (rel->n_terms != 2)
        return ERR("layer %s: relation for %s has %d terms (the mapper needs two)", lname(l),
                   rel->lhs, rel->n_terms);
    if (ll->n_pr >= LOMA_MAX_PR)
        return ERR("layer %s: more than %d window dims", lname(l), LOMA_MAX_PR);
    loma_pr *p = &ll->pr[ll->n_pr];
    snprintf(p->name, sizeof p->name, "%s", rel->lhs);
    p->op = op;
    p->dim_a = cfg_layer_dim(l, rel->dim[0]);
    p->dim_b = cfg_layer_dim(l, rel->dim[1]);
    if (p->dim_a < 0 || p->dim_b < 0)
        return ERR("layer %s: relation for %s names a dim not in loop_dims", lname(l),
                   rel->lhs);
    if (rel->coef[0] <= 0 || rel->coef[1] <= 0)
        return ERR("layer %s: relation for %s has a coefficient <= 0", lname(l), rel->lhs);
    p->sa = (uint64_t)rel->coef[0];
    p->sb = (uint64_t)rel->coef[1];
    p->total = UINT64_MAX;
    double full = loma_pr_extent(p, (double)l->sizes[p->dim_a], (double)l->sizes[p->dim_b]);
    int k = -1;
    for (int i = 0; i < l->n_pr_dims; i++)
        if (!strcmp(l->pr_dims[i], rel->lhs))
            k = i;
    if (k >= 0 && l->has_pr_sizes)
        full = (double)l->pr_sizes[k];
    else if (k >= 0 && l->has_padding)
        full -= (double)(l->padding[k][0] + l->padding[k][1]);
    if (full < 1)
        return ERR("layer %s: window dim %s has size %.0f after padding", lname(l), rel->lhs,
                   full);
    p->total = (uint64_t)full;
    ll->n_pr++;
    return 0;
}

static int fill_layer(const cfg_layer *l, loma_layer *ll, base_error *err)
{
    memset(ll, 0, sizeof *ll);
    snprintf(ll->name, sizeof ll->name, "%s", lname(l));
    if (l->n_operands != 3)
        return ERR("layer %s: %d operands in the equation (the mapper needs an output and two "
                   "inputs)",
                   lname(l), l->n_operands);
    if (l->n_dims > LOMA_MAX_DIMS)
        return ERR("layer %s: %d loop dims (at most %d)", lname(l), l->n_dims, LOMA_MAX_DIMS);
    ll->n_dims = l->n_dims;
    for (int d = 0; d < l->n_dims; d++) {
        snprintf(ll->dim_name[d], sizeof ll->dim_name[d], "%s", l->dims[d]);
        ll->dim_size[d] = l->sizes[d];
    }
    for (int op = 0; op < 3; op++) {
        const cfg_operand *o = &l->operands[op];
        snprintf(ll->op_name[op], sizeof ll->op_name[op], "%s", o->name);
        ll->prec_bits[op] = o->precision_bits < 0 ? 0 : (unsigned)o->precision_bits;
        for (int i = 0; i < o->n_idx; i++) {
            int d = cfg_layer_dim(l, o->idx[i]);
            if (d >= 0)
                ll->relevant[op][d] = true;
        }
    }
    ll->prec_final_bits = (unsigned)(l->operands[0].final_precision_bits > 0
                                         ? l->operands[0].final_precision_bits
                                         : l->operands[0].precision_bits);
    for (int r = 0; r < l->n_relations; r++)
        if (fill_window(l, &l->relations[r], ll, err))
            return -1;
    return 0;
}

/* The layer operand each memory operand holds (-1: none), from the
 * mapping's memory_operand_links or the default O/W/I names. */
static int link_operands(const cfg_layer *layer, const cfg_map_entry *me,
                         int lop_of_mop[CFG_MOP_COUNT], base_error *err)
{
    static const char *def_names[3] = {"O", "W", "I"};
    static const int def_mop[3] = {CFG_MOP_O, CFG_MOP_I2, CFG_MOP_I1};
    for (int i = 0; i < CFG_MOP_COUNT; i++)
        lop_of_mop[i] = -1;
    for (int op = 0; op < 3; op++) {
        int mop = -1;
        if (me && me->has_links) {
            for (int i = 0; i < me->n_links; i++)
                if (!strcmp(me->link_operand[i], layer->operands[op].name))
                    mop = (int)me->link_mem[i];
        } else {
            /* ZigZag's default links go by name (Stream's element-wise
             * layers list I before W) */
            for (int k = 0; k < 3; k++)
                if (!strcmp(layer->operands[op].name, def_names[k]))
                    mop = def_mop[k];
        }
        if (mop < 0)
            return ERR("layer %s: operand %s has no memory_operand_links entry", lname(layer),
                       layer->operands[op].name);
        lop_of_mop[mop] = op;
    }
    return 0;
}

static void fill_port(const cfg_memory *cm, const cfg_port *cp,
                      const int lop_of_mop[CFG_MOP_COUNT], loma_port *lp)
{
    static const int dirs[4] = {CFG_DIR_FH, CFG_DIR_TL, CFG_DIR_FL, CFG_DIR_TH};
    snprintf(lp->name, sizeof lp->name, "%s", cp->name);
    lp->can_read = cp->type != CFG_PORT_WRITE;
    lp->can_write = cp->type != CFG_PORT_READ;
    lp->bw_min_bits = cp->bw_min_bits;
    lp->bw_max_bits = cp->bw_max_bits;
    for (int i = 0; i < cm->n_operands; i++) {
        int mop = cm->operands[i], op = lop_of_mop[mop];
        if (op < 0)
            continue;
        for (int q = 0; q < 4; q++)
            if (cp->alloc_mask & CFG_ALLOC_BIT(mop, dirs[q])) {
                lp->alloc_op[lp->n_alloc] = op;
                lp->alloc_dir[lp->n_alloc] = dir_of(dirs[q]);
                lp->n_alloc++;
            }
    }
}

static void fill_memory(const cfg_memory *cm, const int lop_of_mop[CFG_MOP_COUNT],
                        loma_memory *m)
{
    snprintf(m->name, sizeof m->name, "%s", cm->name);
    m->size_bits = (double)cm->size_bits;
    m->r_cost_pj = cm->r_cost_pj;
    m->w_cost_pj = cm->w_cost_pj;
    for (int i = 0; i < cm->n_operands; i++) {
        int op = lop_of_mop[cm->operands[i]];
        if (op >= 0)
            m->ops[m->n_ops++] = op;
    }
    for (int s = 0; s < cm->n_served; s++)
        m->served_mask |= 1u << cm->served[s];
    m->n_ports = cm->n_ports > LOMA_MAX_PORTS ? LOMA_MAX_PORTS : cm->n_ports;
    for (int p = 0; p < m->n_ports; p++)
        fill_port(cm, &cm->ports[p], lop_of_mop, &m->port[p]);
}

/* The core as the mapper sees it. Filled from zero, so equal descriptions
 * are equal bytes (loma_core_id hashes them). */
static int fill_core(const cfg_core *core, const int lop_of_mop[CFG_MOP_COUNT], loma_core *lc,
                     base_error *err)
{
    memset(lc, 0, sizeof *lc);
    snprintf(lc->name, sizeof lc->name, "%s", core->name);
    if (core->n_mems > LOMA_MAX_MEMS || core->n_oa_dims > LOMA_MAX_OA)
        return ERR("core %s: too many memories or array dims", core->name);
    lc->n_mems = core->n_mems;
    lc->mac_energy_pj = core->unit_energy_pj;
    lc->n_oa = core->n_oa_dims;
    for (int o = 0; o < core->n_oa_dims; o++) {
        snprintf(lc->oa_name[o], sizeof lc->oa_name[o], "%s", core->oa_dims[o]);
        lc->oa_size[o] = core->oa_sizes[o];
    }
    for (int k = 0; k < core->n_mems; k++)
        fill_memory(&core->mems[k], lop_of_mop, &lc->mem[k]);
    return 0;
}

/* The mapping's spatial unrolling; OA dims it does not name are left to
 * the mapper. */
static int fill_spatial(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
                        loma_spatial *ls, base_error *err)
{
    memset(ls, 0, sizeof *ls);
    for (int o = 0; o < core->n_oa_dims; o++) {
        bool named = false;
        for (int s = 0; me && s < me->n_spatial; s++)
            if (cfg_core_oa_dim(core, me->spatial[s].oa_dim) == o)
                named = true;
        ls->free_oa[o] = !named;
    }
    for (int s = 0; me && s < me->n_spatial; s++) {
        int o = cfg_core_oa_dim(core, me->spatial[s].oa_dim);
        if (o < 0)
            return ERR("layer %s: spatial mapping names %s, which core %s lacks", lname(layer),
                       me->spatial[s].oa_dim, core->name);
        for (int u = 0; u < me->spatial[s].n_unrolls; u++) {
            int d = cfg_layer_dim(layer, me->spatial[s].unrolls[u].dim);
            if (d < 0)
                continue; /* a dim the layer lacks is dropped, as ZigZag does */
            if (ls->n_unrolls[o] >= LOMA_MAX_UNROLLS)
                return ERR("layer %s: too many unrolls on %s", lname(layer), core->oa_dims[o]);
            ls->dim[o][ls->n_unrolls[o]] = d;
            ls->factor[o][ls->n_unrolls[o]] = me->spatial[s].unrolls[u].factor;
            ls->n_unrolls[o]++;
        }
    }
    return 0;
}

int adapt_loma(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
               loma_core *lc, loma_layer *ll, loma_spatial *ls, base_error *err)
{
    int lop_of_mop[CFG_MOP_COUNT];
    if (fill_layer(layer, ll, err) || link_operands(layer, me, lop_of_mop, err) ||
        fill_core(core, lop_of_mop, lc, err))
        return -1;
    return fill_spatial(core, layer, me, ls, err);
}

int adapt_loma_order(const cfg_layer *layer, const cfg_map_entry *me, loma_order *out,
                     base_error *err)
{
    memset(out, 0, sizeof *out);
    if (!me || me->n_order == 0)
        return 0;
    for (int i = 0; i < me->n_order; i++) {
        const cfg_loop *l = &me->order[i];
        if (!strcmp(l->dim, "*")) {
            memset(out, 0, sizeof *out); /* a partial order: not applied */
            return 0;
        }
        int d = cfg_layer_dim(layer, l->dim);
        if (d < 0) {
            /* ZigZag drops loops of dims the layer does not have */
            continue;
        }
        if (out->n >= LOMA_MAX_LOOPS)
            return ERR("layer %s: temporal_ordering has more than %d loops", lname(layer),
                       LOMA_MAX_LOOPS);
        out->dim[out->n] = d;
        out->size[out->n] = l->factor == CFG_FACTOR_STAR || l->factor == CFG_FACTOR_ALL
                                ? 0
                                : l->factor;
        out->n++;
    }
    return 1;
}

int adapt_loma_all(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
                   adapt_loma_in *in, base_error *err)
{
    memset(in, 0, sizeof *in);
    if (adapt_loma(core, layer, me, &in->core, &in->whole, &in->sp, err))
        return -1;
    int fixed = adapt_loma_order(layer, me, &in->order, err);
    if (fixed < 0)
        return -1;
    in->order_partial = me && me->n_order > 0 && !fixed;
    in->core_id = loma_core_id(&in->core);
    return 0;
}

loma_job adapt_loma_job(const adapt_loma_in *in, const loma_layer *shape, const loma_options *opt)
{
    return (loma_job){.layer = shape,
                      .core = &in->core,
                      .core_id = in->core_id,
                      .sp = &in->sp,
                      .order = in->order.n > 0 ? &in->order : NULL,
                      .order_partial = in->order_partial,
                      .opt = opt};
}
