/* loma_alloc.c -- LOMA's bottom-up memory allocation of one loop ordering
 * and the stationary merge-down that ZigZag applies to the result before
 * costing it. */
#include <math.h>
#include <string.h>

#include "loma/loma_int.h"

static double relevant_part(const lm_model *m, int op, const double *cum)
{
    double s = 1;
    for (int d = 0; d < m->nd; d++)
        if (m->rel[op][d] == LM_R)
            s *= cum[d];
    return s;
}

/* Elements of a slice whose per-dim sizes are CUM, multiplied in
 * ZigZag's order: the relevant dims' sizes, then each window. With a
 * fractional spatial unroll (K 84 on 8 PEs: 84 / 11 per PE) the product
 * is inexact, and the slices of one operand cost the same in exact
 * arithmetic (size x remaining iterations); which one wins the tie
 * (the last, on <=) then depends on these roundings, so they must be
 * ZigZag's: growing the product loop by loop (rp *= size) gave other
 * allocations, -1.7 % latency on such a layer. */
static double slice_elems(const lm_model *m, int op, const double *cum)
{
    double s = relevant_part(m, op, cum);
    for (int k = 0; k < m->L->n_pr; k++)
        if (m->L->pr[k].op == op)
            s *= lm_pr_size(&m->L->pr[k], trunc(cum[m->L->pr[k].dim_a]),
                            trunc(cum[m->L->pr[k].dim_b]));
    return s;
}

/* Output precision at a node: partial sums while an output-ir loop
 * (spatial at this level or above, or temporal) is still unallocated. */
static unsigned node_precision(const lm_model *m, int op, int next_su, const loma_loop *order,
                               int from, int n)
{
    if (op != LOMA_OP_O)
        return m->prec[op];
    for (int a = next_su; a <= m->nlev[op]; a++)
        for (int i = 0; i < m->nsu[op][a]; i++)
            if (m->rel[op][m->su[0][op][a][i].dim] == LM_IR)
                return m->prec[op];
    for (int i = from; i < n; i++)
        if (m->rel[op][order[i].dim] == LM_IR)
            return m->prec[op];
    return m->prec_final;
}

#define FAIL(K, OP, MEM, NEED)                                                                 \
    do {                                                                                       \
        if (fail) {                                                                            \
            fail->kind = (K);                                                                  \
            fail->op = (OP);                                                                   \
            fail->mem = (MEM);                                                                 \
            fail->level = (OP) >= 0 ? lvl[(OP)] : -1;                                          \
            fail->need_bits = (NEED);                                                          \
            fail->cap_bits = mem->size_bits;                                                   \
        }                                                                                      \
        return -1;                                                                             \
    } while (0)

/* Where the allocation of one ordering stands: per operand, the per-dim
 * sizes below the next level, the first unallocated loop, the level. */
typedef struct {
    const lm_model *m;
    const loma_loop *order;
    int n;
    double cum[LOMA_N_OPS][LOMA_MAX_DIMS];
    int start[LOMA_N_OPS], lvl[LOMA_N_OPS];
    double suffix[LOMA_MAX_LOOPS + 1]; /* iterations of the loops from q outwards */
} alloc_state;

typedef double slice_row[LOMA_MAX_LOOPS + 1];

/* The slices of op that fit memory k alone (taking 0, 1, ... of its next
 * loops), their sizes and access costs; a top memory takes them all. */
static int op_slices(const alloc_state *s, int k, int op, double *sizes, double *acc, int *ncand,
                     int *offset, lm_fail *fail)
{
    const lm_model *m = s->m;
    const loma_memory *mem = &m->C->mem[k];
    const int *lvl = s->lvl, n = s->n;
    const double cap = mem->size_bits;
    unsigned prec = node_precision(m, op, lvl[op] + 1, s->order, s->start[op], n);
    double c2[LOMA_MAX_DIMS];
    memcpy(c2, s->cum[op], sizeof c2);
    int nc = 0;
    for (int i = 0; i <= n - s->start[op]; i++) {
        if (i > 0) {
            const loma_loop *l = &s->order[s->start[op] + i - 1];
            c2[l->dim] *= l->size;
        }
        double sz = slice_elems(m, op, c2) * prec;
        if (sz <= cap) {
            sizes[nc++] = sz;
        } else {
            if (i == 0)
                FAIL(LM_FAIL_SLICE, op, k, sz);
            break;
        }
    }
    bool top = m->top_mem[op] == k;
    *offset = 0;
    if (top) {
        *offset = nc - 1;
        sizes[0] = sizes[nc - 1];
        nc = 1;
    }
    *ncand = nc;
    for (int i = 0; i < nc; i++)
        acc[i] = top ? 0 : s->suffix[s->start[op] + i + *offset] * sizes[i];
    return 0;
}

/* The cheapest combination of per-operand slices that fits, the last one
 * on ties, in ZigZag's mixed-radix order (last operand fastest). Slice
 * sizes grow with the slice, so once a partial sum overflows, every later
 * index of that operand does too. */
static void cheapest_fit(int nops, const int *ncand, const slice_row *sizes, const slice_row *acc,
                         const int *offset, double cap, int *best)
{
    double min_rest[LOMA_N_OPS + 1];
    min_rest[nops] = 0;
    for (int j = nops - 1; j >= 0; j--)
        min_rest[j] = min_rest[j + 1] + sizes[j][0];
    int idx[LOMA_N_OPS] = {0};
    double best_acc = INFINITY, psz[LOMA_N_OPS + 1], pac[LOMA_N_OPS + 1];
    psz[0] = pac[0] = 0;
    int j = 0;
    idx[0] = -1;
    while (j >= 0) {
        idx[j]++;
        if (idx[j] >= ncand[j] || psz[j] + sizes[j][idx[j]] + min_rest[j + 1] > cap) {
            j--;
            continue;
        }
        psz[j + 1] = psz[j] + sizes[j][idx[j]];
        pac[j + 1] = pac[j] + acc[j][idx[j]];
        if (j + 1 < nops) {
            j++;
            idx[j] = -1;
            continue;
        }
        if (pac[nops] <= best_acc) {
            best_acc = pac[nops];
            for (int q = 0; q < nops; q++)
                best[q] = idx[q] + offset[q];
        }
    }
}

/* Gives each operand of memory k its chosen loops and moves it a level up. */
static int take_slices(alloc_state *s, int k, const int *best, lm_tmap *out, lm_fail *fail)
{
    const lm_model *m = s->m;
    const loma_memory *mem = &m->C->mem[k];
    int *lvl = s->lvl;
    for (int j = 0; j < mem->n_ops; j++) {
        int op = mem->ops[j];
        int lv = lvl[op];
        out->n[op][lv] = 0;
        for (int i = 0; i < best[j]; i++) {
            const loma_loop *l = &s->order[s->start[op] + i];
            out->lp[op][lv][out->n[op][lv]++] = *l;
            s->cum[op][l->dim] *= l->size;
        }
        s->start[op] += best[j];
        for (int i = 0; i < m->nsu[op][lv + 1]; i++)
            s->cum[op][m->su[0][op][lv + 1][i].dim] *= m->su[0][op][lv + 1][i].size;
        if (m->top_mem[op] == k && s->start[op] < s->n)
            FAIL(LM_FAIL_TOP, op, k, 0);
        lvl[op]++;
    }
    return 0;
}

int lm_allocate(const lm_model *m, const loma_loop *order, int n, lm_tmap *out, lm_fail *fail)
{
    alloc_state s;
    s.m = m;
    s.order = order;
    s.n = n;
    const int *lvl = s.lvl; /* for FAIL */
    for (int op = 0; op < LOMA_N_OPS; op++) {
        for (int d = 0; d < m->nd; d++)
            s.cum[op][d] = 1;
        for (int i = 0; i < m->nsu[op][0]; i++)
            s.cum[op][m->su[0][op][0][i].dim] *= m->su[0][op][0][i].size;
        s.start[op] = 0;
        s.lvl[op] = 0;
    }
    s.suffix[n] = 1;
    for (int q = n - 1; q >= 0; q--)
        s.suffix[q] = s.suffix[q + 1] * order[q].size;
    for (int k = 0; k < m->C->n_mems; k++) {
        const loma_memory *mem = &m->C->mem[k];
        const int nops = mem->n_ops;
        if (nops == 0)
            continue;
        slice_row sizes[LOMA_N_OPS], acc[LOMA_N_OPS];
        int ncand[LOMA_N_OPS], offset[LOMA_N_OPS];
        for (int j = 0; j < nops; j++)
            if (op_slices(&s, k, mem->ops[j], sizes[j], acc[j], &ncand[j], &offset[j], fail))
                return -1;
        double first = 0;
        for (int j = 0; j < nops; j++)
            first += sizes[j][0];
        if (first > mem->size_bits)
            FAIL(LM_FAIL_SHARED, -1, k, first);
        int best[LOMA_N_OPS] = {0};
        cheapest_fit(nops, ncand, (const slice_row *)sizes, (const slice_row *)acc, offset,
                     mem->size_bits, best);
        if (take_slices(&s, k, best, out, fail))
            return -1;
    }
    return 0;
}

/* One pass of the stationary merge-down of op over prev into st: the
 * innermost ir loops of each level move a level down (at the lowest
 * level they stay and multiply *mac_st). True when nothing moved. */
static bool merge_down_once(const lm_model *m, int op, const lm_tmap *prev, lm_tmap *st,
                            double *mac_st)
{
    const int nl = m->nlev[op];
    *mac_st = 1;
    for (int lv = 0; lv < nl; lv++)
        st->n[op][lv] = 0;
    for (int lv = 0; lv < nl; lv++) {
        const int cnt = prev->n[op][lv];
        int i = 0;
        for (; i < cnt; i++) {
            const loma_loop *l = &prev->lp[op][lv][i];
            if (m->rel[op][l->dim] != LM_IR)
                break;
            int to = lv == 0 ? 0 : lv - 1;
            if (lv == 0)
                *mac_st *= l->size;
            st->lp[op][to][st->n[op][to]++] = *l;
        }
        for (int j = i; j < cnt && i < cnt; j++)
            st->lp[op][lv][st->n[op][lv]++] = prev->lp[op][lv][j];
    }
    for (int lv = 0; lv < nl; lv++) {
        if (st->n[op][lv] != prev->n[op][lv])
            return false;
        for (int i = 0; i < st->n[op][lv]; i++)
            if (st->lp[op][lv][i].dim != prev->lp[op][lv][i].dim ||
                st->lp[op][lv][i].size != prev->lp[op][lv][i].size)
                return false;
    }
    return true;
}

static void copy_levels(lm_tmap *to, const lm_tmap *from, int op, int nl)
{
    for (int lv = 0; lv < nl; lv++) {
        to->n[op][lv] = from->n[op][lv];
        memcpy(to->lp[op][lv], from->lp[op][lv], sizeof(loma_loop) * (size_t)from->n[op][lv]);
    }
}

/* The merged levels of op into t, with per level the top r / ir loop
 * products and the cumulative cycle count. */
static void level_figures(const lm_model *m, int op, const lm_tmap *st, lm_temporal *t)
{
    const int nl = m->nlev[op];
    double cyc = 1;
    t->top_r[op][0] = t->top_ir[op][0] = 1;
    copy_levels(&t->tm, st, op, nl);
    for (int lv = 0; lv < nl; lv++) {
        double tr = 1, tir = 1;
        for (int i = st->n[op][lv] - 1; i >= 0; i--) {
            if (m->rel[op][st->lp[op][lv][i].dim] != LM_R)
                break;
            tr *= st->lp[op][lv][i].size;
        }
        for (int i = st->n[op][lv] - 1; i >= 0; i--) {
            if (m->rel[op][st->lp[op][lv][i].dim] != LM_IR)
                break;
            tir *= st->lp[op][lv][i].size;
        }
        t->top_r[op][lv + 1] = tr;
        t->top_ir[op][lv + 1] = tir;
        for (int i = 0; i < st->n[op][lv]; i++)
            cyc *= st->lp[op][lv][i].size;
        t->cycle_cabl[op][lv] = cyc;
    }
    t->total_cycles = cyc;
}

/* Stationary merge-down: the innermost loops of a level that are
 * irrelevant to the operand move to the level below (at the lowest level
 * they stay and form the MAC-level stationary factor); repeated until no
 * loop moves. Then the per-level cycle counts and top r / ir loops. */
void lm_temporal_derive(const lm_model *m, const lm_tmap *alloc, lm_temporal *t)
{
    for (int op = 0; op < LOMA_N_OPS; op++) {
        const int nl = m->nlev[op];
        lm_tmap prev, st;
        copy_levels(&prev, alloc, op, nl);
        double mac_st = 1;
        while (!merge_down_once(m, op, &prev, &st, &mac_st))
            copy_levels(&prev, &st, op, nl);
        t->mac_st[op] = mac_st;
        level_figures(m, op, &st, t);
    }
}
