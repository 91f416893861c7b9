/* strm_step.c -- one iteration of Stream's main loop for the CN it
 * picked (semantics.md §2 steps 2-11, CoalaScheduler.run). */
#include <math.h>
#include <string.h>

#include "run/strm_int.h"

static int top(const strm_state *s, int core, int op)
{
    return s->g->cores[core].top_mem[op];
}

/* Stream's get_tensors_needed_for_node (§2.3): its constants that are not
 * too large, then its predecessors' outputs by operand, in (layer,
 * sub_id) order of the producers, then sorted (stably) by producer layer. */
static void needed(const strm_state *s, int cn, strm_need *nd)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    nd->n = 0;
    for (int k = 0; k < c->n_const; k++) {
        int op = c->const_op[k];
        if (!s->too_large[cn][op] && c->tensor[op] >= 0) {
            nd->full[nd->n] = c->tensor[op];
            nd->op[nd->n++] = op;
        }
    }
    for (int k = s->in_off[cn]; k < s->in_off[cn + 1]; k++) {
        const strm_edge *e = &g->edges[s->in_e[k]];
        if (s->layer[e->src] == c->layer || s->too_large[cn][e->mem_op])
            continue;
        nd->full[nd->n] = g->cns[e->src].tensor[STRM_O];
        nd->op[nd->n++] = e->mem_op;
    }
    for (int i = 1; i < nd->n; i++) {    /* stable insertion sort by origin layer */
        int t = nd->full[i], op = nd->op[i], j = i;
        int lt = s->t_layer[t];
        while (j > 0 && s->t_layer[nd->full[j - 1]] > lt) {
            nd->full[j] = nd->full[j - 1];
            nd->op[j] = nd->op[j - 1];
            j--;
        }
        nd->full[j] = t;
        nd->op[j] = op;
    }
}

static int dim_index(const strm_tensor *t, int dim)
{
    for (int k = 0; k < t->n_dims; k++)
        if (t->dim[k] == dim)
            return k;
    return -1;
}

/* An existing sub-tensor of parent with these ranges (Stream identifies
 * tensors by origin, operand and ranges), or -1. */
static int find_sub(const strm_state *s, int parent, const strm_tensor *x)
{
    for (int i = s->g->n_tensors; i < s->n_t; i++)
        if (s->parent[i] == parent && !memcmp(s->t[i].lo, x->lo, sizeof x->lo) &&
            !memcmp(s->t[i].hi, x->hi, sizeof x->hi))
            return i;
    return -1;
}

/* Stream's split_tensor_if_needed (§2.3): a tensor not yet on the core of
 * which the CN needs only part along its intra-core tiling dims becomes a
 * sub-tensor cut from the DRAM copy, its size scaled by the ranges. */
static int split(strm_state *s, int cn, int tensor, int *out)
{
    const strm_cn *c = &s->g->cns[cn];
    int dram = s->g->offchip_core;
    *out = tensor;
    if (c->n_intra == 0 || strm_mem_has(s, tensor, top(s, c->core, s->t[tensor].mem_op)))
        return 0;
    bool cut = false;
    for (int k = 0; k < c->n_intra && !cut; k++) {
        int d = dim_index(&s->t[tensor], c->intra_dim[k]);
        cut = d >= 0 && s->t[tensor].hi[d] - s->t[tensor].lo[d] != c->intra_hi[k] - c->intra_lo[k];
    }
    if (!cut)
        return 0;
    strm_tensor sub = s->t[tensor];
    double shrink = 1;
    for (int k = 0; k < c->n_intra; k++) {
        int d = dim_index(&sub, c->intra_dim[k]);
        if (d < 0)
            continue;
        shrink *= (double)(sub.hi[d] - sub.lo[d]) / (double)(c->intra_hi[k] - c->intra_lo[k]);
        sub.lo[d] = c->intra_lo[k];
        sub.hi[d] = c->intra_hi[k];
    }
    int m = top(s, dram, s->t[tensor].mem_op);
    if (!strm_mem_has(s, tensor, m))
        return base_fail(s->err, "CN %d needs part of tensor %d, which is not in DRAM "
                         "(Stream's assertion)", cn, tensor);
    double created = s->avail[(size_t)tensor * s->g->n_mems + m];
    sub.bits = (uint64_t)((double)s->t[tensor].bits / shrink);
    sub.base_priority = STRM_NO_PRIORITY;
    int id = find_sub(s, tensor, &sub);
    if (id < 0 && (id = strm_tensor_new(s, &sub, tensor)) < 0)
        return base_fail(s->err, "out of memory");
    *out = id;
    return strm_mem_add(s, id, m, created, created);
}

/* Stream's reset_too_large_operands_for_subtensors (§2.4): when what the
 * CN needs, cut down, and its output fit the core's top memories, it
 * streams nothing (its ZigZag runtime and energy stay). */
static void reset_too_large(strm_state *s, int cn, const strm_need *nd)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    bool any = s->too_large[cn][0] || s->too_large[cn][1] || s->too_large[cn][2];
    if (!any || nd->n == 0)
        return;
    for (int k = 0; k < c->n_const; k++)
        if (s->too_large[cn][c->const_op[k]])
            return;
    uint64_t size[STRM_NMEM] = {0, 0, 0};
    for (int i = 0; i < nd->n; i++)
        size[nd->op[i]] += s->t[nd->sub[i]].bits;
    size[s->t[c->tensor[STRM_O]].mem_op] += s->t[c->tensor[STRM_O]].bits;
    const int *tm = g->cores[c->core].top_mem;
    for (int op = 0; op < STRM_NMEM; op++) {
        uint64_t need = 0;
        for (int o2 = 0; o2 < STRM_NMEM; o2++)
            if (tm[o2] == tm[op])
                need += size[o2];
        if (need > g->mems[tm[op]].capacity_bits)
            return;
    }
    memset(s->too_large[cn], 0, sizeof s->too_large[cn]);
}

static bool listed(const int *l, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (l[i] == x)
            return true;
    return false;
}

/* Stream's clear_memories (§2.5): a too-large CN empties the top memory
 * of each such operand, writing back what DRAM lacks, one after another. */
static int clear(strm_state *s, int cn, double frac, const strm_need *nd, double *t)
{
    static const int ops[3] = {STRM_O, STRM_I1, STRM_I2};   /* Stream lists them so */
    int core = s->g->cns[cn].core;
    for (int k = 0; k < 3; k++) {
        if (!s->too_large[cn][ops[k]])
            continue;
        strm_inst *in = &s->inst[top(s, core, ops[k])];
        if (in->n_stored > s->cap_scratch) {
            int *p = base_realloc(s->scratch, sizeof *p * (size_t)in->n_stored);
            if (!p)
                return base_fail(s->err, "out of memory");
            s->scratch = p;
            s->cap_scratch = in->n_stored;
        }
        int n = 0;
        int m = top(s, core, ops[k]);    /* the snapshot Stream takes */
        for (int x = strm_mem_first(s, m); x >= 0; x = strm_mem_next(s, m, x))
            if (s->since[(size_t)x * s->g->n_mems + m] <= *t)
                s->scratch[n++] = x;
        for (int i = 0; i < n; i++) {
            int x = s->scratch[i];
            if (listed(nd->sub, nd->n, x))
                continue;
            if (strm_removal(s, x, core, ops[k], *t, frac, true, STRM_CAUSE_EVICTION, t) < 0)
                return -1;
        }
    }
    return 0;
}

/* §2.6: every needed tensor not yet there, from a head start before the
 * core is free: the DRAM port time of all of them at this CN's share. */
static int bring(strm_state *s, int cn, double frac, double idle, const strm_need *nd, double *t)
{
    const strm_graph *g = s->g;
    double head = 0;
    for (int i = 0; i < nd->n; i++) {
        double bw = g->mems[top(s, g->offchip_core, nd->op[i])].bw_max_bits * frac;
        head += ceil((double)s->t[nd->sub[i]].bits / bw);
    }
    for (int i = 0; i < nd->n; i++) {
        double done;
        if (strm_transfer(s, nd->sub[i], g->cns[cn].core, nd->op[i], idle - head, nd->sub, nd->n, -1,
                          frac, STRM_CAUSE_NONE, &done) < 0)
            return -1;
        *t = fmax(*t, done);
    }
    return 0;
}

/* §2.9: the CN runs; its output is reserved from its start. */
static int run_cn(strm_state *s, int cn, int out_core, double t)
{
    const strm_cn *c = &s->g->cns[cn];
    int out = c->tensor[STRM_O];
    s->start[cn] = t;
    s->end[cn] = t + c->runtime_cycles;
    if (strm_mem_add(s, out, top(s, out_core, s->t[out].mem_op), t, s->end[cn]) < 0)
        return -1;
    s->idle_from[c->core] = s->end[cn];
    s->done[cn] = 1;
    s->onchip_pj += c->onchip_pj;
    s->mem_pj[STRM_CAUSE_OFF_CHIP] += c->offchip_pj;
    return 0;
}

/* Stream's decrease_priority: one use less on this core's instance. */
static int use_up(strm_state *s, int cn, const strm_need *nd)
{
    int core = s->g->cns[cn].core, nm = s->g->n_mems;
    for (int i = 0; i < nd->n; i++) {
        size_t x = (size_t)nd->full[i] * nm + top(s, core, nd->op[i]);
        if (!s->has_prio[x])
            return base_fail(s->err, "CN %d uses tensor %d on an instance it has no count for "
                             "(a KeyError in Stream)", cn, nd->full[i]);
        s->prio[x]--;
    }
    return 0;
}

/* When an activation goes: after the last consumer that used it from
 * this instance (from DRAM: after all consumers), else at t. */
static double removal_time(const strm_state *s, int tensor, int mem, double t)
{
    const strm_graph *g = s->g;
    int o = s->t[tensor].origin_cn;
    if (tensor != g->cns[o].tensor[STRM_O])
        return t;
    bool dram = s->inst[mem].core_mask >> g->offchip_core & 1;
    double best = -INFINITY;
    for (int k = s->out_off[o]; k < s->out_off[o + 1]; k++) {
        int d = g->edges[s->out_e[k]].dst;
        if (s->layer[d] == s->layer[o] || s->end[d] < 0)
            continue;
        if (dram || (s->inst[mem].core_mask >> g->cns[d].core & 1))
            best = fmax(best, s->end[d]);
    }
    return best == -INFINITY ? t : best;
}

/* Stream's check_for_removal: a tensor nobody needs any more leaves every
 * instance holding it. */
static int drop_unused(strm_state *s, const strm_need *nd, double t)
{
    int nm = s->g->n_mems;
    for (int i = 0; i < nd->n; i++) {
        int x = nd->full[i], total = 0;
        for (int m = 0; m < nm; m++)
            total += s->has_prio[(size_t)x * nm + m] ? s->prio[(size_t)x * nm + m] : 0;
        if (total != 0)
            continue;
        for (int m = 0; m < nm; m++) {
            if (!strm_mem_has(s, x, m))
                continue;
            int core = s->inst[m].first_core;
            if (strm_mem_remove(s, x, top(s, core, s->t[x].mem_op), removal_time(s, x, m, t)) < 0)
                return -1;
        }
    }
    return 0;
}

/* Sub-tensors are dropped after the CN, from the core and from DRAM; a
 * sink layer's output is written to DRAM (§2.10). */
static int after(strm_state *s, int cn, double frac, const strm_need *nd)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    double t = s->end[cn], done;
    for (int i = 0; i < nd->n; i++)
        if (!listed(nd->full, nd->n, nd->sub[i]) &&
            (strm_mem_remove(s, nd->sub[i], top(s, c->core, nd->op[i]), t) < 0 ||
             strm_mem_remove(s, nd->sub[i], top(s, g->offchip_core, nd->op[i]), t) < 0))
            return -1;
    if (s->sink[cn] && !s->too_large[cn][STRM_O])
        return strm_removal(s, c->tensor[STRM_O], c->core, s->t[c->tensor[STRM_O]].mem_op, t, frac,
                            true, STRM_CAUSE_SINK, &done);
    return 0;
}

static void sync_cores(strm_state *s)
{
    double m = 0;
    for (int c = 0; c < s->g->n_cores; c++)
        if (s->has_cns[c] && s->idle_from[c] > m)
            m = s->idle_from[c];
    for (int c = 0; c < s->g->n_cores; c++)
        if (s->has_cns[c])
            s->idle_from[c] = m;
}

int strm_step(strm_state *s, int cn, strm_need *nd)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    needed(s, cn, nd);
    for (int i = 0; i < nd->n; i++)
        if (split(s, cn, nd->full[i], &nd->sub[i]) < 0)
            return -1;
    reset_too_large(s, cn, nd);
    double frac = 1.0 / c->inter_splits;
    if (s->sync[cn])
        sync_cores(s);
    double idle = s->idle_from[c->core], t = fmax(idle, s->preds_end[cn]);
    if (clear(s, cn, frac, nd, &t) < 0 || bring(s, cn, frac, idle, nd, &t) < 0)
        return -1;
    int out = c->tensor[STRM_O];
    int out_core = s->too_large[cn][STRM_O] ? g->offchip_core : c->core;
    if (strm_make_space(s, out, out_core, s->t[out].mem_op, t, nd->sub, nd->n, &t) < 0 ||
        strm_block(s, cn, t, &t) < 0 || run_cn(s, cn, out_core, t) < 0 || use_up(s, cn, nd) < 0 ||
        drop_unused(s, nd, s->end[cn]) < 0 || after(s, cn, frac, nd) < 0)
        return -1;
    return 0;
}
