/* core.c -- one execution unit behind a FIFO of ready CNs. */
#include "core/core.h"

#include "base/base.h"


typedef struct {
    uint32_t cn;
    uint64_t dur_ps;
    double energy_pj;
} ready_cn;

struct core_model {
    kq_kernel *k;
    core_params p;
    ready_cn *ring; /* ready queue, a ring of capacity cap */
    uint32_t head, n, cap;
    uint32_t peak;
    int busy;
    ready_cn running;
    uint64_t busy_ps;
    uint32_t done;
    double energy_pj;
    trc_track track;
};

core_model *core_new(kq_kernel *k, const core_params *p)
{
    core_model *c = base_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->k = k;
    c->p = *p;
    return c;
}

void core_free(core_model *c)
{
    if (!c)
        return;
    base_free(c->ring);
    base_free(c);
}

static void on_finish(kq_kernel *k, void *ctx, const void *payload);

/* Start the oldest ready CN; the unit must be idle. */
static int start_next(core_model *c)
{
    ready_cn r = c->ring[c->head];
    c->head = (c->head + 1) % c->cap;
    c->n--;
    if (kq_schedule_in(c->k, r.dur_ps, 0, on_finish, c, NULL, 0, NULL) != KQ_OK)
        return -1;
    c->busy = 1;
    c->running = r;
    c->busy_ps += r.dur_ps;
    if (c->p.cb.started)
        c->p.cb.started(c->p.cb.ctx, c->p.id, r.cn, kq_now(c->k), r.dur_ps);
    return 0;
}

static void on_finish(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    core_model *c = ctx;
    uint32_t cn = c->running.cn;
    c->busy = 0;
    c->done++;
    c->energy_pj += c->running.energy_pj;
    /* Take the next CN before telling the owner, so CNs the owner submits
     * from the callback queue behind those already waiting. A refused
     * event can only be the kernel out of memory: stop the run. */
    if (c->n && start_next(c) != 0) {
        if (c->p.cb.failed)
            c->p.cb.failed(c->p.cb.ctx, "out of memory starting a CN");
        kq_stop(k);
    }
    if (c->p.cb.finished)
        c->p.cb.finished(c->p.cb.ctx, c->p.id, cn, kq_now(k));
}

int core_submit(core_model *c, uint32_t cn, uint64_t dur_ps, double energy_pj)
{
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        ready_cn *r = base_calloc(cap, sizeof *r);
        if (!r)
            return -1;
        for (uint32_t i = 0; i < c->n; i++)
            r[i] = c->ring[(c->head + i) % c->cap];
        base_free(c->ring);
        c->ring = r;
        c->cap = cap;
        c->head = 0;
    }
    c->ring[(c->head + c->n) % c->cap] = (ready_cn){cn, dur_ps, energy_pj};
    c->n++;
    if (c->n > c->peak)
        c->peak = c->n;
    return c->busy ? 0 : start_next(c);
}

uint64_t core_busy_ps(const core_model *c) { return c->busy_ps; }
uint32_t core_cns_done(const core_model *c) { return c->done; }
int core_idle(const core_model *c) { return !c->busy && c->n == 0; }
uint32_t core_peak_ready(const core_model *c) { return c->peak; }
double core_energy_pj(const core_model *c) { return c->energy_pj; }
trc_track core_track(const core_model *c) { return c->track; }

/* ---- the contract ------------------------------------------------------ */

static int core_attach(void *self, const model_trace *t, base_error *err)
{
    core_model *c = self;
    trc_track_spec cs = {.name = c->p.track_name, .parent = t->parent, .level = TRC_SUMMARY,
                         .description = "CN executions; args hold the loop order"};
    if (trc_track_new(t->w, &cs, &c->track) != 0)
        return base_fail(err, "%s", trc_errmsg(t->w));
    return 0;
}

static int core_finish(void *self, uint64_t end_ps, model_energy *e, base_error *err)
{
    (void)end_ps;
    core_model *c = self;
    if (model_energy_add(e, c->p.name, "compute", c->energy_pj) != 0)
        return base_fail(err, "out of memory");
    return 0;
}

static void core_destroy(void *self) { core_free(self); }

const model_ops core_model_ops = {
    .name = "core", .attach_trace = core_attach, .finish = core_finish, .destroy = core_destroy};
