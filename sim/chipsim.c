/* chipsim.c -- one inference on the whole chip; see chipsim.h.
 *
 * Bookkeeping, per (layer, core) "station": how many input streams it
 * still waits for; at zero, every CN of the layer's parts on that core is
 * submitted to the core. A part whose CNs are all done sends its output:
 * one stream per consumer layer, multicast to that layer's cores (a copy
 * branching in the NoC only where paths split), or to the off-chip
 * controller when nothing reads it. Streams are packets of
 * CSIM_PACKET_FLITS flits; the packet tag is the stream id. */
#include "chipsim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kernel.h"
#include "noc.h"
#include "trace/trc_noc.h"

typedef struct {
    uint32_t layer;           /* consumer layer, or UINT32_MAX: write-back */
    uint32_t n_dst;
    uint32_t *dst_core;       /* chip core index (write-back: unused) */
    uint32_t *arrived;        /* packets arrived per destination */
    uint32_t n_packets;
    uint64_t bits;
    uint32_t src_terminal;
    uint32_t *dst_terminal;
    uint32_t next_packet;     /* off-chip reads: next packet to release */
    int from_memory;          /* released by the controller, paced */
    uint64_t read_ps;         /* off-chip reads: time to stream it all */
} stream;

typedef struct {
    int32_t waiting;          /* input streams still due; -1: not used */
    uint64_t *flow_ends;      /* trace arrows to end at the first CN */
    uint32_t n_flow_ends, cap_flow_ends;
    int started;              /* first CN of this station started */
} station;

typedef struct {
    const cfg_scenario *s;
    const plan *p;
    const csim_options *o;
    csim_result *res;
    csim_error *err;
    kq_kernel *k;
    noc *net;
    core_model **cores;
    uint32_t tpr;             /* terminals per router */
    uint32_t mem_terminal;    /* the first off-chip memory's terminal */
    int have_mem;
    uint64_t mem_free_ps;     /* controller busy until */
    stream *streams;
    uint32_t n_streams, cap_streams;
    station *st;              /* n_layers x n_cores */
    uint32_t *part_left;      /* CNs still to finish, per (layer, part) */
    uint32_t *part_base;      /* index of a layer's first part */
    uint32_t *layer_left;     /* parts still to finish, per layer */
    uint32_t writebacks_due;
    int failed;
    /* trace */
    trc_writer *w;
    trc_track *core_track;
    trc_track mem_track;
    trc_noc *tnoc;
    trc_name n_layer, n_part, n_tile, n_macs, n_cycles, n_energy, n_order,
        n_read, n_bits;
    uint64_t **part_flows;    /* flows leaving each part's last CN */
    uint32_t n_parts;
} sim;

static void failf(sim *m, const char *fmt, ...)
{
    if (m->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err->msg, sizeof m->err->msg, fmt, ap);
    va_end(ap);
    m->failed = 1;
    kq_stop(m->k);
}

static station *st_at(sim *m, uint32_t layer, uint32_t core)
{
    return &m->st[(size_t)layer * m->s->chip->n_cores + core];
}

static uint32_t core_terminal(const sim *m, uint32_t core)
{
    const cfg_core_inst *ci = &m->s->chip->cores[core];
    uint32_t router = (uint32_t)ci->y * (uint32_t)m->s->chip->noc.mesh_w + (uint32_t)ci->x;
    return router * m->tpr;
}

/* ---- streams ---------------------------------------------------------- */

static uint32_t packet_bits(const sim *m)
{
    return CSIM_PACKET_FLITS * (uint32_t)m->s->chip->noc.flit_width_bits;
}

static stream *stream_new(sim *m, uint64_t bits, uint32_t n_dst)
{
    if (m->n_streams == m->cap_streams) {
        uint32_t cap = m->cap_streams ? m->cap_streams * 2 : 64;
        stream *s = realloc(m->streams, cap * sizeof *s);
        if (!s)
            return NULL;
        m->streams = s;
        m->cap_streams = cap;
    }
    stream *s = &m->streams[m->n_streams];
    memset(s, 0, sizeof *s);
    s->dst_core = calloc(n_dst ? n_dst : 1, sizeof *s->dst_core);
    s->arrived = calloc(n_dst ? n_dst : 1, sizeof *s->arrived);
    s->dst_terminal = calloc(n_dst ? n_dst : 1, sizeof *s->dst_terminal);
    if (!s->dst_core || !s->arrived || !s->dst_terminal) {
        free(s->dst_core);
        free(s->arrived);
        free(s->dst_terminal);
        return NULL;
    }
    s->bits = bits;
    uint64_t pb = packet_bits(m);
    s->n_packets = (uint32_t)((bits + pb - 1) / pb);
    if (s->n_packets == 0)
        s->n_packets = 1;
    m->n_streams++;
    m->res->transfers++;
    return s;
}

/* A stream to several cores goes as one unicast packet per destination,
 * not as one multicast packet: with every core multicasting to every other
 * at once (the all-to-all of K-split layers), the replicating multicast
 * tree deadlocked the 2x2 default chip (all four routers holding flits,
 * no progress), while dimension-order unicast cannot deadlock. */
static int send_packet(sim *m, uint32_t sid, uint32_t i)
{
    stream *s = &m->streams[sid];
    uint64_t pb = packet_bits(m);
    uint64_t bits = i + 1 < s->n_packets ? pb : s->bits - pb * (s->n_packets - 1);
    for (uint32_t d = 0; d < s->n_dst; d++) {
        noc_packet_req req = {
            .src = s->src_terminal, .n_dst = 1, .dst = &s->dst_terminal[d],
            .payload_bits = (uint32_t)(bits ? bits : 1), .tag = sid};
        noc_error ne;
        if (noc_send(m->net, &req, NULL, &ne) != 0) {
            failf(m, "NoC: %s", ne.msg);
            return -1;
        }
        m->res->packets++;
    }
    return 0;
}

/* The controller releases the next packet of a read stream. */
static void mem_release(kq_kernel *k, void *ctx, const void *payload)
{
    sim *m = ctx;
    uint32_t sid;
    memcpy(&sid, payload, sizeof sid);
    stream *s = &m->streams[sid];
    if (s->next_packet == 0 && m->w) {
        trc_arg a = trc_arg_uint(m->n_bits, s->bits);
        trc_extra x = {.args = &a, .n_args = 1};
        trc_complete(m->w, m->mem_track, trc_noc_sync(m->tnoc, kq_now(k)),
                     s->read_ps ? s->read_ps : 1, m->n_read, &x);
    }
    if (send_packet(m, sid, s->next_packet++) != 0)
        return;
    if (s->next_packet < s->n_packets) {
        const cfg_offchip *mem = &m->s->chip->memories[0];
        uint64_t pb = packet_bits(m);
        uint64_t gap = (uint64_t)((double)pb / mem->bandwidth_gbps * 1000.0);
        if (kq_schedule_in(k, gap ? gap : 1, 0, mem_release, m, &sid, sizeof sid, NULL))
            failf(m, "out of memory scheduling an off-chip read");
    }
}

/* ---- stations and cores ----------------------------------------------- */

static void station_ready(sim *m, uint32_t layer, uint32_t core)
{
    const plan_layer *pl = &m->p->layers[layer];
    for (uint32_t part = 0; part < pl->n_parts; part++) {
        const plan_part *pp = &pl->parts[part];
        if (pp->core != core)
            continue;
        for (uint32_t c = 0; c < pp->n_cns; c++)
            if (core_submit(m->cores[core], pp->first_cn + c,
                            m->p->cns[pp->first_cn + c].dur_ps) != 0) {
                failf(m, "out of memory submitting a CN");
                return;
            }
    }
}

static void input_arrived(sim *m, uint32_t layer, uint32_t core)
{
    station *st = st_at(m, layer, core);
    if (st->waiting > 0 && --st->waiting == 0)
        station_ready(m, layer, core);
}

static void on_delivery(void *ctx, const noc_delivery *d)
{
    sim *m = ctx;
    stream *s = &m->streams[d->tag];
    if (s->layer == UINT32_MAX) { /* write-back reached the controller */
        if (++s->arrived[0] == s->n_packets) {
            m->res->offchip_write_bits += s->bits;
            m->res->offchip_write_pj +=
                (double)s->bits * m->s->chip->memories[0].write_energy_pj_per_bit;
            if (--m->writebacks_due == 0 && m->res->layers_done == m->p->n_layers)
                m->res->complete = 1;
        }
        return;
    }
    for (uint32_t i = 0; i < s->n_dst; i++)
        if (s->dst_terminal[i] == d->dst && ++s->arrived[i] == s->n_packets)
            input_arrived(m, s->layer, s->dst_core[i]);
}

/* Stream this part's output to consumer layer `cl` (or write it back). */
static void send_output(sim *m, uint32_t layer, uint32_t part, uint32_t cl)
{
    const plan_layer *pl = &m->p->layers[layer];
    const plan_part *pp = &pl->parts[part];
    uint32_t src = pp->core;
    if (cl == UINT32_MAX) {
        if (!m->have_mem) {
            if (--m->writebacks_due == 0 && m->res->layers_done == m->p->n_layers)
                m->res->complete = 1;
            return;
        }
        stream *s = stream_new(m, pp->out_bits, 1);
        if (!s) {
            failf(m, "out of memory");
            return;
        }
        s->layer = UINT32_MAX;
        s->n_dst = 1;
        s->src_terminal = core_terminal(m, src);
        s->dst_terminal[0] = m->mem_terminal;
        uint32_t sid = (uint32_t)(s - m->streams);
        for (uint32_t i = 0; i < s->n_packets && !m->failed; i++)
            send_packet(m, sid, i);
        return;
    }
    /* Destination cores of the consumer, local one excluded. */
    const plan_layer *cpl = &m->p->layers[cl];
    uint32_t n_dst = 0;
    uint32_t *dst = calloc(cpl->n_parts, sizeof *dst);
    if (!dst) {
        failf(m, "out of memory");
        return;
    }
    int local = 0;
    for (uint32_t i = 0; i < cpl->n_parts; i++) {
        uint32_t c = cpl->parts[i].core;
        int seen = 0;
        for (uint32_t j = 0; j < n_dst; j++)
            seen |= dst[j] == c;
        if (c == src)
            local = 1;
        else if (!seen)
            dst[n_dst++] = c;
    }
    if (n_dst) {
        stream *s = stream_new(m, pp->out_bits, n_dst);
        if (!s) {
            free(dst);
            failf(m, "out of memory");
            return;
        }
        s->layer = cl;
        s->n_dst = n_dst;
        s->src_terminal = core_terminal(m, src);
        for (uint32_t j = 0; j < n_dst; j++) {
            s->dst_core[j] = dst[j];
            s->dst_terminal[j] = core_terminal(m, dst[j]);
        }
        uint32_t sid = (uint32_t)(s - m->streams);
        for (uint32_t i = 0; i < s->n_packets && !m->failed; i++)
            send_packet(m, sid, i);
    }
    free(dst);
    if (local)
        input_arrived(m, cl, src);
}

/* Every stream this part sends, in a fixed order: consumers by index. */
static void part_done(sim *m, uint32_t layer, uint32_t part)
{
    const plan_layer *pl = &m->p->layers[layer];
    if (--m->layer_left[layer] == 0)
        m->res->layers_done++;
    if (pl->n_consumers == 0) {
        send_output(m, layer, part, UINT32_MAX);
        return;
    }
    for (uint32_t cl = layer + 1; cl < m->p->n_layers; cl++) {
        const plan_layer *c = &m->p->layers[cl];
        for (uint32_t i = 0; i < c->n_producers; i++)
            if (c->producers[i] == layer)
                send_output(m, layer, part, cl);
    }
}

static int add_flow_end(station *st, uint64_t id)
{
    if (st->n_flow_ends == st->cap_flow_ends) {
        uint32_t cap = st->cap_flow_ends ? st->cap_flow_ends * 2 : 8;
        uint64_t *f = realloc(st->flow_ends, cap * sizeof *f);
        if (!f)
            return -1;
        st->flow_ends = f;
        st->cap_flow_ends = cap;
    }
    st->flow_ends[st->n_flow_ends++] = id;
    return 0;
}

/* Trace a CN slice: the loop order and costs as annotations; arrows from
 * the producers' last CNs end at a station's first CN, and leave a part's
 * last CN towards every consumer station. */
static void trace_cn(sim *m, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    const plan_cn *cn = &m->p->cns[cn_i];
    const plan_layer *pl = &m->p->layers[cn->layer];
    const plan_part *pp = &pl->parts[cn->part];
    char order[1024];
    plan_loop_order(m->p, cn, order, sizeof order);
    trc_arg args[] = {
        trc_arg_str(m->n_layer, pl->cfg->name),
        trc_arg_uint(m->n_part, cn->part),
        trc_arg_uint(m->n_tile, cn->tile),
        trc_arg_uint(m->n_macs, cn->macs),
        trc_arg_double(m->n_cycles, cn->cycles),
        trc_arg_double(m->n_energy, cn->energy_pj),
        trc_arg_str(m->n_order, order)};
    trc_extra x = {.args = args, .n_args = sizeof args / sizeof args[0]};
    station *st = st_at(m, cn->layer, core);
    if (!st->started) {
        st->started = 1;
        x.flow_ends = st->flow_ends;
        x.n_flow_ends = st->n_flow_ends;
    }
    uint32_t pidx = m->part_base[cn->layer] + cn->part;
    if (cn_i == pp->first_cn + pp->n_cns - 1) {
        /* One arrow per consumer station this part feeds (several parts
         * of a consumer on one core share a station: one arrow). */
        uint32_t nf = 0;
        uint64_t *f = calloc((size_t)m->p->n_layers * m->s->chip->n_cores + 1, sizeof *f);
        for (uint32_t cl = cn->layer + 1; f && cl < m->p->n_layers; cl++) {
            const plan_layer *c = &m->p->layers[cl];
            int reads = 0;
            for (uint32_t i = 0; i < c->n_producers; i++)
                reads |= c->producers[i] == cn->layer;
            for (uint32_t i = 0; reads && i < c->n_parts; i++) {
                int dup = 0;
                for (uint32_t j = 0; j < i; j++)
                    dup |= c->parts[j].core == c->parts[i].core;
                station *cs = st_at(m, cl, c->parts[i].core);
                if (dup || cs->started)
                    continue;
                uint64_t id = trc_flow_new(m->w);
                if (add_flow_end(cs, id) != 0)
                    break;
                f[nf++] = id;
            }
        }
        m->part_flows[pidx] = f;
        x.flows = f;
        x.n_flows = nf;
    }
    trc_complete(m->w, m->core_track[core], trc_noc_sync(m->tnoc, t), dur,
                 trc_intern(m->w, pl->cfg->name), &x);
}

static void cn_started(void *ctx, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    sim *m = ctx;
    const plan_cn *cn = &m->p->cns[cn_i];
    csim_layer_result *lr = &m->res->layers[cn->layer];
    if (t < lr->start_ps)
        lr->start_ps = t;
    if (m->w)
        trace_cn(m, core, cn_i, t, dur);
}

static void cn_finished(void *ctx, uint32_t core, uint32_t cn_i, uint64_t t)
{
    (void)core;
    sim *m = ctx;
    const plan_cn *cn = &m->p->cns[cn_i];
    csim_layer_result *lr = &m->res->layers[cn->layer];
    lr->cns_done++;
    lr->energy_pj += cn->energy_pj;
    m->res->compute_pj += cn->energy_pj;
    m->res->mapper_top_pj += cn->top_pj;
    if (t > lr->end_ps)
        lr->end_ps = t;
    uint32_t pidx = m->part_base[cn->layer] + cn->part;
    if (--m->part_left[pidx] == 0)
        part_done(m, cn->layer, cn->part);
}

/* ---- set-up ----------------------------------------------------------- */

static int build_noc(sim *m)
{
    const cfg_chip *chip = m->s->chip;
    const cfg_noc *cn = &chip->noc;
    /* One terminal for the core at a router plus one per memory
     * controller attached there. */
    uint32_t extra = 0;
    for (int i = 0; i < chip->n_memories; i++) {
        uint32_t here = 0;
        for (int j = 0; j <= i; j++)
            here += chip->memories[j].x == chip->memories[i].x &&
                    chip->memories[j].y == chip->memories[i].y;
        if (here > extra)
            extra = here;
    }
    m->tpr = 1 + extra;
    noc_config nc;
    noc_config_default(&nc);
    nc.width = (uint32_t)cn->mesh_w;
    nc.height = (uint32_t)cn->mesh_h;
    nc.terminals_per_router = m->tpr;
    nc.vcs = (uint32_t)cn->vcs;
    nc.vc_buf_flits = (uint32_t)cn->vc_depth_flits;
    nc.route_cycles = (uint32_t)cn->router_stage_cycles[0];
    nc.vc_alloc_cycles = (uint32_t)cn->router_stage_cycles[1];
    nc.sw_alloc_cycles = (uint32_t)cn->router_stage_cycles[2];
    nc.xbar_cycles = (uint32_t)cn->router_stage_cycles[3];
    nc.link_cycles = (uint32_t)cn->link_latency_cycles;
    nc.flit_bits = (uint32_t)cn->flit_width_bits;
    nc.clock_ghz = cn->clock_ghz;
    nc.router_pj_per_flit = cn->energy_per_flit_hop_pj;
    nc.link_pj_per_bit = cn->energy_per_bit_link_pj;
    nc.table_lookup_cycles = (uint32_t)cn->multicast_lookup_cycles;
    nc.seed = m->s->seed;
    noc_error ne;
    m->net = noc_new(m->k, &nc, &ne);
    if (!m->net) {
        failf(m, "NoC: %s", ne.msg);
        return -1;
    }
    noc_set_sink(m->net, on_delivery, m);
    if (chip->n_memories > 0) {
        const cfg_offchip *mem = &chip->memories[0];
        uint32_t router = (uint32_t)mem->y * nc.width + (uint32_t)mem->x;
        m->mem_terminal = router * m->tpr + 1;
        m->have_mem = 1;
    }
    return 0;
}

static int build_trace(sim *m)
{
    trc_writer *w = m->w;
    const cfg_chip *chip = m->s->chip;
    char name[160];
    snprintf(name, sizeof name, "chip %s", chip->name);
    trc_track top;
    trc_track_spec ts = {.name = name, .description = "cores and memories",
                         .level = TRC_SUMMARY};
    if (trc_track_new(w, &ts, &top) != 0)
        return -1;
    for (int c = 0; c < chip->n_cores; c++) {
        snprintf(name, sizeof name, "core %lld (%d,%d) %s",
                 (long long)chip->cores[c].id, chip->cores[c].x, chip->cores[c].y,
                 chip->types[chip->cores[c].type].name);
        trc_track_spec cs = {.name = name, .parent = top, .level = TRC_SUMMARY,
                             .description = "CN executions; args hold the loop order"};
        if (trc_track_new(w, &cs, &m->core_track[c]) != 0)
            return -1;
    }
    if (m->have_mem) {
        snprintf(name, sizeof name, "memory %s", chip->memories[0].name);
        trc_track_spec ms = {.name = name, .parent = top, .level = TRC_SUMMARY,
                             .description = "off-chip reads (network input)"};
        if (trc_track_new(w, &ms, &m->mem_track) != 0)
            return -1;
    }
    m->n_layer = trc_intern(w, "layer");
    m->n_part = trc_intern(w, "part");
    m->n_tile = trc_intern(w, "tile");
    m->n_macs = trc_intern(w, "macs");
    m->n_cycles = trc_intern(w, "cycles");
    m->n_energy = trc_intern(w, "energy_pj");
    m->n_order = trc_intern(w, "loop_order");
    m->n_read = trc_intern(w, "read input");
    m->n_bits = trc_intern(w, "bits");
    trc_error te;
    m->tnoc = trc_noc_new(w, m->net, m->o->trace_sample_cycles ? m->o->trace_sample_cycles : 100,
                          &te);
    if (!m->tnoc) {
        failf(m, "trace: %s", te.msg);
        return -1;
    }
    return trc_failed(w) ? -1 : 0;
}

/* Expected input streams per station; the network input's streams start. */
static int start_inputs(sim *m)
{
    const plan *p = m->p;
    uint32_t nc = (uint32_t)m->s->chip->n_cores;
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        for (uint32_t c = 0; c < nc; c++)
            st_at(m, l, c)->waiting = -1;
        for (uint32_t i = 0; i < pl->n_parts; i++) {
            station *st = st_at(m, l, pl->parts[i].core);
            if (st->waiting >= 0)
                continue;
            /* One stream (or local hand-over) per producer part, and the
             * network input if any. */
            int32_t need = pl->offchip_in_bits ? 1 : 0;
            for (uint32_t j = 0; j < pl->n_producers; j++)
                need += (int32_t)p->layers[pl->producers[j]].n_parts;
            st->waiting = need;
        }
        m->layer_left[l] = pl->n_parts;
        if (pl->n_consumers == 0)
            m->writebacks_due += pl->n_parts;
    }
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        for (uint32_t i = 0; i < pl->n_parts; i++)
            m->part_left[m->part_base[l] + i] = pl->parts[i].n_cns;
        if (pl->offchip_in_bits && !m->have_mem) {
            /* No memory to read from: the input is taken as preloaded. */
            for (uint32_t c = 0; c < nc; c++)
                input_arrived(m, l, c);
        } else if (pl->offchip_in_bits) {
            uint32_t n_dst = 0;
            stream *s = stream_new(m, pl->offchip_in_bits, pl->n_parts);
            if (!s)
                return -1;
            s->layer = l;
            s->from_memory = 1;
            s->src_terminal = m->mem_terminal;
            for (uint32_t i = 0; i < pl->n_parts; i++) {
                uint32_t c = pl->parts[i].core;
                int seen = 0;
                for (uint32_t j = 0; j < n_dst; j++)
                    seen |= s->dst_core[j] == c;
                if (!seen) {
                    s->dst_core[n_dst] = c;
                    s->dst_terminal[n_dst++] = core_terminal(m, c);
                }
            }
            s->n_dst = n_dst;
            const cfg_offchip *mem = &m->s->chip->memories[0];
            m->res->offchip_read_bits += s->bits;
            m->res->offchip_read_pj += (double)s->bits * mem->read_energy_pj_per_bit;
            uint32_t sid = (uint32_t)(s - m->streams);
            uint64_t lat = (uint64_t)(mem->latency_ns * 1000.0);
            uint64_t stream_ps = (uint64_t)((double)s->bits / mem->bandwidth_gbps * 1000.0);
            uint64_t t0 = m->mem_free_ps + lat;
            m->mem_free_ps += lat + stream_ps;
            s->read_ps = stream_ps;
            if (kq_schedule_at(m->k, t0, 0, mem_release, m, &sid, sizeof sid, NULL))
                return -1;
        }
    }
    /* Layers with no inputs at all can start at once. */
    for (uint32_t l = 0; l < p->n_layers; l++)
        for (uint32_t c = 0; c < nc; c++)
            if (st_at(m, l, c)->waiting == 0) {
                st_at(m, l, c)->waiting = -2;
                station_ready(m, l, c);
            }
    return m->failed ? -1 : 0;
}

static void sim_free(sim *m)
{
    if (m->tnoc)
        trc_noc_free(m->tnoc);
    for (uint32_t i = 0; i < m->n_streams; i++) {
        free(m->streams[i].dst_core);
        free(m->streams[i].arrived);
        free(m->streams[i].dst_terminal);
    }
    free(m->streams);
    if (m->st)
        for (size_t i = 0; i < (size_t)m->p->n_layers * m->s->chip->n_cores; i++)
            free(m->st[i].flow_ends);
    free(m->st);
    if (m->part_flows)
        for (uint32_t i = 0; i < m->n_parts; i++)
            free(m->part_flows[i]);
    free(m->part_flows);
    free(m->part_left);
    free(m->part_base);
    free(m->layer_left);
    free(m->core_track);
    if (m->cores)
        for (int c = 0; c < m->s->chip->n_cores; c++)
            core_free(m->cores[c]);
    free(m->cores);
    noc_free(m->net);
    kq_free(m->k);
}

int csim_run(const cfg_scenario *s, const plan *p, const csim_options *o,
             csim_result *res, csim_error *err)
{
    memset(res, 0, sizeof *res);
    res->stop_reason = "";
    sim m = {.s = s, .p = p, .o = o, .res = res, .err = err, .w = o->trace};
    const cfg_chip *chip = s->chip;
    uint32_t nc = (uint32_t)chip->n_cores;
    uint32_t n_parts = 0;
    for (uint32_t l = 0; l < p->n_layers; l++)
        n_parts += p->layers[l].n_parts;
    res->n_layers = p->n_layers;
    res->n_cores = nc;
    res->layers = calloc(p->n_layers + 1, sizeof *res->layers);
    res->cores = calloc(nc + 1, sizeof *res->cores);
    m.k = kq_new();
    m.cores = calloc(nc + 1, sizeof *m.cores);
    m.st = calloc((size_t)p->n_layers * nc + 1, sizeof *m.st);
    m.part_left = calloc(n_parts + 1, sizeof *m.part_left);
    m.part_base = calloc(p->n_layers + 1, sizeof *m.part_base);
    m.layer_left = calloc(p->n_layers + 1, sizeof *m.layer_left);
    m.part_flows = calloc(n_parts + 1, sizeof *m.part_flows);
    m.n_parts = n_parts;
    m.core_track = calloc(nc + 1, sizeof *m.core_track);
    if (!res->layers || !res->cores || !m.k || !m.cores || !m.st || !m.part_left ||
        !m.part_base || !m.layer_left || !m.part_flows || !m.core_track) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        goto bad;
    }
    for (uint32_t l = 0, b = 0; l < p->n_layers; l++) {
        m.part_base[l] = b;
        b += p->layers[l].n_parts;
        res->layers[l].start_ps = UINT64_MAX;
    }
    core_callbacks cb = {.started = cn_started, .finished = cn_finished, .ctx = &m};
    for (uint32_t c = 0; c < nc; c++)
        if (!(m.cores[c] = core_new(m.k, c, &cb))) {
            snprintf(err->msg, sizeof err->msg, "out of memory");
            goto bad;
        }
    if (build_noc(&m) != 0)
        goto bad;
    res->noc_cycle_ps = noc_cycle_ps(m.net);
    if (m.w && build_trace(&m) != 0) {
        if (!m.failed)
            snprintf(err->msg, sizeof err->msg, "trace: %s", trc_errmsg(m.w));
        goto bad;
    }
    if (start_inputs(&m) != 0) {
        if (!m.failed)
            snprintf(err->msg, sizeof err->msg, "out of memory starting the inputs");
        goto bad;
    }

    uint64_t until = o->max_time_ps ? o->max_time_ps : KQ_TIME_MAX;
    for (;;) {
        uint64_t chunk = 1000000;
        if (o->max_events) {
            uint64_t left = o->max_events - kq_events_processed(m.k);
            if (left == 0) {
                res->stop_reason = "event limit reached";
                break;
            }
            if (left < chunk)
                chunk = left;
        }
        kq_run_result r = kq_run(m.k, until, chunk);
        if (o->progress)
            o->progress(o->progress_ctx, kq_now(m.k), res->layers_done, p->n_layers);
        if (m.failed)
            goto bad;
        if (noc_deadlocked(m.net)) {
            uint32_t ids[8];
            uint32_t n = noc_deadlock_routers(m.net, ids, 8);
            int at = snprintf(err->msg, sizeof err->msg,
                              "the NoC stopped at %.3f us with flits in flight "
                              "(deadlock or out of memory); routers holding flits:",
                              (double)kq_now(m.k) * 1e-6);
            for (uint32_t i = 0; i < n && i < 8 && at > 0 && (size_t)at < sizeof err->msg; i++)
                at += snprintf(err->msg + at, sizeof err->msg - (size_t)at, " %u", ids[i]);
            goto bad;
        }
        if (r == KQ_RUN_NOMEM) {
            snprintf(err->msg, sizeof err->msg, "out of memory in the event queue");
            goto bad;
        }
        if (r == KQ_RUN_EMPTY)
            break;
        if (r == KQ_RUN_TIME) {
            res->stop_reason = "time limit reached";
            break;
        }
    }
    if (!res->complete && !res->stop_reason[0])
        res->stop_reason = "the run ended with work left (a stream never arrived)";
    res->end_ps = kq_now(m.k);
    res->events = kq_events_processed(m.k);
    noc_get_totals(m.net, &res->noc);
    for (uint32_t c = 0; c < nc; c++) {
        res->cores[c].busy_ps = core_busy_ps(m.cores[c]);
        res->cores[c].cns = core_cns_done(m.cores[c]);
        res->cores[c].peak_ready = core_peak_ready(m.cores[c]);
    }
    for (int i = 0; i < chip->n_memories; i++)
        res->offchip_static_pj += chip->memories[i].static_power_mw * 1e-3 *
                                  (double)res->end_ps; /* mW * ps = 1e-3 pJ */
    if (m.tnoc && trc_noc_finish(m.tnoc, res->end_ps) != 0) {
        snprintf(err->msg, sizeof err->msg, "trace: %s", trc_errmsg(m.w));
        goto bad;
    }
    sim_free(&m);
    return 0;
bad:
    sim_free(&m);
    csim_result_free(res);
    return -1;
}

void csim_result_free(csim_result *res)
{
    free(res->layers);
    free(res->cores);
    res->layers = NULL;
    res->cores = NULL;
}
