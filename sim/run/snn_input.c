/* snn_input.c -- the event-driven run's input: the trace streams through
 * the reader (one event ahead, constant memory), each event is mapped to
 * an input neuron or skipped by reason, and sent from the input router as
 * a one-spike packet at its time. See chip_snn.h and README.md
 * "Event-driven mode". */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "run/chip_snn_int.h"
#include "run/snn_input.h"

int snn_input_map_init(snn_input_map *mp, const cfg_scenario *s, conn_shape in,
                       base_error *err)
{
    memset(mp, 0, sizeof *mp);
    mp->in = in;
    mp->scale = s->input_scale ? s->input_scale : 1;
    if (s->has_crop) {
        mp->x0 = s->crop_x;
        mp->y0 = s->crop_y;
        mp->w = s->crop_w;
        mp->h = s->crop_h;
    }
    if (s->input_polarity == CFG_POLARITY_SPLIT && in.c < 2)
        return base_fail_at(err, s->file, (uint32_t)s->input_line, (uint32_t)s->input_col,
                            "input.polarity: split needs an input layer of 2 channels (OFF, "
                            "ON), found %u: use merge or give the layer C = 2", in.c);
    mp->split = s->input_polarity == CFG_POLARITY_SPLIT ||
                (s->input_polarity == CFG_POLARITY_AUTO && in.c >= 2);
    return 0;
}

static uint32_t div_up(uint32_t a, uint32_t b) { return a / b + (a % b != 0); }

int snn_input_check_sensor(const snn_input_map *mp, const cfg_scenario *s, const char *layer,
                           uint32_t width, uint32_t height, base_error *err)
{
    uint32_t line = (uint32_t)s->input_line, col = (uint32_t)s->input_col;
    if (!width || !height)
        return 0; /* the header does not say: events past the layer are counted */
    if (mp->w && (mp->x0 + (uint64_t)mp->w > width || mp->y0 + (uint64_t)mp->h > height))
        return base_fail_at(err, s->file, line, col,
                            "input.crop: the window [%u, %u, %u, %u] leaves the sensor of %s "
                            "(%ux%u)", mp->x0, mp->y0, mp->w, mp->h, s->input.path, width,
                            height);
    uint32_t w = mp->w ? mp->w : width, h = mp->w ? mp->h : height;
    uint32_t sw = div_up(w, mp->scale), sh = div_up(h, mp->scale);
    if (sw <= mp->in.w && sh <= mp->in.h)
        return 0;
    uint32_t fit = div_up(w, mp->in.w), fy = div_up(h, mp->in.h);
    fit = fy > fit ? fy : fit;
    return base_fail_at(err, s->file, line, col,
                        "input.scale: the %s of %s is %ux%u, larger than the input layer %s "
                        "(%ux%u) at input.scale %u (%ux%u): set input.scale to %u or more, "
                        "or input.crop, or size the layer for it",
                        mp->w ? "crop window" : "sensor", s->input.path, w, h, layer,
                        mp->in.w, mp->in.h, mp->scale, sw, sh, fit);
}

/* The reader's counts of the pass that ends, kept for the report. */
static void input_close(snn_sim *m)
{
    const ev_info *in = ev_get_info(m->rd);
    m->rd_read += in->events + ev_skipped_total(in);
    for (int i = 0; i < EV_SKIP_COUNT; i++)
        m->rd_skip[i] += in->skipped[i];
    ev_close(m->rd);
    m->rd = NULL;
}

/* Where step 0 starts: from_us, or (origin: first_event) the first used
 * event's time. */
static uint64_t origin(const snn_sim *m)
{
    return m->origin_set ? m->origin_ps : m->s->from_ps;
}

/* Steps of one pass: the window's, else up to the step of the last used
 * event (passes are whole steps apart, so each starts on a boundary). */
static uint64_t window_steps(const snn_sim *m)
{
    const cfg_scenario *s = m->s;
    if (!s->to_ps)
        return m->used ? m->last_step + 1 : 0;
    uint64_t span = s->to_ps - origin(m);
    if (s->time_scale != 1.0)
        span = (uint64_t)llround((double)span * s->time_scale);
    return (span + m->dt_ps - 1) / m->dt_ps;
}

/* The trace ended (or its window or limit did): the number of steps. */
static void input_end(snn_sim *m)
{
    m->have_next = 0;
    m->in_next_step = UINT64_MAX;
    uint64_t drain = m->s->next_step ? m->p->n_layers - 1 : 0;
    if (m->s->to_ps)
        m->n_steps = (m->pass_steps ? m->pass_steps * m->pass : 0) + window_steps(m) + drain;
    else
        m->n_steps = m->used ? m->last_step + 1 + drain : 0;
    input_close(m);
    snn_result *r = m->res;
    r->events_read = m->rd_read;
    r->events_used = m->used;
    r->in_passes = m->pass + 1;
    static const char *const ours[SK_OURS] = {"before_from_us", "after_to_us",
                                              "outside_input_layer", "over_max_events",
                                              "outside_crop"};
    for (int i = 0; i < SK_OURS; i++)
        if (m->skip[i] && r->n_skip < SNN_MAX_SKIP) {
            r->skip_name[r->n_skip] = ours[i];
            r->skip_count[r->n_skip++] = m->skip[i];
        }
    for (int i = 0; i < EV_SKIP_COUNT; i++)
        if (m->rd_skip[i] && r->n_skip < SNN_MAX_SKIP) {
            r->skip_name[r->n_skip] = ev_skip_name((ev_skip_reason)i);
            r->skip_count[r->n_skip++] = m->rd_skip[i];
        }
}

static int input_open(snn_sim *m)
{
    base_error ee;
    const char *f = m->s->input.format[0] ? m->s->input.format : "auto";
    if (ev_open(&m->rd, m->s->input.path, ev_format_from_name(f), &ee) != 0) {
        m->rd = NULL;
        m->failed = 1;
        return base_fail(m->err, "input trace: %s", ee.msg);
    }
    return 0;
}

/* input.loop: the next pass, whole steps after this one. 1: started, 0:
 * no pass left (or nothing to repeat), -1: the trace did not reopen. */
static int next_pass(snn_sim *m)
{
    if (m->pass + 1 >= m->s->input_loop)
        return 0;
    if (m->pass == 0)
        m->pass_steps = window_steps(m);
    if (!m->pass_steps)
        return 0;
    input_close(m);
    if (input_open(m) != 0)
        return -1;
    m->pass++;
    m->shift_ps = m->pass * m->pass_steps * m->dt_ps;
    return 1;
}

/* The simulated time of a recorded one: from the origin (from_us, or the
 * first used event), times time_scale, plus the pass's shift. */
static uint64_t sim_time(const snn_sim *m, uint64_t t_ps)
{
    uint64_t t = t_ps - origin(m);
    if (m->s->time_scale != 1.0)
        t = (uint64_t)llround((double)t * m->s->time_scale);
    return t + m->shift_ps;
}

/* The trace (or this pass of it) ended: another pass, or the end. */
static int pass_end(snn_sim *m)
{
    int r = next_pass(m);
    if (r == 0)
        input_end(m);
    return r;
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
        if (r > 0 && m->s->input_max_events && m->used >= m->s->input_max_events) {
            m->skip[SK_LIMIT]++;
            input_end(m);
            return 0;
        }
        if (r == 0) {
            if ((r = pass_end(m)) != 0)
                return r > 0 ? read_next(m) : -1;
            return 0;
        }
        if (m->next.t_ps < m->s->from_ps) {
            m->skip[SK_BEFORE]++;
            continue;
        }
        if (m->s->to_ps && m->next.t_ps >= m->s->to_ps) {
            m->skip[SK_AFTER]++;
            if ((r = pass_end(m)) != 0)
                return r > 0 ? read_next(m) : -1;
            return 0;
        }
        snn_in_reason why;
        int64_t id = snn_input_neuron(&m->imap, &m->next, &why);
        if (id < 0) {
            m->skip[why == SNN_IN_OUTSIDE_CROP ? SK_CROP : SK_OUTSIDE]++;
            continue;
        }
        m->next_id = (uint32_t)id;
        if (m->s->origin_first_event && !m->origin_set) {
            m->origin_set = 1;
            m->origin_ps = m->next.t_ps;
        }
        uint64_t t = sim_time(m, m->next.t_ps);
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

/* The open input packet leaves now. */
static void input_flush(snn_sim *m, uint64_t t_ps)
{
    if (m->in_pk == UINT32_MAX)
        return;
    snn_send_at(m, m->in_pk, m->in_mask, m->in_term, t_ps);
    m->in_pk = UINT32_MAX;
}

/* Event id (its value) of layer l's step into the open input packet (a new one when
 * there is none). 0, or -1 (out of memory). */
static int input_add(snn_sim *m, uint32_t l, uint64_t step, uint32_t id, uint64_t mask,
                     double value)
{
    if (m->in_pk == UINT32_MAX) {
        if (snn_pkt_new(m, l, step, &m->in_pk) != 0) {
            m->in_pk = UINT32_MAX;
            return -1;
        }
        m->in_mask = mask;
    }
    snn_pkt *p = &m->pk[m->in_pk];
    p->ids[p->n] = id;
    p->vals[p->n++] = value; /* 1, or the trace's graded value */
    return 0;
}

/* Every event due now, from the input router: events of one step with one
 * destination-core set are grouped, up to input.events_per_packet, into a
 * packet that leaves with its last event (the one after it is read first:
 * a packet closes when it is full, or that event is of another step or
 * set, or the trace has ended). */
static void on_input(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    snn_sim *m = ctx;
    m->last_ps = kq_now(k);
    uint32_t l = m->p->input_layer;
    const uint64_t *mask = m->mask[l];
    while (m->have_next && m->next_t <= kq_now(k) && !m->failed) {
        uint32_t id = m->next_id;
        uint64_t step = m->next_t / m->dt_ps;
        if (m->used++ == 0) {
            m->res->first_input_ps = m->next_t;
            m->res->in_t_first_ps = m->next.t_ps;
            m->res->in_t_origin_us = ev_get_info(m->rd)->t_origin_us;
        }
        m->res->in_t_last_ps = m->next.t_ps;
        m->last_step = step;
        if (mask[id] && input_add(m, l, step, id, mask[id], m->next.value) != 0) {
            snn_fail(m, "out of memory");
            return;
        }
        ev_event e = m->next;
        if (read_next(m) != 0)
            return;
        int close = m->in_pk != UINT32_MAX &&
                    (m->pk[m->in_pk].n >= m->in_epp || !m->have_next ||
                     m->in_next_step != step || mask[m->next_id] != m->in_mask);
        snn_trace_input(m, id, &e, close || !mask[id]);
        if (close)
            input_flush(m, kq_now(k));
    }
    schedule_input(m);
    snn_try_eval(m, l);
}

int snn_start(snn_sim *m)
{
    m->res->in_t_first_ps = m->res->in_t_last_ps = UINT64_MAX;
    m->in_pk = UINT32_MAX;
    m->in_epp = m->s->input_events_per_packet < m->spp ? m->s->input_events_per_packet : m->spp;
    m->in_epp = m->in_epp ? m->in_epp : 1;
    const snn_layer *in = &m->p->layers[m->p->input_layer];
    if (snn_input_map_init(&m->imap, m->s, m->p->in, m->err) != 0 || input_open(m) != 0)
        return -1;
    const ev_info *info = ev_get_info(m->rd);
    if (snn_input_check_sensor(&m->imap, m->s, in->cfg->name, info->width, info->height,
                               m->err) != 0)
        return -1;
    if (read_next(m) != 0)
        return -1;
    schedule_input(m);
    if (snn_schedule_tick(m) != 0)
        return -1;
    return m->failed ? -1 : 0;
}
