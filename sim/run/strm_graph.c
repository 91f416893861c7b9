/* strm_graph.c -- the CN half of a Stream graph (strm.h) from the Stream
 * CN table (strm_plan.h): tensors with Stream's identities, constant
 * operands and their reuse priorities, intra-core tiling ranges, edges
 * with the operand they feed, and the priority order.
 *
 * Tensor dims are the layer's operand indices (B, G, C, IY, IX for a conv
 * input), interned by upper-case name across the network, with the ranges
 * the CN reaches (IY unpadded, so it may start below 0, as in Stream's
 * records). Two CNs of a layer whose operand has the same ranges share the
 * tensor (Stream's _replace_identical_tensors): all row tiles of a conv
 * share its weights. */
#include <ctype.h>
#include <string.h>

#include "run/strm_build.h"
#include "run/strm_plan.h"

#define MAX_DIM_NAMES 64

typedef struct {
    char name[MAX_DIM_NAMES][CFG_DIM_NAME_MAX];
    int n;
} dim_names;

static int dim_id(dim_names *d, const char *s)
{
    char up[CFG_DIM_NAME_MAX];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof up; i++)
        up[i] = (char)toupper((unsigned char)s[i]);
    up[i] = 0;
    for (int k = 0; k < d->n; k++)
        if (!strcmp(d->name[k], up))
            return k;
    if (d->n == MAX_DIM_NAMES)
        return MAX_DIM_NAMES - 1; /* shared overflow slot: never reached by real layers */
    memcpy(d->name[d->n], up, sizeof up);
    return d->n++;
}

typedef struct {
    const strm_plan *p;
    const cfg_workload *wl;
    const cfg_mapping *map;
    dim_names dims;
    uint32_t cap_t;
    int (*lops)[STRM_N_OPS];    /* per workload layer: memory operand -> layer operand */
    uint32_t *stack_size;       /* layers per stack */
} gbuild;

static const cfg_layer *layer_of(const gbuild *b, const strm_plan_cn *cn)
{
    return &b->wl->layers[cn->layer];
}

static int precision(const cfg_layer *l, int lop, int mem_op)
{
    const cfg_operand *o = &l->operands[lop];
    return mem_op == STRM_O && o->final_precision_bits > 0 ? o->final_precision_bits
                                                          : o->precision_bits;
}

/* Operand mem_op of CN i as a tensor: the index of an equal one of its
 * layer, else a new one. -1: none (the layer has no such operand), -2:
 * out of memory. */
static int cn_tensor(gbuild *b, strm_graph *g, int i, int mem_op)
{
    const strm_plan_cn *cn = &b->p->cns[i];
    const cfg_layer *l = layer_of(b, cn);
    int lop = b->lops[cn->layer][mem_op];
    if (lop < 0)
        return -1;
    const cfg_operand *o = &l->operands[lop];
    strm_tensor t = {.origin_cn = i, .mem_op = mem_op, .base_priority = STRM_NO_PRIORITY};
    uint64_t elems = 1;
    for (int k = 0; k < o->n_idx && t.n_dims < STRM_MAX_DIMS; k++) {
        t.dim[t.n_dims] = dim_id(&b->dims, o->idx[k]);
        strm_plan_index_range(l, cn, o->idx[k], &t.lo[t.n_dims], &t.hi[t.n_dims]);
        elems *= (uint64_t)(t.hi[t.n_dims] > t.lo[t.n_dims] ? t.hi[t.n_dims] - t.lo[t.n_dims] : 0);
        t.n_dims++;
    }
    t.bits = elems * (uint64_t)precision(l, lop, mem_op);
    for (int k = g->n_tensors - 1; k >= 0; k--) {
        const strm_tensor *e = &g->tensors[k];
        if (e->mem_op == mem_op && b->p->cns[e->origin_cn].layer == cn->layer &&
            e->n_dims == t.n_dims && !memcmp(e->lo, t.lo, sizeof t.lo) &&
            !memcmp(e->hi, t.hi, sizeof t.hi))
            return k;
    }
    if (BASE_GROW(g->tensors, b->cap_t, (uint32_t)g->n_tensors + 1, INT32_MAX) != 0)
        return -2;
    g->tensors[g->n_tensors] = t;
    return g->n_tensors++;
}

/* Does loop dim d of layer l index operand lop (directly or through a
 * relation such as iy = ox + fy)? */
static bool relevant(const cfg_layer *l, int lop, int d)
{
    const cfg_operand *o = &l->operands[lop];
    for (int k = 0; k < o->n_idx; k++) {
        if (!strcasecmp(o->idx[k], l->dims[d]))
            return true;
        for (int r = 0; r < l->n_relations; r++)
            if (!strcmp(l->relations[r].lhs, o->idx[k]))
                for (int t = 0; t < l->relations[r].n_terms; t++)
                    if (!strcasecmp(l->relations[r].dim[t], l->dims[d]))
                        return true;
    }
    return false;
}

/* A constant operand's priority: the product of the layer's outer loops
 * (inter- and intra-core cuts) it does not depend on (§4). The cut of a
 * dim shows as the number of distinct ranges the layer's CNs have of it. */
static int reuse(const gbuild *b, uint32_t first, uint32_t n, int lop)
{
    const cfg_layer *l = layer_of(b, &b->p->cns[first]);
    uint64_t f = 1;
    for (int d = 0; d < l->n_dims; d++) {
        if (relevant(l, lop, d))
            continue;
        uint64_t pieces = 0;
        for (uint32_t i = first; i < first + n; i++) {
            bool seen = false;
            for (uint32_t j = first; j < i && !seen; j++)
                seen = b->p->cns[j].lo[d] == b->p->cns[i].lo[d];
            pieces += !seen;
        }
        f *= pieces;
    }
    return f > INT32_MAX ? INT32_MAX : (int)f;
}

/* Is layer operand lop a constant (weights, or the network input)? */
static bool constant(const cfg_layer *l, int lop)
{
    const cfg_operand *o = &l->operands[lop];
    return lop > 0 && (!o->has_source || o->source_layer_id == l->id);
}

/* The layer's intra-core tiling dims, when it shares its stack (a layer
 * alone in its stack is not tiled inside the core, §1.2). */
static void intra_dims(gbuild *b, const strm_plan_cn *cn, strm_cn *c)
{
    const cfg_layer *l = layer_of(b, cn);
    const cfg_map_entry *me = cfg_mapping_find(b->map, l);
    if (!me || b->stack_size[cn->stack] < 2)
        return;
    for (int k = 0; k < me->n_intra && c->n_intra < STRM_MAX_INTRA; k++) {
        int d = cfg_layer_dim(l, me->intra_tiling[k].dim);
        if (d < 0)
            continue;
        c->intra_dim[c->n_intra] = dim_id(&b->dims, l->dims[d]);
        c->intra_lo[c->n_intra] = cn->lo[d];
        c->intra_hi[c->n_intra++] = cn->hi[d];
    }
}

/* What the core allocation decides of a CN: its core and that core's
 * cost (nothing else of the graph depends on it). */
static void alloc_fields(const strm_plan_cn *cn, strm_cn *c)
{
    c->core = cn->core;
    c->runtime_cycles = cn->runtime;
    c->onchip_pj = cn->onchip_pj;
    c->offchip_pj = cn->offchip_pj;
    for (int op = 0; op < STRM_NMEM; op++) {
        c->too_large[op] = cn->too_large[op];
        c->block_bw_bits[op] = cn->offchip_bw[op][op == STRM_O ? STRM_WR_IN_BY_LOW
                                                               : STRM_RD_OUT_TO_LOW];
    }
}

void strm_graph_assign(const strm_plan *p, strm_graph *g)
{
    for (uint32_t i = 0; i < p->n_cns && (int)i < g->n_cns; i++)
        if (p->cns[i].gene >= 0)
            alloc_fields(&p->cns[i], &g->cns[i]);
}

/* CN i of the graph from the table's CN i (same index). */
static int fill_cn(gbuild *b, strm_graph *g, int i, uint32_t inter)
{
    const strm_plan_cn *cn = &b->p->cns[i];
    const cfg_layer *l = layer_of(b, cn);
    strm_cn *c = &g->cns[i];
    c->layer = (int)cn->layer_id;
    c->sub_id = (int)cn->sub_id;
    c->group = (int)cn->group;
    alloc_fields(cn, c);
    c->inter_splits = inter;
    c->final_output = cn->complete;
    for (int op = 0; op < STRM_NMEM; op++) {
        if ((c->tensor[op] = cn_tensor(b, g, i, op)) == -2)
            return -1;
    }
    int w = b->lops[cn->layer][STRM_I2], in = b->lops[cn->layer][STRM_I1];
    if (w >= 0 && constant(l, w)) /* Stream's order: W, then I */
        c->const_op[c->n_const++] = STRM_I2;
    if (in >= 0 && constant(l, in))
        c->const_op[c->n_const++] = STRM_I1;
    intra_dims(b, cn, c);
    return 0;
}

/* Per layer (a run of the table's CNs): its groups, its constant
 * tensors' priorities. */
static int fill_layers(gbuild *b, strm_graph *g)
{
    for (uint32_t first = 0; first < b->p->n_cns;) {
        uint32_t n = 0, inter = 0;
        while (first + n < b->p->n_cns && b->p->cns[first + n].layer == b->p->cns[first].layer) {
            if (b->p->cns[first + n].group + 1 > inter)
                inter = b->p->cns[first + n].group + 1;
            n++;
        }
        for (uint32_t i = first; i < first + n; i++)
            if (fill_cn(b, g, (int)i, inter) != 0)
                return -1;
        const strm_cn *c0 = &g->cns[first];
        for (int k = 0; k < c0->n_const; k++) {
            int lop = b->lops[b->p->cns[first].layer][c0->const_op[k]];
            int pr = reuse(b, first, n, lop);
            for (uint32_t i = first; i < first + n; i++) {
                int t = g->cns[i].tensor[c0->const_op[k]];
                if (t >= 0)
                    g->tensors[t].base_priority = pr;
            }
        }
        first += n;
    }
    return 0;
}

/* The consumer's memory operand an edge from layer src feeds: the one
 * whose layer operand comes from src (I1 first). */
static int fed_operand(const gbuild *b, const strm_plan_cn *dst, const strm_plan_cn *src)
{
    const cfg_layer *l = layer_of(b, dst);
    for (int op = STRM_I1; op <= STRM_I2; op++) {
        int lop = b->lops[dst->layer][op];
        if (lop > 0 && l->operands[lop].has_source &&
            l->operands[lop].source_layer_id == src->layer_id)
            return op;
    }
    return STRM_I1;
}

/* Edges as the table has them; a data edge carries the producer's whole
 * output tensor (what Stream moves), a chain edge nothing. */
static int fill_edges(gbuild *b, strm_graph *g)
{
    g->n_edges = (int)b->p->n_edges;
    g->edges = base_calloc(b->p->n_edges + 1, sizeof *g->edges);
    if (!g->edges)
        return -1;
    for (uint32_t k = 0; k < b->p->n_edges; k++) {
        const strm_plan_edge *e = &b->p->edges[k];
        strm_edge *o = &g->edges[k];
        o->src = (int)e->src;
        o->dst = (int)e->dst;
        if (e->kind == STRM_EDGE_CHAIN) {
            o->mem_op = STRM_I1;
            continue;
        }
        o->mem_op = fed_operand(b, &b->p->cns[e->dst], &b->p->cns[e->src]);
        int t = g->cns[e->src].tensor[STRM_O];
        o->bits = t >= 0 ? g->tensors[t].bits : e->bits;
    }
    return 0;
}

static int setup(gbuild *b, strm_graph *g)
{
    uint32_t n_stacks = 0;
    for (uint32_t i = 0; i < b->p->n_cns; i++)
        if (b->p->cns[i].stack + 1 > n_stacks)
            n_stacks = b->p->cns[i].stack + 1;
    b->stack_size = base_calloc(n_stacks + 1, sizeof *b->stack_size);
    b->lops = base_calloc((size_t)b->wl->n_layers + 1, sizeof *b->lops);
    g->n_cns = (int)b->p->n_cns;
    g->cns = base_calloc(b->p->n_cns + 1, sizeof *g->cns);
    g->order = base_calloc(b->p->n_cns + 1, sizeof *g->order);
    if (!b->stack_size || !b->lops || !g->cns || !g->order)
        return -1;
    for (int l = 0; l < b->wl->n_layers; l++)
        strm_plan_mem_links(&b->wl->layers[l], b->map, b->lops[l]);
    for (uint32_t i = 0; i < b->p->n_cns; i++) {
        g->order[i] = (int)b->p->order[i];
        if (i == 0 || b->p->cns[i].layer != b->p->cns[i - 1].layer)
            b->stack_size[b->p->cns[i].stack]++;
    }
    return 0;
}

int strm_graph_build(const strm_plan *p, const cfg_chip *chip, const cfg_workload *wl,
                     const cfg_mapping *map, strm_graph *g, base_error *err)
{
    memset(g, 0, sizeof *g);
    for (uint32_t i = 0; i < p->n_cns; i++)
        if (p->cns[i].core < 0)
            return base_fail(err, "layer %lld: its CNs have no core (core_allocation lists "
                             "no core of the chip, or none at all)",
                             (long long)p->cns[i].layer_id);
    gbuild b = {.p = p, .wl = wl, .map = map};
    int rc = setup(&b, g) || fill_layers(&b, g) || fill_edges(&b, g)
                 ? base_fail(err, "out of memory building the Stream graph") : 0;
    if (rc == 0)
        rc = strm_hw_from_chip(chip, g, err);
    base_free(b.lops);
    base_free(b.stack_size);
    if (rc != 0)
        strm_graph_free(g);
    return rc;
}
