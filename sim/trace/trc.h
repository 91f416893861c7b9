/* trc.h -- the timeline writer every model calls: Perfetto's protobuf trace
 * format (or Chrome JSON) written as the simulation runs.
 *
 * The writer records what it is told and decides nothing about the model.
 * It owns the format rules a timeline viewer relies on:
 *  - tracks form a tree (chip -> group -> unit) with stable uuids (creation
 *    order) and distinct sibling names, so Perfetto never folds two rows;
 *  - events reach the file in non-decreasing time; a complete slice (start
 *    and duration known at once) gets its END queued until time reaches it;
 *  - slices of one track nest; lane groups give overlapping activities a
 *    row each (the lowest free lane), like Perfetto's async tracks;
 *  - names are interned once per sequence with the sequence flags set;
 *  - counters are written when they change, the last value of a timestamp
 *    wins, and every counter gets a final sample at the end;
 *  - a flow arrow is written only when both its ends are recorded (an end
 *    whose start fell outside the window or level is dropped; a start whose
 *    end never comes is closed on a "trace end" marker);
 *  - memory is bounded by open slices, in-flight flows and tracks, never by
 *    the run length: packets are encoded and written as they happen, to
 *    PATH.tmp, renamed to PATH by trc_close; trc_abort removes PATH.tmp.
 *
 * Time is kernel picoseconds. The file shows ns (ps / 1000), or with
 * cycle_ps set one cycle of that clock as 1 ns (the UI's "ns" then read as
 * cycles). Detail level and a time window filter what is written.
 *
 * Errors are sticky: the first one (I/O, misuse such as time going
 * backwards or a slice that does not nest) is kept, later calls do nothing,
 * and trc_close reports it and leaves no file. Event calls return 0, or -1
 * once the writer has failed; models may ignore them and check at close. */
#ifndef EVSIM_TRC_H
#define EVSIM_TRC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

typedef struct trc_writer trc_writer;
typedef uint32_t trc_track; /* 0: none (top level as a parent) */
typedef uint32_t trc_name;  /* interned string; 0: none */

typedef enum { TRC_PERFETTO, TRC_JSON } trc_format;
/* Detail levels, each holding the one before: summary, default (what a
 * command writes unless told otherwise; a model with only two levels
 * treats it as full, see trc_request_resolve), full. */
typedef enum { TRC_SUMMARY = 0, TRC_DEFAULT = 1, TRC_FULL = 2 } trc_level;
typedef enum {
    TRC_UNIT_NONE,  /* unit_name, if any, says what it is */
    TRC_UNIT_COUNT,
    TRC_UNIT_BYTES,
    TRC_UNIT_NS
} trc_unit;

typedef struct {
    trc_format format;
    trc_level level;     /* tracks above this level are not written */
    uint64_t from_ps;    /* window: only [from_ps, to_ps] is written */
    uint64_t to_ps;      /* UINT64_MAX: to the end of the run */
    uint64_t cycle_ps;   /* 0: ns; else one cycle of this period = 1 ns */
    uint32_t sequence_id; /* trusted packet sequence id, non-zero */
} trc_options;

typedef struct {
    uint64_t bytes;    /* written so far */
    uint64_t slices;   /* slices written (begin/complete) */
    uint64_t events;   /* every event written, counters included */
    uint64_t tracks;   /* tracks declared in the file */
} trc_stats;


/* Perfetto, full detail, whole run, ns, sequence 1. */
void trc_options_default(trc_options *o);

/* ---- a trace as asked for, before the model's clock is known -----------
 * What a user asks for (a file, format, level, a window in cycles of the
 * model's clock or in time units, a counter period), resolved against the
 * clock of the model that traces by trc_request_options. Commands fill it
 * from their options; models (e.g. the NoC's trace adapter) take it. */
typedef struct {
    double v;         /* as given */
    uint64_t unit_ps; /* 0: cycles of the model's clock; else ps per unit */
    bool set;         /* given at all */
} trc_time;

typedef struct {
    const char *path;       /* NULL: no trace */
    trc_format format;
    trc_level level;
    trc_time from, to;      /* the window; unset: the whole run */
    uint64_t sample_cycles; /* counter sampling period, model cycles (0: the
                               model's own: 100, a chip run below full 1000) */
    bool cycles;            /* timestamps in cycles of the model's clock */
} trc_request;

/* No trace; Perfetto, default detail, whole run, the model's samples, ns. */
void trc_request_init(trc_request *r);
/* Writer options for a model whose clock has cycle_ps; -1 with err if
 * the window is empty. */
int trc_request_options(const trc_request *r, uint64_t cycle_ps, trc_options *o,
                        base_error *err);

/* A run whose tracks know only summary and full: its default is full
 * (so its traces are the same as before the default level existed). */
void trc_request_default_full(trc_request *r);

/* Parses "summary", "default" or "full"; -1 if none. */
int trc_level_parse(const char *s, trc_level *out);

trc_writer *trc_open(const char *path, const trc_options *opt,
                     base_error *err);

/* Closes what is still open at end_ps (or the window end), writes final
 * counter samples, renames PATH.tmp to PATH and frees the writer. Returns
 * 0, or -1 with err filled and no PATH left (nor PATH.tmp). */
int trc_close(trc_writer *w, uint64_t end_ps, base_error *err);
/* The same, also giving the file's final figures (st may be NULL). */
int trc_close_stats(trc_writer *w, uint64_t end_ps, trc_stats *st,
                    base_error *err);

/* Drops the trace: removes PATH.tmp and frees the writer. NULL is a no-op. */
void trc_abort(trc_writer *w);

bool trc_failed(const trc_writer *w);
/* The detail level the writer was opened with. */
trc_level trc_get_level(const trc_writer *w);
const char *trc_errmsg(const trc_writer *w); /* "" while healthy */

/* A model's own failure that makes the trace unusable: fails the writer
 * with msg (sticky, like any other error). */
void trc_report_error(trc_writer *w, const char *msg);

/* Interns a string (event name or annotation key) once per writer. Returns
 * 0 only on failure (which fails the writer). */
trc_name trc_intern(trc_writer *w, const char *s);

/* ---- tracks ---- */

typedef struct {
    const char *name;        /* distinct among its siblings */
    const char *description; /* optional help text shown by the UI */
    trc_track parent;        /* 0: top level */
    trc_level level;         /* written only when the writer's level >= it;
                                a child is never above its parent's level */
} trc_track_spec;

typedef struct {
    trc_unit unit;
    const char *unit_name; /* optional, e.g. "flits", "%" */
    const char *share_key; /* optional: tracks with one key share a Y scale */
} trc_counter_spec;

/* A track for slices and instants. Returns 0, or -1 (writer failed). */
int trc_track_new(trc_writer *w, const trc_track_spec *spec, trc_track *out);
/* A counter track. */
int trc_counter_new(trc_writer *w, const trc_track_spec *spec,
                    const trc_counter_spec *cs, trc_track *out);
/* A lane group: a header row whose lanes ("NAME 1", "NAME 2", ...) are
 * created as overlapping slices need them. Use with trc_lane_*. */
int trc_lanes_new(trc_writer *w, const trc_track_spec *spec, trc_track *out);

/* True if the track goes into the file (its level is within the
 * writer's), so a model can skip work for tracks that are left out. */
bool trc_track_written(const trc_writer *w, trc_track t);

/* ---- events ---- */

typedef enum {
    TRC_ARG_INT,
    TRC_ARG_UINT,
    TRC_ARG_DOUBLE,
    TRC_ARG_BOOL,
    TRC_ARG_STR /* copied when written; need only live during the call */
} trc_arg_kind;

typedef struct {
    trc_name key;
    trc_arg_kind kind;
    union {
        int64_t i;
        uint64_t u;
        double d;
        bool b;
        const char *s;
    } v;
} trc_arg;

#define TRC_ARGS_MAX 16

static inline trc_arg trc_arg_int(trc_name k, int64_t v)
{
    trc_arg a = {.key = k, .kind = TRC_ARG_INT, .v.i = v};
    return a;
}
static inline trc_arg trc_arg_uint(trc_name k, uint64_t v)
{
    trc_arg a = {.key = k, .kind = TRC_ARG_UINT, .v.u = v};
    return a;
}
static inline trc_arg trc_arg_double(trc_name k, double v)
{
    trc_arg a = {.key = k, .kind = TRC_ARG_DOUBLE, .v.d = v};
    return a;
}
static inline trc_arg trc_arg_str(trc_name k, const char *v)
{
    trc_arg a = {.key = k, .kind = TRC_ARG_STR, .v.s = v};
    return a;
}

/* Optional extras of an event (NULL for none): debug annotations, flows
 * that start or pass here, flows that end here. Flow ids come from
 * trc_flow_new; to fan out (one packet, many deliveries) use one id per
 * arrow. */
typedef struct {
    const trc_arg *args;
    unsigned n_args; /* <= TRC_ARGS_MAX */
    const uint64_t *flows;
    unsigned n_flows;
    const uint64_t *flow_ends;
    unsigned n_flow_ends;
} trc_extra;

/* A fresh flow id (1, 2, 3, ... per writer). */
uint64_t trc_flow_new(trc_writer *w);

int trc_begin(trc_writer *w, trc_track t, uint64_t t_ps, trc_name name,
              const trc_extra *x);
/* Ends the innermost open slice of the track; x's args join that slice. */
int trc_end(trc_writer *w, trc_track t, uint64_t t_ps, const trc_extra *x);
/* Ends the innermost open slice at t_ps, which may lie in the future (a
 * model often knows when a transfer will finish as it starts it); the END
 * is queued and written when time reaches it. */
int trc_end_at(trc_writer *w, trc_track t, uint64_t t_ps);
/* A slice whose duration is known now; it must nest in what is open. */
int trc_complete(trc_writer *w, trc_track t, uint64_t t_ps, uint64_t dur_ps,
                 trc_name name, const trc_extra *x);
int trc_instant(trc_writer *w, trc_track t, uint64_t t_ps, trc_name name,
                const trc_extra *x);
int trc_counter_int(trc_writer *w, trc_track t, uint64_t t_ps, int64_t v);
int trc_counter_double(trc_writer *w, trc_track t, uint64_t t_ps, double v);

/* Slices in a lane group: the slice goes on the lowest lane free at t_ps.
 * trc_lane_begin returns that lane; end the slice with trc_end on it. */
int trc_lane_begin(trc_writer *w, trc_track group, uint64_t t_ps,
                   trc_name name, const trc_extra *x, trc_track *lane_out);
int trc_lane_complete(trc_writer *w, trc_track group, uint64_t t_ps,
                      uint64_t dur_ps, trc_name name, const trc_extra *x);

/* ---- figures (for benchmarks and reports) ---- */

void trc_get_stats(const trc_writer *w, trc_stats *out);

#endif
