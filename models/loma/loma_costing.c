/* loma_costing.c -- the one costing entry point (loma_cost) and the notes
 * it hands back: an ordering that was not applied, spatial unrolls the
 * mapper reduced, a search that hit its bound. The notes are worked out
 * from the job and the result alone, so a cached result gives the same
 * notes as a fresh one. */
#include <stdio.h>
#include <string.h>

#include "loma/loma_int.h"

/* Unrolls the mapping asked for that the result uses smaller. */
static void find_reduced(const loma_job *job, const loma_result *r, loma_notes *n)
{
    const loma_spatial *sp = job->sp;
    for (int o = 0; o < job->core->n_oa && o < LOMA_MAX_OA; o++)
        for (int u = 0; u < sp->n_unrolls[o]; u++) {
            double used = 1;
            for (int i = 0; i < r->n_spatial; i++)
                if (r->sp_oa[i] == o && r->sp_loop[i].dim == sp->dim[o][u])
                    used = r->sp_loop[i].size;
            if (used >= (double)sp->factor[o][u] || n->n_reduced >= LOMA_MAX_REDUCED)
                continue;
            n->reduced[n->n_reduced++] = (loma_reduced){o, sp->dim[o][u], sp->factor[o][u],
                                                        used, used};
        }
}

static void fill_notes(const loma_job *job, const loma_result *r, loma_notes *n)
{
    memset(n, 0, sizeof *n);
    n->order_not_applied = job->order_partial && !(job->order && job->order->n > 0);
    find_reduced(job, r, n);
    if (r->orderings_skipped) {
        n->evaluated = r->orderings_evaluated;
        n->skipped = r->orderings_skipped;
    }
}

int loma_cost(loma_cache *c, const loma_job *job, loma_result *own, loma_costed *out,
              base_error *err)
{
    const loma_order *order = job->order && job->order->n > 0 ? job->order : NULL;
    memset(out, 0, sizeof *out);
    if (c) {
        bool hit = false;
        if (lm_cache_map(c, job->layer, job->core, job->core_id, job->sp, job->opt, order,
                         &out->r, &hit, err))
            return -1;
        out->from_cache = hit;
    } else {
        int rc = order ? loma_map_ordering(job->layer, job->core, job->sp, order, own, err)
                       : loma_map(job->layer, job->core, job->sp, job->opt, own, err);
        if (rc)
            return -1;
        out->r = own;
    }
    fill_notes(job, out->r, &out->notes);
    if (job->opt && job->opt->progress)
        job->opt->progress(job->opt->progress_ctx, !out->from_cache);
    return 0;
}

static void merge_reduced(loma_notes *dst, const loma_reduced *s)
{
    for (int i = 0; i < dst->n_reduced; i++) {
        loma_reduced *d = &dst->reduced[i];
        if (d->oa == s->oa && d->dim == s->dim && d->asked == s->asked) {
            d->used_min = s->used_min < d->used_min ? s->used_min : d->used_min;
            d->used_max = s->used_max > d->used_max ? s->used_max : d->used_max;
            return;
        }
    }
    if (dst->n_reduced < LOMA_MAX_REDUCED)
        dst->reduced[dst->n_reduced++] = *s;
}

void loma_notes_merge(loma_notes *dst, const loma_notes *src)
{
    dst->order_not_applied |= src->order_not_applied;
    for (int i = 0; i < src->n_reduced; i++)
        merge_reduced(dst, &src->reduced[i]);
    if (src->skipped > dst->skipped) {
        dst->skipped = src->skipped;
        dst->evaluated = src->evaluated;
    }
}

static void reduced_text(const loma_reduced *u, const loma_layer *l, const loma_core *c,
                         char *buf, size_t len)
{
    char used[64];
    if (u->used_min == u->used_max)
        snprintf(used, sizeof used, "%.0f", u->used_min);
    else
        snprintf(used, sizeof used, "%.0f..%.0f", u->used_min, u->used_max);
    snprintf(buf, len,
             "spatial unroll %s [%s, %llu] reduced to %s (layer size, innermost port width or "
             "capacity)",
             c->oa_name[u->oa], l->dim_name[u->dim], (unsigned long long)u->asked, used);
}

int loma_note_text(const loma_notes *n, int i, const loma_layer *layer, const loma_core *core,
                   char *buf, size_t len, bool *warning)
{
    *warning = false;
    if (n->order_not_applied && i-- == 0) {
        snprintf(buf, len, "the mapping's temporal_ordering has `*` loops and is not applied; "
                           "LOMA searches every ordering");
        return 1;
    }
    if (i < n->n_reduced) {
        reduced_text(&n->reduced[i], layer, core, buf, len);
        return 1;
    }
    i -= n->n_reduced;
    if (n->skipped && i == 0) {
        *warning = true;
        snprintf(buf, len,
                 "search bounded at %llu orderings, %llu skipped (lower --lpf-limit or raise "
                 "--max-orderings)",
                 (unsigned long long)n->evaluated, (unsigned long long)n->skipped);
        return 1;
    }
    return 0;
}
