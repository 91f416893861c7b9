/* loma_model.c -- everything about a (layer, core, spatial mapping) that
 * does not depend on the temporal ordering: input checks, loop relevance,
 * memory levels per operand, the spatial unrolling as ZigZag limits it and
 * where each operand's memories see it, and the temporal loop sizes left. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loma/loma_int.h"

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Distinct window positions c = sa*x + sb*y for x < a, y < b (ZigZag's
 * closed form), clipped to the dim's padded-less size. */
double lm_pr_full(const loma_pr *p, double a, double b)
{
    uint64_t g = gcd64(p->sa, p->sb);
    double sa = (double)(p->sa / g), sb = (double)(p->sb / g);
    double over = b - sa;
    if (over < 0)
        over = 0;
    return a * b - over * (a - sb);
}

double loma_pr_extent(const loma_pr *p, double a, double b)
{
    return lm_pr_full(p, a, b);
}

double lm_pr_size(const loma_pr *p, double a, double b)
{
    double v = lm_pr_full(p, a, b);
    if (v > (double)p->total)
        v = (double)p->total;
    return v;
}

static const char *opn(const loma_layer *L, int op)
{
    return L->op_name[op][0] ? L->op_name[op] : (op == 0 ? "O" : op == 1 ? "W" : "I");
}

static int check_inputs(const loma_layer *L, const loma_core *C, base_error *err)
{
    if (L->n_dims <= 0 || L->n_dims > LOMA_MAX_DIMS)
        return base_fail(err, "layer %s: %d loop dims (1..%d expected)", L->name, L->n_dims, LOMA_MAX_DIMS);
    for (int d = 0; d < L->n_dims; d++)
        if (L->dim_size[d] == 0)
            return base_fail(err, "layer %s: loop dim %s has size 0", L->name, L->dim_name[d]);
    if (L->prec_bits[LOMA_OP_O] == 0 || L->prec_final_bits == 0)
        return base_fail(err, "layer %s: operand %s: precision of 0 bits (the output needs O and O_final)",
                   L->name, opn(L, LOMA_OP_O));
    if (L->prec_bits[LOMA_OP_I] == 0)
        return base_fail(err, "layer %s: operand %s: precision of 0 bits", L->name, opn(L, LOMA_OP_I));
    if (C->n_mems <= 0 || C->n_mems > LOMA_MAX_MEMS)
        return base_fail(err, "core %s: %d memories (1..%d expected)", C->name, C->n_mems, LOMA_MAX_MEMS);
    if (C->n_oa <= 0 || C->n_oa > LOMA_MAX_OA)
        return base_fail(err, "core %s: %d array dims (1..%d expected)", C->name, C->n_oa, LOMA_MAX_OA);
    for (int k = 0; k < C->n_oa; k++)
        if (C->oa_size[k] == 0)
            return base_fail(err, "core %s: array dim %s has size 0", C->name, C->oa_name[k]);
    return 0;
}

/* The port of mem serving (op, dir), or NULL. */
static const loma_port *port_for(const loma_memory *mem, int op, int dir)
{
    for (int p = 0; p < mem->n_ports; p++)
        for (int i = 0; i < mem->port[p].n_alloc; i++)
            if (mem->port[p].alloc_op[i] == op && mem->port[p].alloc_dir[i] == dir)
                return &mem->port[p];
    return NULL;
}

static int build_levels(lm_model *m, base_error *err)
{
    const loma_core *C = m->C;
    const loma_layer *L = m->L;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        m->nlev[op] = 0;
        m->top_mem[op] = -1;
    }
    for (int k = 0; k < C->n_mems; k++) {
        const loma_memory *mem = &C->mem[k];
        for (int op = 0; op < LOMA_N_OPS; op++)
            m->lvl_of[k][op] = -1;
        if (mem->size_bits <= 0)
            return base_fail(err, "core %s: memory %s has size 0", C->name, mem->name);
        for (int i = 0; i < mem->n_ops; i++) {
            int op = mem->ops[i];
            if (m->nlev[op] >= LOMA_MAX_LEVELS)
                return base_fail(err, "core %s: operand %s has more than %d memory levels", C->name,
                           opn(L, op), LOMA_MAX_LEVELS);
            int lv = m->nlev[op]++;
            m->mem[op][lv] = k;
            m->lvl_of[k][op] = lv;
            m->top_mem[op] = k;
            m->size[op][lv] = mem->size_bits;
            static const int need_in[2] = {LOMA_FH, LOMA_TL};
            static const int need_out[4] = {LOMA_FH, LOMA_TL, LOMA_FL, LOMA_TH};
            const int *need = op == LOMA_OP_O ? need_out : need_in;
            int nn = op == LOMA_OP_O ? 4 : 2;
            for (int d = 0; d < LOMA_N_DIRS; d++) {
                const loma_port *pt = port_for(mem, op, d);
                m->bw[op][lv][d] = pt ? (double)pt->bw_max_bits : 0;
                m->bw_min[op][lv][d] = pt ? (double)pt->bw_min_bits : 0;
            }
            for (int q = 0; q < nn; q++) {
                int d = need[q];
                if (!port_for(mem, op, d))
                    return base_fail(err, "layer %s: operand %s: memory level %d (%s) has no port for "
                               "direction %s",
                               L->name, opn(L, op), lv, mem->name, loma_dir_name(d));
                if (m->bw[op][lv][d] <= 0 || m->bw_min[op][lv][d] <= 0)
                    return base_fail(err, "layer %s: operand %s: memory level %d (%s): the port for %s has "
                               "0 bandwidth",
                               L->name, opn(L, op), lv, mem->name, loma_dir_name(d));
            }
        }
    }
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (m->nlev[op] == 0)
            return base_fail(err, "layer %s: operand %s: no memory of core %s holds it", L->name,
                       opn(L, op), C->name);
    return 0;
}

/* A memory with nothing below it: the lowest level of every operand it
 * holds. Its port widths and capacity bound the spatial unrolling. */
static bool innermost(const lm_model *m, int k)
{
    const loma_memory *mem = &m->C->mem[k];
    for (int i = 0; i < mem->n_ops; i++)
        if (m->lvl_of[k][mem->ops[i]] != 0)
            return false;
    return mem->n_ops > 0;
}

/* ZigZag's maximum-unrolling table: per OA dim and layer dim, the smaller
 * of the two sizes, lowered where an innermost memory's port cannot feed
 * more than bw / precision distinct words per cycle. */
void lm_unroll_table(const lm_model *m, uint64_t table[LOMA_MAX_OA][LOMA_MAX_DIMS])
{
    const loma_core *C = m->C;
    const loma_layer *L = m->L;
    for (int o = 0; o < C->n_oa; o++)
        for (int d = 0; d < m->nd; d++)
            table[o][d] = L->dim_size[d] < C->oa_size[o] ? L->dim_size[d] : C->oa_size[o];
    for (int k = 0; k < C->n_mems; k++) {
        if (!innermost(m, k))
            continue;
        const loma_memory *mem = &C->mem[k];
        for (int i = 0; i < mem->n_ops; i++) {
            int op = mem->ops[i];
            unsigned prec = m->prec[op];
            if (prec == 0)
                continue;
            double bw = m->bw[op][0][op == LOMA_OP_O ? LOMA_FL : LOMA_TL];
            uint64_t lim = (uint64_t)bw / prec;
            for (int o = 0; o < C->n_oa; o++)
                if (mem->served_mask & (1u << o))
                    for (int d = 0; d < m->nd; d++)
                        if (m->rel[op][d] != LM_IR && table[o][d] > lim)
                            table[o][d] = lim;
        }
    }
}

static int limit_spatial(lm_model *m, const loma_spatial *sp, uint64_t f[LOMA_MAX_OA][LOMA_MAX_UNROLLS],
                         base_error *err)
{
    const loma_core *C = m->C;
    const loma_layer *L = m->L;
    uint64_t table[LOMA_MAX_OA][LOMA_MAX_DIMS];
    lm_unroll_table(m, table);
    for (int o = 0; o < C->n_oa; o++) {
        if (sp->n_unrolls[o] < 0 || sp->n_unrolls[o] > LOMA_MAX_UNROLLS)
            return base_fail(err, "layer %s: spatial mapping of %s: bad unroll count", L->name, C->oa_name[o]);
        uint64_t prod = 1;
        for (int u = 0; u < sp->n_unrolls[o]; u++) {
            int d = sp->dim[o][u];
            if (d < 0 || d >= m->nd)
                return base_fail(err, "layer %s: spatial mapping of %s: unknown loop dim", L->name,
                           C->oa_name[o]);
            if (sp->factor[o][u] == 0)
                return base_fail(err, "layer %s: spatial mapping %s: [%s, 0]: unroll factor 0", L->name,
                           C->oa_name[o], L->dim_name[d]);
            if (sp->factor[o][u] > C->oa_size[o])
                return base_fail(err, "layer %s: spatial mapping %s: [%s, %llu] exceeds the array (%s has "
                           "%llu units)",
                           L->name, C->oa_name[o], L->dim_name[d],
                           (unsigned long long)sp->factor[o][u], C->oa_name[o],
                           (unsigned long long)C->oa_size[o]);
            f[o][u] = sp->factor[o][u] < table[o][d] ? sp->factor[o][u] : table[o][d];
            if (f[o][u] == 0)
                f[o][u] = 1;
            prod *= f[o][u];
        }
        /* an OA dim still over-used drops its unrolls, first listed first */
        for (int u = 0; u < sp->n_unrolls[o] && prod > C->oa_size[o]; u++) {
            prod /= f[o][u];
            f[o][u] = 1;
        }
    }
    for (int d = 0; d < m->nd; d++) {
        uint64_t prod = 1;
        for (int o = 0; o < C->n_oa; o++)
            for (int u = 0; u < sp->n_unrolls[o]; u++)
                if (sp->dim[o][u] == d)
                    prod *= f[o][u];
        for (int o = 0; o < C->n_oa && prod > L->dim_size[d]; o++)
            for (int u = 0; u < sp->n_unrolls[o] && prod > L->dim_size[d]; u++)
                if (sp->dim[o][u] == d) {
                    prod /= f[o][u];
                    f[o][u] = 1;
                }
    }
    /* the innermost memories must hold what the unrolling puts in them */
    for (int k = 0; k < C->n_mems; k++) {
        if (!innermost(m, k))
            continue;
        const loma_memory *mem = &C->mem[k];
        for (int i = 0; i < mem->n_ops; i++) {
            int op = mem->ops[i];
            if (m->prec[op] == 0)
                continue;
            double cap = floor(mem->size_bits / m->prec[op]);
            for (;;) {
                double prod = 1;
                int bo = -1, bu = -1;
                for (int o = 0; o < C->n_oa; o++) {
                    if (!(mem->served_mask & (1u << o)))
                        continue;
                    for (int u = 0; u < sp->n_unrolls[o]; u++)
                        if (m->rel[op][sp->dim[o][u]] != LM_IR) {
                            prod *= (double)f[o][u];
                            if (bo < 0 || f[o][u] > f[bo][bu]) {
                                bo = o;
                                bu = u;
                            }
                        }
                }
                if (prod <= cap || bo < 0 || f[bo][bu] <= 1)
                    break;
                f[bo][bu]--;
            }
        }
    }
    return 0;
}

/* Attaches the (limited) unrolls to the memory levels that see them and
 * derives the active copies (unit_count), distinct data sets (unit_unique)
 * and bandwidth boost per level, for both spatial variants. */
static void attach_spatial(lm_model *m, const loma_spatial *sp, uint64_t f[LOMA_MAX_OA][LOMA_MAX_UNROLLS])
{
    const loma_core *C = m->C;
    const loma_layer *L = m->L;
    uint64_t unroll[LOMA_MAX_DIMS];
    for (int d = 0; d < m->nd; d++)
        unroll[d] = 1;
    m->n_used = 0;
    for (int o = 0; o < C->n_oa; o++)
        for (int u = 0; u < sp->n_unrolls[o]; u++) {
            unroll[sp->dim[o][u]] *= f[o][u];
        }
    double frac_scale[LOMA_MAX_DIMS];
    m->frac = false;
    for (int d = 0; d < m->nd; d++) {
        m->tsize[d] = (L->dim_size[d] + unroll[d] - 1) / unroll[d];
        /* greedy unrolling: the energy path sees size / temporal trips */
        double exact = (double)L->dim_size[d] / (double)m->tsize[d];
        frac_scale[d] = exact / (double)unroll[d];
        if (L->dim_size[d] % unroll[d] != 0)
            m->frac = true;
    }
    for (int op = 0; op < LOMA_N_OPS; op++) {
        unsigned claimed = 0;
        const int n = m->nlev[op];
        for (int a = 0; a <= n; a++) {
            unsigned mask;
            if (a < n)
                mask = C->mem[m->mem[op][a]].served_mask & ~claimed;
            else
                mask = ~claimed;
            claimed |= mask;
            m->nsu[op][a] = 0;
            for (int o = 0; o < C->n_oa; o++) {
                if (!(mask & (1u << o)))
                    continue;
                for (int u = 0; u < sp->n_unrolls[o]; u++) {
                    int d = sp->dim[o][u];
                    if (f[o][u] <= 1)
                        continue;
                    int i = m->nsu[op][a]++;
                    m->su[1][op][a][i].dim = d;
                    m->su[0][op][a][i].dim = d;
                    m->su[0][op][a][i].size = (double)f[o][u] * frac_scale[d];
                    /* the latency path uses int() of the greedy unroll */
                    m->su[1][op][a][i].size = trunc(m->su[0][op][a][i].size);
                    if (op == LOMA_OP_O) {
                        m->used_oa[m->n_used] = o;
                        m->used[m->n_used].dim = d;
                        m->used[m->n_used].size = (double)f[o][u];
                        m->n_used++;
                    }
                }
            }
        }
        for (int v = 0; v < 2; v++) {
            double tot[LM_LV], rr[LM_LV], cum[LOMA_MAX_DIMS], prv[LOMA_MAX_PR];
            for (int d = 0; d < m->nd; d++)
                cum[d] = 1;
            for (int k = 0; k < LOMA_MAX_PR; k++)
                prv[k] = 1;
            for (int a = 0; a <= n; a++) {
                tot[a] = 1;
                rr[a] = 1;
                for (int i = 0; i < m->nsu[op][a]; i++) {
                    const loma_loop *l = &m->su[v][op][a][i];
                    tot[a] *= l->size;
                    if (m->rel[op][l->dim] == LM_R)
                        rr[a] *= l->size;
                    cum[l->dim] *= l->size;
                }
                for (int k = 0; k < L->n_pr; k++) {
                    const loma_pr *p = &L->pr[k];
                    if (p->op != op)
                        continue;
                    double now = lm_pr_size(p, trunc(cum[p->dim_a]), trunc(cum[p->dim_b]));
                    rr[a] *= now / prv[k];
                    prv[k] = now;
                }
            }
            for (int a = 0; a <= n; a++) {
                double pt = 1, pu = 1;
                for (int b = a; b <= n; b++) {
                    pt *= tot[b];
                    pu *= rr[b];
                }
                m->unit_count[v][op][a] = rint(rint(pt * 1000) / 1000);
                m->unit_unique[v][op][a] = pu;
            }
            for (int a = 0; a < n; a++)
                m->boost[v][op][a] = rint(m->unit_unique[v][op][a] / m->unit_unique[v][op][a + 1]);
        }
    }
}

int lm_model_build(lm_model *m, const loma_layer *L, const loma_core *C, const loma_spatial *sp,
                   base_error *err)
{
    memset(m, 0, sizeof *m);
    m->L = L;
    m->C = C;
    if (check_inputs(L, C, err))
        return -1;
    m->nd = L->n_dims;
    m->mac = 1;
    for (int d = 0; d < m->nd; d++)
        m->mac *= (double)L->dim_size[d];
    m->total_units = 1;
    for (int o = 0; o < C->n_oa; o++)
        m->total_units *= (double)C->oa_size[o];
    for (int op = 0; op < LOMA_N_OPS; op++) {
        m->prec[op] = L->prec_bits[op];
        for (int d = 0; d < m->nd; d++)
            m->rel[op][d] = L->relevant[op][d] ? LM_R : LM_IR;
    }
    m->prec_final = L->prec_final_bits;
    for (int k = 0; k < L->n_pr; k++) {
        const loma_pr *p = &L->pr[k];
        if (p->op < 0 || p->op >= LOMA_N_OPS || p->dim_a < 0 || p->dim_a >= m->nd ||
            p->dim_b < 0 || p->dim_b >= m->nd || p->sa == 0 || p->sb == 0)
            return base_fail(err, "layer %s: window dim %s is malformed", L->name, p->name);
        /* every dim related to any window of op is a window (pr) dim */
        for (int j = 0; j < L->n_pr; j++)
            if (L->pr[j].op == p->op) {
                m->rel[p->op][L->pr[j].dim_a] = LM_PR;
                m->rel[p->op][L->pr[j].dim_b] = LM_PR;
            }
    }
    for (int op = 0; op < LOMA_N_OPS; op++) {
        double s = 1;
        for (int d = 0; d < m->nd; d++)
            if (m->rel[op][d] == LM_R)
                s *= (double)L->dim_size[d];
        for (int k = 0; k < L->n_pr; k++)
            if (L->pr[k].op == op)
                s *= lm_pr_size(&L->pr[k], (double)L->dim_size[L->pr[k].dim_a],
                                (double)L->dim_size[L->pr[k].dim_b]);
        m->osize[op] = s;
    }
    if (build_levels(m, err))
        return -1;
    uint64_t f[LOMA_MAX_OA][LOMA_MAX_UNROLLS];
    if (limit_spatial(m, sp, f, err))
        return -1;
    attach_spatial(m, sp, f);
    return 0;
}
