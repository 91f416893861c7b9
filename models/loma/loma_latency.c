/* loma_latency.c -- ZigZag's latency model for one temporal mapping:
 * double-buffering decision per level, allowed versus real transfer cycles
 * per direction, stall/slack combined per physical port (ports run in
 * parallel), then on-loading before and off-loading after the compute.
 * Utilisation figures use the fractional spatial mapping, transfer figures
 * the integer one, as ZigZag does. */
#include <math.h>
#include <string.h>

#include "loma/loma_int.h"

typedef struct {
    double real, allowed, period, pc;
} activity;

/* Points of [0, x) covered by activities 0..k (sorted by period, each
 * period dividing the next; activity i covers the first a[i] cycles of
 * each of its periods). A covered set of a longer period is a prefix of
 * each shorter period's block, which makes the count recursive. */
static double covered(const double *p, const double *a, int k, double x)
{
    if (k < 0 || x <= 0)
        return 0;
    double pk = p[k], ak = a[k] < pk ? a[k] : pk;
    double q = floor(x / pk), r = x - q * pk;
    double full = 0, part;
    if (q > 0)
        full = q * (ak + covered(p, a, k - 1, pk) - covered(p, a, k - 1, ak));
    double head = r < ak ? r : ak;
    part = head + fmax(0, covered(p, a, k - 1, r) - covered(p, a, k - 1, head));
    return full + part;
}

/* Union length of the update windows of several activities sharing a port:
 * each occupies the first `allowed` cycles of each of its periods, laid over
 * the longest period, scaled by that activity's period count. */
static double window_union(const activity *a, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].period == a[i].allowed)
            return a[i].period * a[i].pc;
    double maxp = 0, maxpc = 0;
    for (int i = 0; i < n; i++)
        if (a[i].period > maxp) {
            maxp = a[i].period;
            maxpc = a[i].pc;
        }
    if (maxp <= 0)
        return 0;
    /* periods are products of prefixes of one loop ordering, so they
     * divide one another: sort them and count recursively */
    double per[LOMA_N_OPS * LOMA_N_DIRS], alw[LOMA_N_OPS * LOMA_N_DIRS];
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (a[i].period <= 0)
            continue;
        int j = m++;
        while (j > 0 && per[j - 1] > a[i].period) {
            per[j] = per[j - 1];
            alw[j] = alw[j - 1];
            j--;
        }
        per[j] = a[i].period;
        alw[j] = a[i].allowed;
    }
    bool chain = true;
    for (int i = 1; i < m; i++)
        if (fmod(per[i], per[i - 1]) != 0)
            chain = false;
    if (chain)
        return covered(per, alw, m - 1, maxp) * maxpc;
    /* not nested (not seen from LOMA's mappings): count cycle by cycle */
    uint64_t P = (uint64_t)maxp, used = 0;
    for (uint64_t tt = 0; tt < P; tt++)
        for (int i = 0; i < n; i++) {
            uint64_t pi = (uint64_t)a[i].period;
            if (pi && tt % pi < (uint64_t)a[i].allowed) {
                used++;
                break;
            }
        }
    return (double)used * maxpc;
}

/* ZigZag's reduce_balanced: lower the largest loading times first towards
 * their minimum, sharing a total reduction s. Kept as it is (it can lower
 * an entry below its own minimum), since the figures must match. */
static void reduce_balanced(double *c, const double *mn, int n, double s)
{
    if (s <= 0 || n == 0)
        return;
    int idx[LOMA_N_OPS * LOMA_N_DIRS * LM_LV];
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = 1; i < n; i++) { /* stable sort, descending */
        int k = idx[i], j = i - 1;
        while (j >= 0 && c[idx[j]] < c[k]) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = k;
    }
    double cs[LOMA_N_OPS * LOMA_N_DIRS * LM_LV], ms[LOMA_N_OPS * LOMA_N_DIRS * LM_LV];
    for (int i = 0; i < n; i++) {
        cs[i] = c[idx[i]];
        ms[i] = mn[idx[i]];
    }
    for (int i = 0; i < n; i++) {
        double maxr = (cs[i] - ms[i]) * (i + 1);
        if (s >= maxr) {
            double red = cs[i] - ms[i];
            for (int j = 0; j <= i; j++)
                cs[j] -= red;
            s -= maxr;
        } else {
            double red = s / (i + 1);
            for (int j = 0; j <= i; j++)
                cs[j] -= red;
            break;
        }
    }
    for (int i = 0; i < n; i++)
        c[idx[i]] = cs[i];
}

static bool is_input(int op)
{
    return op != LOMA_OP_O;
}

/* Cycles per (operand, level, direction). */
typedef double dir_cycles[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];
typedef bool dir_flags[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];

/* 1. Memory utilisation (fractional mapping) and double buffering: a
 * level double-buffers when its operands use at most half of it, or when
 * this operand still fits beside the others sharing the memory. */
static void double_buffering(const lm_model *m, const lm_mapping *mf, lm_cost *c)
{
    double eff_ind[LOMA_N_OPS][LM_LV], eff_sh[LOMA_N_OPS][LM_LV];
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            eff_ind[op][lv] = mf->eff_bit[op][lv + 1] / m->size[op][lv];
            eff_sh[op][lv] = eff_ind[op][lv];
        }
    for (int k = 0; k < m->C->n_mems; k++) {
        const loma_memory *mem = &m->C->mem[k];
        if (mem->n_ops < 2)
            continue;
        double s = 0;
        for (int i = 0; i < mem->n_ops; i++) {
            int op = mem->ops[i];
            s += eff_ind[op][m->lvl_of[k][op]];
        }
        for (int i = 0; i < mem->n_ops; i++) {
            int op = mem->ops[i];
            eff_sh[op][m->lvl_of[k][op]] = s;
        }
    }
    for (int op = 0; op < LOMA_N_OPS; op++) {
        c->db[op][0] = false;
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            if (eff_sh[op][lv] <= 0.5) {
                c->db[op][lv + 1] = true;
            } else if (eff_ind[op][lv] <= 1 - eff_sh[op][lv]) {
                c->db[op][lv + 1] = true;
                int k = m->mem[op][lv];
                const loma_memory *mem = &m->C->mem[k];
                if (mem->n_ops > 1)
                    for (int i = 0; i < mem->n_ops; i++) {
                        int o2 = mem->ops[i];
                        eff_sh[o2][m->lvl_of[k][o2]] += eff_ind[op][lv];
                    }
            } else {
                c->db[op][lv + 1] = false;
            }
        }
    }
}

/* 2. Allowed and real cycles per direction (integer mapping). */
static void transfer_cycles(const lm_model *m, const lm_mapping *mi, const lm_cost *c,
                            dir_cycles allowed, dir_cycles real)
{
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            const lm_move *mv = &mi->mv[op][lv];
            for (int d = 0; d < LOMA_N_DIRS; d++) {
                bool low = d == LOMA_TL || d == LOMA_FL;
                bool dbf = low ? c->db[op][lv] : c->db[op][lv + 1];
                allowed[op][lv][d] = dbf ? mv->period[d] : mv->window[d];
                double bw = m->bw[op][lv][d];
                real[op][lv][d] = bw > 0 ? ceil(mv->amount[d] * mv->prec[d] / bw) : 0;
            }
        }
}

/* Stall (positive) or slack of one port (of memory k) over the
 * activities it serves; 0 when it serves none. */
static double port_stall(const lm_model *m, const lm_mapping *mi, int k, const loma_port *pt,
                         dir_cycles allowed, dir_cycles real)
{
    activity act[LOMA_N_OPS * LOMA_N_DIRS];
    int na = 0;
    for (int i = 0; i < pt->n_alloc; i++) {
        int op = pt->alloc_op[i], d = pt->alloc_dir[i];
        int lv = m->lvl_of[k][op];
        if (lv < 0)
            continue;
        const lm_move *mv = &mi->mv[op][lv];
        if (mv->pc[d] == 0)
            continue;
        act[na].real = real[op][lv][d];
        act[na].allowed = allowed[op][lv][d];
        act[na].period = mv->period[d];
        act[na].pc = mv->pc[d];
        na++;
    }
    if (na == 0)
        return 0;
    if (na == 1)
        return (act[0].real - act[0].allowed) * (act[0].pc - 1);
    double pos = 0, neg = 0, muw = 0;
    for (int i = 0; i < na; i++) {
        double s = (act[i].real - act[i].allowed) * (act[i].pc - 1);
        if (s > 0)
            pos += s;
        else
            neg += s;
        muw += act[i].allowed * (act[i].pc - 1);
    }
    double u = window_union(act, na);
    double rest = neg + muw - u;
    return pos + (rest > 0 ? rest : 0);
}

/* 3. Stall / slack combined per physical port: the worst port stalls the
 * computation (ports run in parallel). Never below 0. */
static double max_port_stall(const lm_model *m, const lm_mapping *mi, dir_cycles allowed,
                             dir_cycles real)
{
    double ss_max = 0;
    for (int k = 0; k < m->C->n_mems; k++) {
        const loma_memory *mem = &m->C->mem[k];
        for (int p = 0; p < mem->n_ports; p++) {
            double ss = port_stall(m, mi, k, &mem->port[p], allowed, real);
            if (ss > ss_max)
                ss_max = ss;
        }
    }
    return ss_max;
}

/* On-/off-loading cycles of the transfers one port makes (memory k): the
 * one-time transfers share the bandwidth the periodic ones leave over the
 * computation (comp cycles). */
static void port_loading(const lm_model *m, const lm_mapping *mi, int k, int p,
                         dir_cycles real, double comp, dir_cycles load, dir_flags shared,
                         lm_cost *c)
{
    const loma_port *pt = &m->C->mem[k].port[p];
    bool in_w = false, in_i = false;
    for (int i = 0; i < pt->n_alloc; i++) {
        if (pt->alloc_op[i] == LOMA_OP_W)
            in_w = true;
        if (pt->alloc_op[i] == LOMA_OP_I)
            in_i = true;
    }
    bool sh = in_w && in_i;
    double pbw = (double)pt->bw_max_bits;
    int one_op[LOMA_N_OPS * LOMA_N_DIRS], one_lv[LOMA_N_OPS * LOMA_N_DIRS],
        one_d[LOMA_N_OPS * LOMA_N_DIRS], n1 = 0;
    double req = 0;
    for (int i = 0; i < pt->n_alloc; i++) {
        int op = pt->alloc_op[i], d = pt->alloc_dir[i];
        int lv = m->lvl_of[k][op];
        if (lv < 0)
            continue;
        if (op == LOMA_OP_O && (d == LOMA_TL || d == LOMA_FH))
            continue;
        const lm_move *mv = &mi->mv[op][lv];
        if (mv->pc[d] == 0)
            continue;
        if (mv->pc[d] == 1) {
            one_op[n1] = op;
            one_lv[n1] = lv;
            one_d[n1] = d;
            n1++;
        } else {
            req += mv->bw_avg[d];
            load[op][lv][d] = real[op][lv][d];
            shared[op][lv][d] = sh;
        }
    }
    if (n1 == 0)
        return;
    double cyc[LOMA_N_OPS * LOMA_N_DIRS], mn[LOMA_N_OPS * LOMA_N_DIRS];
    for (int i = 0; i < n1; i++) {
        cyc[i] = real[one_op[i]][one_lv[i]][one_d[i]];
        mn[i] = ceil(mi->data_bit[one_op[i]][1] / pbw);
    }
    double surplus = (pbw - req) / pbw * comp;
    if (surplus < 0)
        surplus = 0;
    reduce_balanced(cyc, mn, n1, surplus);
    for (int i = 0; i < n1; i++) {
        load[one_op[i]][one_lv[i]][one_d[i]] = cyc[i];
        shared[one_op[i]][one_lv[i]][one_d[i]] = sh;
        /* the bandwidth this load borrows from the computation; ZigZag
         * keys it by operand per port, so a second direction of the same
         * operand on this port replaces the first */
        double red = real[one_op[i]][one_lv[i]][one_d[i]] - cyc[i];
        if (p < LOMA_MAX_PORTS)
            c->loading_bw[one_op[i]][one_lv[i]][p] = comp > 0 ? ceil(red / comp * pbw) : 0;
    }
}

/* ZigZag's REQ_MEM_BW_INST: each level's average bandwidth times its
 * outermost ir loops (the level above's for the directions facing up),
 * from the integer mapping; the top level's traffic with the world
 * outside is already 0 (move_windows). */
static void inst_bandwidth(const lm_model *m, const lm_temporal *t, const lm_mapping *mi,
                           lm_cost *c)
{
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            const lm_move *mv = &mi->mv[op][lv];
            double cur = trunc(t->top_ir[op][lv]), next = trunc(t->top_ir[op][lv + 1]);
            c->inst_bw[op][lv][LOMA_TL] = trunc(mv->bw_avg[LOMA_TL] * cur);
            c->inst_bw[op][lv][LOMA_FL] = trunc(mv->bw_avg[LOMA_FL] * cur);
            c->inst_bw[op][lv][LOMA_TH] = trunc(mv->bw_avg[LOMA_TH] * next);
            c->inst_bw[op][lv][LOMA_FH] = trunc(mv->bw_avg[LOMA_FH] * next);
        }
}

/* 4b. On-loading of the inputs (W and I, overlapped where their ports
 * are separate) and off-loading of the output, from the per-port loads. */
static void load_totals(const lm_model *m, dir_cycles load, dir_flags shared, lm_cost *c)
{
    double indiv[LOMA_N_OPS] = {0}, half[LOMA_N_OPS] = {0}, shpart[LOMA_N_OPS] = {0};
    for (int op = 0; op < LOMA_N_OPS; op++) {
        if (!is_input(op))
            continue;
        for (int lv = 0; lv + 1 < m->nlev[op]; lv++) {
            double e1 = load[op][lv][LOMA_FH], e2 = load[op][lv + 1][LOMA_TL];
            bool s1 = shared[op][lv][LOMA_FH], s2 = shared[op][lv + 1][LOMA_TL];
            double mx = e1 > e2 ? e1 : e2;
            if (!s1 && !s2)
                indiv[op] += mx;
            else if (s1 && s2)
                shpart[op] += mx;
            else
                half[op] = mx; /* ZigZag assigns here rather than adds */
        }
    }
    const int a = LOMA_OP_W, b = LOMA_OP_I;
    double p1 = shpart[a] + fmax(shpart[b] + half[b] + indiv[b], half[a] + indiv[a]);
    double p2 = shpart[b] + fmax(shpart[a] + half[a] + indiv[a], half[b] + indiv[b]);
    c->onload = p1 < p2 ? p1 : p2;
    double off = 0;
    for (int lv = 0; lv + 1 < m->nlev[LOMA_OP_O]; lv++) {
        double e1 = load[LOMA_OP_O][lv][LOMA_TH], e2 = load[LOMA_OP_O][lv + 1][LOMA_FL];
        off += e1 > e2 ? e1 : e2;
    }
    c->offload = off;
}

void lm_latency(const lm_model *m, const lm_temporal *t, const lm_mapping *mf,
                const lm_mapping *mi, lm_cost *c)
{
    dir_cycles allowed, real, load;
    dir_flags shared;
    double_buffering(m, mf, c);
    transfer_cycles(m, mi, c, allowed, real);
    const double ss_max = max_port_stall(m, mi, allowed, real);
    c->stall = ss_max;
    const double total = t->total_cycles;
    const double comp = total + ss_max;
    /* 4. on-/off-loading per port */
    memset(load, 0, sizeof load);
    memset(shared, 0, sizeof shared);
    memset(c->loading_bw, 0, sizeof c->loading_bw);
    for (int k = 0; k < m->C->n_mems; k++)
        for (int p = 0; p < m->C->mem[k].n_ports; p++)
            port_loading(m, mi, k, p, real, comp, load, shared, c);
    load_totals(m, load, shared, c);
    inst_bandwidth(m, t, mi, c);
    c->ideal = ceil(m->mac / m->total_units);
    c->ideal_temporal = total;
    c->lat0 = total + ss_max;
    c->lat1 = c->lat0 + c->onload;
    c->lat2 = c->lat1 + c->offload;
}
