/* plan_deps.c -- which producer CNs each CN reads, from loop ranges; see
 * plan.h. A CN's loop ranges come from its part and tile (the cuts split
 * a dim into near-equal pieces, as plan.c sizes them); an operand index
 * that is a relation's left side (iy = 2*oy + 1*fy) spans
 * 2*lo_oy + lo_fy .. 2*(hi_oy-1) + (hi_fy-1), less the padding before,
 * which is how halos arise. Producer and consumer tensors are matched
 * index by index (the consumer's i-th input index is the producer's i-th
 * output index) when their counts and unpadded sizes agree; otherwise (a
 * flatten) a CN reads the whole producer output. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "run/plan.h"

uint64_t plan_box_meet(const plan_box *a, const plan_box *b, plan_box *out)
{
    plan_box m = {.n = 0};
    if (!a->n || !b->n || a->n != b->n) {
        if (out)
            *out = m;
        return 0;
    }
    uint64_t v = 1;
    m.n = a->n;
    for (int i = 0; i < a->n; i++) {
        m.lo[i] = a->lo[i] > b->lo[i] ? a->lo[i] : b->lo[i];
        m.hi[i] = a->hi[i] < b->hi[i] ? a->hi[i] : b->hi[i];
        v *= m.hi[i] > m.lo[i] ? m.hi[i] - m.lo[i] : 0;
    }
    if (v == 0)
        m.n = 0;
    if (out)
        *out = m;
    return v;
}

void plan_box_join(plan_box *a, const plan_box *b)
{
    if (!b->n)
        return;
    if (!a->n) {
        *a = *b;
        return;
    }
    for (int i = 0; i < a->n && i < b->n; i++) {
        if (b->lo[i] < a->lo[i])
            a->lo[i] = b->lo[i];
        if (b->hi[i] > a->hi[i])
            a->hi[i] = b->hi[i];
    }
}

/* Piece k of S cut into n near-equal pieces: [lo, hi). */
static void piece(uint64_t S, uint64_t n, uint64_t k, uint64_t *lo, uint64_t *hi)
{
    uint64_t q = S / n, r = S % n;
    *lo = k * q + (k < r ? k : r);
    *hi = *lo + q + (k < r ? 1 : 0);
}

static void cut_range(const cfg_layer *l, int n, const int *d, const uint64_t *parts,
                      uint64_t idx, uint64_t *lo, uint64_t *hi)
{
    for (int i = n - 1; i >= 0; i--) {
        uint64_t k = idx % parts[i];
        idx /= parts[i];
        piece(l->sizes[d[i]], parts[i], k, &lo[d[i]], &hi[d[i]]);
    }
}

/* The CN's loop ranges [lo, hi) per loop dim. */
static void cn_ranges(const plan_layer *pl, const plan_cn *cn, uint64_t *lo, uint64_t *hi)
{
    const cfg_layer *l = pl->cfg;
    for (int d = 0; d < l->n_dims; d++) {
        lo[d] = 0;
        hi[d] = l->sizes[d];
    }
    cut_range(l, pl->n_split, pl->split_d, pl->split_n, cn->part, lo, hi);
    cut_range(l, pl->n_tile, pl->tile_d, pl->tile_n, cn->tile, lo, hi);
}

/* Padding of pr dim idx: before (side 0) or after (side 1). */
static int64_t pad(const cfg_layer *l, const char *idx, int side)
{
    if (!l->has_padding)
        return 0;
    for (int i = 0; i < l->n_pr_dims; i++)
        if (!strcasecmp(l->pr_dims[i], idx))
            return l->padding[i][side];
    return 0;
}

static const cfg_relation *relation_of(const cfg_layer *l, const char *idx)
{
    for (int r = 0; r < l->n_relations; r++)
        if (!strcmp(l->relations[r].lhs, idx))
            return &l->relations[r];
    return NULL;
}

/* The span of index idx the loop ranges reach, in unpadded coordinates
 * (so it may start below 0); [0, 1) for an index that is neither a loop
 * dim nor a relation's left side. */
static void idx_range(const cfg_layer *l, const char *idx, const uint64_t *lo,
                      const uint64_t *hi, int64_t *rlo, int64_t *rhi)
{
    int d = cfg_layer_dim(l, idx);
    const cfg_relation *rel = d < 0 ? relation_of(l, idx) : NULL;
    if (d >= 0) {
        *rlo = (int64_t)lo[d];
        *rhi = (int64_t)hi[d];
        return;
    }
    *rlo = 0;
    *rhi = 1;
    if (!rel)
        return;
    int64_t a = 0, b = 0;
    for (int t = 0; t < rel->n_terms; t++) {
        int dd = cfg_layer_dim(l, rel->dim[t]);
        if (dd < 0 || rel->coef[t] <= 0)
            continue;
        a += rel->coef[t] * (int64_t)lo[dd];
        b += rel->coef[t] * (int64_t)(hi[dd] - 1);
    }
    *rlo = a - pad(l, idx, 0);
    *rhi = b + 1 - pad(l, idx, 0);
}

/* An index's unpadded size. */
static int64_t idx_size(const cfg_layer *l, const char *idx)
{
    uint64_t lo[CFG_MAX_LOOP_DIMS] = {0};
    int64_t rlo, rhi;
    idx_range(l, idx, lo, l->sizes, &rlo, &rhi);
    return rhi - rlo - pad(l, idx, 0) - pad(l, idx, 1);
}

/* The box of operand op that ranges reach, clipped to extents `ext`. */
static void operand_box(const cfg_layer *l, int op, const uint64_t *lo, const uint64_t *hi,
                        const int64_t *ext, plan_box *b)
{
    const cfg_operand *o = &l->operands[op];
    b->n = (uint8_t)o->n_idx;
    for (int i = 0; i < o->n_idx; i++) {
        int64_t rlo, rhi;
        idx_range(l, o->idx[i], lo, hi, &rlo, &rhi);
        rlo = rlo < 0 ? 0 : rlo;
        rhi = rhi > ext[i] ? ext[i] : rhi;
        if (rhi <= rlo) { /* only padding */
            b->n = 0;
            return;
        }
        b->lo[i] = (uint32_t)rlo;
        b->hi[i] = (uint32_t)rhi;
    }
}

static void whole_box(const cfg_layer *l, int op, plan_box *b)
{
    const cfg_operand *o = &l->operands[op];
    b->n = (uint8_t)o->n_idx;
    for (int i = 0; i < o->n_idx; i++) {
        b->lo[i] = 0;
        b->hi[i] = (uint32_t)idx_size(l, o->idx[i]);
    }
}

/* Does loop dim d index the output (directly or through a relation)? */
static bool dim_in_output(const cfg_layer *l, int d)
{
    const cfg_operand *o = &l->operands[0];
    for (int i = 0; i < o->n_idx; i++) {
        if (!strcmp(o->idx[i], l->dims[d]))
            return true;
        const cfg_relation *rel = relation_of(l, o->idx[i]);
        for (int t = 0; rel && t < rel->n_terms; t++)
            if (!strcmp(rel->dim[t], l->dims[d]))
                return true;
    }
    return false;
}

/* The CN's output box, and whether it is final: every tile-cut dim the
 * output does not index (a reduction) is at its last piece. */
static void cn_output(plan_layer *pl, plan_cn *cn, const uint64_t *lo, const uint64_t *hi)
{
    const cfg_layer *l = pl->cfg;
    int64_t ext[PLAN_MAX_BOX];
    for (int i = 0; i < l->operands[0].n_idx; i++)
        ext[i] = idx_size(l, l->operands[0].idx[i]);
    operand_box(l, 0, lo, hi, ext, &cn->out);
    cn->complete = true;
    for (int i = 0; i < pl->n_tile; i++)
        if (!dim_in_output(l, pl->tile_d[i]) && hi[pl->tile_d[i]] != l->sizes[pl->tile_d[i]])
            cn->complete = false;
}

/* The operand (1..) behind producer slot `slot`: the slot-th operand that
 * comes from another layer, as plan.c's layer_data numbers them. */
static int slot_operand(const cfg_layer *l, uint32_t slot)
{
    uint32_t k = 0;
    for (int op = 1; op < l->n_operands; op++) {
        const cfg_operand *o = &l->operands[op];
        if (!o->has_source || o->source_layer_id == l->id)
            continue;
        if (k++ == slot)
            return op;
    }
    return -1;
}

/* Do operand op's indices match the producer's output one to one? */
static bool maps_onto(const cfg_layer *l, int op, const cfg_layer *src)
{
    const cfg_operand *o = &l->operands[op], *so = &src->operands[0];
    if (o->n_idx != so->n_idx || o->n_idx > PLAN_MAX_BOX)
        return false;
    for (int i = 0; i < o->n_idx; i++)
        if (idx_size(l, o->idx[i]) != idx_size(src, so->idx[i]))
            return false;
    return true;
}

static uint64_t out_precision(const cfg_layer *l)
{
    const cfg_operand *o = &l->operands[0];
    return (uint64_t)(o->final_precision_bits > 0 ? o->final_precision_bits
                                                  : o->precision_bits);
}

static int push_dep(plan *p, plan_dep d)
{
    if (BASE_GROW(p->deps, p->cap_deps, p->n_deps + 1, UINT32_MAX) != 0)
        return -1;
    p->deps[p->n_deps++] = d;
    return 0;
}

/* CN ci's inputs through slot `slot` (box `in` of the producer's output):
 * every final producer CN whose output box meets it. */
static int slot_deps(plan *p, uint32_t ci, uint32_t slot, const plan_box *in)
{
    const plan_layer *src = &p->layers[p->layers[p->cns[ci].layer].producers[slot]];
    uint64_t prec = out_precision(src->cfg);
    for (uint32_t u = src->first_cn; u < src->first_cn + src->n_cns; u++) {
        const plan_cn *pu = &p->cns[u];
        uint64_t v = pu->complete ? plan_box_meet(&pu->out, in, NULL) : 0;
        if (v && push_dep(p, (plan_dep){u, ci, v * prec, (uint8_t)slot}) != 0)
            return -1;
    }
    return 0;
}

/* Layer li's CNs: boxes, inputs, and their parts' boxes. */
static int layer_deps(plan *p, uint32_t li, base_error *err)
{
    plan_layer *pl = &p->layers[li];
    const cfg_layer *l = pl->cfg;
    if (l->operands[0].n_idx > PLAN_MAX_BOX)
        return base_fail(err, "layer %s: an output of more than %d indices", l->name,
                         PLAN_MAX_BOX);
    int64_t ext[PLAN_MAX_PRODUCERS][PLAN_MAX_BOX];
    int ops[PLAN_MAX_PRODUCERS];
    for (uint32_t j = 0; j < pl->n_producers; j++) {
        const cfg_layer *src = p->layers[pl->producers[j]].cfg;
        ops[j] = slot_operand(l, j);
        pl->mapped[j] = ops[j] > 0 && maps_onto(l, ops[j], src);
        for (int i = 0; i < src->operands[0].n_idx; i++)
            ext[j][i] = idx_size(src, src->operands[0].idx[i]);
    }
    int64_t in_ext[PLAN_MAX_BOX];
    bool in_boxed = pl->in_op > 0 && l->operands[pl->in_op].n_idx <= PLAN_MAX_BOX;
    for (int i = 0; in_boxed && i < l->operands[pl->in_op].n_idx; i++)
        in_ext[i] = idx_size(l, l->operands[pl->in_op].idx[i]);
    if (!in_boxed && pl->in_op > 0)
        pl->in_op = -1;
    for (uint32_t ci = pl->first_cn; ci < pl->first_cn + pl->n_cns; ci++) {
        plan_cn *cn = &p->cns[ci];
        plan_part *pp = &pl->parts[cn->part];
        uint64_t lo[CFG_MAX_LOOP_DIMS], hi[CFG_MAX_LOOP_DIMS];
        cn_ranges(pl, cn, lo, hi);
        cn_output(pl, cn, lo, hi);
        plan_box_join(&pp->out, &cn->out);
        if (in_boxed) {
            plan_box in;
            operand_box(l, pl->in_op, lo, hi, in_ext, &in);
            plan_box_join(&pp->in, &in);
        }
        cn->first_dep = p->n_deps;
        for (uint32_t j = 0; j < pl->n_producers; j++) {
            plan_box in;
            if (pl->mapped[j])
                operand_box(l, ops[j], lo, hi, ext[j], &in);
            else
                whole_box(p->layers[pl->producers[j]].cfg, 0, &in);
            plan_box_join(&pp->need[j], &in);
            if (slot_deps(p, ci, j, &in) != 0)
                return base_fail(err, "out of memory");
        }
        cn->n_deps = p->n_deps - cn->first_dep;
    }
    return 0;
}

/* What the chip's cores hold of weights: per core, the largest weight
 * capacity of a layer placed on it. */
static uint64_t chip_weight_cap(const plan *p, const cfg_scenario *s)
{
    uint64_t total = 0;
    for (int k = 0; k < s->chip->n_cores; k++) {
        uint64_t cap = 0;
        for (uint32_t l = 0; l < p->n_layers; l++)
            for (uint32_t i = 0; i < p->layers[l].n_parts; i++)
                if (p->layers[l].parts[i].core == (uint32_t)k && p->layers[l].w_cap_bits > cap)
                    cap = p->layers[l].w_cap_bits;
        total += cap;
    }
    return total;
}

/* Layer stacks: the scenario's (a layer it does not list is a stack of
 * its own), else in fused mode consecutive layers until the stack's
 * weights would exceed what the cores hold (as Stream chooses them),
 * else (layer by layer) one per layer. */
static void assign_stacks(plan *p, const cfg_scenario *s)
{
    uint64_t cap = p->fused && !s->n_stacks ? chip_weight_cap(p, s) : 0, in_stack = 0;
    uint32_t next = s->n_stacks ? (uint32_t)s->n_stacks : 0;
    p->auto_stacks = p->fused && !s->n_stacks;
    for (uint32_t l = 0; l < p->n_layers; l++) {
        plan_layer *pl = &p->layers[l];
        if (s->n_stacks) {
            pl->stack = UINT32_MAX;
            for (int i = 0; i < s->n_stack_layers; i++)
                if (s->stack_layer_id[i] == pl->cfg->id)
                    pl->stack = (uint32_t)s->stack_of[i];
            if (pl->stack == UINT32_MAX)
                pl->stack = next++;
        } else if (p->auto_stacks) {
            if (in_stack > 0 && in_stack + pl->w_bits > cap) {
                next++;
                in_stack = 0;
            }
            pl->stack = next;
            in_stack += pl->w_bits;
        } else {
            pl->stack = l;
        }
    }
    p->n_stacks = p->auto_stacks ? next + (p->n_layers ? 1 : 0)
                  : s->n_stacks   ? next
                                  : p->n_layers;
}

int plan_deps_build(plan *p, const cfg_scenario *s, base_error *err)
{
    p->fused = s->fused;
    for (uint32_t l = 0; l < p->n_layers; l++)
        if (layer_deps(p, l, err) != 0)
            return -1;
    assign_stacks(p, s);
    return 0;
}
