/* chip.c -- one inference on the whole chip; see chip.h.
 *
 * The run in steps, one function each: allocate the bookkeeping, pick
 * the memories and lay the chip out on the NoC, build the model list (chip_model_list below, through the adapters in
 * chip_adapt.c), attach the models to the trace, run the kernel, finish
 * every model and collect the results. */
#include "run/chip.h"

#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "run/chip_int.h"

/* The chip's model list: each line builds one kind of model from the
 * scenario and the plan and appends its instances. Trace tracks and
 * energy items follow this order. A new model is a folder under models/
 * and one line here (with its builder in chip_adapt.c). */
typedef int (*chip_builder)(chip *c, const cfg_scenario *s);
static const struct {
    const char *kind;
    chip_builder build;
} chip_model_list[] = {
    {"core", chip_add_cores},    /* models/core: one per placed core */
    {"mem", chip_add_memories},  /* models/mem: one per listed memory */
    {"noc", chip_add_noc},       /* models/noc: the mesh, its trace adapter */
};

int chip_add_model(chip *c, const model_ops *ops, void *self)
{
    if (BASE_GROW(c->models, c->cap_models, c->n_models + 1, UINT32_MAX) != 0) {
        ops->destroy(self);
        return -1;
    }
    c->models[c->n_models++] = (model){ops, self};
    return 0;
}

static int chip_alloc(chip *c)
{
    const plan *p = c->p;
    chip_result *res = c->res;
    for (uint32_t l = 0; l < p->n_layers; l++)
        c->n_parts += p->layers[l].n_parts;
    res->n_layers = p->n_layers;
    res->n_cores = c->n_cores;
    res->layers = base_calloc(p->n_layers + 1, sizeof *res->layers);
    res->cores = base_calloc(c->n_cores + 1, sizeof *res->cores);
    c->k = kq_new();
    c->st = base_calloc((size_t)p->n_layers * c->n_cores + 1, sizeof *c->st);
    c->part_left = base_calloc(c->n_parts + 1, sizeof *c->part_left);
    c->part_base = base_calloc(p->n_layers + 1, sizeof *c->part_base);
    c->layer_left = base_calloc(p->n_layers + 1, sizeof *c->layer_left);
    c->part_flows = base_calloc(c->n_parts + 1, sizeof *c->part_flows);
    c->layer_name = base_calloc(p->n_layers + 1, sizeof *c->layer_name);
    res->n_mems = c->n_mems;
    res->mems = base_calloc(c->n_mems + 1, sizeof *res->mems);
    if (!res->layers || !res->cores || !res->mems || !c->k || !c->st || !c->part_left ||
        !c->part_base || !c->layer_left || !c->part_flows || !c->layer_name)
        return -1;
    for (uint32_t l = 0, b = 0; l < p->n_layers; l++) {
        c->part_base[l] = b;
        b += p->layers[l].n_parts;
        res->layers[l].start_ps = UINT64_MAX;
        c->layer_name[l] = p->layers[l].cfg->name;
    }
    return chip_weights_init(c);
}

/* Which memory the input comes from and the outputs go to (none: the
 * chip has no memory). */
static int chip_pick_memories(chip *c)
{
    const chip_options *o = c->o;
    c->in_mem = c->out_mem = c->n_mems; /* none */
    if (c->n_mems == 0)
        return 0;
    if (o->input_memory >= c->n_mems || o->output_memory >= c->n_mems) {
        chip_fail(c, "memory index %u out of range: the chip lists %u memories",
                  o->input_memory >= c->n_mems ? o->input_memory : o->output_memory,
                  c->n_mems);
        return -1;
    }
    c->in_mem = o->input_memory;
    c->out_mem = o->output_memory;
    c->res->spill_mem = c->out_mem;
    return 0;
}

static int chip_build(chip *c, const cfg_scenario *s)
{
    for (size_t i = 0; i < sizeof chip_model_list / sizeof chip_model_list[0]; i++)
        if (chip_model_list[i].build(c, s) != 0) {
            if (!c->failed)
                chip_fail(c, "%s models: out of memory", chip_model_list[i].kind);
            return -1;
        }
    return 0;
}

static int trace_failed(chip *c, const base_error *e)
{
    chip_fail(c, "trace: %s", trc_failed(c->w) ? trc_errmsg(c->w) : e ? e->msg : "");
    return -1;
}

/* The chip's own track and names, then every model in list order. */
static int chip_attach(chip *c, const cfg_scenario *s)
{
    if (!c->w)
        return 0;
    chip_trace_names(c);
    if (chip_trace_top(c, s) != 0)
        return trace_failed(c, NULL);
    for (uint32_t i = 0; i < c->n_models; i++) {
        const model *m = &c->models[i];
        base_error e;
        if (m->ops->attach_trace && m->ops->attach_trace(m->self, &c->mt, &e))
            return trace_failed(c, &e);
    }
    return trc_failed(c->w) ? trace_failed(c, NULL) : 0;
}

static void deadlock_message(chip *c)
{
    uint32_t ids[8];
    uint32_t n = noc_deadlock_routers(c->net, ids, 8);
    base_error_clear(c->err);
    char *msg = c->err->msg;
    size_t len = sizeof c->err->msg;
    int at = snprintf(msg, len,
                      "the NoC stopped at %.3f us with flits in flight "
                      "(deadlock or out of memory); routers holding flits:",
                      (double)kq_now(c->k) * 1e-6);
    for (uint32_t i = 0; i < n && i < 8 && at > 0 && (size_t)at < len; i++)
        at += snprintf(msg + at, len - (size_t)at, " %u", ids[i]);
    c->failed = 1;
}

/* The kernel in chunks of a million events (progress between them) until
 * it runs dry, a limit stops it, or something fails. 0, or -1 (c->err). */
static int chip_loop(chip *c)
{
    const chip_options *o = c->o;
    chip_result *res = c->res;
    uint64_t until = o->max_time_ps ? o->max_time_ps : KQ_TIME_MAX;
    for (;;) {
        uint64_t chunk = 1000000;
        if (o->max_events) {
            uint64_t left = o->max_events - kq_events_processed(c->k);
            if (left == 0) {
                res->stop_reason = "event limit reached";
                return 0;
            }
            if (left < chunk)
                chunk = left;
        }
        kq_run_result r = kq_run(c->k, until, chunk);
        if (o->progress)
            o->progress(o->progress_ctx, kq_now(c->k), res->layers_done, c->p->n_layers);
        if (c->failed)
            return -1;
        if (noc_deadlocked(c->net)) {
            deadlock_message(c);
            return -1;
        }
        if (r == KQ_RUN_NOMEM) {
            chip_fail(c, "out of memory in the event queue");
            return -1;
        }
        if (r == KQ_RUN_EMPTY)
            return 0;
        if (r == KQ_RUN_TIME) {
            res->stop_reason = "time limit reached";
            return 0;
        }
    }
}

/* Every model's finish, in list order, then the figures the report shows
 * besides energy. */
static int chip_finish(chip *c)
{
    chip_result *res = c->res;
    if (!res->complete && !res->stop_reason[0])
        res->stop_reason = "the run ended with work left (a stream never arrived)";
    res->end_ps = kq_now(c->k);
    res->events = kq_events_processed(c->k);
    noc_get_totals(c->net, &res->noc);
    for (uint32_t i = 0; i < c->n_mems; i++) {
        mem_stats ms;
        mem_get_stats(c->mems[i], &ms);
        res->offchip_read_bits += ms.read_bits;
        res->offchip_write_bits += ms.write_bits;
        res->mems[i] = (chip_mem_result){ms.read_bits, ms.write_bits, ms.free_ps};
        /* the last write-back ends when its bits have gone through the port */
        if (res->complete && ms.free_ps > res->end_ps)
            res->end_ps = ms.free_ps;
    }
    for (uint32_t i = 0; i < c->n_cores; i++) {
        chip_stall_update(c, i);
        res->cores[i].busy_ps = core_busy_ps(c->cores[i]);
        res->cores[i].cns = core_cns_done(c->cores[i]);
        res->cores[i].peak_ready = core_peak_ready(c->cores[i]);
        res->cores[i].stall_ps = c->cw[i].stall_ps;
    }
    for (uint32_t i = 0; i < c->n_models; i++) {
        const model *m = &c->models[i];
        base_error e;
        if (m->ops->finish(m->self, res->end_ps, &res->energy, &e) != 0) {
            if (c->w && trc_failed(c->w))
                return trace_failed(c, &e);
            chip_fail(c, "%s", e.msg);
            return -1;
        }
    }
    return 0;
}

static void chip_free(chip *c)
{
    for (uint32_t i = c->n_models; i-- > 0;)
        c->models[i].ops->destroy(c->models[i].self);
    base_free(c->models);
    chip_streams_free(c);
    if (c->st)
        for (size_t i = 0; i < (size_t)c->p->n_layers * c->n_cores; i++)
            base_free(c->st[i].flow_ends);
    base_free(c->st);
    if (c->part_flows)
        for (uint32_t i = 0; i < c->n_parts; i++)
            base_free(c->part_flows[i]);
    base_free(c->part_flows);
    base_free(c->part_left);
    base_free(c->part_base);
    base_free(c->layer_left);
    base_free(c->layer_name);
    chip_weights_free(c);
    base_free(c->core_term);
    base_free(c->mem_term);
    base_free(c->cores);
    base_free(c->mems);
    kq_free(c->k);
}

int chip_run(const cfg_scenario *s, const plan *p, const chip_options *o,
             chip_result *res, base_error *err)
{
    memset(res, 0, sizeof *res);
    res->stop_reason = "";
    base_error_clear(err);
    chip c = {.p = p, .o = o, .res = res, .err = err, .w = o->trace,
              .n_cores = (uint32_t)s->chip->n_cores, .n_mems = (uint32_t)s->chip->n_memories};
    int ok = chip_alloc(&c) == 0 && chip_pick_memories(&c) == 0 && chip_layout(&c, s) == 0 &&
             chip_build(&c, s) == 0 && chip_attach(&c, s) == 0 && chip_start(&c) == 0 &&
             chip_loop(&c) == 0 && chip_finish(&c) == 0;
    int rc = ok ? 0 : -1;
    if (!ok && !err->msg[0]) /* the steps that only run out of memory say nothing */
        base_fail(err, "out of memory");
    chip_free(&c);
    if (rc != 0)
        chip_result_free(res);
    return rc;
}

void chip_result_free(chip_result *res)
{
    base_free(res->layers);
    base_free(res->cores);
    base_free(res->mems);
    model_energy_free(&res->energy);
    res->layers = NULL;
    res->cores = NULL;
    res->mems = NULL;
}
