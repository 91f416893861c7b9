/* chipsim_trace.c -- what a chip run records on the Perfetto timeline:
 * one track per core with a slice per CN (its loop order and costs as
 * arguments), arrows from the last CN of a producer part to the first CN
 * it feeds on each core, the off-chip reads, and the NoC's own tracks
 * (through trc_noc). Times pass through trc_noc_sync so the NoC's samples
 * and these events reach the writer in time order. */
#include <stdio.h>
#include <stdlib.h>

#include "run/chipsim_int.h"

static int add_flow_end(station *st, uint64_t id)
{
    if (st->n_flow_ends == st->cap_flow_ends) {
        uint32_t cap = st->cap_flow_ends ? st->cap_flow_ends * 2 : 8;
        uint64_t *f = realloc(st->flow_ends, cap * sizeof *f);
        if (!f)
            return -1;
        st->flow_ends = f;
        st->cap_flow_ends = cap;
    }
    st->flow_ends[st->n_flow_ends++] = id;
    return 0;
}

/* Trace a CN slice: the loop order and costs as annotations; arrows from
 * the producers' last CNs end at a station's first CN, and leave a part's
 * last CN towards every consumer station. */
void csim_trace_cn(sim *m, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    const plan_cn *cn = &m->p->cns[cn_i];
    const plan_layer *pl = &m->p->layers[cn->layer];
    const plan_part *pp = &pl->parts[cn->part];
    char order[1024];
    plan_loop_order(m->p, cn, order, sizeof order);
    trc_arg args[] = {
        trc_arg_str(m->n_layer, pl->cfg->name),
        trc_arg_uint(m->n_part, cn->part),
        trc_arg_uint(m->n_tile, cn->tile),
        trc_arg_uint(m->n_macs, cn->macs),
        trc_arg_double(m->n_cycles, cn->cycles),
        trc_arg_double(m->n_energy, cn->energy_pj),
        trc_arg_str(m->n_order, order)};
    trc_extra x = {.args = args, .n_args = sizeof args / sizeof args[0]};
    station *st = csim_station(m, cn->layer, core);
    if (!st->started) {
        st->started = 1;
        x.flow_ends = st->flow_ends;
        x.n_flow_ends = st->n_flow_ends;
    }
    uint32_t pidx = m->part_base[cn->layer] + cn->part;
    if (cn_i == pp->first_cn + pp->n_cns - 1) {
        /* One arrow per consumer station this part feeds (several parts
         * of a consumer on one core share a station: one arrow). */
        uint32_t nf = 0;
        uint64_t *f = calloc((size_t)m->p->n_layers * m->s->chip->n_cores + 1, sizeof *f);
        for (uint32_t cl = cn->layer + 1; f && cl < m->p->n_layers; cl++) {
            const plan_layer *c = &m->p->layers[cl];
            int reads = 0;
            for (uint32_t i = 0; i < c->n_producers; i++)
                reads |= c->producers[i] == cn->layer;
            for (uint32_t i = 0; reads && i < c->n_parts; i++) {
                int dup = 0;
                for (uint32_t j = 0; j < i; j++)
                    dup |= c->parts[j].core == c->parts[i].core;
                station *cs = csim_station(m, cl, c->parts[i].core);
                if (dup || cs->started)
                    continue;
                uint64_t id = trc_flow_new(m->w);
                if (add_flow_end(cs, id) != 0)
                    break;
                f[nf++] = id;
            }
        }
        m->part_flows[pidx] = f;
        x.flows = f;
        x.n_flows = nf;
    }
    trc_complete(m->w, m->core_track[core], trc_noc_sync(m->tnoc, t), dur,
                 trc_intern(m->w, pl->cfg->name), &x);
}

int csim_trace_setup(sim *m)
{
    trc_writer *w = m->w;
    const cfg_chip *chip = m->s->chip;
    char name[160];
    snprintf(name, sizeof name, "chip %s", chip->name);
    trc_track top;
    trc_track_spec ts = {.name = name, .description = "cores and memories",
                         .level = TRC_SUMMARY};
    if (trc_track_new(w, &ts, &top) != 0)
        return -1;
    for (int c = 0; c < chip->n_cores; c++) {
        snprintf(name, sizeof name, "core %lld (%d,%d) %s",
                 (long long)chip->cores[c].id, chip->cores[c].x, chip->cores[c].y,
                 chip->types[chip->cores[c].type].name);
        trc_track_spec cs = {.name = name, .parent = top, .level = TRC_SUMMARY,
                             .description = "CN executions; args hold the loop order"};
        if (trc_track_new(w, &cs, &m->core_track[c]) != 0)
            return -1;
    }
    if (m->have_mem) {
        snprintf(name, sizeof name, "memory %s", chip->memories[0].name);
        trc_track_spec ms = {.name = name, .parent = top, .level = TRC_SUMMARY,
                             .description = "off-chip reads (network input)"};
        if (trc_track_new(w, &ms, &m->mem_track) != 0)
            return -1;
    }
    m->n_layer = trc_intern(w, "layer");
    m->n_part = trc_intern(w, "part");
    m->n_tile = trc_intern(w, "tile");
    m->n_macs = trc_intern(w, "macs");
    m->n_cycles = trc_intern(w, "cycles");
    m->n_energy = trc_intern(w, "energy_pj");
    m->n_order = trc_intern(w, "loop_order");
    m->n_read = trc_intern(w, "read input");
    m->n_bits = trc_intern(w, "bits");
    base_error te;
    m->tnoc = trc_noc_new(w, m->net, m->o->trace_sample_cycles ? m->o->trace_sample_cycles : 100,
                          &te);
    if (!m->tnoc) {
        csim_fail(m, "trace: %s", te.msg);
        return -1;
    }
    return trc_failed(w) ? -1 : 0;
}

void csim_trace_read(sim *m, const stream *s, uint64_t t_ps)
{
    trc_arg a = trc_arg_uint(m->n_bits, s->bits);
    trc_extra x = {.args = &a, .n_args = 1};
    trc_complete(m->w, m->mem_track, trc_noc_sync(m->tnoc, t_ps),
                 s->read_ps ? s->read_ps : 1, m->n_read, &x);
}
