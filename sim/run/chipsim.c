/* chipsim.c -- one inference on the whole chip; see chipsim.h.
 *
 * Bookkeeping, per (layer, core) "station": how many input streams it
 * still waits for; at zero, every CN of the layer's parts on that core is
 * submitted to the core. A part whose CNs are all done sends its output:
 * one stream per consumer layer, multicast to that layer's cores (a copy
 * branching in the NoC only where paths split), or to the off-chip
 * controller when nothing reads it. Streams are packets of
 * CSIM_PACKET_FLITS flits (multicast ones no longer than a VC buffer, see
 * packet_bits); the packet tag is the stream id. */
#include "run/chipsim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/chipsim_int.h"
#include "core/core.h"
#include "kernel/kernel.h"
#include "noc/noc.h"
#include "noc/trc_noc.h"

void csim_fail(sim *m, const char *fmt, ...)
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

static uint32_t core_terminal(const sim *m, uint32_t core)
{
    const cfg_core_inst *ci = &m->s->chip->cores[core];
    uint32_t router = (uint32_t)ci->y * (uint32_t)m->s->chip->noc.mesh_w + (uint32_t)ci->x;
    return router * m->tpr;
}

/* ---- streams ---------------------------------------------------------- */

/* Packets of a stream to several cores are multicast, and the NoC takes
 * multicast packets no longer than one VC buffer (longer ones can
 * deadlock the replication tree): such streams use shorter packets. */
static uint32_t packet_bits(const sim *m, uint32_t n_dst)
{
    uint32_t flits = CSIM_PACKET_FLITS;
    if (n_dst > 1 && (uint32_t)m->s->chip->noc.vc_depth_flits < flits)
        flits = (uint32_t)m->s->chip->noc.vc_depth_flits;
    return flits * (uint32_t)m->s->chip->noc.flit_width_bits;
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
    m->n_streams++;
    m->res->transfers++;
    return s;
}

/* Cut the stream into packets, once its destinations are known. */
static void stream_packetise(sim *m, stream *s)
{
    uint64_t pb = packet_bits(m, s->n_dst);
    s->n_packets = (uint32_t)((s->bits + pb - 1) / pb);
    if (s->n_packets == 0)
        s->n_packets = 1;
}

static int send_packet(sim *m, uint32_t sid, uint32_t i)
{
    stream *s = &m->streams[sid];
    uint64_t pb = packet_bits(m, s->n_dst);
    uint64_t bits = i + 1 < s->n_packets ? pb : s->bits - pb * (s->n_packets - 1);
    noc_packet_req req = {
        .src = s->src_terminal, .n_dst = s->n_dst, .dst = s->dst_terminal,
        .payload_bits = (uint32_t)(bits ? bits : 1), .tag = sid};
    base_error ne;
    if (noc_send(m->net, &req, NULL, &ne) != 0) {
        csim_fail(m, "NoC: %s", ne.msg);
        return -1;
    }
    m->res->packets++;
    return 0;
}

/* The controller releases the next packet of a read stream. */
static void mem_release(kq_kernel *k, void *ctx, const void *payload)
{
    sim *m = ctx;
    uint32_t sid;
    memcpy(&sid, payload, sizeof sid);
    stream *s = &m->streams[sid];
    if (s->next_packet == 0 && m->w)
        csim_trace_read(m, s, kq_now(k));
    if (send_packet(m, sid, s->next_packet++) != 0)
        return;
    if (s->next_packet < s->n_packets) {
        const cfg_offchip *mem = &m->s->chip->memories[0];
        uint64_t pb = packet_bits(m, s->n_dst);
        uint64_t gap = (uint64_t)((double)pb / mem->bandwidth_gbps * 1000.0);
        if (kq_schedule_in(k, gap ? gap : 1, 0, mem_release, m, &sid, sizeof sid, NULL))
            csim_fail(m, "out of memory scheduling an off-chip read");
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
                csim_fail(m, "out of memory submitting a CN");
                return;
            }
    }
}

static void input_arrived(sim *m, uint32_t layer, uint32_t core)
{
    station *st = csim_station(m, layer, core);
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
            csim_fail(m, "out of memory");
            return;
        }
        s->layer = UINT32_MAX;
        s->n_dst = 1;
        s->src_terminal = core_terminal(m, src);
        s->dst_terminal[0] = m->mem_terminal;
        stream_packetise(m, s);
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
        csim_fail(m, "out of memory");
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
            csim_fail(m, "out of memory");
            return;
        }
        s->layer = cl;
        s->n_dst = n_dst;
        s->src_terminal = core_terminal(m, src);
        for (uint32_t j = 0; j < n_dst; j++) {
            s->dst_core[j] = dst[j];
            s->dst_terminal[j] = core_terminal(m, dst[j]);
        }
        stream_packetise(m, s);
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

static void cn_started(void *ctx, uint32_t core, uint32_t cn_i, uint64_t t, uint64_t dur)
{
    sim *m = ctx;
    const plan_cn *cn = &m->p->cns[cn_i];
    csim_layer_result *lr = &m->res->layers[cn->layer];
    if (t < lr->start_ps)
        lr->start_ps = t;
    if (m->w)
        csim_trace_cn(m, core, cn_i, t, dur);
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
    base_error ne;
    m->net = noc_new(m->k, &nc, &ne);
    if (!m->net) {
        csim_fail(m, "NoC: %s", ne.msg);
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

/* Expected input streams per station; the network input's streams start. */
static int start_inputs(sim *m)
{
    const plan *p = m->p;
    uint32_t nc = (uint32_t)m->s->chip->n_cores;
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        for (uint32_t c = 0; c < nc; c++)
            csim_station(m, l, c)->waiting = -1;
        for (uint32_t i = 0; i < pl->n_parts; i++) {
            station *st = csim_station(m, l, pl->parts[i].core);
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
            stream_packetise(m, s);
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
            if (csim_station(m, l, c)->waiting == 0) {
                csim_station(m, l, c)->waiting = -2;
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
    if (m.w && csim_trace_setup(&m) != 0) {
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
