/* chip_trace.c -- what a chip run itself records on the Perfetto
 * timeline: the chip's track, and on each core's track (the core model's)
 * a slice per CN with its loop order and costs as arguments, with arrows
 * from the last CN of a producer part to the first CN it feeds on each
 * core. The models record the rest (memory reads, the NoC). Times pass
 * through the models' sync (the NoC's) so every event reaches the writer
 * in time order. */
#include <stdio.h>

#include "base/base.h"
#include "run/chip_int.h"

static uint64_t sync_noc(void *ctx, uint64_t t_ps)
{
    chip *c = ctx;
    return c->nm ? noc_model_sync(c->nm, t_ps) : t_ps;
}

/* The CN annotations' keys, interned before the models attach (intern ids
 * follow the call order). */
void chip_trace_names(chip *c)
{
    trc_writer *w = c->w;
    c->n_layer = trc_intern(w, "layer");
    c->n_part = trc_intern(w, "part");
    c->n_tile = trc_intern(w, "tile");
    c->n_macs = trc_intern(w, "macs");
    c->n_cycles = trc_intern(w, "cycles");
    c->n_energy = trc_intern(w, "energy_pj");
    c->n_order = trc_intern(w, "loop_order");
    c->n_ideal = trc_intern(w, "ideal_cycles");
    c->n_stalls = trc_intern(w, "stall_cycles");
    c->n_util = trc_intern(w, "utilization");
    c->n_spatial = trc_intern(w, "spatial");
}

int chip_trace_top(chip *c, const char *chip_name)
{
    char name[160];
    snprintf(name, sizeof name, "chip %s", chip_name);
    trc_track_spec ts = {.name = name, .description = "cores and memories",
                         .level = TRC_SUMMARY};
    c->mt = (model_trace){.w = c->w, .sample_cycles = c->o->trace_sample_cycles,
                          .sync = sync_noc, .sync_ctx = c};
    return trc_track_new(c->w, &ts, &c->mt.parent);
}

static int add_flow_end(station *st, uint64_t id)
{
    if (BASE_GROW(st->flow_ends, st->cap_flow_ends, st->n_flow_ends + 1, UINT32_MAX) != 0)
        return -1;
    st->flow_ends[st->n_flow_ends++] = id;
    return 0;
}

/* One arrow per consumer station a part of `layer` feeds (several parts
 * of a consumer on one core share a station: one arrow), into f. */
static uint32_t part_flows(chip *c, uint32_t layer, uint64_t *f)
{
    uint32_t nf = 0;
    for (uint32_t cl = layer + 1; cl < c->p->n_layers; cl++) {
        const plan_layer *cpl = &c->p->layers[cl];
        int reads = 0;
        for (uint32_t i = 0; i < cpl->n_producers; i++)
            reads |= cpl->producers[i] == layer;
        for (uint32_t i = 0; reads && i < cpl->n_parts; i++) {
            int dup = 0;
            for (uint32_t j = 0; j < i; j++)
                dup |= cpl->parts[j].core == cpl->parts[i].core;
            station *cs = chip_station(c, cl, cpl->parts[i].core);
            if (dup || cs->started)
                continue;
            uint64_t id = trc_flow_new(c->w);
            if (add_flow_end(cs, id) != 0) {
                chip_fail(c, "trace: out of memory");
                return nf;
            }
            f[nf++] = id;
        }
    }
    return nf;
}

/* A CN slice: the loop order and costs as annotations; arrows from the
 * producers' last CNs end at a station's first CN, and leave a part's
 * last CN towards every consumer station. */
void chip_trace_cn(chip *c, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    const plan_cn *cn = &c->p->cns[cn_i];
    const plan_part *pp = &c->p->layers[cn->layer].parts[cn->part];
    const char *lname = c->layer_name[cn->layer];
    char order[1024], sp[128];
    plan_loop_order(c->p, cn, order, sizeof order);
    plan_spatial(c->p, cn, sp, sizeof sp);
    trc_arg args[] = {
        trc_arg_str(c->n_layer, lname),         trc_arg_uint(c->n_part, cn->part),
        trc_arg_uint(c->n_tile, cn->tile),      trc_arg_uint(c->n_macs, cn->macs),
        trc_arg_double(c->n_cycles, cn->cycles), trc_arg_double(c->n_energy, cn->energy_pj),
        trc_arg_str(c->n_order, order),
        trc_arg_double(c->n_ideal, cn->cost->ideal_cycles),
        trc_arg_double(c->n_stalls, cn->cost->stall_cycles),
        trc_arg_double(c->n_util, cn->cost->utilization), trc_arg_str(c->n_spatial, sp)};
    trc_extra x = {.args = args, .n_args = sizeof args / sizeof args[0]};
    station *st = chip_station(c, cn->layer, core);
    if (!st->started) {
        st->started = 1;
        x.flow_ends = st->flow_ends;
        x.n_flow_ends = st->n_flow_ends;
    }
    if (cn_i == pp->first_cn + pp->n_cns - 1) {
        uint32_t pidx = c->part_base[cn->layer] + cn->part;
        uint64_t *f = base_calloc((size_t)c->p->n_layers * c->n_cores + 1, sizeof *f);
        c->part_flows[pidx] = f;
        if (!f)
            chip_fail(c, "trace: out of memory");
        x.flows = f;
        x.n_flows = f ? part_flows(c, cn->layer, f) : 0;
    }
    trc_complete(c->w, core_track(c->cores[core]), model_trace_at(&c->mt, t), dur,
                 trc_intern(c->w, lname), &x);
}
