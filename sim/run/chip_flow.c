/* chip_flow.c -- who waits for what during a chip run.
 *
 * Per (layer, core) "station": how many input streams it still waits
 * for; at zero, every CN of the layer's parts on that core is submitted
 * to the core. A part whose CNs are all done sends its output: one stream
 * per consumer layer, multicast to that layer's cores (a copy branching in
 * the NoC only where paths split), or to the output memory when nothing
 * reads it. Streams are packets of CHIP_PACKET_FLITS flits (multicast
 * ones no longer than a VC buffer, see chip_layout); a packet's tag is its
 * stream id (low 32 bits) and its index in the stream (high 32 bits). */
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
    c->n_streams++;
    c->res->transfers++;
    return s;
}

void chip_streams_free(chip *c)
{
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
    (void)bits;
    send_packet(ctx, (uint32_t)tag, packet);
}

/* ---- stations and cores ----------------------------------------------- */

static void station_ready(chip *c, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &c->p->layers[layer];
    chip_weights_stream(c, layer, core);
    for (uint32_t part = 0; part < pl->n_parts; part++) {
        const plan_part *pp = &pl->parts[part];
        if (pp->core != core)
            continue;
        for (uint32_t i = 0; i < pp->n_cns; i++) {
            const plan_cn *cn = &c->p->cns[pp->first_cn + i];
            if (core_submit(c->cores[core], pp->first_cn + i, cn->dur_ps, cn->energy_pj) != 0) {
                chip_fail(c, "out of memory submitting a CN");
                return;
            }
        }
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

static void input_arrived(chip *c, uint32_t layer, uint32_t core)
{
    station *st = chip_station(c, layer, core);
    if (st->waiting > 0 && --st->waiting == 0) {
        if (st->w_waiting > 0) { /* the inputs are there, the weights not yet */
            c->cw[core].blocked++;
            chip_stall_update(c, core);
        }
        chip_station_check(c, layer, core);
    }
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
    if (s->kind != CHIP_S_ACT) {
        if (++s->arrived[0] == s->n_packets)
            chip_weights_arrived(c, s);
        return;
    }
    if (s->layer == CHIP_NO_LAYER) { /* a write-back packet landed */
        mem_write(c->mems[c->out_mem], stream_packet_bits(s, (uint32_t)(d->tag >> 32)));
        if (++s->arrived[0] == s->n_packets)
            writeback_done(c);
        return;
    }
    for (uint32_t i = 0; i < s->n_dst; i++)
        if (s->dst_terminal[i] == d->dst && ++s->arrived[i] == s->n_packets)
            input_arrived(c, s->layer, s->dst_core[i]);
}

/* This part's output back to the output memory (none: taken as kept). */
static void send_writeback(chip *c, const plan_part *pp)
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
    s->n_dst = 1;
    s->src_terminal = c->core_term[pp->core];
    s->dst_terminal[0] = c->mem_term[c->out_mem];
    stream_packetise(c, s);
    send_all(c, s);
}

/* The distinct cores of layer cl's parts into dst (excluding `skip`,
 * which sets *local instead); returns how many. */
static uint32_t layer_cores(const chip *c, uint32_t cl, uint32_t skip, int *local,
                            uint32_t *dst)
{
    const plan_layer *cpl = &c->p->layers[cl];
    uint32_t n = 0;
    for (uint32_t i = 0; i < cpl->n_parts; i++) {
        uint32_t core = cpl->parts[i].core;
        int seen = 0;
        for (uint32_t j = 0; j < n; j++)
            seen |= dst[j] == core;
        if (core == skip)
            *local = 1;
        else if (!seen)
            dst[n++] = core;
    }
    return n;
}

/* Stream this part's output to consumer layer `cl`'s other cores; its
 * own core gets it at once. */
static void send_output(chip *c, const plan_part *pp, uint32_t cl)
{
    uint32_t *dst = base_calloc(c->p->layers[cl].n_parts + 1, sizeof *dst);
    if (!dst) {
        chip_fail(c, "out of memory");
        return;
    }
    int local = 0;
    uint32_t n_dst = layer_cores(c, cl, pp->core, &local, dst);
    if (n_dst) {
        stream *s = stream_new(c, pp->out_bits, n_dst);
        if (!s) {
            base_free(dst);
            chip_fail(c, "out of memory");
            return;
        }
        s->layer = cl;
        s->n_dst = n_dst;
        s->src_terminal = c->core_term[pp->core];
        for (uint32_t j = 0; j < n_dst; j++) {
            s->dst_core[j] = dst[j];
            s->dst_terminal[j] = c->core_term[dst[j]];
        }
        stream_packetise(c, s);
        send_all(c, s);
    }
    base_free(dst);
    if (local)
        input_arrived(c, cl, pp->core);
}

/* Every stream this part sends, in a fixed order: consumers by index. */
void chip_part_done(chip *c, uint32_t layer, uint32_t part)
{
    const plan_layer *pl = &c->p->layers[layer];
    if (--c->layer_left[layer] == 0)
        c->res->layers_done++;
    chip_weights_part_done(c, c->part_base[layer] + part);
    if (pl->n_consumers == 0) {
        send_writeback(c, &pl->parts[part]);
        return;
    }
    for (uint32_t cl = layer + 1; cl < c->p->n_layers; cl++) {
        const plan_layer *cpl = &c->p->layers[cl];
        for (uint32_t i = 0; i < cpl->n_producers; i++)
            if (cpl->producers[i] == layer)
                send_output(c, &pl->parts[part], cl);
    }
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
    if (--c->part_left[pidx] == 0)
        chip_part_done(c, cn->layer, cn->part);
    else
        chip_weights_cn_done(c, pidx);
    chip_stall_update(c, core);
}

/* ---- the start -------------------------------------------------------- */

/* How many input streams each station waits for: one stream (or local
 * hand-over) per producer part, and the network input if any. */
static void count_inputs(chip *c)
{
    const plan *p = c->p;
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        for (uint32_t k = 0; k < c->n_cores; k++)
            chip_station(c, l, k)->waiting = -1;
        for (uint32_t i = 0; i < pl->n_parts; i++) {
            station *st = chip_station(c, l, pl->parts[i].core);
            if (st->waiting >= 0)
                continue;
            int32_t need = pl->offchip_in_bits ? 1 : 0;
            for (uint32_t j = 0; j < pl->n_producers; j++)
                need += (int32_t)p->layers[pl->producers[j]].n_parts;
            st->waiting = need;
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

/* Layer l's network input, read from the input memory and multicast to
 * the layer's cores. */
static int start_read(chip *c, uint32_t l)
{
    const plan_layer *pl = &c->p->layers[l];
    stream *s = stream_new(c, pl->offchip_in_bits, pl->n_parts);
    if (!s) {
        chip_fail(c, "out of memory starting the inputs");
        return -1;
    }
    s->layer = l;
    s->src_terminal = c->mem_term[c->in_mem];
    int local = 0;
    s->n_dst = layer_cores(c, l, UINT32_MAX, &local, s->dst_core);
    for (uint32_t j = 0; j < s->n_dst; j++)
        s->dst_terminal[j] = c->core_term[s->dst_core[j]];
    return mem_request(c, c->in_mem, s, "read input", 0);
}

int chip_mem_stream(chip *c, uint32_t mem, uint64_t bits, uint32_t core, uint8_t kind,
                    uint32_t layer, uint32_t part, const char *label)
{
    stream *s = stream_new(c, bits, 1);
    if (!s) {
        chip_fail(c, "out of memory");
        return -1;
    }
    s->kind = kind;
    s->layer = layer;
    s->part = part;
    s->n_dst = 1;
    s->dst_core[0] = core;
    s->src_terminal = c->mem_term[mem];
    s->dst_terminal[0] = c->core_term[core];
    return mem_request(c, mem, s, label, kind == CHIP_S_WSTREAM);
}

int chip_start(chip *c)
{
    const plan *p = c->p;
    count_inputs(c);
    for (uint32_t l = 0; l < p->n_layers; l++) {
        if (!p->layers[l].offchip_in_bits)
            continue;
        if (c->in_mem >= c->n_mems) {
            /* No memory to read from: the input is taken as preloaded. */
            for (uint32_t k = 0; k < c->n_cores; k++)
                input_arrived(c, l, k);
        } else if (start_read(c, l) != 0) {
            return -1;
        }
    }
    /* Layers with no inputs at all can start at once (once their weights
     * are in). */
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t k = 0; k < c->n_cores; k++) {
            station *st = chip_station(c, l, k);
            if (st->waiting == 0 && st->w_waiting > 0)
                c->cw[k].blocked++;
            chip_station_check(c, l, k);
        }
    chip_weights_start(c);
    for (uint32_t k = 0; k < c->n_cores; k++)
        chip_stall_update(c, k);
    return c->failed ? -1 : 0;
}
