/* trc_event.c -- the event calls models make: slices (begin/end, end in
 * the future, complete, on lanes), instants and counters. Each checks the
 * call, brings the writer's time forward (trc_advance) and records or
 * drops the event according to the window and the track's level. */
#include <stdlib.h>

#include "trace/trc_impl.h"

static int push_slice(trc_writer *w, uint32_t id, trc_name name,
                      uint32_t pending, uint64_t end_tick)
{
    trc_trk *t = &w->trk[id];
    if (BASE_GROW(t->stack, t->cap, t->depth + 1, TRC_MAX_DEPTH))
        return trc_fail(w, "out of memory (or slices nested deeper than %u)", TRC_MAX_DEPTH);
    bool rec = w->win == WIN_IN && t->written;
    t->stack[t->depth++] = (trc_open_slice){name, pending, rec, end_tick};
    return 0;
}

static int check_slice_call(trc_writer *w, trc_track t, trc_name name,
                            bool named)
{
    if (w->failed)
        return -1;
    if (!trc_track_ok(w, t, TRK_SLICE))
        return trc_fail(w, "track %u is not a slice track", t);
    if (named && (name == 0 || name > w->n_str))
        return trc_fail(w, "event on track '%s' without a valid name",
                        w->trk[t].name);
    return 0;
}

int trc_begin(trc_writer *w, trc_track t, uint64_t t_ps, trc_name name,
              const trc_extra *x)
{
    if (check_slice_call(w, t, name, true) || trc_advance(w, trc_to_tick(w, t_ps)))
        return -1;
    if (push_slice(w, t, name, 0, 0))
        return -1;
    return w->trk[t].stack[w->trk[t].depth - 1].recorded
               ? trc_emit(w, TRC_EV_BEGIN, t, name, x, NULL)
               : 0;
}

int trc_end(trc_writer *w, trc_track t, uint64_t t_ps, const trc_extra *x)
{
    if (check_slice_call(w, t, 0, false) || trc_advance(w, trc_to_tick(w, t_ps)))
        return -1;
    trc_trk *k = &w->trk[t];
    if (!k->depth)
        return trc_fail(w, "end on track '%s' with no open slice", k->name);
    if (k->stack[k->depth - 1].pending)
        return trc_fail(w, "end on track '%s' would end a complete slice "
                        "(slices do not nest)", k->name);
    return trc_pop_slice(w, t, x);
}

static uint32_t new_slice_id(trc_writer *w)
{
    if (++w->next_slice_id == 0) /* 0 means "not queued" */
        ++w->next_slice_id;
    return w->next_slice_id;
}

int trc_end_at(trc_writer *w, trc_track t, uint64_t t_ps)
{
    if (check_slice_call(w, t, 0, false))
        return -1;
    uint64_t tick = trc_to_tick(w, t_ps);
    if (tick < w->now)
        return trc_fail(w, "time went backwards: end at %llu after %llu "
                        "(trace ticks)", (unsigned long long)tick,
                        (unsigned long long)w->now);
    trc_trk *k = &w->trk[t];
    if (!k->depth || k->stack[k->depth - 1].pending)
        return trc_fail(w, "end on track '%s' with no open slice", k->name);
    if (tick == w->now)
        return trc_pop_slice(w, t, NULL);
    uint32_t sid = new_slice_id(w);
    k->stack[k->depth - 1].pending = sid;
    k->stack[k->depth - 1].end_tick = tick;
    return trc_queue_end(w, (trc_pend){tick, w->pend_seq++, t, sid});
}

int trc_complete(trc_writer *w, trc_track t, uint64_t t_ps, uint64_t dur_ps,
                 trc_name name, const trc_extra *x)
{
    if (check_slice_call(w, t, name, true))
        return -1;
    if (t_ps > UINT64_MAX - 1 - dur_ps)
        return trc_fail(w, "slice end time overflows");
    uint64_t tick = trc_to_tick(w, t_ps), end = trc_to_tick(w, t_ps + dur_ps);
    if (trc_advance(w, tick))
        return -1;
    trc_trk *k = &w->trk[t];
    if (k->depth && k->stack[k->depth - 1].pending &&
        k->stack[k->depth - 1].end_tick < end)
        return trc_fail(w, "slices on track '%s' do not nest: a complete "
                        "slice outlasts the one it starts in", k->name);
    uint32_t sid = new_slice_id(w);
    if (push_slice(w, t, name, sid, end))
        return -1;
    if (k->stack[k->depth - 1].recorded &&
        trc_emit(w, TRC_EV_BEGIN, t, name, x, NULL))
        return -1;
    if (end == tick)
        return trc_pop_slice(w, t, NULL);
    return trc_queue_end(w, (trc_pend){end, w->pend_seq++, t, sid});
}

int trc_instant(trc_writer *w, trc_track t, uint64_t t_ps, trc_name name,
                const trc_extra *x)
{
    if (check_slice_call(w, t, name, true) || trc_advance(w, trc_to_tick(w, t_ps)))
        return -1;
    if (w->win != WIN_IN || !w->trk[t].written)
        return 0;
    return trc_emit(w, TRC_EV_INSTANT, t, name, x, NULL);
}

static int set_counter(trc_writer *w, trc_track t, uint64_t t_ps, bool dbl,
                       int64_t iv, double dv)
{
    if (w->failed)
        return -1;
    if (!trc_track_ok(w, t, TRK_COUNTER))
        return trc_fail(w, "track %u is not a counter track", t);
    if (dbl && !(dv - dv == 0))
        return trc_fail(w, "counter '%s': value is not finite",
                        w->trk[t].name);
    if (trc_advance(w, trc_to_tick(w, t_ps)))
        return -1;
    trc_trk *k = &w->trk[t];
    k->has_value = true;
    k->value_double = dbl;
    k->iv = iv;
    k->dv = dv;
    return trc_mark_dirty(w, t);
}

int trc_counter_int(trc_writer *w, trc_track t, uint64_t t_ps, int64_t v)
{
    return set_counter(w, t, t_ps, false, v, 0);
}

int trc_counter_double(trc_writer *w, trc_track t, uint64_t t_ps, double v)
{
    return set_counter(w, t, t_ps, true, 0, v);
}

int trc_lane_begin(trc_writer *w, trc_track group, uint64_t t_ps,
                   trc_name name, const trc_extra *x, trc_track *lane_out)
{
    *lane_out = 0;
    if (trc_advance(w, trc_to_tick(w, t_ps)) ||
        trc_lane_pick(w, group, lane_out))
        return -1;
    return trc_begin(w, *lane_out, t_ps, name, x);
}

int trc_lane_complete(trc_writer *w, trc_track group, uint64_t t_ps,
                      uint64_t dur_ps, trc_name name, const trc_extra *x)
{
    trc_track lane;
    if (trc_advance(w, trc_to_tick(w, t_ps)) || trc_lane_pick(w, group, &lane))
        return -1;
    return trc_complete(w, lane, t_ps, dur_ps, name, x);
}

