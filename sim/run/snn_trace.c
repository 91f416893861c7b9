/* snn_trace.c -- what the event-driven run itself puts on the timeline
 * (the cores' bursts, evaluations and queue depth are the core model's,
 * models/neuron/neu_core.h; the NoC's tracks are its own):
 *
 *   spikes per step › LAYER   counter: the spikes (outputs, for
 *                             sigma-delta) of the layer's last evaluated
 *                             step, written when that step is evaluated
 *                             (1 ns after the previous sample when a
 *                             layer evaluates several steps at once)
 *   input events              with trace_events: an instant per used
 *                             input event (neuron, x, y, polarity)
 *
 * and the arrows: from each evaluation slice to the burst, on each other
 * core it sends spikes to, that integrates its first packet there (one
 * arrow per (evaluation, destination core)); with trace_events also one
 * from each input event to the first burst that integrates it.
 * Packets remember the arrow set of the slice that sent them (pkt_src),
 * each core the arrows still waiting for it. Every call is a no-op
 * without a trace. */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "run/chip_snn_int.h"

typedef struct {
    uint64_t sender, flow;
} snn_arrow;

struct snn_trace {
    trc_writer *w;
    const model_trace *mt;
    int events;
    trc_track group, *layer_ctr, input;
    trc_name n_event, k_neuron, k_x, k_y, k_pol;
    uint64_t *layer_spikes;  /* per layer: its step's spikes so far */
    uint64_t *layer_t;       /* per layer: its counter's last sample time */
    uint64_t cur, next_id;   /* the sender of the packets being sent */
    uint64_t *pkt_src;       /* per packet index: its sender (0: none) */
    uint32_t cap_src;
    snn_arrow **pend;        /* per core: arrows waiting for a packet */
    uint32_t *n_pend, *cap_pend;
    uint64_t flows[SNN_MAX_CORES];
};

static int layer_tracks(snn_sim *m, snn_trace *t)
{
    trc_track_spec g = {.name = "spikes per step", .parent = t->mt->parent,
                        .level = TRC_SUMMARY,
                        .description = "per layer: spikes of its last evaluated step"};
    if (trc_track_new(t->w, &g, &t->group) != 0)
        return -1;
    trc_counter_spec cs = {.unit = TRC_UNIT_COUNT, .unit_name = "spikes/step"};
    for (uint32_t l = 0; l < m->p->n_layers; l++) {
        trc_track_spec ls = {.name = m->p->layers[l].cfg->name, .parent = t->group,
                             .level = TRC_SUMMARY};
        if (trc_counter_new(t->w, &ls, &cs, &t->layer_ctr[l]) != 0)
            return -1;
    }
    if (!t->events)
        return 0;
    trc_track_spec in = {.name = "input events", .parent = t->mt->parent, .level = TRC_SUMMARY,
                         .description = "one instant per used input event"};
    if (trc_track_new(t->w, &in, &t->input) != 0)
        return -1;
    t->n_event = trc_intern(t->w, "event");
    t->k_neuron = trc_intern(t->w, "neuron");
    t->k_x = trc_intern(t->w, "x");
    t->k_y = trc_intern(t->w, "y");
    t->k_pol = trc_intern(t->w, "polarity");
    return 0;
}

int snn_trace_attach(snn_sim *m, const model_trace *mt)
{
    if (!m->o->trace)
        return 0;
    snn_trace *t = base_calloc(1, sizeof *t);
    if (!t)
        return -1;
    m->tr = t;
    t->w = m->o->trace;
    t->mt = mt;
    t->events = m->o->trace_events;
    if (!(t->layer_ctr = base_calloc(m->p->n_layers, sizeof *t->layer_ctr)) ||
        !(t->layer_spikes = base_calloc(m->p->n_layers, sizeof *t->layer_spikes)) ||
        !(t->layer_t = base_calloc(m->p->n_layers, sizeof *t->layer_t)) ||
        !(t->pend = base_calloc(m->n_cores, sizeof *t->pend)) ||
        !(t->n_pend = base_calloc(m->n_cores, sizeof *t->n_pend)) ||
        !(t->cap_pend = base_calloc(m->n_cores, sizeof *t->cap_pend)))
        return -1;
    if (layer_tracks(m, t) != 0 || trc_failed(t->w))
        return base_fail(m->err, "trace: %s", trc_errmsg(t->w));
    return 0;
}

void snn_trace_free(snn_sim *m)
{
    snn_trace *t = m->tr;
    if (!t)
        return;
    for (uint32_t i = 0; t->pend && i < m->n_cores; i++)
        base_free(t->pend[i]);
    base_free(t->pend);
    base_free(t->n_pend);
    base_free(t->cap_pend);
    base_free(t->pkt_src);
    base_free(t->layer_ctr);
    base_free(t->layer_spikes);
    base_free(t->layer_t);
    base_free(t);
    m->tr = NULL;
}

/* A new sender with arrows to the cores of mask: one each (ids in
 * t->flows), or with `one` a single arrow to whichever integrates first
 * (the others' ends are then of an arrow already ended, which the writer
 * leaves out). */
static uint32_t new_sender(snn_sim *m, uint64_t mask, int one)
{
    snn_trace *t = m->tr;
    uint32_t n = 0;
    t->cur = ++t->next_id;
    for (uint32_t c = 0; c < m->n_cores && !m->failed; c++) {
        if (!(mask >> c & 1))
            continue;
        if (BASE_GROW(t->pend[c], t->cap_pend[c], t->n_pend[c] + 1, UINT32_MAX) != 0) {
            snn_fail(m, "out of memory");
            return 0;
        }
        if (!one || n == 0)
            t->flows[n++] = trc_flow_new(t->w);
        t->pend[c][t->n_pend[c]++] = (snn_arrow){t->cur, t->flows[n - 1]};
    }
    return n;
}

void snn_trace_eval(snn_sim *m, uint32_t l, uint32_t s, uint64_t step)
{
    snn_trace *t = m->tr;
    if (!t)
        return;
    const snn_layer *sl = &m->p->layers[l];
    uint32_t core = sl->slices[s].core;
    uint64_t spikes = 0, dst = 0;
    for (uint32_t i = 0; i < m->n_sp; i++) {
        spikes += sl->np.model == NEU_SIGMA_DELTA ? 1 : (uint64_t)m->sp[i].val;
        for (uint32_t c = 0; c < m->n_cons[l]; c++)
            dst |= m->mask[m->cons[l][c]][m->sp[i].id];
    }
    uint32_t nf = new_sender(m, dst & ~(1ull << core), 0);
    if (neu_core_trace_eval(m->cores[core], sl->cfg->name, step, spikes, t->flows, nf) != 0)
        snn_fail(m, "trace: out of memory");
    t->layer_spikes[l] += spikes;
    if (s + 1 == sl->n_slices) {
        /* Steps evaluated at one instant (a layer catching up) each get
         * their sample, 1 ns apart, so none hides another. */
        uint64_t at = kq_now(m->k), next = t->layer_t[l] + 1000;
        at = model_trace_at(t->mt, t->layer_t[l] && next > at ? next : at);
        trc_counter_int(t->w, t->layer_ctr[l], at, (int64_t)t->layer_spikes[l]);
        t->layer_t[l] = at;
        t->layer_spikes[l] = 0;
    }
}

void snn_trace_input(snn_sim *m, uint32_t neuron, const ev_event *e, int arrows)
{
    snn_trace *t = m->tr;
    if (!t)
        return;
    t->cur = 0;
    if (!t->events)
        return;
    uint32_t nf = arrows ? new_sender(m, m->mask[m->p->input_layer][neuron], 1) : 0;
    trc_arg args[] = {trc_arg_uint(t->k_neuron, neuron), trc_arg_uint(t->k_x, e->x),
                      trc_arg_uint(t->k_y, e->y), trc_arg_uint(t->k_pol, e->polarity)};
    trc_extra x = {.args = args, .n_args = 4, .flows = t->flows, .n_flows = nf};
    trc_instant(t->w, t->input, model_trace_at(t->mt, kq_now(m->k)), t->n_event, &x);
}

void snn_trace_send(snn_sim *m, uint32_t pi)
{
    snn_trace *t = m->tr;
    if (!t)
        return;
    if (pi >= t->cap_src) {
        uint32_t old = t->cap_src;
        if (BASE_GROW(t->pkt_src, t->cap_src, pi + 1, UINT32_MAX) != 0) {
            snn_fail(m, "out of memory");
            return;
        }
        memset(t->pkt_src + old, 0, (t->cap_src - old) * sizeof *t->pkt_src);
    }
    t->pkt_src[pi] = t->cur;
}

void snn_trace_deliver(snn_sim *m, uint32_t pi, uint32_t core, uint32_t spikes)
{
    (void)pi;
    if (m->tr)
        neu_core_trace_arrive(m->cores[core], spikes);
}

void snn_trace_integrate(snn_sim *m, uint32_t pi, uint32_t core, uint32_t spikes)
{
    snn_trace *t = m->tr;
    if (!t)
        return;
    uint64_t src = pi < t->cap_src ? t->pkt_src[pi] : 0, flow = 0;
    snn_arrow *a = t->pend[core];
    for (uint32_t i = 0; src && i < t->n_pend[core]; i++)
        if (a[i].sender == src) {
            flow = a[i].flow;
            a[i] = a[--t->n_pend[core]];
            break;
        }
    if (neu_core_trace_integrate(m->cores[core], spikes, &flow, flow != 0) != 0)
        snn_fail(m, "trace: out of memory");
}
