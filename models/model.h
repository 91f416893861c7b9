/* model.h -- the model contract, one level above the kernel (in the spirit
 * of ROSS's tw_lptype, cut to what a chip run needs).
 *
 * A model is created by its own typed constructor from its own parameter
 * struct (core_new(k, &core_params), mem_new(k, &mem_params), ...); it
 * never sees the config: the run's adapters (sim/run) fill the struct.
 * Once created, the chip holds it as a `model` -- an ops table and the
 * instance -- and drives its life through the table:
 *
 *   attach_trace  declare its tracks on the run's timeline (optional);
 *   finish        the run ended at end_ps: book what is due at the end
 *                 (static energy, the last sampling period) and append its
 *                 energy items, each (instance, component, pJ);
 *   destroy       free it.
 *
 * During the run the chip wires models together through their typed
 * calls and callbacks (core_submit, mem_read, noc_send; a core's "CN
 * finished", a memory's "packet released"), never through this table;
 * the kernel stays fn + ctx. A new model is one folder under models/ and one line in
 * the chip's model list (sim/run/chip.c). */
#ifndef EVSIM_MODEL_H
#define EVSIM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "trace/trc.h"

#define MODEL_NAME_MAX 64

/* One energy figure: which instance ("dram", "core 0", "noc"), which
 * component of the report ("compute", "noc_router", "offchip_read"...;
 * a string literal of the model's), how many pJ. */
typedef struct {
    char model[MODEL_NAME_MAX];
    const char *component;
    double pj;
} model_energy_item;

typedef struct {
    model_energy_item *items;
    uint32_t n, cap;
} model_energy;

/* Appends one item (the model name is copied, truncated). 0, or -1 when
 * out of memory (the list is then unchanged). */
static inline int model_energy_add(model_energy *e, const char *model, const char *component,
                                   double pj)
{
    if (BASE_GROW(e->items, e->cap, e->n + 1, UINT32_MAX) != 0)
        return -1;
    model_energy_item *it = &e->items[e->n++];
    size_t n = strlen(model);
    n = n < sizeof it->model ? n : sizeof it->model - 1;
    memcpy(it->model, model, n);
    it->model[n] = '\0';
    it->component = component;
    it->pj = pj;
    return 0;
}

/* The sum over items of one component, in list order; 0 if none. */
static inline double model_energy_sum(const model_energy *e, const char *component)
{
    double s = 0.0;
    for (uint32_t i = 0; i < e->n; i++)
        if (!strcmp(e->items[i].component, component))
            s += e->items[i].pj;
    return s;
}

static inline void model_energy_free(model_energy *e)
{
    base_free(e->items);
    e->items = NULL;
    e->n = e->cap = 0;
}

/* What a model gets to put itself on the timeline. Models write through
 * `sync` so that the events of several models sharing the writer reach it
 * in time order (the NoC reports hops ahead of time, see trc_noc_sync). */
typedef struct {
    trc_writer *w;
    trc_track parent;            /* the chip's track: models go under it */
    uint64_t sample_cycles;      /* period of sampled counters (0: the model's) */
    uint64_t (*sync)(void *ctx, uint64_t t_ps); /* time to write an event at */
    void *sync_ctx;
} model_trace;

static inline uint64_t model_trace_at(const model_trace *t, uint64_t t_ps)
{
    return t->sync ? t->sync(t->sync_ctx, t_ps) : t_ps;
}

typedef struct {
    const char *name; /* the kind: "core", "mem", "noc" */
    /* 0, or -1 with err (the writer's message when the writer failed).
     * May be NULL: the model has nothing to show. `t` outlives the run. */
    int (*attach_trace)(void *self, const model_trace *t, base_error *err);
    /* 0, or -1 with err: out of memory, or the trace failed. */
    int (*finish)(void *self, uint64_t end_ps, model_energy *out, base_error *err);
    void (*destroy)(void *self);
} model_ops;

/* One instance on the chip's list. */
typedef struct {
    const model_ops *ops;
    void *self;
} model;

#endif
