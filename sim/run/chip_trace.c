/* chip_trace.c -- what a chip run itself records on the Perfetto
 * timeline: the chip's track, and on each core's track (the core model's)
 * a slice per CN with its loop order and costs as arguments, with arrows
 * from the last CN of a producer part to the first CN it feeds on each
 * core. The models record the rest (memory reads, the NoC). Times pass
 * through the models' sync (the NoC's) so every event reaches the writer
 * in time order. */
#include <stdio.h>

#include "base/base.h"
#include "noc/trc_noc.h"
#include "run/chip_int.h"

static void tv_sample(struct chip_tview *v, uint64_t t);
static void tv_started(chip *c, uint32_t core, uint64_t t);

static uint64_t noc_at(chip *c, uint64_t t_ps)
{
    return c->nm ? noc_model_sync(c->nm, t_ps) : t_ps;
}

/* Every model writes through here: the chip's own samples of the periods
 * that ended by then go first. */
static uint64_t sync_noc(void *ctx, uint64_t t_ps)
{
    chip *c = ctx;
    if (c->tv)
        tv_sample(c->tv, t_ps);
    return noc_at(c, t_ps);
}

/* The CN annotations' keys, interned before the models attach (intern ids
 * follow the call order). */
void chip_trace_names(chip *c)
{
    trc_writer *w = c->w;
    c->n_layer = trc_intern(w, "layer");
    c->n_part = trc_intern(w, "part");
    c->n_tile = trc_intern(w, "tile");
    c->n_macs = trc_intern(w, "macs");
    c->n_cycles = trc_intern(w, "cycles");
    c->n_energy = trc_intern(w, "energy_pj");
    c->n_order = trc_intern(w, "loop_order");
    c->n_ideal = trc_intern(w, "ideal_cycles");
    c->n_stalls = trc_intern(w, "stall_cycles");
    c->n_util = trc_intern(w, "utilization");
    c->n_spatial = trc_intern(w, "spatial");
}

static int tv_new(chip *c, const cfg_scenario *s);

int chip_trace_top(chip *c, const cfg_scenario *s)
{
    char name[160];
    snprintf(name, sizeof name, "chip %s", s->chip->name);
    trc_track_spec ts = {.name = name, .description = "cores and memories",
                         .level = TRC_SUMMARY};
    /* Below full, counters every 1000 cycles unless asked: a whole
     * network's run at 100 makes tens of MB of NoC samples alone. */
    uint64_t sample = c->o->trace_sample_cycles;
    if (!sample)
        sample = trc_get_level(c->w) >= TRC_FULL ? 100 : 1000;
    c->mt = (model_trace){.w = c->w, .sample_cycles = sample, .sync = sync_noc, .sync_ctx = c};
    if (trc_track_new(c->w, &ts, &c->mt.parent) != 0)
        return -1;
    return tv_new(c, s);
}

static int add_flow_end(station *st, uint64_t id)
{
    if (BASE_GROW(st->flow_ends, st->cap_flow_ends, st->n_flow_ends + 1, UINT32_MAX) != 0)
        return -1;
    st->flow_ends[st->n_flow_ends++] = id;
    return 0;
}

/* One arrow per consumer station a part of `layer` feeds (several parts
 * of a consumer on one core share a station: one arrow), into f. */
static uint32_t part_flows(chip *c, uint32_t layer, uint64_t *f)
{
    uint32_t nf = 0;
    for (uint32_t cl = layer + 1; cl < c->p->n_layers; cl++) {
        const plan_layer *cpl = &c->p->layers[cl];
        int reads = 0;
        for (uint32_t i = 0; i < cpl->n_producers; i++)
            reads |= cpl->producers[i] == layer;
        for (uint32_t i = 0; reads && i < cpl->n_parts; i++) {
            int dup = 0;
            for (uint32_t j = 0; j < i; j++)
                dup |= cpl->parts[j].core == cpl->parts[i].core;
            station *cs = chip_station(c, cl, cpl->parts[i].core);
            if (dup || cs->started)
                continue;
            uint64_t id = trc_flow_new(c->w);
            if (add_flow_end(cs, id) != 0) {
                chip_fail(c, "trace: out of memory");
                return nf;
            }
            f[nf++] = id;
        }
    }
    return nf;
}

/* A CN slice: the loop order and costs as annotations; arrows from the
 * producers' last CNs end at a station's first CN, and leave a part's
 * last CN towards every consumer station. */
void chip_trace_cn(chip *c, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    const plan_cn *cn = &c->p->cns[cn_i];
    const plan_part *pp = &c->p->layers[cn->layer].parts[cn->part];
    const char *lname = c->layer_name[cn->layer];
    char order[1024], sp[128];
    tv_started(c, core, t);
    plan_loop_order(c->p, cn, order, sizeof order);
    plan_spatial(c->p, cn, sp, sizeof sp);
    trc_arg args[] = {
        trc_arg_str(c->n_layer, lname),         trc_arg_uint(c->n_part, cn->part),
        trc_arg_uint(c->n_tile, cn->tile),      trc_arg_uint(c->n_macs, cn->macs),
        trc_arg_double(c->n_cycles, cn->cycles), trc_arg_double(c->n_energy, cn->energy_pj),
        trc_arg_str(c->n_order, order),
        trc_arg_double(c->n_ideal, cn->cost->ideal_cycles),
        trc_arg_double(c->n_stalls, cn->cost->stall_cycles),
        trc_arg_double(c->n_util, cn->cost->utilization), trc_arg_str(c->n_spatial, sp)};
    trc_extra x = {.args = args, .n_args = sizeof args / sizeof args[0]};
    station *st = chip_station(c, cn->layer, core);
    if (!st->started) {
        st->started = 1;
        x.flow_ends = st->flow_ends;
        x.n_flow_ends = st->n_flow_ends;
    }
    if (cn_i == pp->first_cn + pp->n_cns - 1) {
        uint32_t pidx = c->part_base[cn->layer] + cn->part;
        uint64_t *f = base_calloc((size_t)c->p->n_layers * c->n_cores + 1, sizeof *f);
        c->part_flows[pidx] = f;
        if (!f)
            chip_fail(c, "trace: out of memory");
        x.flows = f;
        x.n_flows = f ? part_flows(c, cn->layer, f) : 0;
    }
    trc_complete(c->w, core_track(c->cores[core]), model_trace_at(&c->mt, t), dur,
                 trc_intern(c->w, lname), &x);
}

/* ---- counters and write slices: a model of the chip trace's own ----------
 *
 * Per core (under its track, default level): bytes held per operand --
 * weights in its weight memory (loads count from their start, evictions
 * at once), input activations (a stream counts once it has fully
 * arrived, until the last part of the consuming layer on the core is
 * done), outputs (each CN's share of its part's output, until the part
 * is done and sends it) -- and the ready queue (CNs submitted, not yet
 * started; its maximum is the report's max_ready_queue). Per memory the
 * chip uses: the bandwidth in use (bits read and written over each
 * sampling period, Gbit/s; default level), and a slice per write-back
 * from its first packet landing to the last packet's port time (summary,
 * as the memory's read slices). */
enum { TV_W = 0, TV_I, TV_O, TV_N_OPS };

typedef struct chip_tview {
    chip *c;
    trc_track (*occ)[TV_N_OPS]; /* [core] */
    uint64_t (*occ_bits)[TV_N_OPS];
    trc_track *ready;
    int64_t *ready_n;
    uint64_t *st_in_bits;        /* [layer * cores] inputs held */
    uint32_t *st_parts_left;     /* [layer * cores] parts not done */
    uint32_t *part_cns_done;     /* [global part] */
    trc_track *bw, *wr;          /* [mem]; 0: not traced */
    uint64_t *bw_bits;           /* [mem] this period */
    trc_track *open_lane;        /* [stream] an open write slice */
    uint32_t cap_open;
    uint64_t win_ps, next_ps;
    char (*term)[80];            /* [terminal] names for the NoC */
    uint32_t n_terms;
    trc_name n_write, n_bits;
} chip_tview;

static void tv_free(void *self)
{
    chip_tview *v = self;
    if (!v)
        return;
    base_free(v->occ);
    base_free(v->occ_bits);
    base_free(v->ready);
    base_free(v->ready_n);
    base_free(v->st_in_bits);
    base_free(v->st_parts_left);
    base_free(v->part_cns_done);
    base_free(v->bw);
    base_free(v->wr);
    base_free(v->bw_bits);
    base_free(v->open_lane);
    base_free(v->term);
    if (v->c)
        v->c->tv = NULL;
    base_free(v);
}

/* The bandwidth samples of every period that ended by t (idle periods
 * after the first: nothing, the counter holds its 0). */
static void tv_sample(chip_tview *v, uint64_t t)
{
    chip *c = v->c;
    while (t >= v->next_ps) {
        int any = 0;
        for (uint32_t m = 0; m < c->n_mems; m++) {
            if (!v->bw[m])
                continue;
            any |= v->bw_bits[m] != 0;
            trc_counter_double(c->w, v->bw[m], noc_at(c, v->next_ps),
                               (double)v->bw_bits[m] * 1e3 / (double)v->win_ps);
            v->bw_bits[m] = 0;
        }
        v->next_ps += v->win_ps;
        if (!any && t >= v->next_ps) /* skip the idle stretch */
            v->next_ps += (t - v->next_ps) / v->win_ps * v->win_ps;
    }
}

static uint64_t tv_now(chip_tview *v) { return model_trace_at(&v->c->mt, kq_now(v->c->k)); }

/* The memories the chip uses (the rule chip_add_memories traces by). */
static int tv_mem_used(const chip *c, uint32_t m)
{
    int used = m == c->in_mem || m == c->out_mem;
    for (uint32_t l = 0; l < c->p->n_layers; l++)
        used |= c->p->layers[l].w_mem == m;
    return used;
}

static void tv_occ(chip_tview *v, uint32_t core, int op, int64_t d_bits)
{
    uint64_t *b = &v->occ_bits[core][op];
    *b = (uint64_t)((int64_t)*b + d_bits);
    trc_counter_int(v->c->w, v->occ[core][op], tv_now(v), (int64_t)(*b / 8));
}

static int tv_attach(void *self, const model_trace *t, base_error *err)
{
    chip_tview *v = self;
    chip *c = v->c;
    static const char *const names[TV_N_OPS] = {"weights held", "inputs held", "outputs held"};
    trc_counter_spec bytes = {TRC_UNIT_BYTES, NULL, "core-occupancy"};
    trc_counter_spec cnt = {TRC_UNIT_COUNT, "CNs", "core-ready"};
    trc_counter_spec gbps = {TRC_UNIT_NONE, "Gbit/s", "mem-bandwidth"};
    for (uint32_t k = 0; k < c->n_cores; k++) {
        trc_track core = core_track(c->cores[k]);
        for (int op = 0; op < TV_N_OPS; op++) {
            trc_track_spec s = {names[op], NULL, core, TRC_DEFAULT};
            trc_counter_new(t->w, &s, &bytes, &v->occ[k][op]);
        }
        trc_track_spec s = {"ready queue", "CNs submitted to the core and not yet started",
                            core, TRC_DEFAULT};
        trc_counter_new(t->w, &s, &cnt, &v->ready[k]);
    }
    for (uint32_t m = 0; m < c->n_mems; m++) {
        if (!tv_mem_used(c, m))
            continue; /* the memory is not on the timeline */
        char name[MODEL_NAME_MAX + 32];
        snprintf(name, sizeof name, "%s bandwidth in use", (const char *)&v->term[c->mem_term[m]]);
        trc_track_spec s = {name, "Bits read and written over each sampling period", t->parent,
                            TRC_DEFAULT};
        trc_counter_new(t->w, &s, &gbps, &v->bw[m]);
        snprintf(name, sizeof name, "%s writes", (const char *)&v->term[c->mem_term[m]]);
        s = (trc_track_spec){name, "Write-backs, first packet landing to the port time "
                             "of the last", t->parent, TRC_SUMMARY};
        trc_lanes_new(t->w, &s, &v->wr[m]);
    }
    v->n_write = trc_intern(t->w, "write");
    v->n_bits = trc_intern(t->w, "bits");
    return trc_failed(t->w) ? base_fail(err, "%s", trc_errmsg(t->w)) : 0;
}

static int tv_finish(void *self, uint64_t end_ps, model_energy *e, base_error *err)
{
    (void)e;
    chip_tview *v = self;
    chip *c = v->c;
    tv_sample(v, end_ps);
    /* the last, partial period: its bits over a whole period, at the end */
    for (uint32_t m = 0; m < c->n_mems; m++)
        if (v->bw[m] && v->bw_bits[m])
            trc_counter_double(c->w, v->bw[m], noc_at(c, end_ps),
                               (double)v->bw_bits[m] * 1e3 / (double)v->win_ps);
    return trc_failed(v->c->w) ? base_fail(err, "%s", trc_errmsg(v->c->w)) : 0;
}

static const model_ops tv_ops = {
    .name = "trace", .attach_trace = tv_attach, .finish = tv_finish, .destroy = tv_free};

/* ---- the NoC's view: terminals by name, packets by the data they carry -- */

static int tv_terminal(void *ctx, uint32_t t, char *buf, size_t len)
{
    chip_tview *v = ctx;
    if (t >= v->n_terms || !v->term[t][0])
        return -1;
    snprintf(buf, len, "%s", v->term[t]);
    return 0;
}

static int tv_packet(void *ctx, uint64_t tag, char *buf, size_t len)
{
    chip *c = ((chip_tview *)ctx)->c;
    uint32_t sid = (uint32_t)tag;
    if (sid >= c->n_streams)
        return -1;
    const stream *s = &c->streams[sid];
    if (s->kind != CHIP_S_ACT)
        snprintf(buf, len, "%s weights", c->layer_name[s->layer]);
    else if (s->data_layer != CHIP_NO_LAYER)
        snprintf(buf, len, "%s", c->layer_name[s->data_layer]);
    else
        snprintf(buf, len, "%s input", c->layer_name[s->layer]);
    return 0;
}

static int tv_names(chip_tview *v, const cfg_scenario *s)
{
    chip *c = v->c;
    v->n_terms = 0;
    for (uint32_t k = 0; k < c->n_cores; k++)
        v->n_terms = c->core_term[k] + 1 > v->n_terms ? c->core_term[k] + 1 : v->n_terms;
    for (uint32_t m = 0; m < c->n_mems; m++)
        v->n_terms = c->mem_term[m] + 1 > v->n_terms ? c->mem_term[m] + 1 : v->n_terms;
    if (!(v->term = base_calloc(v->n_terms + 1, sizeof *v->term)))
        return -1;
    for (uint32_t k = 0; k < c->n_cores; k++)
        snprintf(v->term[c->core_term[k]], sizeof v->term[0], "core %lld",
                 (long long)s->chip->cores[k].id);
    for (uint32_t m = 0; m < c->n_mems; m++)
        snprintf(v->term[c->mem_term[m]], sizeof v->term[0], "%s", s->chip->memories[m].name);
    return 0;
}

/* Counts the parts of each (layer, core) so a station's inputs are let go
 * with its last part. */
static void tv_count_parts(chip_tview *v)
{
    const plan *p = v->c->p;
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t i = 0; i < p->layers[l].n_parts; i++)
            v->st_parts_left[(size_t)l * v->c->n_cores + p->layers[l].parts[i].core]++;
}

static int tv_new(chip *c, const cfg_scenario *s)
{
    chip_tview *v = base_calloc(1, sizeof *v);
    if (!v)
        return -1;
    v->c = c;
    size_t nk = c->n_cores + 1, nm = c->n_mems + 1, ns = (size_t)c->p->n_layers * c->n_cores + 1;
    v->occ = base_calloc(nk, sizeof *v->occ);
    v->occ_bits = base_calloc(nk, sizeof *v->occ_bits);
    v->ready = base_calloc(nk, sizeof *v->ready);
    v->ready_n = base_calloc(nk, sizeof *v->ready_n);
    v->st_in_bits = base_calloc(ns, sizeof *v->st_in_bits);
    v->st_parts_left = base_calloc(ns, sizeof *v->st_parts_left);
    v->part_cns_done = base_calloc(c->n_parts + 1, sizeof *v->part_cns_done);
    v->bw = base_calloc(nm, sizeof *v->bw);
    v->wr = base_calloc(nm, sizeof *v->wr);
    v->bw_bits = base_calloc(nm, sizeof *v->bw_bits);
    if (!v->occ || !v->occ_bits || !v->ready || !v->ready_n || !v->st_in_bits ||
        !v->st_parts_left || !v->part_cns_done || !v->bw || !v->wr || !v->bw_bits ||
        tv_names(v, s) != 0) {
        tv_free(v);
        return -1;
    }
    tv_count_parts(v);
    v->win_ps = c->mt.sample_cycles *
                (c->res->noc_cycle_ps ? c->res->noc_cycle_ps : 1);
    v->next_ps = v->win_ps;
    if (chip_add_model(c, &tv_ops, v) != 0)
        return -1; /* v freed */
    c->tv = v;
    if (c->nm) {
        trc_noc_view nv = {.terminal_name = tv_terminal, .packet_data = tv_packet, .ctx = v,
                           .mean_in_flight = true};
        noc_model_set_view(c->nm, &nv);
    }
    return 0;
}

/* ---- the hooks ---------------------------------------------------------- */

static void tv_started(chip *c, uint32_t core, uint64_t t)
{
    chip_tview *v = c->tv;
    if (v)
        trc_counter_int(c->w, v->ready[core], model_trace_at(&c->mt, t), --v->ready_n[core]);
}

void chip_trace_cn_done(chip *c, uint32_t core, uint32_t cn_i)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    const plan_cn *cn = &c->p->cns[cn_i];
    const plan_part *pp = &c->p->layers[cn->layer].parts[cn->part];
    uint32_t pidx = c->part_base[cn->layer] + cn->part;
    uint32_t done = ++v->part_cns_done[pidx];
    /* its share of the part's output: what the first `done` CNs made */
    uint64_t before = pp->out_bits * (done - 1) / pp->n_cns, after = pp->out_bits * done / pp->n_cns;
    tv_occ(v, core, TV_O, (int64_t)(after - before));
}

void chip_trace_cn_ready(chip *c, uint32_t core)
{
    chip_tview *v = c->tv;
    if (v)
        trc_counter_int(c->w, v->ready[core], tv_now(v), ++v->ready_n[core]);
}

void chip_trace_input(chip *c, uint32_t layer, uint32_t core, uint64_t bits)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    v->st_in_bits[(size_t)layer * c->n_cores + core] += bits;
    tv_occ(v, core, TV_I, (int64_t)bits);
}

void chip_trace_part_done(chip *c, uint32_t layer, uint32_t part)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    const plan_part *pp = &c->p->layers[layer].parts[part];
    size_t st = (size_t)layer * c->n_cores + pp->core;
    tv_occ(v, pp->core, TV_O, -(int64_t)pp->out_bits);
    if (--v->st_parts_left[st] == 0 && v->st_in_bits[st]) {
        tv_occ(v, pp->core, TV_I, -(int64_t)v->st_in_bits[st]);
        v->st_in_bits[st] = 0;
    }
}

void chip_trace_weights(chip *c, uint32_t core)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    int64_t d = (int64_t)c->cw[core].used_bits - (int64_t)v->occ_bits[core][TV_W];
    tv_occ(v, core, TV_W, d);
}

static uint32_t tv_mem_of(const chip *c, uint32_t terminal)
{
    for (uint32_t m = 0; m < c->n_mems; m++)
        if (c->mem_term[m] == terminal)
            return m;
    return c->n_mems;
}

void chip_trace_mem_read(chip *c, uint32_t sid, uint64_t bits)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    tv_now(v); /* the periods before this packet are closed first */
    uint32_t m = tv_mem_of(c, c->streams[sid].src_terminal);
    if (m < c->n_mems)
        v->bw_bits[m] += bits;
}

void chip_trace_mem_write(chip *c, uint32_t sid, uint64_t bits)
{
    chip_tview *v = c->tv;
    if (!v)
        return;
    const stream *s = &c->streams[sid];
    uint32_t m = tv_mem_of(c, s->dst_terminal[0]);
    uint64_t t = tv_now(v);
    if (m >= c->n_mems)
        return;
    v->bw_bits[m] += bits;
    if (!v->wr[m])
        return;
    if (BASE_GROW(v->open_lane, v->cap_open, sid + 1, UINT32_MAX) != 0) {
        chip_fail(c, "trace: out of memory");
        return;
    }
    if (s->arrived[0] == 0) {
        trc_arg a = trc_arg_uint(v->n_bits, s->bits);
        trc_extra x = {.args = &a, .n_args = 1};
        trc_lane_begin(c->w, v->wr[m], t, trc_intern(c->w, c->layer_name[s->data_layer]), &x,
                       &v->open_lane[sid]);
    }
    if (s->arrived[0] + 1 == s->n_packets)
        trc_end_at(c->w, v->open_lane[sid], t + mem_stream_ps(c->mems[m], bits));
}
