/* chip_mem.c -- weights through the memory hierarchy during a chip run.
 *
 * Every layer's weights live in a chip memory (plan_layer.w_mem). Each
 * core has one weight memory: the highest on-core level of its type that
 * holds weights (plan_layer.w_cap_bits). A part whose weights fit it is
 * loaded whole before its first CN (the station waits for the load as
 * for an input); loads run one at a time per core, in the order the core
 * runs its parts, as soon as there is room: the next part's weights are
 * prefetched while the current part computes. Room is made by evicting by
 * Stream's rule, least remaining use x size first: a finished part has no
 * use left, a part still to run is never evicted for a later one (it is
 * needed sooner). Weights are read-only, their home keeps a copy:
 * eviction writes nothing back. A part whose weights exceed the core's
 * weight memory streams them from their home during its CNs: the
 * mapper's reads of weights from its top level (plan_part.w_stream_bits)
 * come through the memory controller and the NoC, and the part is done
 * when both its CNs and that stream are.
 *
 * Activations that do not fit: a part whose inputs and output exceed its
 * core's highest on-core level holding activations (plan_part.spill_bits,
 * the excess) writes that excess to the chip's output memory when its
 * first CN starts and reads it back once the write has landed, both
 * through the NoC and the memory's one port; the part is done when its
 * CNs and the read-back are. Each spilled bit is so written once and read
 * once -- a floor for what a real schedule of the part's tiles moves.
 *
 * Stall: a core is stalled while it is idle and one of its stations has
 * every input but not its weights (or a part's CNs are done but its
 * weight stream or spill read-back is not). */
#include <string.h>

#include "base/base.h"
#include "run/chip_int.h"

static uint32_t pidx_of(const chip *c, uint32_t layer, uint32_t part)
{
    return c->part_base[layer] + part;
}

static const plan_part *part_of(const chip *c, uint32_t pidx)
{
    uint32_t l = c->part_layer[pidx];
    return &c->p->layers[l].parts[pidx - c->part_base[l]];
}

/* Does part pidx load its weights (rather than have them on-core, or
 * stream them)? */
static int loads_weights(const chip *c, uint32_t pidx)
{
    const plan_layer *pl = &c->p->layers[c->part_layer[pidx]];
    const plan_part *pp = part_of(c, pidx);
    return pl->w_mem != PLAN_NO_MEM && c->n_mems && pp->w_bits && !pp->w_streamed;
}

static int streams_weights(const chip *c, uint32_t pidx)
{
    const plan_layer *pl = &c->p->layers[c->part_layer[pidx]];
    const plan_part *pp = part_of(c, pidx);
    return pl->w_mem != PLAN_NO_MEM && c->n_mems && pp->w_streamed && pp->w_stream_bits;
}

int chip_weights_init(chip *c)
{
    const plan *p = c->p;
    c->cw = base_calloc(c->n_cores + 1, sizeof *c->cw);
    c->w_state = base_calloc(c->n_parts + 1, 1);
    c->w_stream_out = base_calloc(c->n_parts + 1, 1);
    c->spill_out = base_calloc(c->n_parts + 1, 1);
    c->part_layer = base_calloc(c->n_parts + 1, sizeof *c->part_layer);
    c->part_cns_end_ps = base_calloc(c->n_parts + 1, sizeof *c->part_cns_end_ps);
    if (!c->cw || !c->w_state || !c->w_stream_out || !c->spill_out || !c->part_layer ||
        !c->part_cns_end_ps)
        return -1;
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t i = 0; i < p->layers[l].n_parts; i++)
            c->part_layer[pidx_of(c, l, i)] = l;
    for (uint32_t k = 0; k < c->n_cores; k++) {
        c->cw[k].stall_since = UINT64_MAX;
        if (!(c->cw[k].order = base_calloc(c->n_parts + 1, sizeof *c->cw[k].order)))
            return -1;
    }
    for (uint32_t pidx = 0; pidx < c->n_parts; pidx++) {
        if (!loads_weights(c, pidx))
            continue;
        core_wstate *w = &c->cw[part_of(c, pidx)->core];
        w->cap_bits = c->p->layers[c->part_layer[pidx]].w_cap_bits;
        w->order[w->n_order++] = pidx;
    }
    return 0;
}

void chip_weights_free(chip *c)
{
    for (uint32_t k = 0; c->cw && k < c->n_cores; k++)
        base_free(c->cw[k].order);
    base_free(c->cw);
    base_free(c->w_state);
    base_free(c->w_stream_out);
    base_free(c->spill_out);
    base_free(c->part_layer);
    base_free(c->part_cns_end_ps);
}

void chip_stall_update(chip *c, uint32_t core)
{
    core_wstate *w = &c->cw[core];
    uint64_t now = kq_now(c->k);
    int stalled = w->blocked > 0 && core_idle(c->cores[core]);
    if (stalled && w->stall_since == UINT64_MAX) {
        w->stall_since = now;
    } else if (!stalled && w->stall_since != UINT64_MAX) {
        w->stall_ps += now - w->stall_since;
        w->stall_since = UINT64_MAX;
    }
}

/* Evict the resident part of core `core` with the least remaining use x
 * size (remaining use: its CNs still to run); only parts with no use
 * left qualify. 0, or -1 when none can go. */
static int evict_one(chip *c, uint32_t core)
{
    core_wstate *w = &c->cw[core];
    for (uint32_t i = 0; i < w->next; i++) {
        uint32_t q = w->order[i];
        if (c->w_state[q] != CHIP_W_RESIDENT || c->part_left[q] != 0)
            continue;
        uint64_t bits = part_of(c, q)->w_bits;
        c->w_state[q] = CHIP_W_EVICTED;
        w->used_bits -= bits;
        chip_trace_weights(c, core);
        c->res->w_evictions++;
        c->res->w_evicted_bits += bits;
        return 0;
    }
    return -1;
}

/* The core's next load, if none is in flight and room can be made. */
static void load_next(chip *c, uint32_t core)
{
    core_wstate *w = &c->cw[core];
    if (w->loading || w->next >= w->n_order || c->failed)
        return;
    uint32_t pidx = w->order[w->next];
    const plan_part *pp = part_of(c, pidx);
    while (w->used_bits + pp->w_bits > w->cap_bits)
        if (evict_one(c, core) != 0)
            return; /* retried when one of its parts finishes */
    uint32_t l = c->part_layer[pidx];
    w->next++;
    w->loading = 1;
    w->used_bits += pp->w_bits;
    chip_trace_weights(c, core);
    c->w_state[pidx] = CHIP_W_LOADING;
    c->res->w_loads++;
    c->res->w_load_bits += pp->w_bits;
    chip_mem_stream(c, c->p->layers[l].w_mem, pp->w_bits, core, CHIP_S_WLOAD, l, pidx,
                    "load weights");
}

void chip_weights_start(chip *c)
{
    for (uint32_t k = 0; k < c->n_cores; k++)
        load_next(c, k);
}

/* The station of layer l on core k waits for one more load (its count is
 * set up before the run; see chip_weights_init). */
static void weight_loaded(chip *c, uint32_t pidx)
{
    uint32_t l = c->part_layer[pidx], core = part_of(c, pidx)->core;
    station *st = chip_station(c, l, core);
    c->w_state[pidx] = CHIP_W_RESIDENT;
    c->cw[core].loading = 0;
    if (--st->w_waiting == 0)
        chip_station_unblock(c, l, core);
    chip_station_check(c, l, core);
    chip_stall_update(c, core);
    load_next(c, core);
}

/* Are part pidx's CNs done while a weight stream or a spill read-back is
 * still due (its core waits for it)? */
static int part_waits(const chip *c, uint32_t pidx)
{
    uint32_t out = (uint32_t)c->w_stream_out[pidx] + c->spill_out[pidx];
    return out && c->part_left[pidx] == out;
}

void chip_weights_arrived(chip *c, const stream *s)
{
    if (s->kind == CHIP_S_WLOAD) {
        weight_loaded(c, s->part);
        return;
    }
    uint32_t pidx = s->part, l = c->part_layer[pidx], core = part_of(c, pidx)->core;
    int was = part_waits(c, pidx);
    if (s->kind == CHIP_S_SPILLBACK)
        c->spill_out[pidx] = 0;
    else
        c->w_stream_out[pidx] = 0;
    c->part_left[pidx]--;
    c->cw[core].blocked += part_waits(c, pidx) - was;
    chip_stall_update(c, core);
    if (c->part_left[pidx] == 0)
        chip_part_done(c, l, pidx - c->part_base[l]);
}

void chip_weights_part_done(chip *c, uint32_t pidx)
{
    load_next(c, part_of(c, pidx)->core);
}

void chip_weights_cn_done(chip *c, uint32_t pidx)
{
    uint32_t core = part_of(c, pidx)->core;
    if (part_waits(c, pidx)) /* the last CN: only streams are left */
        c->cw[core].blocked++;
}

void chip_spill_start(chip *c, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &c->p->layers[layer];
    if (!c->n_mems || c->out_mem >= c->n_mems)
        return;
    for (uint32_t i = 0; i < pl->n_parts && !c->failed; i++) {
        uint32_t pidx = pidx_of(c, layer, i);
        if (pl->parts[i].core != core || !pl->parts[i].spill_bits || c->spill_out[pidx])
            continue;
        c->spill_out[pidx] = 1;
        c->part_left[pidx]++;
        c->res->a_spills++;
        c->res->a_spill_bits += pl->parts[i].spill_bits;
        chip_core_to_mem(c, core, pl->parts[i].spill_bits, CHIP_S_SPILL, layer, pidx);
    }
}

void chip_spill_written(chip *c, const stream *s)
{
    uint32_t pidx = s->part;
    chip_mem_stream(c, c->out_mem, s->bits, part_of(c, pidx)->core, CHIP_S_SPILLBACK,
                    c->part_layer[pidx], pidx, "read back spill");
}

void chip_weights_stream(chip *c, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &c->p->layers[layer];
    for (uint32_t i = 0; i < pl->n_parts && !c->failed; i++) {
        uint32_t pidx = pidx_of(c, layer, i);
        if (pl->parts[i].core != core || !streams_weights(c, pidx))
            continue;
        c->w_stream_out[pidx] = 1;
        c->part_left[pidx]++;
        c->res->w_streams++;
        c->res->w_stream_bits += pl->parts[i].w_stream_bits;
        chip_mem_stream(c, pl->w_mem, pl->parts[i].w_stream_bits, core, CHIP_S_WSTREAM, layer,
                        pidx, "stream weights");
    }
}
