/* loma_fixed.c -- costing one given temporal ordering (a mapping's
 * complete temporal_ordering) instead of searching, as ZigZag does when the
 * mapping fixes the loop order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loma/loma_int.h"

int loma_map_ordering(const loma_layer *layer, const loma_core *core, const loma_spatial *sp,
                      const loma_order *ord, loma_result *out, base_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(out, 0, sizeof *out);
    base_error_clear(err);
    for (int o = 0; o < core->n_oa && o < LOMA_MAX_OA; o++)
        if (sp->free_oa[o]) {
            base_fail(err, "layer %s: a fixed temporal ordering needs a spatial mapping for every array "
                     "dim (%s has none)",
                     layer->name, core->oa_name[o]);
            return -1;
        }
    lm_model *m = base_calloc(1, sizeof *m);
    lm_tmap *alloc = base_calloc(1, sizeof *alloc);
    lm_temporal *t = base_calloc(1, sizeof *t);
    lm_cost *c = base_calloc(1, sizeof *c);
    int rc = -1;
    if (!m || !alloc || !t || !c) {
        base_fail(err, "layer %s: out of memory", layer->name);
        goto done;
    }
    if (lm_model_build(m, layer, core, sp, err))
        goto done;
    /* resolve the ordering against the temporal sizes left by the
     * spatial unrolling: every dim must be covered exactly */
    uint64_t left[LOMA_MAX_DIMS];
    memcpy(left, m->tsize, sizeof left);
    loma_loop order[LOMA_MAX_LOOPS];
    int n = 0;
    for (int i = 0; i < ord->n && i < LOMA_MAX_LOOPS; i++) {
        int d = ord->dim[i];
        if (d < 0 || d >= m->nd) {
            base_fail(err, "layer %s: temporal ordering names a dim the "
                     "layer lacks", layer->name);
            goto done;
        }
        uint64_t f = ord->size[i] ? ord->size[i] : left[d];
        if (f == 0 || left[d] % f != 0) {
            base_fail(err, "layer %s: temporal ordering [%s, %llu] does not divide the %llu temporal "
                     "iterations of %s left",
                     layer->name, layer->dim_name[d], (unsigned long long)f,
                     (unsigned long long)left[d], layer->dim_name[d]);
            goto done;
        }
        left[d] /= f;
        if (f > 1) {
            order[n].dim = d;
            order[n].size = (double)f;
            n++;
        }
    }
    for (int d = 0; d < m->nd; d++)
        if (left[d] != 1) {
            base_fail(err, "layer %s: temporal ordering leaves %llu iterations of %s uncovered",
                     layer->name, (unsigned long long)left[d], layer->dim_name[d]);
            goto done;
        }
    if (n == 0) { /* everything spatial: one dummy loop, as LOMA does */
        order[0].dim = 0;
        order[0].size = 1;
        n = 1;
    }
    if (lm_allocate(m, order, n, alloc, NULL)) {
        lm_describe_failure(m, order, n, 1, err);
        goto done;
    }
    lm_temporal_derive(m, alloc, t);
    lm_cost_eval(m, t, c, INFINITY);
    lm_fill_result(m, t, c, order, n, out);
    out->orderings_evaluated = out->orderings_valid = 1;
    out->n_spatial_candidates = 1;
    rc = 0;
done:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    base_free(m);
    base_free(alloc);
    base_free(t);
    base_free(c);
    return rc;
}
