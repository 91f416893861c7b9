/* trc_writer.c -- the writer's clock: time conversion, the window, queued
 * ENDs of complete slices, counter coalescing, flow bookkeeping, opening
 * and closing the file. The event calls (trc_event.c) go through here;
 * backends (trc_pb.c, trc_json.c) only encode what this file decides to
 * write, always in non-decreasing time. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trc_impl.h"

/* uthash allocates through the funnel and reports running out of memory
 * instead of exiting: an element it could not add has hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) base_malloc(sz)
#define uthash_free(ptr, sz) base_free(ptr)
#include <uthash.h>

struct trc_flow {
    UT_hash_handle hh;
    uint64_t id;
    uint32_t events; /* recorded events carrying it so far */
};

void trc_options_default(trc_options *o)
{
    o->format = TRC_PERFETTO;
    o->level = TRC_FULL;
    o->from_ps = 0;
    o->to_ps = UINT64_MAX;
    o->cycle_ps = 0;
    o->sequence_id = 1;
}

trc_level trc_get_level(const trc_writer *w) { return w->opt.level; }

int trc_level_parse(const char *s, trc_level *out)
{
    if (!strcmp(s, "summary"))
        *out = TRC_SUMMARY;
    else if (!strcmp(s, "default"))
        *out = TRC_DEFAULT;
    else if (!strcmp(s, "full"))
        *out = TRC_FULL;
    else
        return -1;
    return 0;
}

int trc_fail(trc_writer *w, const char *fmt, ...)
{
    if (w->failed)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    w->failed = true;
    return -1;
}

void trc_report_error(trc_writer *w, const char *msg)
{
    trc_fail(w, "%s", msg);
}

bool trc_failed(const trc_writer *w) { return w->failed; }
const char *trc_errmsg(const trc_writer *w) { return w->err; }

int trc_write(trc_writer *w, const void *p, size_t n)
{
    if (fwrite(p, 1, n, w->out.f) != n)
        return trc_fail(w, "writing %s: %s", w->out.tmp, strerror(errno));
    w->st.bytes += n;
    return 0;
}

bool trc_track_ok(const trc_writer *w, trc_track t, int kind)
{
    if (t == 0 || t > w->n_trk)
        return false;
    if (kind < 0)
        return true;
    int k = w->trk[t].kind;
    if (kind == TRK_SLICE)
        return k == TRK_SLICE || k == TRK_LANE;
    return k == kind;
}

bool trc_track_written(const trc_writer *w, trc_track t)
{
    return trc_track_ok(w, t, -1) && w->trk[t].written;
}

void trc_get_stats(const trc_writer *w, trc_stats *out) { *out = w->st; }

uint64_t trc_flow_new(trc_writer *w) { return ++w->next_flow; }

uint64_t trc_to_tick(const trc_writer *w, uint64_t ps)
{
    if (ps == UINT64_MAX)
        return UINT64_MAX;
    return w->opt.cycle_ps ? ps / w->opt.cycle_ps : ps / 1000;
}

/* ---- emitting one event ---- */

static int grow_fbuf(trc_writer *w, uint32_t n)
{
    if (n <= w->cap_fbuf)
        return 0;
    uint64_t *b = base_realloc(w->fbuf, n * sizeof *b);
    if (!b)
        return trc_fail(w, "out of memory");
    w->fbuf = b;
    w->cap_fbuf = n;
    return 0;
}

/* Sorts the event's flow ids into starts (fbuf from the front), steps
 * (from the back of the flows part) and ends (after it) from what the file
 * already holds, so an arrow is written only when its start is in it. */
static int sort_flows(trc_writer *w, const trc_extra *x, trc_ev *e)
{
    if (grow_fbuf(w, x->n_flows + x->n_flow_ends))
        return -1;
    uint64_t *fb = w->fbuf;
    unsigned ns = 0, nt = 0, ne = 0;
    for (unsigned i = 0; i < x->n_flows; i++) {
        uint64_t id = x->flows[i];
        if (id == 0)
            return trc_fail(w, "flow id 0");
        trc_flow *f;
        HASH_FIND(hh, w->flows, &id, sizeof id, f);
        if (f) {
            f->events++;
            fb[x->n_flows - 1 - nt++] = id;
            continue;
        }
        f = base_malloc(sizeof *f);
        if (!f)
            return trc_fail(w, "out of memory");
        f->id = id;
        f->events = 1;
        HASH_ADD(hh, w->flows, id, sizeof f->id, f);
        if (!f->hh.tbl) {
            base_free(f);
            return trc_fail(w, "out of memory");
        }
        fb[ns++] = id;
    }
    for (unsigned i = 0; i < x->n_flow_ends; i++) {
        uint64_t id = x->flow_ends[i];
        trc_flow *f;
        HASH_FIND(hh, w->flows, &id, sizeof id, f);
        if (!f)
            continue; /* its start is not in the file */
        HASH_DEL(w->flows, f);
        base_free(f);
        fb[x->n_flows + ne++] = id;
    }
    e->flow_start = fb;
    e->n_flow_start = ns;
    e->flow_step = fb + x->n_flows - nt;
    e->n_flow_step = nt;
    e->flow_end = fb + x->n_flows;
    e->n_flow_end = ne;
    return 0;
}


/* Writes one event if it is recorded, its flow ids sorted by sort_flows.
 * `more` is one argument the writer adds itself (a window cut), or NULL. */
int trc_emit(trc_writer *w, int type, uint32_t track, trc_name name,
                const trc_extra *x, const trc_arg *more)
{
    trc_ev e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.track = track;
    e.tick = w->now;
    e.name = name;
    trc_arg args[TRC_ARGS_MAX + 1];
    unsigned na = 0;
    if (x && x->n_args) {
        if (x->n_args > TRC_ARGS_MAX)
            return trc_fail(w, "more than %d arguments on one event",
                            TRC_ARGS_MAX);
        memcpy(args, x->args, x->n_args * sizeof *args);
        na = x->n_args;
    }
    if (more)
        args[na++] = *more;
    e.args = args;
    e.n_args = na;
    if (x && (x->n_flows || x->n_flow_ends) && sort_flows(w, x, &e))
        return -1;
    if (w->be->event(w, &e))
        return -1;
    w->st.events++;
    if (type == TRC_EV_BEGIN)
        w->st.slices++;
    return 0;
}

static int emit_counter(trc_writer *w, uint32_t id)
{
    trc_trk *t = &w->trk[id];
    trc_ev e;
    memset(&e, 0, sizeof e);
    e.type = TRC_EV_COUNTER;
    e.track = id;
    e.tick = w->now;
    e.is_double = t->value_double;
    e.iv = t->iv;
    e.dv = t->dv;
    t->has_last = true;
    t->last_iv = t->iv;
    t->last_dv = t->dv;
    t->last_tick = w->now;
    if (w->be->event(w, &e))
        return -1;
    w->st.events++;
    return 0;
}

/* Dirty counters hold the last value set at `now`; write those that
 * changed. In the window only: before it, the value just waits. */
static int flush_counters(trc_writer *w)
{
    for (uint32_t i = 0; i < w->n_dirty; i++) {
        uint32_t id = w->dirty[i];
        trc_trk *t = &w->trk[id];
        t->dirty = false;
        if (w->win != WIN_IN || !t->written)
            continue;
        bool same = t->has_last &&
                    (t->value_double ? t->last_dv == t->dv
                                     : t->last_iv == t->iv);
        if (!same && emit_counter(w, id))
            return -1;
    }
    w->n_dirty = 0;
    return 0;
}

int trc_mark_dirty(trc_writer *w, uint32_t id)
{
    if (w->trk[id].dirty)
        return 0;
    if (BASE_GROW(w->dirty, w->cap_dirty, w->n_dirty + 1, TRC_MAX_TRACKS))
        return trc_fail(w, "out of memory");
    w->dirty[w->n_dirty++] = id;
    w->trk[id].dirty = true;
    return 0;
}

/* ---- the window ---- */

/* Slices still open when the window opens are begun again at its start,
 * marked, so the file shows what was running. */
static int open_window(trc_writer *w)
{
    w->win = WIN_IN;
    trc_arg before = trc_arg_int(w->key_before, 1);
    for (uint32_t id = 1; id <= w->n_trk; id++) {
        trc_trk *t = &w->trk[id];
        if (t->kind == TRK_COUNTER && t->has_value && trc_mark_dirty(w, id))
            return -1;
        if (!t->written)
            continue;
        for (uint32_t i = 0; i < t->depth; i++) {
            t->stack[i].recorded = true;
            if (trc_emit(w, TRC_EV_BEGIN, id, t->stack[i].name, NULL, &before))
                return -1;
        }
    }
    return 0;
}

/* Ends what is open at `tick` (marked as cut), repeats every counter's
 * value there, and ends flows whose only event so far is their start on
 * a "trace end" marker, since a flow with one event draws nothing. */
/* Arrows started in the file whose target never came end on one instant
 * on the "(trace end)" track; the others are dropped. */
static int end_open_flows(trc_writer *w)
{
    uint32_t n = HASH_COUNT(w->flows), k = 0;
    if (grow_fbuf(w, n))
        return -1;
    uint64_t *ids = base_malloc(n * sizeof *ids);
    if (!ids)
        return trc_fail(w, "out of memory");
    trc_flow *f, *ft;
    HASH_ITER(hh, w->flows, f, ft) {
        if (f->events == 1)
            ids[k++] = f->id;
        HASH_DEL(w->flows, f);
        base_free(f);
    }
    int rc = 0;
    if (k) {
        trc_track_spec spec = {"(trace end)", "Arrows whose target "
                               "lies after the end of the trace end "
                               "here.", 0, TRC_SUMMARY};
        /* re-insert so trc_emit() sees them as started */
        for (uint32_t i = 0; i < k && !rc; i++) {
            f = base_malloc(sizeof *f);
            if (!f) {
                rc = trc_fail(w, "out of memory");
                break;
            }
            f->id = ids[i];
            f->events = 1;
            HASH_ADD(hh, w->flows, id, sizeof f->id, f);
            if (!f->hh.tbl) {
                base_free(f);
                rc = trc_fail(w, "out of memory");
            }
        }
        if (!rc && !w->end_track)
            rc = trc_track_add(w, &spec, TRK_SLICE, NULL, &w->end_track);
        trc_extra x = {0};
        x.flow_ends = ids;
        x.n_flow_ends = k;
        if (!rc)
            rc = trc_emit(w, TRC_EV_INSTANT, w->end_track, trc_intern(w, "trace end"), &x,
                          NULL);
    }
    base_free(ids);
    return rc ? -1 : 0;
}

static int close_window(trc_writer *w)
{
    if (flush_counters(w))
        return -1;
    trc_arg cut = trc_arg_int(w->key_after, 1);
    for (uint32_t id = 1; id <= w->n_trk; id++) {
        trc_trk *t = &w->trk[id];
        if (!t->written)
            continue;
        if (t->kind == TRK_COUNTER && t->has_last && t->last_tick < w->now &&
            emit_counter(w, id))
            return -1;
        for (uint32_t i = t->depth; i-- > 0;) {
            if (!t->stack[i].recorded)
                continue;
            t->stack[i].recorded = false;
            if (trc_emit(w, TRC_EV_END, id, 0, NULL, &cut))
                return -1;
        }
    }
    if (HASH_COUNT(w->flows) && end_open_flows(w))
        return -1;
    w->win = WIN_DONE;
    return 0;
}

/* Moves `now` to tick (> now): writes the counters of the old time, and
 * opens or closes the window when tick crosses its edges. */
static int step_to(trc_writer *w, uint64_t tick)
{
    if (tick <= w->now)
        return 0;
    if (flush_counters(w))
        return -1;
    if (w->win == WIN_BEFORE && tick >= w->from_tick) {
        w->now = w->from_tick;
        if (open_window(w))
            return -1;
        if (tick > w->now && flush_counters(w))
            return -1;
    }
    if (w->win == WIN_IN && tick > w->to_tick) {
        w->now = w->to_tick > w->now ? w->to_tick : w->now;
        if (close_window(w))
            return -1;
    }
    w->now = tick;
    return 0;
}

/* ---- queued ENDs of complete slices: a min-heap on (tick, seq) ---- */

static bool pend_less(const trc_pend *a, const trc_pend *b)
{
    return a->tick != b->tick ? a->tick < b->tick : a->seq < b->seq;
}

int trc_queue_end(trc_writer *w, trc_pend p)
{
    if (BASE_GROW(w->heap, w->cap_heap, w->n_heap + 1, TRC_MAX_PENDING))
        return trc_fail(w, "out of memory (or more than %u slices ending later)",
                        TRC_MAX_PENDING);
    uint32_t i = w->n_heap++;
    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (!pend_less(&p, &w->heap[up]))
            break;
        w->heap[i] = w->heap[up];
        i = up;
    }
    w->heap[i] = p;
    return 0;
}

static trc_pend heap_pop(trc_writer *w)
{
    trc_pend top = w->heap[0];
    trc_pend last = w->heap[--w->n_heap];
    uint32_t i = 0, n = w->n_heap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pend_less(&w->heap[c + 1], &w->heap[c]))
            c++;
        if (!pend_less(&w->heap[c], &last))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n)
        w->heap[i] = last;
    return top;
}

int trc_pop_slice(trc_writer *w, uint32_t id, const trc_extra *x)
{
    trc_trk *t = &w->trk[id];
    trc_open_slice s = t->stack[--t->depth];
    if (t->kind == TRK_LANE && t->depth == 0 && trc_lane_freed(w, id))
        return -1;
    return s.recorded ? trc_emit(w, TRC_EV_END, id, 0, x, NULL) : 0;
}

/* Brings time to `tick`, writing every queued END due by then in order. */
int trc_advance(trc_writer *w, uint64_t tick)
{
    if (w->failed)
        return -1;
    if (tick < w->now)
        return trc_fail(w, "time went backwards: %llu after %llu (trace "
                        "ticks)", (unsigned long long)tick,
                        (unsigned long long)w->now);
    while (w->n_heap && w->heap[0].tick <= tick) {
        trc_pend p = heap_pop(w);
        if (step_to(w, p.tick))
            return -1;
        trc_trk *t = &w->trk[p.track];
        if (!t->depth || t->stack[t->depth - 1].pending != p.slice_id)
            return trc_fail(w, "slices on track '%s' do not nest: a "
                            "complete slice ends while a later one is open",
                            t->name);
        if (trc_pop_slice(w, p.track, NULL))
            return -1;
    }
    return step_to(w, tick);
}

/* ---- open / close ---- */

static void writer_free(trc_writer *w)
{
    if (w->be && w->be->release)
        w->be->release(w);
    trc_tables_free(w);
    trc_flow *f, *ft;
    HASH_ITER(hh, w->flows, f, ft) {
        HASH_DEL(w->flows, f);
        base_free(f);
    }
    base_free(w->heap);
    base_free(w->dirty);
    base_free(w->fbuf);
    base_out_abort(&w->out); /* nothing left once committed */
    base_free(w);
}

trc_writer *trc_open(const char *path, const trc_options *opt, base_error *err)
{
    trc_writer *w = base_calloc(1, sizeof *w);
    if (!w) {
        base_fail(err, "out of memory");
        return NULL;
    }
    w->opt = *opt;
    if (!w->opt.sequence_id)
        w->opt.sequence_id = 1;
    w->be = opt->format == TRC_JSON ? &trc_backend_json : &trc_backend_pb;
    const char *why = NULL;
    if (opt->to_ps < opt->from_ps)
        why = "the trace window ends before it starts";
    else if (opt->level > TRC_FULL)
        why = "unknown detail level";
    if (why) {
        base_fail(err, "%s: %s", path, why);
        writer_free(w);
        return NULL;
    }
    w->from_tick = trc_to_tick(w, opt->from_ps);
    w->to_tick = trc_to_tick(w, opt->to_ps);
    w->win = w->from_tick == 0 ? WIN_IN : WIN_BEFORE;
    if (base_out_open(&w->out, path, "wb", err)) {
        writer_free(w);
        return NULL;
    }
    w->key_before = trc_intern(w, "begun_before_window");
    w->key_after = trc_intern(w, "cut_at_trace_end");
    if (w->failed || w->be->start(w)) {
        base_fail(err, "%s", w->err);
        trc_abort(w);
        return NULL;
    }
    return w;
}

void trc_abort(trc_writer *w)
{
    if (w)
        writer_free(w); /* removes PATH.tmp */
}

int trc_close(trc_writer *w, uint64_t end_ps, base_error *err)
{
    return trc_close_stats(w, end_ps, NULL, err);
}

int trc_close_stats(trc_writer *w, uint64_t end_ps, trc_stats *st,
                    base_error *err)
{
    uint64_t end = trc_to_tick(w, end_ps);
    if (end > w->to_tick)
        end = w->to_tick + 1; /* closes the window at its end */
    if (end < w->now)
        end = w->now;
    if (!w->failed && !trc_advance(w, end) && w->win == WIN_IN)
        close_window(w);
    if (!w->failed)
        w->be->finish(w);
    char path[BASE_PATH_MAX];
    snprintf(path, sizeof path, "%s", w->out.path);
    int rc = 0;
    if (w->failed) {
        base_fail(err, "trace %.200s: %.255s", path, w->err);
        rc = -1; /* writer_free removes PATH.tmp */
    } else if (base_out_commit(&w->out, err)) {
        base_fail_prefix(err, "trace %.200s: ", path);
        rc = -1;
    } else if (st) {
        *st = w->st;
    }
    writer_free(w);
    return rc;
}
