/* snn_input.c -- the event-driven run's input: the trace streams through
 * the reader (one event ahead, constant memory), each event is mapped to
 * an input neuron or skipped by reason, and sent from the input router as
 * a one-spike packet at its time. See chip_snn.h and README.md
 * "Event-driven mode". */
#include <string.h>

#include "base/base.h"
#include "run/chip_snn_int.h"

/* The input neuron an event drives, or -1 (outside the input layer). */
static int64_t input_index(const snn_sim *m, const ev_event *e)
{
    conn_shape in = m->p->in;
    if (e->is_channel)
        return e->channel < (uint64_t)in.c * in.h * in.w ? (int64_t)e->channel : -1;
    if (e->x >= in.w || e->y >= in.h)
        return -1;
    uint32_t c = in.c >= 2 ? e->polarity : 0; /* one channel: polarities merged */
    return ((int64_t)c * in.h + e->y) * in.w + e->x;
}

/* Where step 0 starts: from_us, or (origin: first_event) the first used
 * event's time. */
static uint64_t origin(const snn_sim *m)
{
    return m->origin_set ? m->origin_ps : m->s->from_ps;
}

/* The trace ended (or its window or limit did): the number of steps. */
static void input_end(snn_sim *m)
{
    m->have_next = 0;
    m->in_next_step = UINT64_MAX;
    uint64_t drain = m->s->next_step ? m->p->n_layers - 1 : 0;
    if (m->s->to_ps)
        m->n_steps = (m->s->to_ps - origin(m) + m->dt_ps - 1) / m->dt_ps + drain;
    else
        m->n_steps = m->used ? m->last_step + 1 + drain : 0;
    snn_result *r = m->res;
    const ev_info *in = ev_get_info(m->rd);
    r->events_read = in->events + ev_skipped_total(in);
    r->events_used = m->used;
    static const char *const ours[SK_OURS] = {"before_from_us", "after_to_us",
                                              "outside_input_layer", "over_max_events"};
    for (int i = 0; i < SK_OURS; i++)
        if (m->skip[i] && r->n_skip < SNN_MAX_SKIP) {
            r->skip_name[r->n_skip] = ours[i];
            r->skip_count[r->n_skip++] = m->skip[i];
        }
    for (int i = 0; i < EV_SKIP_COUNT; i++)
        if (in->skipped[i] && r->n_skip < SNN_MAX_SKIP) {
            r->skip_name[r->n_skip] = ev_skip_name((ev_skip_reason)i);
            r->skip_count[r->n_skip++] = in->skipped[i];
        }
    ev_close(m->rd);
    m->rd = NULL;
}

/* Reads to the next event to send (counting what is skipped). */
static int read_next(snn_sim *m)
{
    base_error ee;
    for (;;) {
        int r = ev_next(m->rd, &m->next, &ee);
        if (r < 0) {
            m->failed = 1;
            return base_fail(m->err, "input trace: %s", ee.msg);
        }
        if (r == 0 || (m->s->input_max_events && m->used >= m->s->input_max_events)) {
            m->skip[SK_LIMIT] += r > 0;
            input_end(m);
            return 0;
        }
        if (m->next.t_ps < m->s->from_ps) {
            m->skip[SK_BEFORE]++;
            continue;
        }
        if (m->s->to_ps && m->next.t_ps >= m->s->to_ps) {
            m->skip[SK_AFTER]++;
            input_end(m);
            return 0;
        }
        if (input_index(m, &m->next) < 0) {
            m->skip[SK_OUTSIDE]++;
            continue;
        }
        if (m->s->origin_first_event && !m->origin_set) {
            m->origin_set = 1;
            m->origin_ps = m->next.t_ps;
        }
        uint64_t t = m->next.t_ps - origin(m);
        m->next_t = t > m->next_t ? t : m->next_t; /* a step back waits for now */
        m->in_next_step = m->next_t / m->dt_ps;
        m->have_next = 1;
        return 0;
    }
}

static void on_input(kq_kernel *k, void *ctx, const void *payload);

static void schedule_input(snn_sim *m)
{
    if (m->have_next && kq_schedule_at(m->k, m->next_t, 1, on_input, m, NULL, 0, NULL) != KQ_OK)
        snn_fail(m, "out of memory in the event queue");
}

/* Every event due now: one packet each, from the input router. */
static void on_input(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    snn_sim *m = ctx;
    m->last_ps = kq_now(k);
    uint32_t l = m->p->input_layer;
    while (m->have_next && m->next_t <= kq_now(k) && !m->failed) {
        uint32_t id = (uint32_t)input_index(m, &m->next), pi;
        uint64_t step = m->next_t / m->dt_ps;
        if (m->used++ == 0)
            m->res->first_input_ps = m->next_t;
        m->last_step = step;
        snn_trace_input(m, id);
        if (m->mask[l][id]) {
            if (snn_pkt_new(m, l, step, &pi) != 0) {
                snn_fail(m, "out of memory");
                return;
            }
            m->pk[pi].ids[0] = id;
            m->pk[pi].vals[0] = m->next.value; /* 1, or the trace's graded value */
            m->pk[pi].n = 1;
            snn_send_at(m, pi, m->mask[l][id], m->in_term, kq_now(k));
        }
        if (read_next(m) != 0)
            return;
    }
    schedule_input(m);
    snn_try_eval(m, l);
}

int snn_start(snn_sim *m)
{
    base_error ee;
    const char *f = m->s->input.format[0] ? m->s->input.format : "auto";
    if (ev_open(&m->rd, m->s->input.path, ev_format_from_name(f), &ee) != 0) {
        m->rd = NULL;
        return base_fail(m->err, "input trace: %s", ee.msg);
    }
    if (read_next(m) != 0)
        return -1;
    schedule_input(m);
    if (snn_schedule_tick(m) != 0)
        return -1;
    return m->failed ? -1 : 0;
}
