/* trc_pb.c -- Perfetto protobuf backend: each packet is built as a
 * protobuf-c message on the stack, packed, and written as one `packet`
 * field of the Trace message (tag, varint length, bytes), so the file is a
 * valid Trace without the whole trace ever being in memory.
 *
 * One trusted sequence carries everything. Its first packet clears the
 * incremental state; a name is interned in the packet that first uses it,
 * and every packet that defines or uses an interned id says it needs the
 * sequence's incremental state. */
#include <stdlib.h>
#include <string.h>

#include "trace/trc_impl.h"
#include "trc_perfetto.pb-c.h"

#define SEQ_CLEARED 1u
#define SEQ_NEEDS 2u

/* Packets are packed straight into an output buffer written out in big
 * blocks: no copy through stdio and no write call per packet. */
#define OUT_BLOCK (256 * 1024)

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool started; /* first packet written */
} pb_state;

static int flush_out(trc_writer *w)
{
    pb_state *s = w->be_state;
    int rc = s->len ? trc_write(w, s->buf, s->len) : 0;
    s->len = 0;
    return rc;
}

static int pb_start(trc_writer *w)
{
    pb_state *s = base_calloc(1, sizeof *s);
    if (!s)
        return trc_fail(w, "out of memory");
    w->be_state = s;
    s->buf = base_malloc(OUT_BLOCK);
    if (!s->buf)
        return trc_fail(w, "out of memory");
    s->cap = OUT_BLOCK;
    return 0;
}

static void pb_release(trc_writer *w)
{
    pb_state *s = w->be_state;
    if (s)
        base_free(s->buf);
    base_free(s);
    w->be_state = NULL;
}

static int pb_finish(trc_writer *w)
{
    return flush_out(w);
}

#define HEAD 11 /* the most a tag and a length varint can take */

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Frames and writes one packet. `bound` is an upper bound of its packed
 * size, or 0 to have it computed. The packet is packed in place after
 * room for its tag and length, sized from the bound (so protobuf-c makes
 * no separate sizing pass); if the real length needs a shorter varint, the
 * bytes move down by one or two. */
static int put_packet(trc_writer *w, Trcpb__TracePacket *p, size_t bound)
{
    pb_state *s = w->be_state;
    p->has_trusted_packet_sequence_id = 1;
    p->trusted_packet_sequence_id = w->opt.sequence_id;
    if (!s->started) {
        p->has_sequence_flags = 1;
        p->sequence_flags = SEQ_CLEARED | SEQ_NEEDS;
        s->started = true;
    }
    if (!bound)
        bound = protobuf_c_message_get_packed_size(&p->base);
    if (s->len + bound + HEAD > s->cap) {
        if (flush_out(w))
            return -1;
        if (bound + HEAD > s->cap) {
            size_t cap = s->cap ? s->cap : OUT_BLOCK;
            while (cap < bound + HEAD)
                cap *= 2;
            uint8_t *b = base_realloc(s->buf, cap);
            if (!b)
                return trc_fail(w, "out of memory");
            s->buf = b;
            s->cap = cap;
        }
    }
    size_t room = 1 + varint_len(bound);
    uint8_t *at = s->buf + s->len;
    size_t len = protobuf_c_message_pack(&p->base, at + room);
    size_t head = 1 + varint_len(len);
    if (head < room)
        memmove(at + head, at + room, len);
    at[0] = 0x0A; /* Trace.packet: field 1, length-delimited */
    size_t n = 1;
    for (size_t v = len;; v >>= 7) {
        if (v < 0x80) {
            at[n++] = (uint8_t)v;
            break;
        }
        at[n++] = (uint8_t)(v | 0x80);
    }
    s->len += head + len;
    return 0;
}

static int pb_track(trc_writer *w, uint32_t id)
{
    trc_trk *t = &w->trk[id];
    Trcpb__TracePacket p = TRCPB__TRACE_PACKET__INIT;
    Trcpb__TrackDescriptor d = TRCPB__TRACK_DESCRIPTOR__INIT;
    Trcpb__CounterDescriptor c = TRCPB__COUNTER_DESCRIPTOR__INIT;
    d.has_uuid = 1;
    d.uuid = id;
    d.name = t->name;
    d.description = t->desc;
    if (t->parent) {
        d.has_parent_uuid = 1;
        d.parent_uuid = t->parent;
    }
    d.has_sibling_order_rank = 1;
    d.sibling_order_rank = t->rank;
    /* Names are distinct among siblings already; say so explicitly too. */
    d.has_sibling_merge_behavior = 1;
    d.sibling_merge_behavior =
        TRCPB__TRACK_DESCRIPTOR__SIBLING_MERGE_BEHAVIOR__SIBLING_MERGE_BEHAVIOR_NONE;
    if (t->kind == TRK_COUNTER) {
        static const Trcpb__CounterDescriptor__Unit units[] = {
            [TRC_UNIT_NONE] = TRCPB__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED,
            [TRC_UNIT_COUNT] = TRCPB__COUNTER_DESCRIPTOR__UNIT__UNIT_COUNT,
            [TRC_UNIT_BYTES] = TRCPB__COUNTER_DESCRIPTOR__UNIT__UNIT_SIZE_BYTES,
            [TRC_UNIT_NS] = TRCPB__COUNTER_DESCRIPTOR__UNIT__UNIT_TIME_NS,
        };
        if (t->unit != TRC_UNIT_NONE) {
            c.has_unit = 1;
            c.unit = units[t->unit];
        }
        c.unit_name = t->unit_name;
        c.y_axis_share_key = t->share_key;
        d.counter = &c;
    } else {
        /* children in creation order (router 0, 1, 2 ... not 0, 1, 10) */
        d.has_child_ordering = 1;
        d.child_ordering = TRCPB__TRACK_DESCRIPTOR__CHILD_TRACKS_ORDERING__EXPLICIT;
    }
    p.data_case = TRCPB__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
    p.track_descriptor = &d;
    return put_packet(w, &p, 0);
}

/* Interns `id` in table `bit` of this packet if the sequence has not seen
 * it yet. */
static void intern(trc_writer *w, trc_name id, unsigned bit,
                   Trcpb__InternedString *pool, Trcpb__InternedString **list,
                   size_t *n, size_t *used)
{
    if (w->str_emitted[id] & bit)
        return;
    for (size_t i = 0; i < *n; i++)
        if (list[i]->iid == id)
            return;
    Trcpb__InternedString *e = &pool[(*used)++];
    trcpb__interned_string__init(e);
    e->has_iid = 1;
    e->iid = id;
    e->name = (char *)trc_str_get(w, id);
    list[(*n)++] = e;
}

/* One argument as a debug annotation (its key interned by the caller). */
static void put_arg(Trcpb__DebugAnnotation *d, const trc_arg *a)
{
    trcpb__debug_annotation__init(d);
    d->has_name_iid = 1;
    d->name_iid = a->key;
    switch (a->kind) {
    case TRC_ARG_INT:
        d->value_case = TRCPB__DEBUG_ANNOTATION__VALUE_INT_VALUE;
        d->int_value = a->v.i;
        break;
    case TRC_ARG_UINT:
        d->value_case = TRCPB__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
        d->uint_value = a->v.u;
        break;
    case TRC_ARG_DOUBLE:
        d->value_case = TRCPB__DEBUG_ANNOTATION__VALUE_DOUBLE_VALUE;
        d->double_value = a->v.d;
        break;
    case TRC_ARG_BOOL:
        d->value_case = TRCPB__DEBUG_ANNOTATION__VALUE_BOOL_VALUE;
        d->bool_value = a->v.b;
        break;
    case TRC_ARG_STR:
        d->value_case = TRCPB__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
        d->string_value = (char *)(a->v.s ? a->v.s : "");
        break;
    }
}

/* A counter's value, integer or double. */
static void put_counter(Trcpb__TrackEvent *te, const trc_ev *e)
{
    if (e->is_double) {
        te->counter_value_field_case = TRCPB__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE;
        te->double_counter_value = e->dv;
    } else {
        te->counter_value_field_case = TRCPB__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE;
        te->counter_value = e->iv;
    }
}

/* Upper bound of the packed size: fixed fields, then per part its tag,
 * length and value at their widest. */
static size_t packed_bound(const trc_ev *e, size_t nf, const Trcpb__InternedString *pool,
                           size_t used)
{
    size_t bound = 96 + 10 * nf + 10 * e->n_flow_end;
    for (unsigned i = 0; i < e->n_args; i++)
        bound += 40 + (e->args[i].kind == TRC_ARG_STR && e->args[i].v.s
                           ? strlen(e->args[i].v.s) : 0);
    for (size_t i = 0; i < used; i++)
        bound += 32 + strlen(pool[i].name);
    return bound;
}

/* The flows this event starts, then those it steps: in buf when they fit
 * its cap, else in a new array (base_free it); NULL when out of memory. */
static uint64_t *flow_ids(const trc_ev *e, uint64_t *buf, size_t cap)
{
    size_t nf = e->n_flow_start + e->n_flow_step;
    uint64_t *fl = nf > cap ? base_malloc(nf * sizeof *fl) : buf;
    if (!fl)
        return NULL;
    if (e->n_flow_start)
        memcpy(fl, e->flow_start, e->n_flow_start * sizeof *fl);
    if (e->n_flow_step)
        memcpy(fl + e->n_flow_start, e->flow_step, e->n_flow_step * sizeof *fl);
    return fl;
}

/* The packet's time and the event's type and track. */
static void event_head(Trcpb__TracePacket *p, Trcpb__TrackEvent *te, const trc_ev *e)
{
    p->has_timestamp = 1;
    p->timestamp = e->tick;
    p->data_case = TRCPB__TRACE_PACKET__DATA_TRACK_EVENT;
    p->track_event = te;
    te->has_type = 1;
    te->type = (Trcpb__TrackEvent__Type)e->type;
    te->has_track_uuid = 1;
    te->track_uuid = e->track;
}

static int pb_event(trc_writer *w, const trc_ev *e)
{
    Trcpb__TracePacket p = TRCPB__TRACE_PACKET__INIT;
    Trcpb__TrackEvent te = TRCPB__TRACK_EVENT__INIT;
    Trcpb__InternedData idata = TRCPB__INTERNED_DATA__INIT;
    Trcpb__InternedString pool[TRC_ARGS_MAX + 2];
    Trcpb__InternedString *names[1], *keys[TRC_ARGS_MAX + 1];
    Trcpb__DebugAnnotation ann[TRC_ARGS_MAX + 1];
    Trcpb__DebugAnnotation *annp[TRC_ARGS_MAX + 1];
    uint64_t flows[64], *fl = flows;
    size_t used = 0;

    event_head(&p, &te, e);
    idata.event_names = names;
    idata.debug_annotation_names = keys;
    bool iids = false;
    if (e->name) {
        te.has_name_iid = 1;
        te.name_iid = e->name;
        intern(w, e->name, 1, pool, names, &idata.n_event_names, &used);
        iids = true;
    }
    if (e->type == TRC_EV_COUNTER)
        put_counter(&te, e);
    for (unsigned i = 0; i < e->n_args; i++) {
        put_arg(&ann[i], &e->args[i]);
        intern(w, e->args[i].key, 2, pool, keys, &idata.n_debug_annotation_names, &used);
        annp[i] = &ann[i];
        iids = true;
    }
    te.n_debug_annotations = e->n_args;
    te.debug_annotations = annp;
    size_t nf = e->n_flow_start + e->n_flow_step;
    fl = flow_ids(e, flows, sizeof flows / sizeof flows[0]);
    if (!fl)
        return trc_fail(w, "out of memory");
    te.n_flow_ids = nf;
    te.flow_ids = fl;
    te.n_terminating_flow_ids = e->n_flow_end;
    te.terminating_flow_ids = (uint64_t *)e->flow_end;
    if (idata.n_event_names || idata.n_debug_annotation_names)
        p.interned_data = &idata;
    if (iids) {
        p.has_sequence_flags = 1;
        p.sequence_flags = SEQ_NEEDS;
    }
    int rc = put_packet(w, &p, packed_bound(e, nf, pool, used));
    if (fl != flows)
        base_free(fl);
    if (rc)
        return -1;
    for (size_t i = 0; i < idata.n_event_names; i++)
        w->str_emitted[names[i]->iid] |= 1;
    for (size_t i = 0; i < idata.n_debug_annotation_names; i++)
        w->str_emitted[keys[i]->iid] |= 2;
    return 0;
}

const trc_backend trc_backend_pb = {pb_start, pb_track, pb_event, pb_finish,
                                    pb_release};
