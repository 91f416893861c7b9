/* trc_request.c -- a trace as asked for, resolved against a model's clock. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/trc.h"

void trc_request_init(trc_request *r)
{
    memset(r, 0, sizeof *r);
    r->format = TRC_PERFETTO;
    r->level = TRC_DEFAULT;
    r->sample_cycles = 0; /* the model's own period */
}

void trc_request_default_full(trc_request *r)
{
    if (r->level == TRC_DEFAULT)
        r->level = TRC_FULL;
}

static uint64_t to_ps(const trc_time *t, uint64_t cycle_ps)
{
    double ps = t->v * (t->unit_ps ? (double)t->unit_ps : (double)cycle_ps);
    return ps >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(ps);
}

int trc_request_options(const trc_request *r, uint64_t cycle_ps, trc_options *o,
                        base_error *err)
{
    trc_options_default(o);
    o->format = r->format;
    o->level = r->level;
    if (r->cycles)
        o->cycle_ps = cycle_ps;
    if (r->from.set)
        o->from_ps = to_ps(&r->from, cycle_ps);
    if (r->to.set)
        o->to_ps = to_ps(&r->to, cycle_ps);
    if (o->to_ps < o->from_ps) {
        base_fail(err, "the trace window ends earlier than it starts (to < from)");
        return -1;
    }
    return 0;
}
