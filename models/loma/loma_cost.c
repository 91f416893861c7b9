/* loma_cost.c -- data sizes, access counts and energy of one temporal
 * mapping, following ZigZag's Mapping / CostModelEvaluation (v3.8.5)
 * formula for formula, including its rounding: Python's round() is
 * round-half-even (rint here) and int() truncates (trunc). */
#include <math.h>
#include <string.h>

#include "loma/loma_int.h"

/* Products of the relevant and irrelevant loop sizes for `op` given the
 * cumulative size of every dim; window dims are split into their data
 * part (the window size) and their reuse part (the rest). */
static void r_ir_of(const lm_model *m, int op, const double *cum, double *r, double *ir)
{
    double pr = 1, pir = 1;
    for (int d = 0; d < m->nd; d++) {
        if (m->rel[op][d] == LM_R)
            pr *= cum[d];
        else if (m->rel[op][d] == LM_IR)
            pir *= cum[d];
    }
    for (int k = 0; k < m->L->n_pr; k++) {
        const loma_pr *p = &m->L->pr[k];
        if (p->op != op)
            continue;
        double v = lm_pr_size(p, cum[p->dim_a], cum[p->dim_b]);
        pr *= v;
        pir *= cum[p->dim_a] * cum[p->dim_b] / v;
    }
    *r = pr;
    *ir = pir;
}

static void add_loops(double *cum, const loma_loop *lp, int n)
{
    for (int i = 0; i < n; i++)
        cum[lp[i].dim] *= lp[i].size;
}

/* What one operand's arch levels 0..n hold and move, on the way to its
 * lm_move records. */
typedef struct {
    double elem[LM_LV], ir_lvl[LM_LV], prec[LM_LV], caal[LM_LV + 2];
    double cyc[LM_LV], low[LM_LV], high[LM_LV], boost[LM_LV];
    bool ir_flag[LM_LV], psum[LM_LV];
} op_levels;

/* Elements held per arch level, and the per-level ir product of the 1s1t
 * view (memory level a-1's temporal loops with the spatial loops attached
 * at a) with whether it holds a loop > 1: output psum tracking. */
static void op_sizes(const lm_model *m, int v, const lm_temporal *t, int op, op_levels *L)
{
    const int n = m->nlev[op];
    const lm_tmap *tm = &t->tm;
    double cum2[LOMA_MAX_DIMS];
    for (int d = 0; d < m->nd; d++)
        cum2[d] = 1;
    for (int a = 0; a <= n; a++) {
        double r, ir;
        /* arch level a >= 1 is memory level a-1 with its temporal and
         * spatial loops: what one instance of that memory holds */
        if (a >= 1) {
            add_loops(cum2, tm->lp[op][a - 1], tm->n[op][a - 1]);
            add_loops(cum2, m->su[v][op][a - 1], m->nsu[op][a - 1]);
        }
        r_ir_of(m, op, cum2, &r, &ir);
        L->elem[a] = rint(r);
        double pl = 1;
        bool fl = false;
        if (a >= 1)
            for (int i = 0; i < tm->n[op][a - 1]; i++)
                if (m->rel[op][tm->lp[op][a - 1][i].dim] == LM_IR) {
                    pl *= tm->lp[op][a - 1][i].size;
                    if (tm->lp[op][a - 1][i].size > 1)
                        fl = true;
                }
        for (int i = 0; i < m->nsu[op][a]; i++)
            if (m->rel[op][m->su[v][op][a][i].dim] == LM_IR) {
                pl *= m->su[v][op][a][i].size;
                if (m->su[v][op][a][i].size > 1)
                    fl = true;
            }
        L->ir_lvl[a] = pl;
        L->ir_flag[a] = fl;
    }
}

/* Precision per arch level (psum[k]: an output-ir loop sits in an arch
 * level above k) and the ir products from each level to the top. */
static void op_precision(const lm_model *m, int op, op_levels *L)
{
    const int n = m->nlev[op];
    for (int k = 0; k <= n; k++) {
        L->psum[k] = false;
        if (op == LOMA_OP_O && k < n)
            for (int a = k + 1; a <= n; a++)
                L->psum[k] = L->psum[k] || L->ir_flag[a];
        L->prec[k] = op == LOMA_OP_O ? (L->psum[k] ? m->prec[op] : m->prec_final) : m->prec[op];
    }
    for (int a = 0; a <= n; a++) {
        double p = 1;
        for (int b = a; b <= n; b++)
            p *= L->ir_lvl[b];
        L->caal[a] = p;
    }
    L->caal[n + 1] = L->caal[n + 2] = 1;
}

/* Data per arch level into mp, and each level's cycle period and low /
 * high (boosted) bandwidth. */
static void op_rates(const lm_model *m, int v, const lm_temporal *t, int op, op_levels *L,
                     lm_mapping *mp)
{
    const int n = m->nlev[op];
    for (int a = 0; a <= n; a++) {
        mp->data_elem[op][a] = L->elem[a];
        mp->data_bit[op][a] = L->elem[a] * L->prec[a];
        mp->eff_bit[op][a] = floor(mp->data_bit[op][a] / (a == 0 ? 1 : t->top_r[op][a]));
        if (a == 0)
            L->cyc[a] = op == LOMA_OP_O ? 1 : t->mac_st[op];
        else
            L->cyc[a] = t->cycle_cabl[op][a - 1];
        L->boost[a] = a < n ? m->boost[v][op][a] : 1;
        L->low[a] = L->elem[a] * L->prec[a] / L->cyc[a];
        L->high[a] = L->low[a] * L->boost[a];
    }
}

/* An input's moves between memory level lv and the one above. */
static void input_move(const lm_model *m, int op, int lv, double total, const op_levels *L,
                       lm_move *mv)
{
    mv->prec[LOMA_TL] = mv->prec[LOMA_FH] = m->prec[op];
    mv->bw_avg[LOMA_TL] = trunc(L->high[lv]);
    mv->bw_avg[LOMA_FH] = trunc(L->low[lv + 1]);
    mv->period[LOMA_TL] = trunc(L->cyc[lv]);
    mv->period[LOMA_FH] = trunc(L->cyc[lv + 1]);
    mv->pc[LOMA_TL] = floor(total / L->cyc[lv]);
    mv->pc[LOMA_FH] = floor(total / L->cyc[lv + 1]);
    mv->amount[LOMA_TL] = L->elem[lv] * L->boost[lv];
    mv->amount[LOMA_FH] = L->elem[lv + 1];
}

/* The output's moves: partial sums both ways where an ir loop sits
 * above, final outputs one way otherwise. */
static void output_move(const lm_model *m, int op, int lv, double total, const op_levels *L,
                        lm_move *mv)
{
    double tl_cnt = trunc(m->osize[op] * (L->caal[lv + 1] - 1));
    double fh_cnt = trunc(m->osize[op] * (L->caal[lv + 2] - 1));
    if (tl_cnt != 0) {
        mv->prec[LOMA_FL] = mv->prec[LOMA_TL] = m->prec[op];
    } else {
        mv->prec[LOMA_FL] = m->prec_final;
        mv->prec[LOMA_TL] = 0;
    }
    if (fh_cnt != 0) {
        mv->prec[LOMA_FH] = mv->prec[LOMA_TH] = m->prec[op];
    } else {
        mv->prec[LOMA_FH] = 0;
        mv->prec[LOMA_TH] = m->prec_final;
    }
    mv->bw_avg[LOMA_FL] = trunc(L->high[lv]);
    mv->bw_avg[LOMA_TH] = trunc(L->low[lv + 1]);
    mv->period[LOMA_FL] = trunc(L->cyc[lv]);
    mv->period[LOMA_TH] = trunc(L->cyc[lv + 1]);
    mv->pc[LOMA_FL] = floor(total / L->cyc[lv]);
    mv->pc[LOMA_TH] = floor(total / L->cyc[lv + 1]);
    mv->amount[LOMA_FL] = trunc(L->elem[lv] * L->boost[lv]);
    mv->amount[LOMA_TH] = L->elem[lv + 1];
    if (L->psum[lv]) {
        mv->bw_avg[LOMA_TL] = mv->bw_avg[LOMA_FL];
        mv->period[LOMA_TL] = mv->period[LOMA_FL];
        mv->pc[LOMA_TL] = mv->pc[LOMA_FL];
        mv->amount[LOMA_TL] = mv->amount[LOMA_FL];
    }
    if (L->psum[lv + 1]) {
        mv->bw_avg[LOMA_FH] = mv->bw_avg[LOMA_TH];
        mv->period[LOMA_FH] = mv->period[LOMA_TH];
        mv->pc[LOMA_FH] = mv->pc[LOMA_TH];
        mv->amount[LOMA_FH] = mv->amount[LOMA_TH];
    }
}

/* The window left for an update when the level cannot double buffer:
 * the period over the outermost ir loops. Traffic with the world outside
 * the top level (lv == n - 1) is not counted. */
static void move_windows(const lm_temporal *t, int op, int lv, int n, lm_move *mv)
{
    double f_cur = trunc(t->top_ir[op][lv]), f_next = trunc(t->top_ir[op][lv + 1]);
    mv->window[LOMA_TL] = trunc(mv->period[LOMA_TL] / f_cur);
    mv->window[LOMA_FL] = trunc(mv->period[LOMA_FL] / f_cur);
    mv->window[LOMA_TH] = trunc(mv->period[LOMA_TH] / f_next);
    mv->window[LOMA_FH] = trunc(mv->period[LOMA_FH] / f_next);
    if (lv == n - 1) {
        int dirs[2] = {LOMA_TH, LOMA_FH};
        for (int k = 0; k < 2; k++) {
            int d = dirs[k];
            mv->amount[d] = mv->prec[d] = mv->period[d] = 0;
            mv->pc[d] = mv->bw_avg[d] = mv->window[d] = 0;
        }
    }
}

void lm_mapping_derive(const lm_model *m, int v, const lm_temporal *t, lm_mapping *mp)
{
    const double total = t->total_cycles;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        const int n = m->nlev[op];
        op_levels L;
        op_sizes(m, v, t, op, &L);
        op_precision(m, op, &L);
        op_rates(m, v, t, op, &L, mp);
        for (int lv = 0; lv < n; lv++) {
            lm_move *mv = &mp->mv[op][lv];
            memset(mv, 0, sizeof *mv);
            if (op != LOMA_OP_O)
                input_move(m, op, lv, total, &L, mv);
            else
                output_move(m, op, lv, total, &L, mv);
            move_windows(t, op, lv, n, mv);
        }
        /* ZigZag's element counts (MAC / ir products) do not enter the word
         * accesses, which come from amount x period count; the
         * access-same-data rule acts through the MAC-level period. */
    }
}

/* Word accesses of one direction: each transfer rounded up to the port's
 * minimal granularity, counted in full-width words, times periods and
 * active copies. */
static double word_access(double amount, double prec, double pc, double bw_max, double bw_min,
                          double copies)
{
    if (amount == 0 || prec == 0)
        return 0;
    return trunc(ceil(amount * prec / bw_min) * (bw_min / bw_max) * pc * copies);
}

bool lm_cost_eval(const lm_model *m, const lm_temporal *t, lm_cost *c, double energy_cut)
{
    lm_mapping mf, mi;
    lm_mapping_derive(m, 0, t, &mf);
    c->mac_energy = m->C->mac_energy_pj * m->mac;
    double mem_e = 0;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            const lm_move *mv = &mf.mv[op][lv];
            const loma_memory *mem = &m->C->mem[m->mem[op][lv]];
            double copies = m->unit_count[0][op][lv + 1];
            for (int d = 0; d < LOMA_N_DIRS; d++) {
                bool rd = d == LOMA_TL || d == LOMA_TH;
                double bmax = m->bw[op][lv][d], bmin = m->bw_min[op][lv][d];
                double a = word_access(mv->amount[d], mv->prec[d], mv->pc[d], bmax, bmin, copies);
                c->acc[op][lv][d] = a;
                c->e_dir[op][lv][d] = a * (rd ? mem->r_cost_pj : mem->w_cost_pj);
            }
            /* same association as ZigZag: reads, then writes */
            double e = (c->e_dir[op][lv][LOMA_TH] + c->e_dir[op][lv][LOMA_TL]) +
                       (c->e_dir[op][lv][LOMA_FH] + c->e_dir[op][lv][LOMA_FL]);
            c->e_lvl[op][lv] = e;
            mem_e += e;
        }
    }
    c->mem_energy = mem_e;
    c->energy = mem_e + c->mac_energy;
    if (c->energy > energy_cut)
        return false; /* cannot win: the latency is not needed */
    if (m->frac)
        lm_mapping_derive(m, 1, t, &mi);
    lm_latency(m, t, &mf, m->frac ? &mi : &mf, c);
    return true;
}
