/* neu_core_trace.c -- the neuron core on the timeline: integration bursts,
 * evaluation slices and the input-queue depth (see neu_core.h).
 *
 * The writer takes events in time order and the core books work ahead of
 * time (it starts when the core is free), so what is due later waits in a
 * FIFO -- the core is serial, so its writes come in time order -- and one
 * kernel event at the FIFO's head writes it when time gets there. A burst
 * closes when the core has been idle for the gap after its last
 * integration (a kernel event checks) or when an evaluation is booked;
 * its END is written then: exactly at its last integration's end when the
 * evaluation was booked while the core was still busy, else up to one gap
 * later (the writer cannot go back in time, and whether more work comes
 * within the gap is known only once the gap has passed). The queue depth
 * counter is thinned to one sample per gap: the peak since the previous
 * sample (written at its end, so a peak shows up to one gap late). Kernel
 * events of the trace are counted in trace_events. */
#include <string.h>

#include "neuron/neu_core_int.h"

#define NCT_COMPACT 4096 /* FIFO heads beyond this are moved down */

static void nct_failed(neu_core *c) { c->tr->failed = 1; }

/* Where the track can be written at t: after its last write, through the
 * model's sync (which moves the NoC's clock with it). */
static uint64_t at(nct_state *s, uint64_t t)
{
    return model_trace_at(s->mt, t > s->track_free ? t : s->track_free);
}

static void exec(nct_state *s, const nct_act *a, const uint64_t *flows)
{
    trc_writer *w = s->mt->w;
    uint64_t t = at(s, a->t);
    if (a->kind == NCT_BEGIN) {
        trc_extra x = {.flow_ends = flows, .n_flow_ends = a->n_flows};
        trc_begin(w, s->track, t, s->n_burst, &x);
        s->track_free = t;
    } else if (a->kind == NCT_END) {
        trc_arg args[] = {trc_arg_uint(s->k_events, a->u[0]), trc_arg_uint(s->k_packets, a->u[1]),
                          trc_arg_uint(s->k_sops, a->u[2]),
                          trc_arg_double(s->k_busy, (double)a->u[3] * 1e-3)};
        trc_extra x = {.args = args, .n_args = 4, .flow_ends = flows, .n_flow_ends = a->n_flows};
        trc_end(w, s->track, t, &x);
        s->track_free = t;
    } else {
        trc_arg args[] = {trc_arg_uint(s->k_step, a->u[0]), trc_arg_uint(s->k_spikes, a->u[1])};
        trc_extra x = {.args = args, .n_args = 2, .flows = flows, .n_flows = a->n_flows};
        trc_complete(w, s->track, t, a->dur, a->name, &x);
        s->track_free = t + a->dur;
    }
}

static void compact(nct_state *s)
{
    if (s->head_act == s->n_act) {
        s->head_act = s->n_act = 0;
        s->head_fl = s->n_fl = 0;
        return;
    }
    if (s->head_act < NCT_COMPACT || s->head_act * 2 < s->n_act)
        return;
    memmove(s->act, s->act + s->head_act, (s->n_act - s->head_act) * sizeof *s->act);
    s->n_act -= s->head_act;
    s->head_act = 0;
    memmove(s->fl, s->fl + s->head_fl, (s->n_fl - s->head_fl) * sizeof *s->fl);
    for (uint32_t i = 0; i < s->n_act; i++)
        s->act[i].flow_off -= s->head_fl;
    s->n_fl -= s->head_fl;
    s->head_fl = 0;
}

/* Writes what is due by now, in order. */
static void drain(nct_state *s, uint64_t now)
{
    while (s->head_act < s->n_act && s->act[s->head_act].t <= now) {
        const nct_act *a = &s->act[s->head_act++];
        exec(s, a, s->fl + a->flow_off);
        s->head_fl = a->flow_off + a->n_flows;
    }
    compact(s);
}

static void on_act(kq_kernel *k, void *ctx, const void *payload);

static void arm_act(neu_core *c)
{
    nct_state *s = c->tr;
    if (s->armed_act || s->head_act == s->n_act)
        return;
    if (kq_schedule_at(c->k, s->act[s->head_act].t, 3, on_act, c, NULL, 0, NULL) != KQ_OK)
        nct_failed(c);
    else
        s->armed_act = 1;
}

static void on_act(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    neu_core *c = ctx;
    c->st.trace_events++;
    c->tr->armed_act = 0;
    drain(c->tr, kq_now(k));
    arm_act(c);
}

/* a, with its flows, now if it is due (nothing earlier waits: the caller
 * drained), else queued. */
static void push(neu_core *c, nct_act a, const uint64_t *flows, uint32_t n)
{
    nct_state *s = c->tr;
    a.n_flows = n;
    if (a.t <= kq_now(c->k) && s->head_act == s->n_act) {
        exec(s, &a, flows);
        return;
    }
    if (BASE_GROW(s->act, s->cap_act, s->n_act + 1, UINT32_MAX) != 0 ||
        BASE_GROW(s->fl, s->cap_fl, s->n_fl + n, UINT32_MAX) != 0) {
        nct_failed(c);
        return;
    }
    a.flow_off = s->n_fl;
    if (n)
        memcpy(s->fl + s->n_fl, flows, n * sizeof *flows);
    s->n_fl += n;
    s->act[s->n_act++] = a;
    arm_act(c);
}

/* ---- the queue-depth counter -----------------------------------------
 * q_cur is the depth now; q_peak the highest depth held for a while (a
 * spike integrated at the instant it arrives never counts) since the
 * last sample, which is written at most once per gap, in on_q only (so
 * everything booked at one instant is in). */

/* Time to t: the starts booked by then take their spikes off the queue. */
static void q_advance(nct_state *s, uint64_t t)
{
    while (s->head_dec < s->n_dec && s->dec[s->head_dec].t <= t) {
        const nct_dec *d = &s->dec[s->head_dec++];
        if (d->t > s->q_last_t) {
            s->q_peak = s->q_cur > s->q_peak ? s->q_cur : s->q_peak;
            s->q_last_t = d->t;
        }
        s->q_cur -= d->n;
    }
    if (t > s->q_last_t) {
        s->q_peak = s->q_cur > s->q_peak ? s->q_cur : s->q_peak;
        s->q_last_t = t;
    }
    if (s->head_dec == s->n_dec)
        s->head_dec = s->n_dec = 0;
    else if (s->head_dec >= NCT_COMPACT && s->head_dec * 2 >= s->n_dec) {
        memmove(s->dec, s->dec + s->head_dec, (s->n_dec - s->head_dec) * sizeof *s->dec);
        s->n_dec -= s->head_dec;
        s->head_dec = 0;
    }
}

static void on_q(kq_kernel *k, void *ctx, const void *payload);

/* A sample is due while what the counter shows may be out of date. */
static void arm_q(neu_core *c)
{
    nct_state *s = c->tr;
    if (s->armed_q || (s->q_cur == s->q_written && s->q_peak <= s->q_written &&
                       s->head_dec == s->n_dec))
        return;
    uint64_t now = kq_now(c->k), t = s->q_next > now ? s->q_next : now;
    if (kq_schedule_at(c->k, t, 3, on_q, c, NULL, 0, NULL) != KQ_OK)
        nct_failed(c);
    else
        s->armed_q = 1;
}

/* The sample at now: the peak since the last one. */
static void on_q(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    neu_core *c = ctx;
    nct_state *s = c->tr;
    uint64_t now = kq_now(k);
    c->st.trace_events++;
    s->armed_q = 0;
    q_advance(s, now);
    if (s->q_peak != s->q_written)
        trc_counter_int(s->mt->w, s->qtrack, model_trace_at(s->mt, now), s->q_peak);
    s->q_written = s->q_peak;
    s->q_peak = 0;
    s->q_next = now + s->gap_ps;
    arm_q(c);
}

void neu_core_trace_arrive(neu_core *c, uint32_t spikes)
{
    nct_state *s = c->tr;
    if (!s)
        return;
    q_advance(s, kq_now(c->k));
    s->q_cur += spikes;
    arm_q(c);
}

/* ---- bursts ----------------------------------------------------------- */

static void on_check(kq_kernel *k, void *ctx, const void *payload);

static void arm_check(neu_core *c)
{
    nct_state *s = c->tr;
    if (s->armed_check || !s->b.open)
        return;
    if (kq_schedule_at(c->k, s->b.end + s->gap_ps, 4, on_check, c, NULL, 0, NULL) != KQ_OK)
        nct_failed(c);
    else
        s->armed_check = 1;
}

static void close_burst(neu_core *c, uint64_t t)
{
    nct_burst *b = &c->tr->b;
    nct_act a = {.t = t, .kind = NCT_END, .u = {b->events, b->packets, b->sops, b->busy_ps}};
    push(c, a, b->flow_ends, b->n_flow_ends);
    b->open = 0;
    b->n_flow_ends = 0;
}

static void on_check(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    neu_core *c = ctx;
    nct_state *s = c->tr;
    c->st.trace_events++;
    s->armed_check = 0;
    uint64_t now = kq_now(k);
    drain(s, now);
    if (s->b.open && s->b.end + s->gap_ps <= now)
        close_burst(c, now);
    arm_check(c);
}

int neu_core_trace_integrate(neu_core *c, uint32_t spikes, const uint64_t *flow_ends,
                             uint32_t n_flow_ends)
{
    nct_state *s = c->tr;
    if (!s)
        return 0;
    uint64_t now = kq_now(c->k), start = c->last_start, end = start + c->last_dur;
    nct_burst *b = &s->b;
    drain(s, now);
    q_advance(s, now);
    if (BASE_GROW(s->dec, s->cap_dec, s->n_dec + 1, UINT32_MAX) != 0)
        return -1;
    s->dec[s->n_dec++] = (nct_dec){start, spikes};
    q_advance(s, now);
    if (b->open && start - b->end < s->gap_ps) {
        if (BASE_GROW(b->flow_ends, b->cap_flow_ends, b->n_flow_ends + n_flow_ends,
                      UINT32_MAX) != 0)
            return -1;
        if (n_flow_ends)
            memcpy(b->flow_ends + b->n_flow_ends, flow_ends, n_flow_ends * sizeof *flow_ends);
        b->n_flow_ends += n_flow_ends;
    } else {
        if (b->open)
            close_burst(c, now);
        b->open = 1;
        b->events = b->packets = b->sops = b->busy_ps = 0;
        push(c, (nct_act){.t = start, .kind = NCT_BEGIN}, flow_ends, n_flow_ends);
    }
    b->end = end;
    b->events += spikes;
    b->packets++;
    b->sops += c->last_sops;
    b->busy_ps += c->last_dur;
    arm_check(c);
    arm_q(c);
    return s->failed ? -1 : 0;
}

int neu_core_trace_eval(neu_core *c, const char *label, uint64_t step, uint64_t spikes,
                        const uint64_t *flows, uint32_t n_flows)
{
    nct_state *s = c->tr;
    if (!s || c->last_dur == 0)
        return 0;
    uint64_t now = kq_now(c->k);
    drain(s, now);
    if (s->b.open)
        close_burst(c, s->b.end > now ? s->b.end : now);
    nct_act a = {.t = c->last_start, .dur = c->last_dur, .kind = NCT_EVAL,
                 .name = trc_intern(s->mt->w, label), .u = {step, spikes}};
    push(c, a, flows, n_flows);
    return s->failed ? -1 : 0;
}

uint32_t neu_core_trace_pending(const neu_core *c)
{
    const nct_state *s = c->tr;
    return s ? (uint32_t)(s->armed_act + s->armed_check + s->armed_q) : 0;
}

/* ---- set-up --------------------------------------------------------- */

int nct_attach(neu_core *c, const model_trace *t, base_error *err)
{
    nct_state *s = base_calloc(1, sizeof *s);
    if (!s)
        return base_fail(err, "out of memory");
    s->mt = t;
    s->gap_ps = c->p.trace_gap_ps ? c->p.trace_gap_ps : 1;
    trc_writer *w = t->w;
    trc_track_spec cs = {.name = c->p.track_name, .parent = t->parent, .level = TRC_SUMMARY,
                         .description = "integration bursts and evaluations per step"};
    trc_track_spec qs = {.name = "queue depth", .level = TRC_SUMMARY,
                         .description = "spikes delivered whose integration has not begun "
                                        "(peak per sampling gap)"};
    trc_counter_spec qc = {.unit = TRC_UNIT_COUNT, .unit_name = "spikes",
                           .share_key = "snn queue depth"};
    int rc = trc_track_new(w, &cs, &s->track);
    qs.parent = s->track;
    if (rc == 0)
        rc = trc_counter_new(w, &qs, &qc, &s->qtrack);
    s->n_burst = trc_intern(w, "integrate");
    s->k_events = trc_intern(w, "events");
    s->k_packets = trc_intern(w, "packets");
    s->k_sops = trc_intern(w, "sops");
    s->k_busy = trc_intern(w, "busy_ns");
    s->k_step = trc_intern(w, "step");
    s->k_spikes = trc_intern(w, "spikes");
    c->tr = s;
    if (rc != 0 || trc_failed(w))
        return base_fail(err, "%s", trc_errmsg(w));
    return 0;
}

void nct_free(nct_state *s)
{
    if (!s)
        return;
    base_free(s->act);
    base_free(s->fl);
    base_free(s->dec);
    base_free(s->b.flow_ends);
    base_free(s);
}
