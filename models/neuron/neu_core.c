/* neu_core.c -- the neuron-core model; see neu_core.h (its timeline is
 * neu_core_trace.c's). */
#include "neuron/neu_core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "neuron/neu_core_int.h"

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
    c->last_sops = sops;
    c->st.busy_ps += dur;
    c->st.energy_pj += pj;
    c->st.sops += sops;
    c->st.updates += updates;
    return c->free_at_ps;
}

uint64_t neu_core_free_at(const neu_core *c) { return c->free_at_ps; }
void neu_core_count_packet(neu_core *c) { c->st.packets_in++; }
const neu_core_stats *neu_core_get_stats(const neu_core *c) { return &c->st; }
bool neu_core_traced(const neu_core *c) { return c->tr != NULL; }

static int nc_attach(void *self, const model_trace *t, base_error *err)
{
    return nct_attach(self, t, err);
}

static int nc_finish(void *self, uint64_t end_ps, model_energy *out, base_error *err)
{
    (void)end_ps;
    neu_core *c = self;
    if (c->tr && c->tr->failed)
        return base_fail(err, "%s: trace: out of memory", c->p.name);
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
    nct_free(c->tr);
    base_free(c);
}

const model_ops neu_core_ops = {"neu_core", nc_attach, nc_finish, nc_destroy};
