/* loma_spatial_gen.c -- spatial unrolling candidates for the OA dims a
 * mapping leaves free, generated as ZigZag's SpatialMappingGeneratorStage
 * does: each free OA dim unrolls one layer dim by a divisor of its maximum
 * unrolling (array size, layer size, innermost port width), combinations
 * that over-unroll a layer dim are dropped, and the ones using the most PEs
 * (then spreading them over more layer dims) come first (stable, so
 * generation order breaks ties). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loma/loma_int.h"

#define MAX_PER_OA 256

typedef struct {
    int dim;          /* -1: no unrolling */
    uint64_t factor;
} choice;

static int choices_for(const lm_model *m, uint64_t table[LOMA_MAX_OA][LOMA_MAX_DIMS], int o,
                       choice *out)
{
    int n = 0;
    for (int d = 0; d < m->nd && n < MAX_PER_OA - 1; d++) {
        if (m->L->dim_size[d] <= 1)
            continue;
        for (uint64_t f = table[o][d]; f >= 2 && n < MAX_PER_OA - 1; f--)
            if (table[o][d] % f == 0) {
                out[n].dim = d;
                out[n].factor = f;
                n++;
            }
    }
    out[n].dim = -1;
    out[n].factor = 1;
    return n + 1;
}

int lm_spatial_candidates(const loma_layer *L, const loma_core *C, const loma_spatial *sp,
                          loma_spatial *out, int max_out, base_error *err)
{
    lm_model *m = base_malloc(sizeof *m);
    if (!m) {
        base_fail(err, "layer %s: out of memory", L->name);
        return -1;
    }
    if (lm_model_build(m, L, C, sp, err)) {
        base_free(m);
        return -1;
    }
    uint64_t table[LOMA_MAX_OA][LOMA_MAX_DIMS];
    lm_unroll_table(m, table);
    int free_dims[LOMA_MAX_OA], nfree = 0;
    choice *ch = base_calloc((size_t)LOMA_MAX_OA * MAX_PER_OA, sizeof *ch);
    if (!ch) {
        base_free(m);
        base_fail(err, "layer %s: out of memory", L->name);
        return -1;
    }
    int nch[LOMA_MAX_OA];
    for (int o = 0; o < C->n_oa; o++)
        if (sp->free_oa[o]) {
            nch[nfree] = choices_for(m, table, o, ch + (size_t)nfree * MAX_PER_OA);
            free_dims[nfree++] = o;
        }
    /* fixed unrolls per layer dim and their PE use */
    uint64_t fixed[LOMA_MAX_DIMS];
    double fixed_use = 1;
    for (int d = 0; d < m->nd; d++)
        fixed[d] = 1;
    for (int o = 0; o < C->n_oa; o++)
        if (!sp->free_oa[o])
            for (int u = 0; u < sp->n_unrolls[o]; u++) {
                fixed[sp->dim[o][u]] *= sp->factor[o][u];
                fixed_use *= (double)sp->factor[o][u];
            }
    double best_use[LOMA_SPATIAL_CANDIDATES * 4];
    int nout = 0;
    if (max_out > LOMA_SPATIAL_CANDIDATES * 4)
        max_out = LOMA_SPATIAL_CANDIDATES * 4;
    uint64_t ncomb = 1;
    for (int i = 0; i < nfree; i++)
        ncomb *= (uint64_t)nch[i];
    for (uint64_t c = 0; c < ncomb; c++) {
        int pick[LOMA_MAX_OA];
        uint64_t rest = c;
        for (int i = nfree - 1; i >= 0; i--) { /* last free dim varies fastest */
            pick[i] = (int)(rest % (uint64_t)nch[i]);
            rest /= (uint64_t)nch[i];
        }
        uint64_t per[LOMA_MAX_DIMS];
        memcpy(per, fixed, sizeof per);
        double use = fixed_use;
        bool ok = true;
        for (int i = 0; i < nfree && ok; i++) {
            const choice *x = &ch[(size_t)i * MAX_PER_OA + (size_t)pick[i]];
            if (x->dim < 0)
                continue;
            per[x->dim] *= x->factor;
            use *= (double)x->factor;
            if (per[x->dim] > L->dim_size[x->dim])
                ok = false;
        }
        if (!ok)
            continue;
        /* ZigZag's performance indicator: PEs used, plus a diversity term
         * (PEs used / the largest single-dim unrolling - 1) that prefers
         * spreading the array over several layer dims */
        uint64_t maxper = 1;
        for (int d = 0; d < m->nd; d++)
            if (per[d] > maxper)
                maxper = per[d];
        use += use / (double)maxper - 1;
        /* insert keeping the list sorted by use, descending, stable */
        int pos = nout;
        while (pos > 0 && best_use[pos - 1] < use)
            pos--;
        if (pos >= max_out)
            continue;
        int last = nout < max_out ? nout : max_out - 1;
        for (int j = last; j > pos; j--) {
            out[j] = out[j - 1];
            best_use[j] = best_use[j - 1];
        }
        out[pos] = *sp;
        for (int i = 0; i < nfree; i++) {
            int o = free_dims[i];
            const choice *x = &ch[(size_t)i * MAX_PER_OA + (size_t)pick[i]];
            out[pos].free_oa[o] = false;
            out[pos].n_unrolls[o] = x->dim < 0 ? 0 : 1;
            out[pos].dim[o][0] = x->dim < 0 ? 0 : x->dim;
            out[pos].factor[o][0] = x->factor;
        }
        best_use[pos] = use;
        if (nout < max_out)
            nout++;
    }
    base_free(ch);
    base_free(m);
    if (nout == 0) {
        base_fail(err, "layer %s: no valid spatial unrolling found", L->name);
        return -1;
    }
    return nout;
}
