/* test_trace_util.h -- helpers shared by the trace writer's Check suites:
 * read a written file back with protobuf-c's own unpack and replay it the
 * way trace_processor does (per-track slice stacks, interned tables per
 * sequence, flows), so tests assert on what a reader would see. */
#ifndef TEST_TRACE_UTIL_H
#define TEST_TRACE_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/trc.h"
#include "trc_perfetto.pb-c.h"

static inline unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* A fresh directory /tmp/PREFIX<6 random chars> (mkdtemp's template is
 * spelled out at run time). */
static inline void make_tmpdir(char *dir, size_t cap, const char *prefix)
{
    int n = snprintf(dir, cap, "/tmp/%s", prefix);
    ck_assert(n > 0 && (size_t)n + 7 <= cap);
    memset(dir + n, 'X', 6);
    dir[n + 6] = 0;
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static inline Trcpb__Trace *load_trace(const char *path)
{
    size_t n;
    unsigned char *b = slurp(path, &n);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    Trcpb__Trace *t = trcpb__trace__unpack(NULL, n, b);
    free(b);
    ck_assert_msg(t != NULL, "%s does not unpack as a Trace", path);
    return t;
}

#define MAXT 2048
#define MAXI 256

/* What a reader sees after replaying a trace. */
typedef struct {
    char *track_name[MAXT];
    uint64_t parent[MAXT];
    int is_counter[MAXT];
    int counter_unit[MAXT];
    int declared[MAXT];
    char *event_name[MAXI]; /* interned tables, by iid */
    char *key_name[MAXI];
    int event_interned_times[MAXI];
    int slices[MAXT];      /* closed slices per track */
    int instants[MAXT];
    int counters[MAXT];
    double last_counter[MAXT];
    int max_depth[MAXT];
    int flow_events;
    int flow_ends;
    uint64_t first_ts, last_ts;
    int problems; /* reader-visible violations found */
    char problem[256];
} replay;

static inline void bad(replay *r, const char *msg, uint64_t a)
{
    if (!r->problems++)
        snprintf(r->problem, sizeof r->problem, "%s (%llu)", msg,
                 (unsigned long long)a);
}

static inline void do_replay(const Trcpb__Trace *t, replay *r)
{
    memset(r, 0, sizeof *r);
    int depth[MAXT] = {0};
    uint64_t track_ts[MAXT] = {0};
    uint64_t seq_ts = 0;
    int cleared = 0;
    r->first_ts = UINT64_MAX;
    for (size_t i = 0; i < t->n_packet; i++) {
        const Trcpb__TracePacket *p = t->packet[i];
        if (!p->has_trusted_packet_sequence_id ||
            p->trusted_packet_sequence_id == 0)
            bad(r, "packet without sequence id", i);
        if (p->has_sequence_flags && (p->sequence_flags & 1)) {
            if (i != 0)
                bad(r, "incremental state cleared after the start", i);
            cleared = 1;
        }
        if (p->data_case == TRCPB__TRACE_PACKET__DATA_TRACK_DESCRIPTOR) {
            const Trcpb__TrackDescriptor *d = p->track_descriptor;
            if (!d->has_uuid || d->uuid == 0 || d->uuid >= MAXT)
                { bad(r, "bad uuid", d->uuid); continue; }
            if (r->declared[d->uuid]++)
                bad(r, "uuid declared twice", d->uuid);
            r->track_name[d->uuid] = d->name;
            r->parent[d->uuid] = d->has_parent_uuid ? d->parent_uuid : 0;
            if (d->has_parent_uuid && !r->declared[d->parent_uuid])
                bad(r, "parent declared after child", d->uuid);
            r->is_counter[d->uuid] = d->counter != NULL;
            r->counter_unit[d->uuid] =
                d->counter && d->counter->has_unit ? (int)d->counter->unit : 0;
            continue;
        }
        int uses = 0;
        if (p->interned_data) {
            uses = 1;
            for (size_t k = 0; k < p->interned_data->n_event_names; k++) {
                Trcpb__InternedString *e = p->interned_data->event_names[k];
                if (e->iid == 0 || e->iid >= MAXI) { bad(r, "iid", e->iid); continue; }
                r->event_name[e->iid] = e->name;
                r->event_interned_times[e->iid]++;
            }
            for (size_t k = 0; k < p->interned_data->n_debug_annotation_names; k++) {
                Trcpb__InternedString *e =
                    p->interned_data->debug_annotation_names[k];
                if (e->iid == 0 || e->iid >= MAXI) { bad(r, "iid", e->iid); continue; }
                r->key_name[e->iid] = e->name;
            }
        }
        if (p->data_case != TRCPB__TRACE_PACKET__DATA_TRACK_EVENT)
            continue;
        const Trcpb__TrackEvent *e = p->track_event;
        if (!p->has_timestamp) { bad(r, "event without ts", i); continue; }
        if (p->timestamp < seq_ts) bad(r, "timestamps go back", i);
        seq_ts = p->timestamp;
        if (p->timestamp < r->first_ts) r->first_ts = p->timestamp;
        r->last_ts = p->timestamp;
        if (e->has_name_iid) {
            uses = 1;
            if (e->name_iid >= MAXI || !r->event_name[e->name_iid])
                bad(r, "event name iid not defined before use", e->name_iid);
        }
        for (size_t k = 0; k < e->n_debug_annotations; k++) {
            uses = 1;
            uint64_t id = e->debug_annotations[k]->name_iid;
            if (id >= MAXI || !r->key_name[id])
                bad(r, "annotation iid not defined before use", id);
        }
        if (uses && (!cleared || !p->has_sequence_flags ||
                     !(p->sequence_flags & 2)))
            bad(r, "interned ids without the sequence flags", i);
        uint64_t u = e->track_uuid;
        if (u == 0 || u >= MAXT || !r->declared[u]) { bad(r, "undeclared track", u); continue; }
        if (p->timestamp < track_ts[u]) bad(r, "track ts goes back", u);
        track_ts[u] = p->timestamp;
        r->flow_events += (int)e->n_flow_ids;
        r->flow_ends += (int)e->n_terminating_flow_ids;
        switch (e->type) {
        case TRCPB__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN:
            if (r->is_counter[u]) bad(r, "slice on counter track", u);
            if (++depth[u] > r->max_depth[u]) r->max_depth[u] = depth[u];
            break;
        case TRCPB__TRACK_EVENT__TYPE__TYPE_SLICE_END:
            if (depth[u] == 0) bad(r, "END without BEGIN", u);
            else { depth[u]--; r->slices[u]++; }
            break;
        case TRCPB__TRACK_EVENT__TYPE__TYPE_INSTANT:
            r->instants[u]++;
            break;
        case TRCPB__TRACK_EVENT__TYPE__TYPE_COUNTER:
            if (!r->is_counter[u]) bad(r, "counter on slice track", u);
            r->counters[u]++;
            r->last_counter[u] =
                e->counter_value_field_case ==
                        TRCPB__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE
                    ? e->double_counter_value
                    : (double)e->counter_value;
            break;
        default:
            bad(r, "unknown event type", i);
        }
    }
    for (int u = 0; u < MAXT; u++)
        if (depth[u]) bad(r, "slice left open", (uint64_t)u);
}

/* Runs the shared validator on a file when ../shared is there. Returns
 * its exit status, or -1 (and says so) when it cannot run. */
static inline int run_validator(const char *path)
{
    const char *tool = "../shared/tools/perfetto_check.py";
    if (access(tool, R_OK) || access("/usr/bin/python3", X_OK)) {
        printf("SKIP: validator not available (%s)\n", tool);
        return -1;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s >%s.check 2>&1", tool,
             path, path);
    int rc = system(cmd);
    rc = rc == -1 ? -1 : WEXITSTATUS(rc);
    if (rc != 0 || getenv("TRC_SHOW_CHECK")) { /* show why */
        snprintf(cmd, sizeof cmd, "cat %s.check", path);
        if (system(cmd) == -1)
            rc = -1;
    }
    return rc;
}

#endif
