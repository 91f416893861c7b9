/* neu_core.c -- the neuron-core model; see neu_core.h. */
#include "neuron/neu_core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct neu_core {
    neu_core_params p;
    kq_kernel *k;
    const model_trace *mt;     /* NULL: no trace */
    trc_track track;
    uint64_t last_start, last_dur;
    neu_group **groups;
    uint32_t n_groups, cap_groups;
    uint64_t free_at_ps;
    neu_core_stats st;
};

neu_core *neu_core_new(kq_kernel *k, const neu_core_params *p, base_error *err)
{
    neu_core *c = base_calloc(1, sizeof *c);
    if (!c) {
        base_fail(err, "out of memory");
        return NULL;
    }
    c->p = *p;
    c->k = k;
    if (c->p.cycle_ps == 0)
        c->p.cycle_ps = 1;
    return c;
}

int neu_core_add_group(neu_core *c, neu_group *g)
{
    if (BASE_GROW(c->groups, c->cap_groups, c->n_groups + 1, UINT32_MAX) != 0) {
        neu_group_free(g);
        return -1;
    }
    c->groups[c->n_groups] = g;
    return (int)c->n_groups++;
}

neu_group *neu_core_group(const neu_core *c, uint32_t i) { return c->groups[i]; }

uint64_t neu_core_work(neu_core *c, uint64_t t_ps, double cycles, double pj, uint64_t sops,
                       uint64_t updates)
{
    uint64_t start = t_ps > c->free_at_ps ? t_ps : c->free_at_ps;
    uint64_t dur = (uint64_t)llround(cycles * (double)c->p.cycle_ps);
    c->free_at_ps = start + dur;
    c->last_start = start;
    c->last_dur = dur;
    c->st.busy_ps += dur;
    c->st.energy_pj += pj;
    c->st.sops += sops;
    c->st.updates += updates;
    return c->free_at_ps;
}

uint64_t neu_core_free_at(const neu_core *c) { return c->free_at_ps; }
void neu_core_count_packet(neu_core *c) { c->st.packets_in++; }
const neu_core_stats *neu_core_get_stats(const neu_core *c) { return &c->st; }

typedef struct {
    uint64_t start, dur;
    trc_name name;
} nc_slice;

static void nc_write(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    neu_core *c = ctx;
    nc_slice s;
    memcpy(&s, payload, sizeof s);
    trc_complete(c->mt->w, c->track, model_trace_at(c->mt, s.start), s.dur, s.name, NULL);
}

int neu_core_trace_last(neu_core *c, const char *label)
{
    if (!c->mt || c->last_dur == 0)
        return 0;
    nc_slice s = {c->last_start, c->last_dur, trc_intern(c->mt->w, label)};
    c->st.trace_events++;
    return kq_schedule_at(c->k, s.start, 3, nc_write, c, &s, sizeof s, NULL) == KQ_OK ? 0 : -1;
}

static int nc_attach(void *self, const model_trace *t, base_error *err)
{
    neu_core *c = self;
    trc_track_spec cs = {.name = c->p.track_name, .parent = t->parent, .level = TRC_SUMMARY,
                         .description = "neuron evaluations per step and layer"};
    if (trc_track_new(t->w, &cs, &c->track) != 0)
        return base_fail(err, "%s", trc_errmsg(t->w));
    c->mt = t;
    return 0;
}

static int nc_finish(void *self, uint64_t end_ps, model_energy *out, base_error *err)
{
    (void)end_ps;
    neu_core *c = self;
    if (model_energy_add(out, c->p.name, "compute", c->st.energy_pj) != 0)
        return base_fail(err, "out of memory");
    return 0;
}

static void nc_destroy(void *self)
{
    neu_core *c = self;
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n_groups; i++)
        neu_group_free(c->groups[i]);
    base_free(c->groups);
    base_free(c);
}

const model_ops neu_core_ops = {"neu_core", nc_attach, nc_finish, nc_destroy};
