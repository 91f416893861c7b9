/* plan_fit.c -- the core a CN is costed on in evsim's run: the core as
 * the mapper sees it (plan_layer.core), with its off-chip top level
 * (plan_layer.top_offchip) kept only for the operands that do not fit
 * the core's own memories.
 *
 * Why: the run moves data itself -- a CN starts once its inputs have
 * come over the NoC into the core and its weights are loaded -- so for
 * an operand already on the core the mapper must not also charge loading
 * it from the off-chip level (ZigZag's data on-loading from the top
 * level, and stalls on that level's port): that would count the same
 * transfer twice in time. An operand that cannot fit stays on the
 * off-chip level, streamed from it during the CN, and the mapper costs
 * that level as before (plan.h, README.md "Memory model"). The rule is
 * Stream's (check_core_capacity_for_node) with evsim's weights model:
 *   - weights: on the off-chip level exactly when the part's weights are
 *     streamed (they exceed the core's weight capacity, plan_part);
 *   - the other operands: per on-core memory, after the part's resident
 *     weights there, the smallest of the CN's operands that fit stay on
 *     the core, the rest on the off-chip level. */
#include <math.h>
#include <string.h>

#include "run/plan.h"

/* The CN's share of operand op, in bits: the sizes of the dims it
 * indexes and of its (shrunk) windows, at its precision. */
static double shape_bits(const loma_layer *s, int op)
{
    double n = 1;
    for (int d = 0; d < s->n_dims; d++)
        if (s->relevant[op][d])
            n *= (double)s->dim_size[d];
    for (int i = 0; i < s->n_pr; i++)
        if (s->pr[i].op == op)
            n *= (double)s->pr[i].total;
    unsigned prec = op == LOMA_OP_O && s->prec_final_bits ? s->prec_final_bits : s->prec_bits[op];
    return n * prec;
}

static bool holds(const loma_memory *m, int op)
{
    for (int i = 0; i < m->n_ops; i++)
        if (m->ops[i] == op)
            return true;
    return false;
}

/* The highest memory below `last` holding op, or -1. */
static int on_core_top(const loma_core *c, int last, int op)
{
    for (int m = last - 1; m >= 0; m--)
        if (holds(&c->mem[m], op))
            return m;
    return -1;
}

/* Takes op off memory m: its place in m's operands and its ports. */
static void drop_operand(loma_memory *m, int op)
{
    int k = 0;
    for (int i = 0; i < m->n_ops; i++)
        if (m->ops[i] != op)
            m->ops[k++] = m->ops[i];
    m->n_ops = k;
    for (int p = 0; p < m->n_ports; p++) {
        loma_port *pt = &m->port[p];
        int a = 0;
        for (int i = 0; i < pt->n_alloc; i++)
            if (pt->alloc_op[i] != op) {
                pt->alloc_op[a] = pt->alloc_op[i];
                pt->alloc_dir[a++] = pt->alloc_dir[i];
            }
        pt->n_alloc = a;
    }
}

/* Which operands stay on the off-chip level (offchip[op]). */
static void too_large(const plan_layer *pl, const loma_layer *shape, uint64_t resident_w_bits,
                      bool w_streamed, bool offchip[LOMA_N_OPS])
{
    const loma_core *c = &pl->core;
    int last = c->n_mems - 1;
    for (int op = 0; op < LOMA_N_OPS; op++)
        offchip[op] = pl->top_offchip[op];
    if (pl->w_op >= 0 && pl->top_offchip[pl->w_op])
        offchip[pl->w_op] = w_streamed || on_core_top(c, last, pl->w_op) < 0;
    for (int m = 0; m < last; m++) {
        double room = c->mem[m].size_bits;
        if (pl->w_op >= 0 && !offchip[pl->w_op] && on_core_top(c, last, pl->w_op) == m)
            room -= (double)resident_w_bits;
        int ops[LOMA_N_OPS], n = 0;
        for (int op = 0; op < LOMA_N_OPS; op++)
            if (op != pl->w_op && pl->top_offchip[op] && on_core_top(c, last, op) == m)
                ops[n++] = op;
        for (int i = 1; i < n; i++) /* ascending size, stable */
            for (int j = i; j > 0 && shape_bits(shape, ops[j]) < shape_bits(shape, ops[j - 1]); j--) {
                int t = ops[j];
                ops[j] = ops[j - 1];
                ops[j - 1] = t;
            }
        for (int i = 0; i < n; i++) {
            double b = shape_bits(shape, ops[i]);
            if (b <= room) {
                room -= b;
                offchip[ops[i]] = false;
            }
        }
    }
}

bool plan_fit_offchip(const plan_layer *pl, const loma_layer *shape, uint64_t resident_w_bits,
                      bool w_streamed, bool offchip[LOMA_N_OPS])
{
    for (int op = 0; op < LOMA_N_OPS; op++)
        offchip[op] = pl->top_offchip[op];
    if (!pl->top_is_offchip || pl->core.n_mems < 2)
        return false;
    too_large(pl, shape, resident_w_bits, w_streamed, offchip);
    bool same = true;
    for (int op = 0; op < LOMA_N_OPS; op++)
        same &= offchip[op] == pl->top_offchip[op];
    return !same;
}

void plan_fit_core(const plan_layer *pl, const bool offchip[LOMA_N_OPS], loma_core *out)
{
    *out = pl->core;
    loma_memory *top = &out->mem[out->n_mems - 1];
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (pl->top_offchip[op] && !offchip[op])
            drop_operand(top, op);
    if (top->n_ops == 0) { /* the level goes; zeroed, so that the core
                              hashes as the same core without it would */
        memset(top, 0, sizeof *top);
        out->n_mems--;
    }
}

/* Accesses of `bits` through the port of m serving (op, dir) -- else
 * m's widest port -- and their energy (costs are per access of the
 * port's width). */
static double port_pj(const loma_memory *m, int op, int dir, bool write, double bits)
{
    const loma_port *best = NULL;
    for (int p = 0; p < m->n_ports; p++) {
        const loma_port *pt = &m->port[p];
        for (int i = 0; i < pt->n_alloc; i++)
            if (pt->alloc_op[i] == op && pt->alloc_dir[i] == dir)
                best = pt;
    }
    for (int p = 0; !best && p < m->n_ports; p++)
        if (m->port[p].bw_max_bits && (write ? m->port[p].can_write : m->port[p].can_read))
            best = &m->port[p];
    if (!best || !best->bw_max_bits)
        return 0;
    double words = ceil(bits / (double)best->bw_max_bits);
    return words * (write ? m->w_cost_pj : m->r_cost_pj);
}

void plan_fit_fills(const plan_layer *pl, const loma_layer *shape, const bool offchip[LOMA_N_OPS],
                    uint64_t part_w_bits, bool first_tile, plan_cn *cn)
{
    const loma_core *c = &pl->core;
    int last = c->n_mems - 1;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        cn->fill_pj[op] = 0;
        cn->fill_mem[op] = -1;
        if (!pl->top_offchip[op] || offchip[op] || !shape->op_name[op][0])
            continue;
        int m = on_core_top(c, last, op);
        if (m < 0)
            continue;
        cn->fill_mem[op] = (int8_t)m;
        if (op == LOMA_OP_O)
            cn->fill_pj[op] = port_pj(&c->mem[m], op, LOMA_TH, false, shape_bits(shape, op));
        else if (op == pl->w_op)
            cn->fill_pj[op] =
                first_tile ? port_pj(&c->mem[m], op, LOMA_FH, true, (double)part_w_bits) : 0;
        else
            cn->fill_pj[op] = port_pj(&c->mem[m], op, LOMA_FH, true, shape_bits(shape, op));
    }
}
