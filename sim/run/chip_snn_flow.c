/* chip_snn_flow.c -- the event-driven run's flow: step boundaries,
 * evaluations, spike packets and their integration (the input stream is
 * snn_input.c's). See
 * chip_snn.h and README.md "Event-driven mode" for the semantics.
 *
 * Readiness of layer L for its next step s (layer_step[L] == s): its
 * source has evaluated step s (same_step) or s - 1 (next_step; the input
 * layer and, with next_step, every layer also wait for the boundary of
 * step s, and the input layer for every trace event of step s to have
 * been sent); and no copy of a packet for (L, s) is still in flight. A
 * packet that arrives for a later step than its layer's next one waits in
 * the layer's stash until the layer gets there. */
#include <stdarg.h>
#include <string.h>

#include "base/base.h"
#include "run/chip_snn_int.h"

void snn_fail(snn_sim *m, const char *fmt, ...)
{
    if (m->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    base_vfail(m->err, fmt, ap);
    va_end(ap);
    m->failed = 1;
    kq_stop(m->k);
}

/* ---- packets -------------------------------------------------------- */

int snn_pkt_new(snn_sim *m, uint32_t layer, uint64_t step, uint32_t *out)
{
    uint32_t i;
    if (m->n_free > 0)
        i = m->free_pk[--m->n_free];
    else {
        if (BASE_GROW(m->pk, m->cap_pk, m->n_pk + 1, UINT32_MAX) != 0)
            return -1;
        i = m->n_pk;
        snn_pkt *p = &m->pk[i];
        memset(p, 0, sizeof *p);
        p->ids = base_calloc(m->spp, sizeof *p->ids);
        p->vals = base_calloc(m->spp, sizeof *p->vals);
        if (!p->ids || !p->vals) {
            base_free(p->ids);
            base_free(p->vals);
            return -1;
        }
        m->n_pk++;
    }
    m->pk[i].layer = layer;
    m->pk[i].step = step;
    m->pk[i].n = m->pk[i].live = 0;
    *out = i;
    return 0;
}

static void pkt_release(snn_sim *m, uint32_t i)
{
    if (--m->pk[i].live > 0)
        return;
    if (BASE_GROW(m->free_pk, m->cap_free, m->n_free + 1, UINT32_MAX) != 0) {
        snn_fail(m, "out of memory");
        return;
    }
    m->free_pk[m->n_free++] = i;
}

void snn_free_packets(snn_sim *m)
{
    for (uint32_t i = 0; i < m->n_pk; i++) {
        base_free(m->pk[i].ids);
        base_free(m->pk[i].vals);
    }
    base_free(m->pk);
    base_free(m->free_pk);
}

static uint32_t *outstanding(snn_sim *m, uint32_t l, uint64_t step)
{
    return &m->outstanding[(size_t)l * SNN_RING + step % SNN_RING];
}

/* ---- integration ------------------------------------------------------ */

typedef struct {
    neu_group *g;
    uint32_t lo;
    double v;
    uint64_t sops;
} visit_ctx;

static void visit(void *ctx, uint32_t target, float w)
{
    visit_ctx *v = ctx;
    neu_add_input(v->g, target - v->lo, (double)w * v->v);
    v->sops++;
}

static void integrate(snn_sim *m, uint32_t pi, uint32_t core)
{
    const snn_pkt *p = &m->pk[pi];
    const snn_layer *sl = &m->p->layers[p->layer];
    uint64_t sops = 0;
    for (uint32_t s = 0; s < sl->n_slices; s++) {
        if (sl->slices[s].core != core)
            continue;
        visit_ctx v = {neu_core_group(m->cores[core], m->grp[p->layer][s]), sl->slices[s].lo,
                       0, 0};
        for (uint32_t i = 0; i < p->n; i++) {
            v.v = p->vals[i];
            conn_fanout(sl->cn, p->ids[i], sl->slices[s].lo, sl->slices[s].hi, visit, &v);
        }
        sops += v.sops;
    }
    m->res->layers[p->layer].synaptic_ops += sops;
    neu_core_work(m->cores[core], kq_now(m->k), (double)sops * sl->sop_cycles,
                  (double)sops * sl->sop_pj, sops, 0);
    snn_trace_integrate(m, pi, core);
    pkt_release(m, pi);
}

/* A copy of packet pi reached core. */
static void deliver(snn_sim *m, uint32_t pi, uint32_t core)
{
    snn_pkt *p = &m->pk[pi];
    uint32_t l = p->layer;
    neu_core_count_packet(m->cores[core]);
    snn_trace_deliver(m, pi, core);
    (*outstanding(m, l, p->step))--;
    if (p->step == m->layer_step[l])
        integrate(m, pi, core);
    else if (BASE_GROW(m->stash[l], m->cap_stash[l], m->n_stash[l] + 1, UINT32_MAX) != 0)
        snn_fail(m, "out of memory");
    else
        m->stash[l][m->n_stash[l]++] = (snn_stash){pi, core};
    snn_try_eval(m, l);
}

void snn_on_delivery(void *ctx, const noc_delivery *d)
{
    snn_sim *m = ctx;
    m->last_ps = kq_now(m->k);
    deliver(m, (uint32_t)d->tag, m->term_core[d->dst]);
}

/* Packets that waited for their layer's step, once it is there. */
static void flush_stash(snn_sim *m, uint32_t l)
{
    uint32_t keep = 0, n = m->n_stash[l];
    for (uint32_t i = 0; i < n; i++) {
        snn_stash st = m->stash[l][i];
        if (m->pk[st.pkt].step == m->layer_step[l])
            integrate(m, st.pkt, st.core);
        else
            m->stash[l][keep++] = st;
    }
    m->n_stash[l] = keep;
}

/* ---- sending ------------------------------------------------------------ */

typedef struct {
    uint32_t pkt, src_term;
    uint64_t mask;
} send_ev;

static int route_key(snn_sim *m, uint64_t mask, uint32_t *key)
{
    for (uint32_t i = 0; i < m->n_routes; i++)
        if (m->route_mask[i] == mask) {
            *key = i;
            return 0;
        }
    uint32_t dst[SNN_MAX_CORES], n = 0;
    for (uint32_t c = 0; c < m->n_cores; c++)
        if (mask >> c & 1)
            dst[n++] = m->core_term[c];
    base_error ne;
    if (BASE_GROW(m->route_mask, m->cap_routes, m->n_routes + 1, UINT32_MAX) != 0)
        return -1;
    if (noc_table_set(m->net, m->n_routes, dst, n, &ne) != 0) {
        snn_fail(m, "NoC: %s", ne.msg);
        return -1;
    }
    m->route_mask[m->n_routes] = mask;
    *key = m->n_routes++;
    return 0;
}

static void on_send(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    snn_sim *m = ctx;
    m->last_ps = kq_now(m->k);
    send_ev e;
    memcpy(&e, payload, sizeof e);
    uint64_t remote = 0;
    for (uint32_t c = 0; c < m->n_cores; c++)
        if (e.mask >> c & 1) {
            if (m->core_term[c] == e.src_term)
                deliver(m, e.pkt, c);
            else
                remote |= 1ull << c;
        }
    if (!remote || m->failed)
        return;
    const snn_pkt *p = &m->pk[e.pkt];
    uint32_t key, bits = p->n * (SNN_ADDR_BITS + m->p->layers[p->layer].value_bits);
    base_error ne;
    if (route_key(m, remote, &key) != 0) {
        snn_fail(m, "out of memory");
        return;
    }
    if (noc_send_keyed(m->net, e.src_term, key, bits, e.pkt, NULL, &ne) != 0)
        snn_fail(m, "NoC: %s", ne.msg);
    m->res->packets++;
}

/* Packet pi goes to the cores of mask at t_ps: counted in flight now. */
void snn_send_at(snn_sim *m, uint32_t pi, uint64_t mask, uint32_t src_term, uint64_t t_ps)
{
    snn_pkt *p = &m->pk[pi];
    if (p->step >= m->layer_step[p->layer] + SNN_RING) {
        snn_fail(m, "layer %s: spikes for step %llu arrived while it is at step %llu "
                 "(more than %d steps behind)", m->p->layers[p->layer].cfg->name,
                 (unsigned long long)p->step, (unsigned long long)m->layer_step[p->layer],
                 SNN_RING);
        return;
    }
    p->live = (uint32_t)__builtin_popcountll(mask);
    *outstanding(m, p->layer, p->step) += p->live;
    m->res->spikes_sent += p->n;
    snn_trace_send(m, pi);
    send_ev e = {pi, src_term, mask};
    if (kq_schedule_at(m->k, t_ps, 0, on_send, m, &e, sizeof e, NULL) != KQ_OK)
        snn_fail(m, "out of memory in the event queue");
}

/* The outputs of one slice evaluation (m->sp_*) to consumer layer c: per
 * destination-core set in order of first appearance, packets of up to
 * spp spikes, leaving when the evaluation ends. */
static void packetise(snn_sim *m, uint32_t c, uint64_t step, uint32_t src_term, uint64_t t_ps)
{
    const uint64_t *mask = m->mask[c];
    for (uint32_t first = 0; first < m->n_sp && !m->failed; first++) {
        uint64_t set = mask[m->sp[first].id];
        int seen = set == 0;
        for (uint32_t j = 0; j < first && !seen; j++)
            seen = mask[m->sp[j].id] == set;
        if (seen)
            continue;
        uint32_t pi = UINT32_MAX;
        for (uint32_t j = first; j < m->n_sp; j++) {
            if (mask[m->sp[j].id] != set)
                continue;
            if (pi == UINT32_MAX && snn_pkt_new(m, c, step, &pi) != 0) {
                snn_fail(m, "out of memory");
                return;
            }
            snn_pkt *p = &m->pk[pi];
            p->ids[p->n] = m->sp[j].id;
            p->vals[p->n++] = m->sp[j].val;
            if (p->n == m->spp) {
                snn_send_at(m, pi, set, src_term, t_ps);
                pi = UINT32_MAX;
            }
        }
        if (pi != UINT32_MAX)
            snn_send_at(m, pi, set, src_term, t_ps);
    }
}

typedef struct {
    snn_sim *m;
    uint32_t layer, lo;
    uint64_t step;
} emit_ctx;

static void emit(void *ctx, uint32_t i, double value)
{
    emit_ctx *e = ctx;
    snn_sim *m = e->m;
    if (BASE_GROW(m->sp, m->cap_sp, m->n_sp + 1, UINT32_MAX) != 0) {
        snn_fail(m, "out of memory");
        return;
    }
    m->sp[m->n_sp++] = (snn_spike){e->lo + i, value};
    if (m->o->on_spike)
        m->o->on_spike(m->o->spike_ctx, e->layer, e->step, e->lo + i, value);
}

/* Layer l's step: each slice evaluates on its core (after the work booked
 * there), its outputs leave as packets when the evaluation ends. */
static void evaluate(snn_sim *m, uint32_t l, uint64_t step)
{
    const snn_layer *sl = &m->p->layers[l];
    snn_layer_result *lr = &m->res->layers[l];
    uint64_t now = kq_now(m->k), last_end = 0;
    int is_out = l == m->p->output_layer;
    for (uint32_t s = 0; s < sl->n_slices && !m->failed; s++) {
        uint32_t core = sl->slices[s].core;
        neu_group *g = neu_core_group(m->cores[core], m->grp[l][s]);
        neu_stats before = *neu_group_stats(g);
        emit_ctx ec = {m, l, sl->slices[s].lo, step};
        m->n_sp = 0;
        neu_step(g, m->dt_us, emit, &ec);
        const neu_stats *after = neu_group_stats(g);
        uint64_t upd = after->updates - before.updates;
        uint64_t end = neu_core_work(m->cores[core], now, (double)upd * sl->upd_cycles,
                                     (double)upd * sl->upd_pj, 0, upd);
        last_end = end > last_end ? end : last_end;
        snn_trace_eval(m, l, s, step);
        lr->neuron_updates += upd;
        lr->spikes += after->spikes - before.spikes;
        lr->outputs += after->outputs - before.outputs;
        if (is_out && m->n_sp > 0 && end < m->res->first_output_ps)
            m->res->first_output_ps = end;
        for (uint32_t i = 0; is_out && i < m->n_sp; i++)
            m->res->out_counts[m->sp[i].id] +=
                sl->np.model == NEU_SIGMA_DELTA ? 1 : (uint64_t)m->sp[i].val;
        uint64_t tstep = m->s->next_step ? step + 1 : step;
        for (uint32_t c = 0; c < m->n_cons[l]; c++)
            packetise(m, m->cons[l][c], tstep, m->core_term[core], end);
    }
    if (is_out && step + 1 == m->n_steps)
        m->res->decision_ps = last_end;
}

static int ready(const snn_sim *m, uint32_t l)
{
    const snn_layer *sl = &m->p->layers[l];
    uint64_t s = m->layer_step[l];
    if (s >= m->n_steps || m->failed)
        return 0;
    if ((m->s->next_step || sl->src < 0) && m->boundary <= s)
        return 0;
    if (sl->src < 0 && m->in_next_step <= s)
        return 0;
    if (sl->src >= 0 && m->layer_step[sl->src] < s + !m->s->next_step)
        return 0;
    return *outstanding((snn_sim *)m, l, s) == 0;
}

void snn_try_eval(snn_sim *m, uint32_t l)
{
    int any = 0;
    while (ready(m, l)) {
        evaluate(m, l, m->layer_step[l]);
        m->layer_step[l]++;
        flush_stash(m, l);
        any = 1;
    }
    for (uint32_t c = 0; any && c < m->n_cons[l]; c++)
        snn_try_eval(m, m->cons[l][c]);
}

static void try_all(snn_sim *m)
{
    for (uint32_t l = 0; l < m->p->n_layers; l++)
        snn_try_eval(m, l);
}

/* ---- the step boundaries ----------------------------------------------- */

static void on_tick(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    snn_sim *m = ctx;
    m->last_ps = kq_now(k);
    m->boundary++;
    try_all(m);
    if (m->boundary < m->n_steps &&
        kq_schedule_at(k, (m->boundary + 1) * m->dt_ps, 2, on_tick, m, NULL, 0, NULL) != KQ_OK)
        snn_fail(m, "out of memory in the event queue");
}

int snn_schedule_tick(snn_sim *m)
{
    if (m->n_steps > 0 &&
        kq_schedule_at(m->k, m->dt_ps, 2, on_tick, m, NULL, 0, NULL) != KQ_OK)
        return base_fail(m->err, "out of memory in the event queue");
    return 0;
}
