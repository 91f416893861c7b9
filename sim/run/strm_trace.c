/* strm_trace.c -- a Stream schedule as a Perfetto timeline: one track per
 * core with its CNs (named by layer, annotated with sub id, runtime,
 * energies, and the spatial mapping and loop order of the CN's cost
 * entry), and lane groups of the communication events (transfers, and
 * the off-chip link blocks of too-large CNs).
 * Events are written in start order, as the trace writer wants them;
 * Stream places transfers in past windows, which is why they cannot be
 * written as the scheduler decides them. */
#include <stdlib.h>
#include <string.h>

#include "run/strm_report.h"

typedef struct {
    uint64_t t_ps, dur_ps;
    int kind;               /* 0 CN, 1 event */
    int idx;
} tslice;

static int cmp_slice(const void *a, const void *b)
{
    const tslice *x = a, *y = b;
    if (x->t_ps != y->t_ps)
        return x->t_ps < y->t_ps ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return x->idx - y->idx;
}

typedef struct {
    trc_writer *w;
    const strm_report *rp;
    double cycle_ps;
    trc_track *core_track;  /* per graph core, 0: none */
    trc_track xfer, block;
    trc_name k_sub, k_layer, k_runtime, k_onchip, k_offchip, k_from, k_to, k_spatial, k_loops;
} tctx;

static uint64_t ps_of(const tctx *t, double cycles)
{
    return (uint64_t)(cycles * t->cycle_ps + 0.5);
}

static int tracks(tctx *t)
{
    const cfg_chip *chip = t->rp->s->chip;
    char name[96];
    for (int k = 0; k < t->rp->g->n_cores; k++) {
        int used = 0;
        for (int i = 0; i < t->rp->g->n_cns && !used; i++)
            used = t->rp->g->cns[i].core == k;
        if (!used)
            continue;
        snprintf(name, sizeof name, "core %lld (%s)", (long long)chip->cores[k].id,
                 chip->types[chip->cores[k].type].name);
        trc_track_spec sp = {name, "CNs in Stream's schedule", 0, TRC_SUMMARY};
        if (trc_track_new(t->w, &sp, &t->core_track[k]) != 0)
            return -1;
    }
    trc_track_spec xs = {"transfers", "tensors moved between cores and the off-chip core", 0,
                         TRC_SUMMARY};
    trc_track_spec bs = {"off-chip blocks", "bandwidth held for too-large operands", 0,
                         TRC_SUMMARY};
    return trc_lanes_new(t->w, &xs, &t->xfer) || trc_lanes_new(t->w, &bs, &t->block) ? -1 : 0;
}

static int cn_slice(tctx *t, const tslice *s)
{
    const strm_cn *c = &t->rp->g->cns[s->idx];
    const strm_plan *p = t->rp->plan;
    uint32_t k = p->cns[s->idx].cost;
    trc_arg a[7] = {trc_arg_int(t->k_layer, c->layer), trc_arg_int(t->k_sub, c->sub_id),
                    trc_arg_double(t->k_runtime, c->runtime_cycles),
                    trc_arg_double(t->k_onchip, c->onchip_pj),
                    trc_arg_double(t->k_offchip, c->offchip_pj),
                    trc_arg_str(t->k_spatial, k < p->n_costs ? p->costs[k].spatial : ""),
                    trc_arg_str(t->k_loops, k < p->n_costs ? p->costs[k].temporal : "")};
    trc_extra x = {.args = a, .n_args = 7};
    const char *nm = t->rp->s->workload->layers[t->rp->plan->cns[s->idx].layer].name;
    return trc_complete(t->w, t->core_track[c->core], s->t_ps, s->dur_ps, trc_intern(t->w, nm),
                        &x);
}

static int event_slice(tctx *t, const tslice *s)
{
    const strm_event *e = &t->rp->r->events[s->idx];
    const cfg_chip *chip = t->rp->s->chip;
    static const char *op[] = {"I1", "I2", "O"};
    char name[64];
    int layer = -1, mop = 0;
    if (e->tensor >= 0 && e->tensor < t->rp->g->n_tensors) {
        layer = t->rp->g->cns[t->rp->g->tensors[e->tensor].origin_cn].layer;
        mop = t->rp->g->tensors[e->tensor].mem_op;
    }
    snprintf(name, sizeof name, "%s layer %d %s", e->type == STRM_EV_BLOCK ? "block" : "transfer",
             layer, op[mop < 0 || mop > 2 ? 0 : mop]);
    trc_arg a[2] = {trc_arg_int(t->k_from, chip->cores[e->sender].id),
                    trc_arg_int(t->k_to, chip->cores[e->receiver].id)};
    trc_extra x = {.args = a, .n_args = 2};
    return trc_lane_complete(t->w, e->type == STRM_EV_BLOCK ? t->block : t->xfer, s->t_ps,
                             s->dur_ps, trc_intern(t->w, name), &x);
}

static void names(tctx *t)
{
    t->k_sub = trc_intern(t->w, "sub_id");
    t->k_layer = trc_intern(t->w, "layer");
    t->k_runtime = trc_intern(t->w, "runtime_cycles");
    t->k_onchip = trc_intern(t->w, "onchip_pj");
    t->k_offchip = trc_intern(t->w, "offchip_pj");
    t->k_from = trc_intern(t->w, "sender");
    t->k_to = trc_intern(t->w, "receiver");
    t->k_spatial = trc_intern(t->w, "spatial");
    t->k_loops = trc_intern(t->w, "loop_order");
}

int strm_trace_write(trc_writer *w, const strm_report *rp)
{
    tctx t = {.w = w, .rp = rp, .cycle_ps = 1000.0 / rp->s->chip->clock_ghz};
    int n = rp->g->n_cns + rp->r->n_events, rc = -1;
    tslice *v = base_calloc((size_t)n + 1, sizeof *v);
    t.core_track = base_calloc((size_t)rp->g->n_cores + 1, sizeof *t.core_track);
    if (!v || !t.core_track || tracks(&t) != 0)
        goto out;
    names(&t);
    for (int i = 0; i < rp->g->n_cns; i++)
        v[i] = (tslice){ps_of(&t, rp->r->start[i]),
                        ps_of(&t, rp->r->end[i]) - ps_of(&t, rp->r->start[i]), 0, i};
    for (int i = 0; i < rp->r->n_events; i++) {
        const strm_event *e = &rp->r->events[i];
        v[rp->g->n_cns + i] = (tslice){ps_of(&t, e->start),
                                       ps_of(&t, e->end) - ps_of(&t, e->start), 1, i};
    }
    qsort(v, (size_t)n, sizeof *v, cmp_slice);
    rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = v[i].kind == 0 ? cn_slice(&t, &v[i]) : event_slice(&t, &v[i]);
out:
    base_free(v);
    base_free(t.core_track);
    return rc;
}
