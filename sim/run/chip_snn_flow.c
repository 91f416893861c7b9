/* chip_snn_flow.c -- the event-driven run's flow: step boundaries,
 * evaluations, spike packets, the cores' input queues and integration
 * (the input stream is snn_input.c's). See chip_snn.h and README.md
 * "Event-driven mode" for the semantics.
 *
 * Readiness of layer L for its next step s (layer_step[L] == s): every
 * source S has evaluated the step L reads of it -- s over a same-step
 * edge, s - 1 over a one-step edge (propagation: next_step, or S
 * recurrent: S is L or a later layer); a layer fed by the trace (and,
 * with next_step, every layer) also waits for the boundary of step s, and
 * the trace's layer for every trace event of step s to have been sent;
 * and no copy of a packet for (L, s) is still in flight or waiting at a
 * full queue. Its evaluation then starts once the evaluations it reads
 * over same-step edges have ended on their cores. A packet that arrives
 * for a later step than its layer's next one waits in the layer's stash
 * until the layer gets there. */
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
    m->pk[i].edge = -1;
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

/* ---- the input queues ---------------------------------------------------- */

/* Spikes waiting on core c now: stashed, or booked to start later. */
static uint64_t occupancy(snn_sim *m, uint32_t c)
{
    snn_queue *q = &m->q[c];
    uint64_t now = kq_now(m->k);
    while (q->head < q->n_booked && q->booked[q->head].start_ps <= now)
        q->booked_spikes -= q->booked[q->head++].n;
    if (q->head > 64 && q->head * 2 > q->n_booked) { /* memory bounded by the backlog */
        memmove(q->booked, q->booked + q->head, (q->n_booked - q->head) * sizeof *q->booked);
        q->n_booked -= q->head;
        q->head = 0;
    }
    if (q->head == q->n_booked)
        q->head = q->n_booked = 0;
    return q->booked_spikes + q->stashed;
}

static void note_peak(snn_sim *m, uint32_t c)
{
    uint64_t o = occupancy(m, c);
    snn_queue_stats *st = &m->res->queues[c];
    st->peak = o > st->peak ? o : st->peak;
}

static void integrate_async(snn_sim *m, const snn_pkt *p, uint32_t core, uint32_t s,
                            uint32_t n);

/* Packet pi's first n spikes are integrated on core now. */
static void integrate(snn_sim *m, uint32_t pi, uint32_t core, uint32_t n)
{
    const snn_pkt *p = &m->pk[pi];
    const snn_layer *sl = &m->p->layers[p->layer];
    uint64_t sops = 0, now = kq_now(m->k), free_at = neu_core_free_at(m->cores[core]);
    for (uint32_t s = 0; m->s->async_mode && s < sl->n_slices; s++)
        if (sl->slices[s].core == core)
            integrate_async(m, p, core, s, n);
    for (uint32_t s = 0; !m->s->async_mode && s < sl->n_slices; s++) {
        if (sl->slices[s].core != core)
            continue;
        neu_group *g = neu_core_group(m->cores[core], m->grp[p->layer][s]);
        const conn *cn = p->edge < 0 ? sl->cn : sl->src_cn[p->edge];
        conn_rect r = sl->slices[s].r;
        for (uint32_t i = 0; i < n; i++) { /* list, then add: no call per synapse */
            uint32_t k = conn_fanout_rect_list(cn, p->ids[i], r, m->fan_tgt, m->fan_w);
            neu_add_inputs(g, m->fan_tgt, m->fan_w, k, 0, p->vals[i]);
            sops += k;
        }
    }
    m->res->layers[p->layer].synaptic_ops += sops;
    if (!m->s->async_mode)
        neu_core_work(m->cores[core], now, (double)sops * sl->sop_cycles,
                      (double)sops * sl->sop_pj, sops, 0);
    snn_trace_integrate(m, pi, core, n);
    snn_queue *q = &m->q[core];
    if (free_at > now) { /* it waits in the queue until the core is free */
        if (BASE_GROW(q->booked, q->cap_booked, q->n_booked + 1, UINT32_MAX) != 0) {
            snn_fail(m, "out of memory");
            return;
        }
        q->booked[q->n_booked++] = (snn_qent){free_at, n};
        q->booked_spikes += n;
    }
    pkt_release(m, pi);
}

static void mark_retry(snn_sim *m, uint32_t l)
{
    m->n_retry += !m->retry[l];
    m->retry[l] = 1;
}

/* Packet pi enters core's queue (with on_full: drop, the spikes that do
 * not fit are dropped and counted): integrated now if its layer is at its
 * step, else stashed. The layer is marked for another try. */
static void accept(snn_sim *m, uint32_t pi, uint32_t core)
{
    snn_pkt *p = &m->pk[pi];
    uint32_t l = p->layer, n = p->n;
    uint64_t occ = occupancy(m, core);
    if (m->depth != UINT64_MAX && occ + n > m->depth) {
        uint32_t k = m->depth > occ ? (uint32_t)(m->depth - occ) : 0;
        m->res->queues[core].drops += n - k;
        m->res->drops += n - k;
        n = k;
    }
    if (n > 0)
        snn_trace_deliver(m, pi, core, n);
    (*outstanding(m, l, p->step))--;
    if (n == 0)
        pkt_release(m, pi);
    else if (p->step == m->layer_step[l])
        integrate(m, pi, core, n);
    else if (BASE_GROW(m->stash[l], m->cap_stash[l], m->n_stash[l] + 1, UINT32_MAX) != 0)
        snn_fail(m, "out of memory");
    else {
        m->stash[l][m->n_stash[l]++] = (snn_stash){pi, core, n};
        m->q[core].stashed += n;
    }
    note_peak(m, core);
    mark_retry(m, l);
}

static void on_retry(kq_kernel *k, void *ctx, const void *payload);

/* A re-check of core c's held packets when its next booked integration
 * starts (room is made then); with nothing booked, room comes from a
 * stash flush (admit_pending). */
static void want_retry(snn_sim *m, uint32_t c)
{
    snn_queue *q = &m->q[c];
    occupancy(m, c); /* drops what has begun */
    if (q->retry_at != UINT64_MAX || q->head == q->n_booked)
        return;
    q->retry_at = q->booked[q->head].start_ps;
    if (kq_schedule_at(m->k, q->retry_at, 0, on_retry, m, &c, sizeof c, NULL) != KQ_OK)
        snn_fail(m, "out of memory in the event queue");
}

/* Room on core c for n more spikes (besides those the NoC is ejecting). */
static int has_room(snn_sim *m, uint32_t c, uint64_t n)
{
    return occupancy(m, c) + m->q[c].reserved + n <= m->depth;
}

/* Held packets of core c that fit now enter its queue, in arrival order;
 * then, when the packet its stopped ejection port refused fits too, the
 * port resumes. */
static void admit(snn_sim *m, uint32_t c)
{
    snn_queue *q = &m->q[c];
    while (q->held_head < q->n_held && !m->failed) {
        snn_held h = q->held[q->held_head];
        if (!has_room(m, c, m->pk[h.pkt].n))
            break;
        q->held_head++;
        m->res->queues[c].held_ps += kq_now(m->k) - h.arrived_ps;
        accept(m, h.pkt, c);
    }
    if (q->held_head > 64 && q->held_head * 2 > q->n_held) {
        memmove(q->held, q->held + q->held_head, (q->n_held - q->held_head) * sizeof *q->held);
        q->n_held -= q->held_head;
        q->held_head = 0;
    }
    if (q->held_head == q->n_held)
        q->held_head = q->n_held = 0;
    if (q->blocked && !q->n_held && has_room(m, c, q->want)) {
        m->res->queues[c].held_ps += kq_now(m->k) - q->blocked_ps;
        q->blocked = 0;
        noc_eject_resume(m->net, m->core_term[c]);
    }
    if (q->n_held || q->blocked)
        want_retry(m, c);
}

int snn_eject_gate(void *ctx, uint32_t dst, uint64_t tag)
{
    snn_sim *m = ctx;
    uint32_t c = m->term_core[dst], n = m->pk[(uint32_t)tag].n;
    snn_queue *q = &m->q[c];
    if (!q->n_held && has_room(m, c, n)) {
        q->reserved += n;
        return 1;
    }
    q->blocked = 1;
    q->want = n;
    q->want_pkt = (uint32_t)tag;
    q->blocked_ps = kq_now(m->k);
    m->res->queues[c].held_packets++;
    want_retry(m, c);
    return 0;
}

/* A copy of packet pi reached core's network interface. From the flit
 * NoC with backpressure, its room was kept when the ejection took it; a
 * packet the core sent to itself (or one from the packet model, which
 * has no ejection ports) waits while the queue has no room for it (or
 * earlier ones wait). */
static void deliver(snn_sim *m, uint32_t pi, uint32_t core, int via_noc)
{
    snn_queue *q = &m->q[core];
    neu_core_count_packet(m->cores[core]);
    int bp = !m->s->queue_drop && m->depth != UINT64_MAX;
    if (bp && via_noc && m->gated)
        q->reserved -= m->pk[pi].n;
    else if (bp && (q->n_held || !has_room(m, core, m->pk[pi].n))) {
        if (BASE_GROW(q->held, q->cap_held, q->n_held + 1, UINT32_MAX) != 0) {
            snn_fail(m, "out of memory");
            return;
        }
        q->held[q->n_held++] = (snn_held){pi, kq_now(m->k)};
        m->res->queues[core].held_packets++;
        want_retry(m, core);
        return;
    }
    accept(m, pi, core);
    m->admit_pending |= q->blocked; /* its room was the reserved one */
}

static void settle(snn_sim *m);

static void on_retry(kq_kernel *k, void *ctx, const void *payload)
{
    snn_sim *m = ctx;
    uint32_t c;
    memcpy(&c, payload, sizeof c);
    m->last_ps = kq_now(k);
    m->q[c].retry_at = UINT64_MAX;
    admit(m, c);
    settle(m);
}

void snn_on_delivery(void *ctx, const noc_delivery *d)
{
    snn_sim *m = ctx;
    m->last_ps = kq_now(m->k);
    deliver(m, (uint32_t)d->tag, m->term_core[d->dst], 1);
    settle(m);
}

/* Packets that waited for their layer's step, once it is there. */
static void flush_stash(snn_sim *m, uint32_t l)
{
    uint32_t keep = 0, n = m->n_stash[l];
    for (uint32_t i = 0; i < n; i++) {
        snn_stash st = m->stash[l][i];
        if (m->pk[st.pkt].step == m->layer_step[l]) {
            m->q[st.core].stashed -= st.n;
            integrate(m, st.pkt, st.core, st.n);
            m->admit_pending |= m->q[st.core].n_held > 0 || m->q[st.core].blocked;
        } else
            m->stash[l][keep++] = st;
    }
    m->n_stash[l] = keep;
}

int snn_flow_end(snn_sim *m)
{
    /* Packets for steps after the run's last (a last step's recurrent or
     * next_step outputs) may wait for ever: they change nothing. */
    for (uint32_t c = 0; c < m->n_cores; c++) {
        const snn_queue *q = &m->q[c];
        uint32_t stuck = 0;
        for (uint32_t i = q->held_head; i < q->n_held; i++)
            stuck += m->pk[q->held[i].pkt].step < m->n_steps || m->s->async_mode;
        /* the packet a stopped ejection refused, and the NoC behind it */
        stuck += q->blocked && m->pk[q->want_pkt].step < m->n_steps;
        if (stuck)
            return base_fail(m->err, "core %u: its input queue (queue_depth_events %llu) "
                             "filled with spikes for later steps and %u packets could not "
                             "enter it; the run cannot go on (raise queue_depth_events, or "
                             "on_full: drop)", c, (unsigned long long)m->depth, stuck);
    }
    return 0;
}

void snn_free_queues(snn_sim *m)
{
    for (uint32_t c = 0; m->q && c < m->n_cores; c++) {
        base_free(m->q[c].booked);
        base_free(m->q[c].held);
    }
    base_free(m->q);
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
                deliver(m, e.pkt, c, 0);
            else
                remote |= 1ull << c;
        }
    settle(m);
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
static void packetise(snn_sim *m, uint32_t c, int edge, uint64_t step, uint32_t src_term,
                      uint64_t t_ps)
{
    const uint64_t *mask = edge < 0 ? m->mask[c] : m->omask[c * CFG_MAX_SOURCES + edge];
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
            m->pk[pi].edge = edge;
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
    uint32_t layer;
    conn_rect r;        /* the slice's block: local neuron -> layer index */
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
    uint32_t id = conn_rect_global(m->p->layers[e->layer].cn, e->r, i);
    m->sp[m->n_sp++] = (snn_spike){id, value};
    if (m->o->on_spike)
        m->o->on_spike(m->o->spike_ctx, e->layer, e->step, id, value);
}

/* ---- mode: async ------------------------------------------------------------ */

typedef struct {
    neu_group *g;
    double v;
    uint64_t sops, t_ps;
    emit_ctx *ec;
} async_ctx;

static void visit_async(void *ctx, uint32_t target, float w)
{
    async_ctx *v = ctx;
    neu_input_async(v->g, target, (double)w * v->v, v->t_ps, emit, v->ec);
    v->sops++;
}

/* Slice s of p's layer (on core) takes p's first n spikes one synapse at
 * a time, each target neuron evaluated at once (neu_input_async, its leak
 * from the time of its last input), at the time the core starts the
 * work; the neurons that fire leave as packets when the work ends. */
static void integrate_async(snn_sim *m, const snn_pkt *p, uint32_t core, uint32_t s,
                            uint32_t n)
{
    uint32_t l = p->layer;
    const snn_layer *sl = &m->p->layers[l];
    neu_core *nc = m->cores[core];
    uint64_t now = kq_now(m->k), start = neu_core_free_at(nc);
    neu_group *g = neu_core_group(nc, m->grp[l][s]);
    neu_stats before = *neu_group_stats(g);
    emit_ctx ec = {m, l, sl->slices[s].r, 0};
    async_ctx v = {g, 0, 0, start > now ? start : now, &ec};
    m->n_sp = 0;
    for (uint32_t i = 0; i < n; i++) {
        v.v = p->vals[i];
        conn_fanout_rect(p->edge < 0 ? sl->cn : sl->src_cn[p->edge], p->ids[i],
                         sl->slices[s].r, visit_async, &v);
    }
    const neu_stats *after = neu_group_stats(g);
    uint64_t upd = after->updates - before.updates;
    snn_layer_result *lr = &m->res->layers[l];
    lr->synaptic_ops += v.sops;
    lr->neuron_updates += upd;
    lr->spikes += after->spikes - before.spikes;
    lr->outputs += after->outputs - before.outputs;
    uint64_t end = neu_core_work(nc, now, (double)v.sops * sl->sop_cycles +
                                 (double)upd * sl->upd_cycles,
                                 (double)v.sops * sl->sop_pj + (double)upd * sl->upd_pj,
                                 v.sops, upd);
    if (l == m->p->output_layer) {
        if (m->n_sp > 0 && end < m->res->first_output_ps)
            m->res->first_output_ps = end;
        m->res->decision_ps = end;
        for (uint32_t i = 0; i < m->n_sp; i++)
            m->res->out_counts[m->sp[i].id] +=
                sl->np.model == NEU_SIGMA_DELTA ? 1 : (uint64_t)m->sp[i].val;
    }
    for (uint32_t c = 0; c < m->n_cons[l] && m->n_sp > 0; c++)
        packetise(m, m->cons[l][c], m->cons_edge[l][c], 0, m->core_term[core], end);
}

/* When layer l's evaluation of step may start: now, or later when an
 * evaluation it reads over a same-step edge ends later. */
static uint64_t eval_start(snn_sim *m, uint32_t l, uint64_t step)
{
    const snn_layer *sl = &m->p->layers[l];
    uint64_t t = kq_now(m->k);
    for (uint32_t k = 0; k < sl->n_src; k++) {
        int src = sl->srcs[k];
        if (src < 0 || sl->recurrent[k] || m->s->next_step)
            continue;
        if (m->layer_step[src] - step > SNN_RING) {
            snn_fail(m, "layer %s: its source %s is more than %d steps ahead",
                     sl->cfg->name, m->p->layers[src].cfg->name, SNN_RING);
            return t;
        }
        uint64_t e = m->eval_end[(size_t)src * SNN_RING + step % SNN_RING];
        t = e > t ? e : t;
    }
    return t;
}

/* Step overruns: once every layer has evaluated step, its work (from the
 * boundary that ends it to the end of its last evaluation) is checked
 * against timestep_us. */
static void step_work(snn_sim *m, uint64_t step, uint64_t end)
{
    snn_step_work *w = &m->work[step % SNN_RING];
    if (w->layers_done == 0)
        *w = (snn_step_work){step, 0, 0};
    else if (w->step != step) {
        snn_fail(m, "the layers are more than %d steps apart", SNN_RING);
        return;
    }
    w->end_ps = end > w->end_ps ? end : w->end_ps;
    if (++w->layers_done < m->p->n_layers)
        return;
    w->layers_done = 0;
    uint64_t from = (step + 1) * m->dt_ps;
    uint64_t dur = w->end_ps > from ? w->end_ps - from : 0;
    m->res->step_work_max_ps = dur > m->res->step_work_max_ps ? dur : m->res->step_work_max_ps;
    m->res->step_overruns += dur > m->dt_ps;
}

/* Layer l's step: each slice evaluates on its core (after the work booked
 * there, and once what it reads in this step is evaluated), its outputs
 * leave as packets when the evaluation ends. */
static void evaluate(snn_sim *m, uint32_t l, uint64_t step)
{
    const snn_layer *sl = &m->p->layers[l];
    snn_layer_result *lr = &m->res->layers[l];
    uint64_t now = eval_start(m, l, step), last_end = 0;
    int is_out = l == m->p->output_layer;
    for (uint32_t s = 0; s < sl->n_slices && !m->failed; s++) {
        uint32_t core = sl->slices[s].core;
        neu_group *g = neu_core_group(m->cores[core], m->grp[l][s]);
        neu_stats before = *neu_group_stats(g);
        emit_ctx ec = {m, l, sl->slices[s].r, step};
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
        for (uint32_t c = 0; c < m->n_cons[l]; c++)
            packetise(m, m->cons[l][c], m->cons_edge[l][c], step + m->cons_delay[l][c],
                      m->core_term[core], end);
    }
    m->eval_end[(size_t)l * SNN_RING + step % SNN_RING] = last_end;
    step_work(m, step, last_end);
    if (is_out && step + 1 == m->n_steps)
        m->res->decision_ps = last_end;
}

static int ready(const snn_sim *m, uint32_t l)
{
    const snn_layer *sl = &m->p->layers[l];
    uint64_t s = m->layer_step[l];
    if (s >= m->n_steps || m->failed || m->s->async_mode) /* async: no steps */
        return 0;
    int trace = l == m->p->input_layer;
    if ((m->s->next_step || trace) && m->boundary <= s)
        return 0;
    if (trace && m->in_next_step <= s)
        return 0;
    for (uint32_t k = 0; k < sl->n_src; k++) {
        int src = sl->srcs[k];
        uint64_t late = m->s->next_step || sl->recurrent[k];
        if (src >= 0 && m->layer_step[src] + late < s + 1)
            return 0;
    }
    return *outstanding((snn_sim *)m, l, s) == 0;
}

/* Evaluates l while it is ready; then its later consumers at once (the
 * depth is bounded by the layer count), its recurrent ones (this layer or
 * earlier) by settle. */
static void eval_layer(snn_sim *m, uint32_t l)
{
    int any = 0;
    while (ready(m, l)) {
        evaluate(m, l, m->layer_step[l]);
        m->layer_step[l]++;
        flush_stash(m, l);
        any = 1;
    }
    for (uint32_t c = 0; any && c < m->n_cons[l]; c++) {
        uint32_t t = m->cons[l][c];
        if (t > l)
            eval_layer(m, t);
        else
            mark_retry(m, t);
    }
}

/* Tries the marked layers (lowest first) and admits held packets until
 * nothing changes. Not re-entrant: a call from inside returns at once. */
static void settle(snn_sim *m)
{
    if (m->settling)
        return;
    m->settling = 1;
    while (!m->failed && (m->n_retry || m->admit_pending)) {
        if (m->n_retry) {
            uint32_t l = 0;
            while (!m->retry[l])
                l++;
            m->retry[l] = 0;
            m->n_retry--;
            eval_layer(m, l);
            continue;
        }
        m->admit_pending = 0;
        for (uint32_t c = 0; c < m->n_cores; c++)
            if (m->q[c].held_head < m->q[c].n_held || m->q[c].blocked)
                admit(m, c);
    }
    m->settling = 0;
}

void snn_try_eval(snn_sim *m, uint32_t l)
{
    mark_retry(m, l);
    settle(m);
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
    if (m->n_steps > 0 && !m->s->async_mode &&
        kq_schedule_at(m->k, m->dt_ps, 2, on_tick, m, NULL, 0, NULL) != KQ_OK)
        return base_fail(m->err, "out of memory in the event queue");
    return 0;
}
