/* chip_flow.c -- who waits for what during a chip run.
 *
 * Per (layer, core) "station": how many input streams it still waits
 * for; at zero (and with its weights in), its CNs go to the core. What a
 * producer sends a consumer core is exactly the part of its output box
 * that the core's CNs of that layer read (plan_part.need, from the loop
 * ranges; plan_deps.c): nothing when they read none of it, and one
 * multicast stream to every core that reads the same slice. Layer by
 * layer (mode: lbl), a producer part sends when all its CNs are done and
 * the station waits for every part it reads from. Fused (mode: fused),
 * between layers of one stack, each CN sends its output as it ends and a
 * consumer CN goes to its core as soon as the producer CNs it reads
 * (plan_dep) have arrived; from an earlier stack, inputs come per part as
 * layer by layer. A layer without consumers writes its output back to
 * the output memory. Streams are packets of CHIP_PACKET_FLITS flits
 * (multicast ones no longer than a VC buffer, see chip_layout); a
 * packet's tag is its stream id (low 32 bits) and its index in the stream
 * (high 32 bits). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "run/chip_int.h"

void chip_fail(chip *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    base_vfail(c->err, fmt, ap);
    va_end(ap);
    c->failed = 1;
    if (c->k)
        kq_stop(c->k);
}

void chip_model_failed(void *ctx, const char *msg) { chip_fail(ctx, "%s", msg); }

/* ---- streams ---------------------------------------------------------- */

static stream *stream_new(chip *c, uint64_t bits, uint32_t n_dst)
{
    if (BASE_GROW(c->streams, c->cap_streams, c->n_streams + 1, UINT32_MAX) != 0)
        return NULL;
    stream *s = &c->streams[c->n_streams];
    memset(s, 0, sizeof *s);
    s->dst_core = base_calloc(n_dst ? n_dst : 1, sizeof *s->dst_core);
    s->arrived = base_calloc(n_dst ? n_dst : 1, sizeof *s->arrived);
    s->dst_terminal = base_calloc(n_dst ? n_dst : 1, sizeof *s->dst_terminal);
    if (!s->dst_core || !s->arrived || !s->dst_terminal) {
        base_free(s->dst_core);
        base_free(s->arrived);
        base_free(s->dst_terminal);
        return NULL;
    }
    s->bits = bits;
    s->data_layer = CHIP_NO_LAYER;
    c->n_streams++;
    c->res->transfers++;
    return s;
}

void chip_streams_free(chip *c)
{
    base_free(c->need);
    base_free(c->cn_wait);
    base_free(c->rev_first);
    base_free(c->rev);
    for (uint32_t k = 0; c->rq && k < c->n_cores; k++)
        base_free(c->rq[k]);
    base_free(c->rq);
    base_free(c->rq_n);
    base_free(c->rq_cap);
    base_free(c->inflight);
    for (uint32_t i = 0; i < c->n_streams; i++) {
        base_free(c->streams[i].dst_core);
        base_free(c->streams[i].arrived);
        base_free(c->streams[i].dst_terminal);
    }
    base_free(c->streams);
}

/* Cut the stream into packets, once its destinations are known. */
static void stream_packetise(chip *c, stream *s)
{
    s->packet_bits = s->n_dst > 1 ? c->pkt_bits_multi : c->pkt_bits_uni;
    s->n_packets = (uint32_t)((s->bits + s->packet_bits - 1) / s->packet_bits);
    if (s->n_packets == 0)
        s->n_packets = 1;
}

static uint64_t stream_packet_bits(const stream *s, uint32_t i)
{
    return i + 1 < s->n_packets ? s->packet_bits
                                : s->bits - (uint64_t)s->packet_bits * (s->n_packets - 1);
}

static int send_packet(chip *c, uint32_t sid, uint32_t i)
{
    stream *s = &c->streams[sid];
    uint64_t bits = stream_packet_bits(s, i);
    noc_packet_req req = {
        .src = s->src_terminal, .n_dst = s->n_dst, .dst = s->dst_terminal,
        .payload_bits = (uint32_t)(bits ? bits : 1), .tag = sid | (uint64_t)i << 32};
    base_error ne;
    if (noc_send(c->net, &req, NULL, &ne) != 0) {
        chip_fail(c, "NoC: %s", ne.msg);
        return -1;
    }
    c->res->packets++;
    return 0;
}

static void send_all(chip *c, stream *s)
{
    uint32_t sid = (uint32_t)(s - c->streams);
    for (uint32_t i = 0; i < s->n_packets && !c->failed; i++)
        send_packet(c, sid, i);
}

/* A memory released packet `packet` of the input stream `tag`. */
void chip_mem_released(void *ctx, uint64_t tag, uint32_t packet, uint64_t bits)
{
    chip_trace_mem_read(ctx, (uint32_t)tag, bits);
    send_packet(ctx, (uint32_t)tag, packet);
}

/* ---- stations and cores ----------------------------------------------- */

/* Does CN a go before CN b in Stream's fused order: by stack, then tile
 * (intra-core slot), then layer, then part? */
static int goes_first(const plan *p, uint32_t a, uint32_t b)
{
    const plan_cn *x = &p->cns[a], *y = &p->cns[b];
    uint32_t sx = p->layers[x->layer].stack, sy = p->layers[y->layer].stack;
    if (sx != sy)
        return sx < sy;
    if (x->tile != y->tile)
        return x->tile < y->tile;
    if (x->layer != y->layer)
        return x->layer < y->layer;
    return x->part < y->part;
}

/* Fused: an idle core takes its first ready CN in that order. */
static void pump(chip *c, uint32_t core)
{
    while (!c->failed && c->inflight[core] == 0 && c->rq_n[core] > 0) {
        uint32_t *q = c->rq[core], best = 0;
        for (uint32_t i = 1; i < c->rq_n[core]; i++)
            if (goes_first(c->p, q[i], q[best]))
                best = i;
        uint32_t ci = q[best];
        q[best] = q[--c->rq_n[core]];
        const plan_cn *cn = &c->p->cns[ci];
        station *st = chip_station(c, cn->layer, core);
        if (!st->w_streaming) { /* weights streamed while its CNs run */
            st->w_streaming = 1;
            chip_weights_stream(c, cn->layer, core);
            chip_spill_start(c, cn->layer, core);
        }
        c->inflight[core]++;
        if (core_submit(c->cores[core], ci, cn->dur_ps, cn->energy_pj) != 0)
            chip_fail(c, "out of memory submitting a CN");
    }
}

/* Layer by layer the core runs its CNs as they come (FIFO); fused they
 * wait in the core's ready list. */
static void submit_cn(chip *c, uint32_t core, uint32_t ci)
{
    const plan_cn *cn = &c->p->cns[ci];
    c->cn_wait[ci] = -1;
    chip_trace_cn_ready(c, core);
    if (c->p->fused) {
        if (BASE_GROW(c->rq[core], c->rq_cap[core], c->rq_n[core] + 1, UINT32_MAX) != 0) {
            chip_fail(c, "out of memory submitting a CN");
            return;
        }
        c->rq[core][c->rq_n[core]++] = ci;
        pump(c, core);
        return;
    }
    if (core_submit(c->cores[core], ci, cn->dur_ps, cn->energy_pj) != 0)
        chip_fail(c, "out of memory submitting a CN");
}

/* The station's CNs whose own inputs are there go to the core (layer by
 * layer: all of them), in plan order. */
static void station_ready(chip *c, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &c->p->layers[layer];
    if (!c->p->fused) { /* fused: when its first CN goes to the core */
        chip_weights_stream(c, layer, core);
        chip_spill_start(c, layer, core);
    }
    for (uint32_t part = 0; part < pl->n_parts && !c->failed; part++) {
        const plan_part *pp = &pl->parts[part];
        if (pp->core != core)
            continue;
        for (uint32_t i = 0; i < pp->n_cns && !c->failed; i++)
            if (c->cn_wait[pp->first_cn + i] == 0)
                submit_cn(c, core, pp->first_cn + i);
    }
    chip_stall_update(c, core);
}

/* Every input and weight load there: the station's CNs go to the core. */
void chip_station_check(chip *c, uint32_t layer, uint32_t core)
{
    station *st = chip_station(c, layer, core);
    if (st->waiting == 0 && st->w_waiting == 0) {
        st->waiting = -2;
        station_ready(c, layer, core);
    }
}

/* Has the station a CN whose own (CN-grain) inputs are all in? */
static int has_ready_cn(const chip *c, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &c->p->layers[layer];
    for (uint32_t part = 0; part < pl->n_parts; part++) {
        const plan_part *pp = &pl->parts[part];
        for (uint32_t i = 0; pp->core == core && i < pp->n_cns; i++)
            if (c->cn_wait[pp->first_cn + i] == 0)
                return 1;
    }
    return 0;
}

void chip_station_block(chip *c, uint32_t layer, uint32_t core)
{
    station *st = chip_station(c, layer, core);
    if (st->w_blocked || st->waiting != 0 || st->w_waiting <= 0)
        return;
    if (c->p->fused && !has_ready_cn(c, layer, core))
        return; /* its CNs wait for their own inputs: not a weight stall */
    st->w_blocked = 1;
    c->cw[core].blocked++;
    chip_stall_update(c, core);
}

void chip_station_unblock(chip *c, uint32_t layer, uint32_t core)
{
    station *st = chip_station(c, layer, core);
    if (!st->w_blocked)
        return;
    st->w_blocked = 0;
    c->cw[core].blocked--;
}

static void input_arrived(chip *c, uint32_t layer, uint32_t core)
{
    station *st = chip_station(c, layer, core);
    if (st->waiting > 0 && --st->waiting == 0) {
        chip_station_block(c, layer, core); /* the inputs are there, the weights? */
        chip_station_check(c, layer, core);
    }
}

/* Does `cl` take layer lp's output CN by CN (fused, same stack)? */
static int granular(const chip *c, uint32_t lp, uint32_t cl)
{
    return c->p->fused && c->p->layers[lp].stack == c->p->layers[cl].stack;
}

static plan_box *need_box(chip *c, uint32_t cl, uint32_t slot, uint32_t core)
{
    return &c->need[((size_t)cl * PLAN_MAX_PRODUCERS + slot) * c->n_cores + core];
}

/* Producer CN `unit` arrived on `core`: the consumer CNs there that read
 * it through `slot` wait for one input less. */
static void cn_input_arrived(chip *c, uint32_t cl, uint32_t slot, uint32_t unit, uint32_t core)
{
    const plan *p = c->p;
    station *st = chip_station(c, cl, core);
    for (uint32_t r = c->rev_first[unit]; r < c->rev_first[unit + 1]; r++) {
        const plan_dep *d = &p->deps[c->rev[r]];
        const plan_cn *cn = &p->cns[d->dst_cn];
        if (d->slot != slot || cn->layer != cl || p->layers[cl].parts[cn->part].core != core)
            continue;
        if (--c->cn_wait[d->dst_cn] == 0 && st->waiting == -2)
            submit_cn(c, core, d->dst_cn);
        else if (c->cn_wait[d->dst_cn] == 0)
            chip_station_block(c, cl, core);
    }
    chip_stall_update(c, core);
}

static void unit_arrived(chip *c, const stream *s, uint32_t core)
{
    if (s->granular)
        cn_input_arrived(c, s->layer, s->slot, s->unit, core);
    else
        input_arrived(c, s->layer, core);
}

static void writeback_done(chip *c)
{
    if (--c->writebacks_due == 0 && c->res->layers_done == c->p->n_layers)
        c->res->complete = 1;
}

void chip_on_delivery(void *ctx, const noc_delivery *d)
{
    chip *c = ctx;
    stream *s = &c->streams[(uint32_t)d->tag];
    if (s->kind == CHIP_S_SPILL) { /* lands in the output memory */
        chip_trace_mem_write(c, (uint32_t)d->tag, stream_packet_bits(s, (uint32_t)(d->tag >> 32)));
        mem_write(c->mems[c->out_mem], stream_packet_bits(s, (uint32_t)(d->tag >> 32)));
        if (++s->arrived[0] == s->n_packets)
            chip_spill_written(c, s);
        return;
    }
    if (s->kind != CHIP_S_ACT) {
        if (++s->arrived[0] == s->n_packets)
            chip_weights_arrived(c, s);
        return;
    }
    if (s->layer == CHIP_NO_LAYER) { /* a write-back packet landed */
        chip_trace_mem_write(c, (uint32_t)d->tag, stream_packet_bits(s, (uint32_t)(d->tag >> 32)));
        mem_write(c->mems[c->out_mem], stream_packet_bits(s, (uint32_t)(d->tag >> 32)));
        if (++s->arrived[0] == s->n_packets)
            writeback_done(c);
        return;
    }
    for (uint32_t i = 0; i < s->n_dst; i++)
        if (s->dst_terminal[i] == d->dst && ++s->arrived[i] == s->n_packets) {
            chip_trace_input(c, s->layer, s->dst_core[i], s->bits);
            unit_arrived(c, s, s->dst_core[i]);
            /* The core may have started streams: c->streams may have moved. */
            s = &c->streams[(uint32_t)d->tag];
        }
}

/* This part's output back to the output memory (none: taken as kept). */
static void send_writeback(chip *c, const plan_part *pp, uint32_t layer)
{
    if (c->out_mem >= c->n_mems) {
        writeback_done(c);
        return;
    }
    stream *s = stream_new(c, pp->out_bits, 1);
    if (!s) {
        chip_fail(c, "out of memory");
        return;
    }
    s->layer = CHIP_NO_LAYER;
    s->data_layer = layer;
    s->n_dst = 1;
    s->src_terminal = c->core_term[pp->core];
    s->dst_terminal[0] = c->mem_term[c->out_mem];
    stream_packetise(c, s);
    send_all(c, s);
}

static uint64_t out_precision(const cfg_layer *l)
{
    const cfg_operand *o = &l->operands[0];
    return (uint64_t)(o->final_precision_bits > 0 ? o->final_precision_bits
                                                  : o->precision_bits);
}

static int same_box(const plan_box *a, const plan_box *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->lo[i] != b->lo[i] || a->hi[i] != b->hi[i])
            return 0;
    return 1;
}

/* One stream of `bits` from src_core to the cores in dst. */
static void send_slice(chip *c, const stream *proto, uint32_t src_core, const uint32_t *dst,
                       uint32_t n_dst, uint64_t bits)
{
    stream *s = stream_new(c, bits, n_dst);
    if (!s) {
        chip_fail(c, "out of memory");
        return;
    }
    s->layer = proto->layer;
    s->data_layer = proto->data_layer;
    s->unit = proto->unit;
    s->slot = proto->slot;
    s->granular = proto->granular;
    s->n_dst = n_dst;
    s->src_terminal = c->core_term[src_core];
    for (uint32_t j = 0; j < n_dst; j++) {
        s->dst_core[j] = dst[j];
        s->dst_terminal[j] = c->core_term[dst[j]];
    }
    stream_packetise(c, s);
    send_all(c, s);
}

/* Box `box` of layer lp's output, made on src_core, to consumer layer
 * cl (slot): each core gets what its CNs read of it, cores reading the
 * same slice in one multicast stream (by lowest core); the own core at
 * once, after the streams. */
static void send_unit(chip *c, uint32_t lp, const plan_box *box, uint32_t src_core,
                      const stream *proto)
{
    uint32_t n = c->n_cores;
    plan_box *m = base_calloc(n, sizeof *m);
    uint64_t *v = base_calloc(n, sizeof *v);
    uint32_t *dst = base_calloc(n, sizeof *dst);
    uint8_t *done = base_calloc(n, 1);
    if (!m || !v || !dst || !done) {
        chip_fail(c, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < n; k++)
        v[k] = plan_box_meet(box, need_box(c, proto->layer, proto->slot, k), &m[k]);
    uint64_t prec = out_precision(c->p->layers[lp].cfg);
    for (uint32_t k = 0; k < n && !c->failed; k++) {
        if (!v[k] || k == src_core || done[k])
            continue;
        uint32_t nd = 0;
        for (uint32_t k2 = k; k2 < n; k2++)
            if (v[k2] && k2 != src_core && !done[k2] && same_box(&m[k], &m[k2])) {
                done[k2] = 1;
                dst[nd++] = k2;
            }
        send_slice(c, proto, src_core, dst, nd, v[k] * prec);
    }
    if (v[src_core] && !c->failed) {
        chip_trace_input(c, proto->layer, src_core, v[src_core] * prec);
        unit_arrived(c, proto, src_core);
    }
out:
    base_free(m);
    base_free(v);
    base_free(dst);
    base_free(done);
}

/* Layer `layer`'s output unit (a CN when `gran`, else a part) to every
 * consumer that takes it at that grain, consumers by index. */
static void send_to_consumers(chip *c, uint32_t layer, uint32_t unit, int gran,
                              const plan_box *box, uint32_t src_core)
{
    for (uint32_t cl = layer + 1; cl < c->p->n_layers && !c->failed; cl++) {
        const plan_layer *cpl = &c->p->layers[cl];
        if (granular(c, layer, cl) != gran)
            continue;
        for (uint32_t i = 0; i < cpl->n_producers; i++)
            if (cpl->producers[i] == layer) {
                stream proto = {.layer = cl, .data_layer = layer, .unit = unit,
                                .slot = (uint8_t)i, .granular = (uint8_t)gran};
                send_unit(c, layer, box, src_core, &proto);
            }
    }
}

/* Every stream this part sends, in a fixed order: consumers by index. */
void chip_part_done(chip *c, uint32_t layer, uint32_t part)
{
    const plan_layer *pl = &c->p->layers[layer];
    if (--c->layer_left[layer] == 0)
        c->res->layers_done++;
    chip_weights_part_done(c, c->part_base[layer] + part);
    chip_trace_part_done(c, layer, part);
    if (pl->n_consumers == 0) {
        send_writeback(c, &pl->parts[part], layer);
        return;
    }
    send_to_consumers(c, layer, c->part_base[layer] + part, 0, &pl->parts[part].out,
                      pl->parts[part].core);
}

void chip_cn_started(void *ctx, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    chip *c = ctx;
    chip_layer_result *lr = &c->res->layers[c->p->cns[cn_i].layer];
    if (t < lr->start_ps)
        lr->start_ps = t;
    if (c->w)
        chip_trace_cn(c, core, cn_i, t, dur);
}

static void add_level(chip_result *res, const char *name, double pj)
{
    uint32_t i = 0;
    while (i < res->n_levels && strcmp(res->levels[i].name, name))
        i++;
    if (i == res->n_levels) {
        if (i == CHIP_MAX_LEVEL_NAMES)
            i--; /* more names than slots: the last one takes the rest */
        else
            snprintf(res->levels[res->n_levels++].name, sizeof res->levels[0].name, "%s", name);
    }
    res->levels[i].pj += pj;
}

/* The CN's core-side energy by part: MACs and each level the chip does
 * not model itself (same skip rule as plan_cn.top_pj). */
static void book_levels(chip *c, const plan_cn *cn)
{
    const plan_layer *pl = &c->p->layers[cn->layer];
    const loma_result *r = cn->cost;
    c->res->mac_pj += r->mac_energy_pj;
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lev = 0; lev < r->n_levels[op]; lev++) {
            int m = r->mem_of[op][lev];
            if (m < 0 || (pl->top_offchip[op] && m == pl->core.n_mems - 1))
                continue;
            add_level(c->res, pl->core.mem[m].name, r->energy_level_pj[op][lev]);
        }
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (cn->fill_mem[op] >= 0) {
            add_level(c->res, pl->core.mem[cn->fill_mem[op]].name, cn->fill_pj[op]);
            c->res->fill_pj += cn->fill_pj[op];
        }
    c->res->top_offchip |= pl->top_is_offchip;
}

void chip_cn_finished(void *ctx, uint32_t core, uint32_t cn_i, uint64_t t)
{
    chip *c = ctx;
    const plan_cn *cn = &c->p->cns[cn_i];
    chip_layer_result *lr = &c->res->layers[cn->layer];
    lr->cns_done++;
    lr->energy_pj += cn->energy_pj;
    c->res->mapper_top_pj += cn->top_pj;
    c->res->mapper_top_w_pj += cn->top_w_pj;
    c->res->cores[core].macs += cn->macs;
    book_levels(c, cn);
    if (t > lr->end_ps)
        lr->end_ps = t;
    uint32_t pidx = c->part_base[cn->layer] + cn->part;
    c->part_cns_end_ps[pidx] = t;
    chip_trace_cn_done(c, core, cn_i);
    if (c->p->fused && cn->complete)
        send_to_consumers(c, cn->layer, cn_i, 1, &cn->out, core);
    if (c->p->fused) {
        c->inflight[core]--;
        pump(c, core);
    }
    if (--c->part_left[pidx] == 0)
        chip_part_done(c, cn->layer, cn->part);
    else
        chip_weights_cn_done(c, pidx);
    chip_stall_update(c, core);
}

/* ---- the start -------------------------------------------------------- */

/* Per (layer, slot, core) what the core's CNs read, per CN the granular
 * inputs it waits for, per producer CN the deps on it. 0, or -1. */
static int deps_init(chip *c)
{
    const plan *p = c->p;
    c->need = base_calloc((size_t)p->n_layers * PLAN_MAX_PRODUCERS * c->n_cores + 1,
                          sizeof *c->need);
    c->cn_wait = base_calloc((size_t)p->n_cns + 1, sizeof *c->cn_wait);
    c->rev_first = base_calloc((size_t)p->n_cns + 2, sizeof *c->rev_first);
    c->rev = base_calloc((size_t)p->n_deps + 1, sizeof *c->rev);
    c->rq = base_calloc(c->n_cores + 1, sizeof *c->rq);
    c->rq_n = base_calloc(c->n_cores + 1, sizeof *c->rq_n);
    c->rq_cap = base_calloc(c->n_cores + 1, sizeof *c->rq_cap);
    c->inflight = base_calloc(c->n_cores + 1, sizeof *c->inflight);
    if (!c->need || !c->cn_wait || !c->rev_first || !c->rev || !c->rq || !c->rq_n ||
        !c->rq_cap || !c->inflight)
        return -1;
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t i = 0; i < p->layers[l].n_parts; i++)
            for (uint32_t j = 0; j < p->layers[l].n_producers; j++)
                plan_box_join(need_box(c, l, j, p->layers[l].parts[i].core),
                              &p->layers[l].parts[i].need[j]);
    for (uint32_t d = 0; d < p->n_deps; d++) {
        const plan_dep *dp = &p->deps[d];
        uint32_t cl = p->cns[dp->dst_cn].layer;
        if (granular(c, p->layers[cl].producers[dp->slot], cl))
            c->cn_wait[dp->dst_cn]++;
        c->rev_first[dp->src_cn + 1]++;
    }
    for (uint32_t i = 0; i < p->n_cns; i++)
        c->rev_first[i + 1] += c->rev_first[i];
    uint32_t *fill = base_calloc((size_t)p->n_cns + 1, sizeof *fill);
    if (!fill)
        return -1;
    for (uint32_t d = 0; d < p->n_deps; d++) {
        uint32_t u = p->deps[d].src_cn;
        c->rev[c->rev_first[u] + fill[u]++] = d;
    }
    base_free(fill);
    return 0;
}

/* The part-grain input streams station (l, core) waits for: one per
 * producer part whose output box meets what the core reads. */
static int32_t station_inputs(chip *c, uint32_t l, uint32_t core)
{
    const plan *p = c->p;
    const plan_layer *pl = &p->layers[l];
    int32_t need = 0;
    for (uint32_t r = 0; r < pl->n_in_reads; r++)
        for (uint32_t j = 0; j < pl->in_reads[r].n; j++)
            need += pl->in_reads[r].cores[j] == core;
    for (uint32_t j = 0; j < pl->n_producers; j++) {
        const plan_layer *src = &p->layers[pl->producers[j]];
        if (granular(c, pl->producers[j], l))
            continue;
        for (uint32_t i = 0; i < src->n_parts; i++)
            need += plan_box_meet(&src->parts[i].out, need_box(c, l, j, core), NULL) > 0;
    }
    return need;
}

/* How many input streams each station waits for, and its weight loads. */
static void count_inputs(chip *c)
{
    const plan *p = c->p;
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        for (uint32_t k = 0; k < c->n_cores; k++)
            chip_station(c, l, k)->waiting = -1;
        for (uint32_t i = 0; i < pl->n_parts; i++) {
            station *st = chip_station(c, l, pl->parts[i].core);
            if (st->waiting < 0)
                st->waiting = station_inputs(c, l, pl->parts[i].core);
        }
        for (uint32_t i = 0; i < pl->n_parts; i++) {
            const plan_part *pp = &pl->parts[i];
            if (pl->w_mem != PLAN_NO_MEM && c->n_mems && pp->w_bits && !pp->w_streamed)
                chip_station(c, l, pp->core)->w_waiting++;
        }
        c->layer_left[l] = pl->n_parts;
        if (pl->n_consumers == 0)
            c->writebacks_due += pl->n_parts;
        for (uint32_t i = 0; i < pl->n_parts; i++)
            c->part_left[c->part_base[l] + i] = pl->parts[i].n_cns;
    }
}

static int mem_request(chip *c, uint32_t mem, stream *s, const char *label, int repeated)
{
    stream_packetise(c, s);
    mem_read_req r = {.bits = s->bits, .packet_bits = s->packet_bits,
                      .tag = (uint32_t)(s - c->streams), .label = label,
                      .repeated = repeated};
    base_error e;
    if (mem_read(c->mems[mem], &r, &e) != 0) {
        chip_fail(c, "%s", e.msg);
        return -1;
    }
    return 0;
}

/* A read of `bits` from memory `mem` to the n cores in dst (multicast
 * when several read the same data), carried as a stream of kind `kind`. */
static int read_to_cores(chip *c, uint32_t mem, uint64_t bits, const uint32_t *dst, uint32_t n,
                         uint8_t kind, uint32_t layer, uint32_t part, const char *label)
{
    stream *s = stream_new(c, bits, n);
    if (!s) {
        chip_fail(c, "out of memory");
        return -1;
    }
    s->kind = kind;
    s->layer = layer;
    s->part = part;
    s->n_dst = n;
    s->src_terminal = c->mem_term[mem];
    for (uint32_t j = 0; j < n; j++) {
        s->dst_core[j] = dst[j];
        s->dst_terminal[j] = c->core_term[dst[j]];
    }
    return mem_request(c, mem, s, label, kind == CHIP_S_WSTREAM);
}

/* Layer l's network input, read from the input memory in the reads the
 * plan cut it into (plan_input.c): each region once, to the cores that
 * read it. */
static int start_read(chip *c, uint32_t l)
{
    const plan_layer *pl = &c->p->layers[l];
    for (uint32_t r = 0; r < pl->n_in_reads; r++)
        if (read_to_cores(c, c->in_mem, pl->in_reads[r].bits, pl->in_reads[r].cores,
                          pl->in_reads[r].n, CHIP_S_ACT, l, 0, "read input") != 0)
            return -1;
    return 0;
}

int chip_mem_stream(chip *c, uint32_t mem, uint64_t bits, uint32_t core, uint8_t kind,
                    uint32_t layer, uint32_t part, const char *label)
{
    return read_to_cores(c, mem, bits, &core, 1, kind, layer, part, label);
}

int chip_core_to_mem(chip *c, uint32_t core, uint64_t bits, uint8_t kind, uint32_t layer,
                     uint32_t part)
{
    stream *s = stream_new(c, bits, 1);
    if (!s) {
        chip_fail(c, "out of memory");
        return -1;
    }
    s->kind = kind;
    s->layer = layer;
    s->data_layer = layer;
    s->part = part;
    s->n_dst = 1;
    s->src_terminal = c->core_term[core];
    s->dst_terminal[0] = c->mem_term[c->out_mem];
    stream_packetise(c, s);
    send_all(c, s);
    return c->failed ? -1 : 0;
}

int chip_start(chip *c)
{
    const plan *p = c->p;
    if (deps_init(c) != 0) {
        chip_fail(c, "out of memory");
        return -1;
    }
    count_inputs(c);
    for (uint32_t l = 0; l < p->n_layers; l++) {
        if (!p->layers[l].offchip_in_bits)
            continue;
        if (c->in_mem >= c->n_mems) {
            /* No memory to read from: the input is taken as preloaded. */
            const plan_layer *pl = &p->layers[l];
            for (uint32_t r = 0; r < pl->n_in_reads; r++)
                for (uint32_t j = 0; j < pl->in_reads[r].n; j++)
                    input_arrived(c, l, pl->in_reads[r].cores[j]);
        } else if (start_read(c, l) != 0) {
            return -1;
        }
    }
    /* Layers with no inputs at all can start at once (once their weights
     * are in). */
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t k = 0; k < c->n_cores; k++) {
            chip_station_block(c, l, k);
            chip_station_check(c, l, k);
        }
    chip_weights_start(c);
    for (uint32_t k = 0; k < c->n_cores; k++)
        chip_stall_update(c, k);
    return c->failed ? -1 : 0;
}
