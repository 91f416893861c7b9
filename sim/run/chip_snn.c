/* chip_snn.c -- one event-driven run on the whole chip; see chip_snn.h.
 * The run in steps: the layout on the NoC, the model list, the routing
 * masks, the trace, the kernel, the models' finish and the results. */
#include "run/chip_snn.h"

#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "run/adapt.h"
#include "run/chip_snn_int.h"

typedef int (*snn_builder)(snn_sim *m);
static int add_cores(snn_sim *m);
static int add_noc(snn_sim *m);

/* The event-driven chip's model list (the dense run's is in chip.c): a
 * new model is a folder under models/ and one line here. Trace tracks and
 * energy items follow this order. */
static const struct {
    const char *kind;
    snn_builder build;
} snn_model_list[] = {
    {"neu_core", add_cores}, /* models/neuron: one per placed core, its groups */
    {"noc", add_noc},        /* models/noc: the mesh, spike routing tables */
};

static int add_model(snn_sim *m, const model_ops *ops, void *self)
{
    if (BASE_GROW(m->models, m->cap_models, m->n_models + 1, UINT32_MAX) != 0) {
        ops->destroy(self);
        return -1;
    }
    m->models[m->n_models++] = (model){ops, self};
    return 0;
}

/* Slice s's per-neuron biases (the layer's, gathered over its block)
 * into its group g. */
static int slice_bias(snn_sim *m, const snn_layer *sl, uint32_t s, neu_group *g)
{
    const snn_slice *sc = &sl->slices[s];
    float *b = base_calloc(sc->n, sizeof *b);
    if (!b)
        return base_fail(m->err, "out of memory");
    for (uint32_t i = 0; i < sc->n; i++)
        b[i] = sl->bias[conn_rect_global(sl->cn, sc->r, i)];
    base_error e;
    int rc = neu_group_set_bias(g, b, &e);
    base_free(b);
    return rc != 0 ? base_fail(m->err, "layer %s: %s", sl->cfg->name, e.msg) : 0;
}

/* The slices on core ci become its groups. */
static int core_groups(snn_sim *m, uint32_t ci)
{
    for (uint32_t l = 0; l < m->p->n_layers; l++) {
        const snn_layer *sl = &m->p->layers[l];
        for (uint32_t s = 0; s < sl->n_slices; s++) {
            if (sl->slices[s].core != ci)
                continue;
            base_error e;
            neu_group *g = neu_group_new(&sl->np, sl->slices[s].n, &e);
            if (g && sl->bias && slice_bias(m, sl, s, g) != 0) {
                neu_group_free(g);
                return -1;
            }
            int gi = g ? neu_core_add_group(m->cores[ci], g) : -1;
            if (gi < 0)
                return g ? -1 : base_fail(m->err, "layer %s: %s", sl->cfg->name, e.msg);
            m->grp[l][s] = (uint32_t)gi;
        }
    }
    return 0;
}

static int add_cores(snn_sim *m)
{
    const cfg_chip *chip = m->s->chip;
    if (!(m->cores = base_calloc(m->n_cores + 1, sizeof *m->cores)))
        return -1;
    for (uint32_t i = 0; i < m->n_cores; i++) {
        neu_core_params cp = {.cycle_ps = m->cycle_ps,
                              .trace_gap_ps = m->o->trace_gap_ps ? m->o->trace_gap_ps
                                                                 : m->dt_ps / 100};
        const cfg_core_inst *ci = &chip->cores[i];
        snprintf(cp.name, sizeof cp.name, "core %lld", (long long)ci->id);
        snprintf(cp.track_name, sizeof cp.track_name, "core %lld (%d,%d) %s",
                 (long long)ci->id, ci->x, ci->y, chip->types[ci->type].name);
        neu_core *c = neu_core_new(m->k, &cp, m->err);
        if (!c || add_model(m, &neu_core_ops, c) != 0)
            return -1;
        m->cores[i] = c;
        if (core_groups(m, i) != 0)
            return -1;
    }
    return 0;
}

static int add_noc(snn_sim *m)
{
    base_error ne;
    noc_model *nm = noc_model_new(m->k, &m->nc, &ne);
    if (!nm)
        return base_fail(m->err, "NoC: %s", ne.msg);
    if (add_model(m, &noc_model_ops, nm) != 0)
        return -1;
    m->nm = nm;
    m->net = noc_model_net(nm);
    noc_set_sink(m->net, snn_on_delivery, m);
    /* Backpressure stops the NoC's ejection at a full queue (the packet
     * model has no ejection ports: its packets wait at the interface). */
    if (!m->s->queue_drop && m->s->queue_depth_events) {
        int g = noc_set_eject_gate(m->net, snn_eject_gate, m);
        if (g < 0)
            return -1;
        m->gated = g == 0;
    }
    m->res->noc_cycle_ps = noc_cycle_ps(m->net);
    return 0;
}

/* Terminals: each core at terminal 0 of its router; the input at the last
 * terminal of its router (input.at, else the first memory's router, else
 * router 0), which may be a core's own (its events are then local). */
static int layout(snn_sim *m)
{
    const cfg_chip *chip = m->s->chip;
    if (run_adapt_noc(chip, run_noc_terminals_needed(chip), m->s->seed, &m->nc, m->err))
        return -1;
    uint32_t tpr = m->nc.terminals_per_router, w = (uint32_t)chip->noc.mesh_w;
    m->n_terms = m->nc.width * m->nc.height * tpr;
    m->core_term = base_calloc(m->n_cores + 1, sizeof *m->core_term);
    m->term_core = base_calloc(m->n_terms + 1, sizeof *m->term_core);
    if (!m->core_term || !m->term_core)
        return -1;
    for (uint32_t t = 0; t < m->n_terms; t++)
        m->term_core[t] = UINT32_MAX;
    for (uint32_t i = 0; i < m->n_cores; i++) {
        m->core_term[i] = ((uint32_t)chip->cores[i].y * w + (uint32_t)chip->cores[i].x) * tpr;
        m->term_core[m->core_term[i]] = i;
    }
    int x = 0, y = 0;
    if (m->s->has_at) {
        x = m->s->at_x;
        y = m->s->at_y;
    } else if (chip->n_memories > 0) {
        x = chip->memories[0].x;
        y = chip->memories[0].y;
    }
    if (x >= chip->noc.mesh_w || y >= chip->noc.mesh_h)
        return base_fail(m->err, "input.at: [%d, %d] is outside the %dx%d mesh", x, y,
                         chip->noc.mesh_w, chip->noc.mesh_h);
    m->in_term = ((uint32_t)y * w + (uint32_t)x) * tpr + tpr - 1;
    return 0;
}

/* An own-connection edge's masks: per neuron of source k of layer l, the
 * cores holding a slice of l it reaches. */
static int own_masks(snn_sim *m, uint32_t l, uint32_t k)
{
    const snn_layer *sl = &m->p->layers[l];
    const conn *cn = sl->src_cn[k];
    uint32_t n_in = conn_n_in(cn);
    uint64_t *mk = base_calloc(n_in, sizeof *mk);
    if (!mk)
        return -1;
    m->omask[l * CFG_MAX_SOURCES + k] = mk;
    for (uint32_t src = 0; src < n_in; src++)
        for (uint32_t s = 0; s < sl->n_slices; s++)
            if (conn_fanout_rect_count(cn, src, sl->slices[s].r))
                mk[src] |= 1ull << sl->slices[s].core;
    return 0;
}

/* Per layer: who reads it, and for each of its sources' neurons the set
 * of cores holding a slice it reaches (conn_fanout_rect_count > 0). */
static int tables(snn_sim *m)
{
    const snn_plan *p = m->p;
    uint32_t n = p->n_layers;
    m->grp = base_calloc(n, sizeof *m->grp);
    m->mask = base_calloc(n, sizeof *m->mask);
    m->cons = base_calloc(n, sizeof *m->cons);
    m->n_cons = base_calloc(n, sizeof *m->n_cons);
    m->layer_step = base_calloc(n, sizeof *m->layer_step);
    m->outstanding = base_calloc((size_t)n * SNN_RING, sizeof *m->outstanding);
    m->stash = base_calloc(n, sizeof *m->stash);
    m->cons_delay = base_calloc(n, sizeof *m->cons_delay);
    m->cons_edge = base_calloc(n, sizeof *m->cons_edge);
    m->omask = base_calloc((size_t)n * CFG_MAX_SOURCES, sizeof *m->omask);
    m->eval_end = base_calloc((size_t)n * SNN_RING, sizeof *m->eval_end);
    m->work = base_calloc(SNN_RING, sizeof *m->work);
    m->retry = base_calloc(n, sizeof *m->retry);
    m->n_stash = base_calloc(n, sizeof *m->n_stash);
    m->cap_stash = base_calloc(n, sizeof *m->cap_stash);
    if (!m->grp || !m->mask || !m->cons || !m->n_cons || !m->layer_step || !m->outstanding ||
        !m->stash || !m->n_stash || !m->cap_stash || !m->cons_delay || !m->eval_end || !m->cons_edge || !m->omask ||
        !m->work || !m->retry)
        return -1;
    for (uint32_t l = 0; l < n; l++) {
        const snn_layer *sl = &p->layers[l];
        uint32_t n_in = conn_n_in(sl->cn);
        if (!(m->grp[l] = base_calloc(sl->n_slices, sizeof *m->grp[l])) ||
            !(m->mask[l] = base_calloc(n_in, sizeof *m->mask[l])) ||
            !(m->cons[l] = base_calloc(n, sizeof *m->cons[l])) ||
            !(m->cons_delay[l] = base_calloc(n, sizeof *m->cons_delay[l])) ||
            !(m->cons_edge[l] = base_calloc(n, sizeof *m->cons_edge[l])))
            return -1;
        for (uint32_t src = 0; src < n_in; src++)
            for (uint32_t s = 0; s < sl->n_slices; s++)
                if (conn_fanout_rect_count(sl->cn, src, sl->slices[s].r))
                    m->mask[l][src] |= 1ull << sl->slices[s].core;
    }
    for (uint32_t l = 0; l < n; l++)
        for (uint32_t k = 0; k < p->layers[l].n_src; k++)
            if (p->layers[l].src_cn[k] && own_masks(m, l, k) != 0)
                return -1;
    /* Consumers in layer order, with the steps late they read (a layer's
     * sources are distinct, so each edge is listed once). */
    for (uint32_t l = 0; l < n; l++)
        for (uint32_t k = 0; k < p->layers[l].n_src; k++) {
            int src = p->layers[l].srcs[k];
            if (src < 0)
                continue;
            m->cons_delay[src][m->n_cons[src]] = m->s->next_step || p->layers[l].recurrent[k];
            m->cons_edge[src][m->n_cons[src]] = p->layers[l].src_cn[k] ? (int8_t)k : -1;
            m->cons[src][m->n_cons[src]++] = l;
        }
    return 0;
}

/* The buffers integrate() lists one spike's synapses into: as many as
 * any connection of the plan visits for one source. */
static int fan_buffers(snn_sim *m)
{
    uint32_t most = 1;
    for (uint32_t l = 0; l < m->p->n_layers; l++) {
        const snn_layer *sl = &m->p->layers[l];
        uint32_t f = conn_max_fanout(sl->cn);
        most = f > most ? f : most;
        for (uint32_t k = 0; k < sl->n_src; k++)
            if (sl->src_cn[k] && (f = conn_max_fanout(sl->src_cn[k])) > most)
                most = f;
    }
    m->fan_tgt = base_malloc((size_t)most * sizeof *m->fan_tgt);
    m->fan_w = base_malloc((size_t)most * sizeof *m->fan_w);
    return m->fan_tgt && m->fan_w ? 0 : -1;
}

/* The input queues: queue_depth_events (0 in the scenario struct:
 * unlimited). With backpressure a packet must fit an empty queue. */
static int queues(snn_sim *m)
{
    m->depth = m->s->queue_depth_events ? m->s->queue_depth_events : UINT64_MAX;
    if (!m->s->queue_drop && m->depth < m->spp)
        return base_fail(m->err, "queue_depth_events: %llu is less than a packet's %u spikes "
                         "(spikes_per_packet, cut to the NoC's buffers): with on_full: "
                         "backpressure such a packet could never enter; raise it or use "
                         "on_full: drop", (unsigned long long)m->depth, m->spp);
    if (!(m->q = base_calloc(m->n_cores + 1, sizeof *m->q)))
        return -1;
    for (uint32_t c = 0; c < m->n_cores; c++)
        m->q[c].retry_at = UINT64_MAX;
    return 0;
}

/* Spikes per packet: the scenario's, cut so that a multicast packet fits
 * one VC buffer (the NoC's rule, see noc_max_multicast_flits). */
static void packet_size(snn_sim *m)
{
    uint32_t vb = 0;
    for (uint32_t l = 0; l < m->p->n_layers; l++)
        vb = m->p->layers[l].value_bits > vb ? m->p->layers[l].value_bits : vb;
    uint64_t fit = (uint64_t)noc_max_multicast_flits(&m->nc) * m->nc.flit_width_bits /
                   (SNN_ADDR_BITS + vb);
    m->spp = m->s->spikes_per_packet;
    if (fit < m->spp)
        m->spp = fit ? (uint32_t)fit : 1;
}

static int alloc_results(snn_sim *m)
{
    snn_result *r = m->res;
    const snn_layer *out = &m->p->layers[m->p->output_layer];
    r->n_layers = m->p->n_layers;
    r->n_cores = m->n_cores;
    r->n_out = out->n;
    r->layers = base_calloc(r->n_layers, sizeof *r->layers);
    r->cores = base_calloc(r->n_cores + 1, sizeof *r->cores);
    r->out_counts = base_calloc(r->n_out, sizeof *r->out_counts);
    r->queues = base_calloc(r->n_cores + 1, sizeof *r->queues);
    r->first_input_ps = r->first_output_ps = r->decision_ps = UINT64_MAX;
    r->predicted_class = -1;
    r->stop_reason = "";
    return r->layers && r->cores && r->out_counts && r->queues ? 0 : -1;
}

static int build(snn_sim *m)
{
    if (m->n_cores > SNN_MAX_CORES)
        return base_fail(m->err, "event-driven runs take at most %d cores so far",
                         SNN_MAX_CORES);
    m->cycle_ps = (uint64_t)(1000.0 / m->s->chip->clock_ghz + 0.5);
    /* mode: async has no steps: every event is in step 0 */
    m->dt_ps = m->s->async_mode ? UINT64_MAX / 4 : m->s->timestep_ps;
    m->dt_us = (double)m->dt_ps * 1e-6;
    m->n_steps = UINT64_MAX;
    if (alloc_results(m) || !(m->k = kq_new()) || layout(m) || tables(m) ||
        fan_buffers(m))
        return -1;
    packet_size(m);
    if (queues(m) != 0)
        return -1;
    for (size_t i = 0; i < sizeof snn_model_list / sizeof snn_model_list[0]; i++)
        if (snn_model_list[i].build(m) != 0)
            return -1;
    return 0;
}

static uint64_t sync_noc(void *ctx, uint64_t t_ps)
{
    snn_sim *m = ctx;
    return m->nm ? noc_model_sync(m->nm, t_ps) : t_ps;
}

static int attach(snn_sim *m, model_trace *mt)
{
    trc_writer *w = m->o->trace;
    if (!w)
        return 0;
    char name[160];
    snprintf(name, sizeof name, "chip %s", m->s->chip->name);
    trc_track_spec ts = {.name = name, .description = "event-driven run",
                         .level = TRC_SUMMARY};
    *mt = (model_trace){.w = w, .sample_cycles = m->o->trace_sample_cycles,
                        .sync = sync_noc, .sync_ctx = m};
    if (trc_track_new(w, &ts, &mt->parent) != 0)
        return base_fail(m->err, "trace: %s", trc_errmsg(w));
    for (uint32_t i = 0; i < m->n_models; i++) {
        const model *md = &m->models[i];
        base_error e;
        if (md->ops->attach_trace && md->ops->attach_trace(md->self, mt, &e) != 0)
            return base_fail(m->err, "trace: %s", e.msg);
    }
    return snn_trace_attach(m, mt);
}

static int loop(snn_sim *m)
{
    uint64_t until = m->o->max_time_ps ? m->o->max_time_ps : KQ_TIME_MAX;
    kq_run_result r = kq_run(m->k, until, m->o->max_events ? m->o->max_events : UINT64_MAX);
    if (m->failed)
        return -1;
    if (noc_deadlocked(m->net))
        return base_fail(m->err, "the NoC deadlocked at %.3f us",
                         (double)kq_now(m->k) * 1e-6);
    if (r == KQ_RUN_NOMEM)
        return base_fail(m->err, "out of memory in the event queue");
    size_t trace_only = 0; /* a time limit past the last work is no limit */
    for (uint32_t i = 0; r == KQ_RUN_TIME && i < m->n_cores; i++)
        trace_only += neu_core_trace_pending(m->cores[i]);
    if (r == KQ_RUN_TIME && kq_pending(m->k) == trace_only)
        r = KQ_RUN_EMPTY;
    m->res->stop_reason = r == KQ_RUN_TIME ? "time limit reached"
                          : r == KQ_RUN_EMPTY ? "" : "event limit reached";
    return 0;
}

static int finish(snn_sim *m)
{
    snn_result *r = m->res;
    if (snn_flow_end(m) != 0)
        return -1;
    /* The run ends with the last work or delivery; trace-only events do
     * not count, so a traced run reports what an untraced one does. */
    r->end_ps = m->last_ps;
    r->events = kq_events_processed(m->k);
    for (uint32_t i = 0; i < m->n_cores; i++) {
        const neu_core_stats *cs = neu_core_get_stats(m->cores[i]);
        uint64_t f = neu_core_free_at(m->cores[i]);
        r->end_ps = f > r->end_ps ? f : r->end_ps;
        r->events -= cs->trace_events;
    }
    r->steps = m->layer_step[m->p->output_layer];
    r->complete = !r->stop_reason[0] && m->n_steps != UINT64_MAX &&
                  (r->steps == m->n_steps || m->s->async_mode);
    if (!r->complete && !r->stop_reason[0])
        r->stop_reason = "the run ended with steps left";
    noc_get_totals(m->net, &r->noc);
    for (uint32_t i = 0; i < m->n_cores; i++)
        r->cores[i] = *neu_core_get_stats(m->cores[i]);
    for (uint32_t i = 0; i < r->n_out; i++)
        if (r->out_counts[i] > 0 &&
            (r->predicted_class < 0 || r->out_counts[i] > r->out_counts[r->predicted_class]))
            r->predicted_class = (int)i;
    for (uint32_t i = 0; i < m->n_models; i++) {
        const model *md = &m->models[i];
        base_error e;
        if (md->ops->finish(md->self, r->end_ps, &r->energy, &e) != 0)
            return base_fail(m->err, "%s", e.msg);
    }
    return 0;
}

#define FREE_PER_LAYER(a) \
    for (uint32_t l = 0; (a) && l < m->p->n_layers; l++) \
        base_free((a)[l]); \
    base_free(a)

static void sim_free(snn_sim *m)
{
    for (uint32_t i = m->n_models; i-- > 0;)
        m->models[i].ops->destroy(m->models[i].self);
    snn_trace_free(m);
    base_free(m->models);
    base_free(m->cores);
    ev_close(m->rd);
    FREE_PER_LAYER(m->grp);
    FREE_PER_LAYER(m->mask);
    FREE_PER_LAYER(m->cons);
    FREE_PER_LAYER(m->stash);
    FREE_PER_LAYER(m->cons_delay);
    FREE_PER_LAYER(m->cons_edge);
    for (uint32_t i = 0; m->omask && i < m->p->n_layers * CFG_MAX_SOURCES; i++)
        base_free(m->omask[i]);
    base_free(m->omask);
    base_free(m->eval_end);
    base_free(m->work);
    base_free(m->retry);
    snn_free_queues(m);
    base_free(m->n_cons);
    base_free(m->layer_step);
    base_free(m->outstanding);
    base_free(m->n_stash);
    base_free(m->cap_stash);
    base_free(m->route_mask);
    base_free(m->sp);
    base_free(m->fan_tgt);
    base_free(m->fan_w);
    snn_free_packets(m);
    base_free(m->core_term);
    base_free(m->term_core);
    kq_free(m->k);
}

int snn_run(const cfg_scenario *s, const snn_plan *p, const snn_options *o, snn_result *res,
            base_error *err)
{
    memset(res, 0, sizeof *res);
    base_error_clear(err);
    snn_sim m = {.s = s, .p = p, .o = o, .res = res, .err = err,
                 .n_cores = (uint32_t)s->chip->n_cores};
    model_trace mt;
    int ok = build(&m) == 0 && attach(&m, &mt) == 0 && snn_start(&m) == 0 && loop(&m) == 0 &&
             finish(&m) == 0;
    if (!ok && !err->msg[0])
        base_fail(err, "out of memory");
    sim_free(&m);
    if (!ok)
        snn_result_free(res);
    return ok ? 0 : -1;
}

void snn_result_free(snn_result *r)
{
    base_free(r->layers);
    base_free(r->cores);
    base_free(r->out_counts);
    base_free(r->queues);
    model_energy_free(&r->energy);
    r->layers = NULL;
    r->cores = NULL;
    r->out_counts = NULL;
    r->queues = NULL;
}

double snn_result_energy_pj(const snn_result *r)
{
    double t = 0;
    for (uint32_t i = 0; i < r->energy.n; i++)
        t += r->energy.items[i].pj;
    return t;
}
