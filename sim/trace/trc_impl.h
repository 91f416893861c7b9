/* trc_impl.h -- what the writer's files share: the writer state, the track
 * records, and the backend interface (Perfetto protobuf or Chrome JSON).
 * Not a public header: models include trc.h only. */
#ifndef EVSIM_TRC_IMPL_H
#define EVSIM_TRC_IMPL_H

#include <stdio.h>

#include "trace/trc.h"

enum { TRK_SLICE, TRK_COUNTER, TRK_LANES, TRK_LANE };

/* One open slice on a track. `recorded` says whether its BEGIN is in the
 * file (it may have begun before the window, or the window may be over). */
typedef struct {
    trc_name name;
    uint32_t pending;  /* non-zero: a complete slice whose END is queued */
    bool recorded;
    uint64_t end_tick; /* complete slices: when the END is due */
} trc_open_slice;

typedef struct {
    char *name;
    char *desc;
    uint32_t parent; /* track id, 0 for top level */
    uint8_t kind;
    bool written;    /* level allows it: declared in the file */
    uint8_t level;
    int32_t rank;    /* among siblings, creation order */
    int32_t n_children;
    /* counters */
    trc_unit unit;
    char *unit_name;
    char *share_key;
    bool has_value, value_double, dirty, has_last;
    int64_t iv;
    double dv;
    int64_t last_iv;
    double last_dv;
    uint64_t last_tick;
    /* slices */
    trc_open_slice *stack;
    uint32_t depth, cap;
    /* lane groups */
    uint32_t *lanes;      /* lane track ids, in creation order */
    uint32_t n_lanes, cap_lanes;
    uint32_t *free_lanes; /* min-heap of indices into lanes[] */
    uint32_t n_free, cap_free;
    uint32_t lane_idx;    /* a lane: its index in its group's lanes[] */
} trc_trk;

/* What a backend is asked to write: one event, already filtered. */
enum { TRC_EV_BEGIN = 1, TRC_EV_END = 2, TRC_EV_INSTANT = 3, TRC_EV_COUNTER = 4 };

typedef struct {
    int type;
    uint32_t track;
    uint64_t tick;
    trc_name name;
    const trc_arg *args;
    unsigned n_args;
    const uint64_t *flow_start; /* first event of the flow */
    unsigned n_flow_start;
    const uint64_t *flow_step;  /* a later, non-final event */
    unsigned n_flow_step;
    const uint64_t *flow_end;
    unsigned n_flow_end;
    bool is_double;
    int64_t iv;
    double dv;
} trc_ev;

typedef struct {
    int (*start)(trc_writer *w); /* after the file is opened */
    int (*track)(trc_writer *w, uint32_t id);
    int (*event)(trc_writer *w, const trc_ev *e);
    int (*finish)(trc_writer *w);
    void (*release)(trc_writer *w); /* frees backend state */
} trc_backend;

extern const trc_backend trc_backend_pb;
extern const trc_backend trc_backend_json;

/* Bounds on the writer's grown arrays (base_grow refuses beyond them):
 * far above any real trace, low enough that a runaway caller gets an
 * error instead of exhausting memory. */
#define TRC_MAX_TRACKS (1u << 24)   /* tracks (ids are 1-based) */
#define TRC_MAX_NAMES (1u << 26)    /* interned names */
#define TRC_MAX_DEPTH (1u << 16)    /* open slices on one track */
#define TRC_MAX_PENDING (1u << 28)  /* queued ENDs of complete slices */

typedef struct trc_str trc_str;   /* interned string (uthash) */
typedef struct trc_sib trc_sib;   /* (parent, name) of a track (uthash) */
typedef struct trc_flow trc_flow; /* a recorded, unfinished flow (uthash) */

typedef struct {
    uint64_t tick;
    uint64_t seq;
    uint32_t track;
    uint32_t slice_id;
} trc_pend;

enum { WIN_BEFORE, WIN_IN, WIN_DONE };

struct trc_writer {
    trc_options opt;
    const trc_backend *be;
    void *be_state;
    base_outfile out; /* PATH.tmp until trc_close renames it */
    char err[256];
    bool failed;

    uint64_t from_tick, to_tick, now;
    int win;

    trc_trk *trk; /* trk[0] unused: track ids start at 1 */
    uint32_t n_trk, cap_trk;
    trc_sib *sibs;

    trc_str *strs;       /* by string */
    char **str_by_id;    /* [id] */
    uint8_t *str_emitted; /* bit 0 event name, bit 1 annotation key */
    uint32_t n_str, cap_str;

    trc_pend *heap;
    uint32_t n_heap, cap_heap;
    uint64_t pend_seq;
    uint32_t next_slice_id;

    uint32_t *dirty;
    uint32_t n_dirty, cap_dirty;

    trc_flow *flows;
    uint64_t next_flow;
    uint64_t *fbuf; /* scratch for filtered flow ids */
    uint32_t cap_fbuf;

    uint32_t end_track; /* "trace end" marker track, created on demand */
    trc_name name_cut, name_end, key_before, key_after;

    trc_stats st;
};

/* trc_writer.c */
int trc_fail(trc_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int trc_write(trc_writer *w, const void *p, size_t n);
bool trc_track_ok(const trc_writer *w, trc_track t, int kind);
uint64_t trc_to_tick(const trc_writer *w, uint64_t ps);
/* Brings time to tick (>= now), writing queued ENDs due by then. */
int trc_advance(trc_writer *w, uint64_t tick);
/* Writes one event now if it is recorded; `more` is an argument the
 * writer adds itself, or NULL. */
int trc_emit(trc_writer *w, int type, uint32_t track, trc_name name,
             const trc_extra *x, const trc_arg *more);
/* Pops the innermost slice of a track, writing its END if recorded. */
int trc_pop_slice(trc_writer *w, uint32_t id, const trc_extra *x);
/* Queues the END of a slice at a later tick. */
int trc_queue_end(trc_writer *w, trc_pend p);
int trc_mark_dirty(trc_writer *w, uint32_t id);

/* trc_track.c */
int trc_track_add(trc_writer *w, const trc_track_spec *spec, int kind,
                  const trc_counter_spec *cs, trc_track *out);
int trc_lane_pick(trc_writer *w, trc_track group,
                  trc_track *lane);
/* A lane's last open slice ended: it can take the next one. */
int trc_lane_freed(trc_writer *w, uint32_t lane);
const char *trc_str_get(const trc_writer *w, trc_name id);
void trc_tables_free(trc_writer *w);

#endif
