/* trc_json.c -- Chrome JSON backend ({"traceEvents": [...]}), the format
 * Stream emits, for tools that read nothing else.
 *
 * JSON has no track tree: a top-level track becomes a process (pid = its
 * id), every slice track under it a thread (tid = its id) named by its
 * path below the process, and counters process-scoped "C" events. Flows
 * use flow events bound to the enclosing slice ("s"/"t"/"f" with
 * "bp":"e"). ts is in microseconds with ns decimals. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trc_impl.h"

typedef struct {
    bool first; /* no event written yet: no comma before the next */
    char num[64];
} json_state;

static int put(trc_writer *w, const char *s)
{
    return trc_write(w, s, strlen(s));
}

/* A JSON string literal, escaped by cJSON (base_json_quote), written
 * through trc_write so the byte count stays exact. */
static int put_str(trc_writer *w, const char *s)
{
    char *q = base_json_quote(s);
    if (!q)
        return trc_fail(w, "out of memory");
    int rc = trc_write(w, q, strlen(q));
    base_free(q);
    return rc;
}

static uint32_t root_of(const trc_writer *w, uint32_t id)
{
    while (w->trk[id].parent)
        id = w->trk[id].parent;
    return id;
}

/* "a / b / c": the path of a track below its top-level ancestor. */
static int put_path(trc_writer *w, uint32_t id)
{
    if (!w->trk[id].parent)
        return put_str(w, w->trk[id].name);
    char buf[1024];
    size_t n = sizeof buf - 1;
    buf[n] = 0;
    for (uint32_t t = id; t && w->trk[t].parent; t = w->trk[t].parent) {
        const char *name = w->trk[t].name;
        size_t len = strlen(name);
        size_t sep = t == id ? 0 : 3;
        if (len + sep > n)
            break;
        if (sep) {
            n -= 3;
            memcpy(buf + n, " / ", 3);
        }
        n -= len;
        memcpy(buf + n, name, len);
    }
    return put_str(w, buf + n);
}

static int sep(trc_writer *w)
{
    json_state *s = w->be_state;
    if (s->first) {
        s->first = false;
        return 0;
    }
    return put(w, ",\n");
}

static int js_start(trc_writer *w)
{
    json_state *s = base_calloc(1, sizeof *s);
    if (!s)
        return trc_fail(w, "out of memory");
    s->first = true;
    w->be_state = s;
    return put(w, "{\"traceEvents\":[\n");
}

static void js_release(trc_writer *w)
{
    base_free(w->be_state);
    w->be_state = NULL;
}

static int js_finish(trc_writer *w)
{
    return put(w, "\n]}\n");
}

static int js_track(trc_writer *w, uint32_t id)
{
    trc_trk *t = &w->trk[id];
    char buf[160];
    uint32_t pid = root_of(w, id);
    if (!t->parent) {
        snprintf(buf, sizeof buf, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
                 "\"name\":\"process_name\",\"args\":{\"name\":", pid, id);
        if (sep(w) || put(w, buf) || put_str(w, t->name) || put(w, "}}"))
            return -1;
        snprintf(buf, sizeof buf, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
                 "\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%u}}",
                 pid, id, id);
        return sep(w) || put(w, buf);
    }
    if (t->kind == TRK_COUNTER || t->kind == TRK_LANES)
        return 0; /* counters are named by their events; groups hold lanes */
    snprintf(buf, sizeof buf, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
             "\"name\":\"thread_name\",\"args\":{\"name\":", pid, id);
    if (sep(w) || put(w, buf) || put_path(w, id) || put(w, "}}"))
        return -1;
    snprintf(buf, sizeof buf, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
             "\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
             pid, id, id);
    return sep(w) || put(w, buf);
}

static const char *fmt_double(json_state *s, double v)
{
    if (v - v != 0) /* JSON has no NaN or infinity */
        return "null";
    snprintf(s->num, sizeof s->num, "%.17g", v);
    return s->num;
}

static int put_args(trc_writer *w, const trc_ev *e)
{
    json_state *s = w->be_state;
    char buf[64];
    if (put(w, ",\"args\":{"))
        return -1;
    for (unsigned i = 0; i < e->n_args; i++) {
        const trc_arg *a = &e->args[i];
        if ((i && put(w, ",")) || put_str(w, trc_str_get(w, a->key)) ||
            put(w, ":"))
            return -1;
        int rc = 0;
        switch (a->kind) {
        case TRC_ARG_INT:
            snprintf(buf, sizeof buf, "%" PRId64, a->v.i);
            rc = put(w, buf);
            break;
        case TRC_ARG_UINT:
            snprintf(buf, sizeof buf, "%" PRIu64, a->v.u);
            rc = put(w, buf);
            break;
        case TRC_ARG_DOUBLE:
            rc = put(w, fmt_double(s, a->v.d));
            break;
        case TRC_ARG_BOOL:
            rc = put(w, a->v.b ? "true" : "false");
            break;
        case TRC_ARG_STR:
            rc = put_str(w, a->v.s ? a->v.s : "");
            break;
        }
        if (rc)
            return -1;
    }
    return put(w, "}");
}

static int put_flows(trc_writer *w, const trc_ev *e, const char *ts,
                     uint32_t pid, const uint64_t *ids, unsigned n,
                     const char *ph)
{
    char buf[200];
    for (unsigned i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "{\"ph\":\"%s\",\"bp\":\"e\",\"id\":%" PRIu64
                 ",\"name\":\"flow\",\"cat\":\"flow\",\"pid\":%u,\"tid\":%u,"
                 "\"ts\":%s}", ph, ids[i], pid, e->track, ts);
        if (sep(w) || put(w, buf))
            return -1;
    }
    return 0;
}

static int js_event(trc_writer *w, const trc_ev *e)
{
    json_state *s = w->be_state;
    char ts[48], buf[200];
    snprintf(ts, sizeof ts, "%" PRIu64 ".%03u", e->tick / 1000,
             (unsigned)(e->tick % 1000));
    uint32_t pid = root_of(w, e->track);
    if (e->type == TRC_EV_COUNTER) {
        snprintf(buf, sizeof buf, "{\"ph\":\"C\",\"pid\":%u,\"tid\":%u,"
                 "\"ts\":%s,\"name\":", pid, e->track, ts);
        if (sep(w) || put(w, buf) || put_path(w, e->track))
            return -1;
        if (e->is_double)
            snprintf(buf, sizeof buf, ",\"args\":{\"value\":%s}}",
                     fmt_double(s, e->dv));
        else
            snprintf(buf, sizeof buf, ",\"args\":{\"value\":%" PRId64 "}}",
                     e->iv);
        return put(w, buf);
    }
    static const char *ph[] = {"", "B", "E", "i"};
    snprintf(buf, sizeof buf, "{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%s",
             ph[e->type], pid, e->track, ts);
    if (sep(w) || put(w, buf))
        return -1;
    if (e->type == TRC_EV_INSTANT && put(w, ",\"s\":\"t\""))
        return -1;
    if (e->name && (put(w, ",\"name\":") || put_str(w, trc_str_get(w, e->name))))
        return -1;
    if (e->n_args && put_args(w, e))
        return -1;
    if (put(w, "}"))
        return -1;
    return put_flows(w, e, ts, pid, e->flow_start, e->n_flow_start, "s") ||
           put_flows(w, e, ts, pid, e->flow_step, e->n_flow_step, "t") ||
           put_flows(w, e, ts, pid, e->flow_end, e->n_flow_end, "f");
}

const trc_backend trc_backend_json = {js_start, js_track, js_event, js_finish,
                                      js_release};
