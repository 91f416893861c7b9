/* noc.h -- a flit-level, packet-switched 2D-mesh network-on-chip on the
 * event kernel.
 *
 * Routers are input-queued with virtual channels, credit-based flow
 * control and wormhole switching; a head flit goes through routing, VC
 * allocation, switch allocation and switch traversal (each a configurable
 * number of cycles), then a link. Allocation is iSLIP (one iteration),
 * deterministic. Routing is dimension order. A packet may have several
 * destinations: it is replicated along its dimension-order tree, a copy
 * branching only where the paths to its destinations split.
 *
 * Event driven: a router runs a cycle only when it holds flits or a
 * waiting packet; an idle network costs no events.
 *
 * The defaults (noc_config_default) are BookSim 2's default input-queued
 * router, so a standalone run compares with BookSim directly.
 *
 * Statistics: noc_stats.h. Observer callbacks (for traces): noc_observer.h.
 * Synthetic traffic (uniform, transpose, ...): noc_traffic.h. */
#ifndef EVSIM_NOC_H
#define EVSIM_NOC_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#include "kernel/kernel.h"
#include "model.h"
#include "noc/noc_observer.h"

#define NOC_MAX_DIM 1024        /* width and height are 1..NOC_MAX_DIM */
#define NOC_MAX_TERMINALS 4     /* terminals per router */
#define NOC_MAX_VCS 64

typedef struct noc noc;

typedef enum {
    NOC_ROUTE_XY = 0,   /* X first, then Y: deadlock free */
    NOC_ROUTE_YX,       /* Y first, then X: deadlock free */
    NOC_ROUTE_XYYX      /* each packet picks XY or YX at random; NOT
                         * deadlock free with shared VCs -- kept to show
                         * deadlock detection */
} noc_routing;

/* Which model moves the packets (noc_config.model; the chip file's
 * `noc: {model: ...}`, `evsim noc --model`). The flit model is the
 * reference; the packet model (noc_pkt_model.c) holds each output port
 * of a packet's tree for the packet's length in flits, with the same
 * router and link delays, one event per packet and router instead of one
 * per flit and cycle. Same API, statistics and energy counts. */
typedef enum { NOC_MODEL_FLIT = 0, NOC_MODEL_PACKET } noc_model_kind;

/* Router pipeline stages, in the order a head flit goes through them. */
enum { NOC_STAGE_ROUTE = 0, NOC_STAGE_VC_ALLOC, NOC_STAGE_SW_ALLOC, NOC_STAGE_XBAR,
       NOC_STAGES };

/* The NoC's parameters. Each one that a chip file or `evsim noc` can set
 * has the same name there: the chip's `noc:` key, this field and the
 * option (`--vc-depth-flits` for vc_depth_flits). Defaults: only in
 * noc_config_default; ranges: only in noc_config_check. */
typedef struct {
    uint32_t width, height;           /* routers in x and y (`mesh`) */
    uint32_t terminals_per_router;    /* 1..NOC_MAX_TERMINALS */
    uint32_t virtual_channels;        /* per input port */
    uint32_t vc_depth_flits;          /* buffer depth of one VC */
    uint32_t router_stage_cycles[NOC_STAGES]; /* routing, VC alloc, switch
                                       * alloc (>= 1), switch traversal */
    uint32_t link_latency_cycles;     /* router to router, >= 1 */
    uint32_t inject_cycles;           /* terminal to router, >= 1 */
    uint32_t eject_cycles;            /* router to terminal, >= 1 */
    uint32_t credit_delay_cycles;     /* added to the link latency */
    uint32_t flit_width_bits;         /* link width */
    double clock_ghz;                 /* NoC clock; cycle = 1000/GHz ps */
    double energy_per_flit_hop_pj;    /* router energy per flit per hop */
    double energy_per_bit_link_pj;    /* wire energy per bit per link hop */
    uint32_t multicast_lookup_cycles; /* routing-table lookup of a spike */
    noc_routing routing;
    uint64_t deadlock_cycles;         /* no flit moved this long with
                                       * flits in flight = deadlock */
    uint64_t seed;                    /* only for random routing choices */
    int cycle_stepped;                /* 1: every router runs every cycle
                                       * while anything is in flight, as a
                                       * cycle-stepped simulator does; same
                                       * results, for speed comparisons */
    noc_model_kind model;             /* flit (default) or packet */
} noc_config;

/* BookSim 2's default router: 16 VCs x 8 flits, stages 1,1,1,1, links,
 * injection and ejection 1 cycle, credit delay 0, XY routing, 1 GHz,
 * 64-bit flits, 1 terminal per router, deadlock after 10000 idle cycles. */
void noc_config_default(noc_config *c);

/* 0 if the configuration is usable, else -1 with err filled; the message
 * starts with the parameter's name ("vc_depth_flits: expected 1..4096,
 * found 0"), and *param (when param is not NULL) is set to that name
 * ("mesh" for width and height), or to NULL for a limit of several
 * parameters together. */
int noc_config_check(const noc_config *c, const char **param, base_error *err);

/* Routing by name (xy, yx, xyyx): 0, or -1 for an unknown name. */
int noc_routing_parse(const char *s, noc_routing *out);
const char *noc_routing_name(noc_routing r);
/* Model by name (flit, packet): 0, or -1 for an unknown name. */
int noc_model_kind_parse(const char *s, noc_model_kind *out);
const char *noc_model_kind_name(noc_model_kind m);

/* The longest multicast packet c allows, in flits: one VC buffer. A
 * multicast packet replicated along its tree holds a VC at every branch;
 * with whole packets in one buffer a branch never waits for another
 * (longer ones can deadlock the tree). noc_send refuses longer ones;
 * senders cut their streams to fit. */
uint32_t noc_max_multicast_flits(const noc_config *c);

/* A NoC on kernel k (which must outlive it). NULL with err on failure. */
noc *noc_new(kq_kernel *k, const noc_config *c, base_error *err);
/* Frees the NoC and cancels its router events; deliveries still pending
 * in the kernel refer to it, so free it only once it has drained
 * (noc_flits_in_flight() == 0 and the kernel ran past the last delivery)
 * or when the kernel will not run again. */
void noc_free(noc *n);

const noc_config *noc_get_config(const noc *n);
uint32_t noc_routers(const noc *n);
uint32_t noc_terminals(const noc *n);
uint64_t noc_cycle_ps(const noc *n);

/* Observer: copied; pass NULL to remove. */
void noc_set_observer(noc *n, const noc_observer *obs);

/* One delivery: a packet's tail reached one of its destinations. */
typedef struct {
    uint64_t packet_id, tag;
    uint32_t src, dst;
    uint32_t flits;
    uint32_t hops;            /* Manhattan hops from src to dst */
    uint64_t created_ps, injected_ps, delivered_ps;
    int last;                 /* 1 for the packet's last destination */
} noc_delivery;

typedef void (*noc_sink_fn)(void *ctx, const noc_delivery *d);

/* The model to call when packets arrive (cores, memories, the traffic
 * generator). At most one; NULL removes it. */
void noc_set_sink(noc *n, noc_sink_fn fn, void *ctx);

/* A packet to send now (at the kernel's current time). Give exactly one of
 * payload_bits (flits = ceil(bits / flit_width_bits), at least 1) or flits. */
typedef struct {
    uint32_t src;
    uint32_t n_dst;           /* 1 for unicast */
    const uint32_t *dst;      /* distinct terminals; the NoC copies them */
    uint32_t payload_bits;
    uint32_t flits;
    uint64_t tag;
} noc_packet_req;

/* 0 and *id_out (may be NULL) on success; -1 with err on a bad request
 * (terminal outside the mesh, no destination, duplicate destination,
 * both or neither size given, a multicast packet longer than one VC
 * buffer -- tree replication over shorter wormhole buffers can deadlock)
 * or when memory runs out. */
int noc_send(noc *n, const noc_packet_req *req, uint64_t *id_out,
             base_error *err);

/* Ejection backpressure: a terminal that cannot take a packet stops its
 * router's ejection port. Before the head of a packet leaves a router for
 * terminal dst, the NoC asks gate(ctx, dst, tag): 1, the terminal takes
 * the whole packet (it keeps room for it); 0, it is full: no packet is
 * ejected to dst until noc_eject_resume(n, dst), so the flits wait in the
 * router's buffers, upstream credits run out and the senders' injection
 * stalls (the source queues keep what they are given). The gate is not
 * asked again for dst before the resume. Without a gate (the default) or
 * with fn NULL terminals take everything. A network that stops moving
 * only because of blocked terminals is not a deadlock: its routers wait
 * for a resume or a new packet. Flit model only. */
typedef int (*noc_gate_fn)(void *ctx, uint32_t dst, uint64_t tag);
/* 0; 1 with the packet model (model: packet has no ejection ports: the
 * gate is not set and the terminal must hold what it cannot take); -1
 * when memory runs out. */
int noc_set_eject_gate(noc *n, noc_gate_fn fn, void *ctx);
void noc_eject_resume(noc *n, uint32_t dst);
/* Terminals blocked now. */
uint32_t noc_ejects_blocked(const noc *n);

/* Multicast routing table for spikes: key (a source neuron or axon group)
 * -> destination set. Setting a key again replaces its set. */
int noc_table_set(noc *n, uint32_t key, const uint32_t *dst, uint32_t n_dst,
                  base_error *err);

/* Send a spike packet from src to the destinations of key; the table
 * lookup costs multicast_lookup_cycles before the packet enters the source
 * queue. -1 with err if key has no entry. */
int noc_send_keyed(noc *n, uint32_t src, uint32_t key, uint32_t payload_bits,
                   uint64_t tag, uint64_t *id_out, base_error *err);

/* Deadlock: 1 once detected (the NoC then stops the kernel and stops
 * moving). noc_deadlock_routers lists routers holding flits at detection;
 * returns how many, writes at most cap ids. */
int noc_deadlocked(const noc *n);
/* 1 once memory ran out inside an event (a router or a delivery could not
 * be scheduled, a copy could not be made): the NoC stopped the kernel and
 * stops moving; its results are incomplete. */
int noc_failed(const noc *n);
uint32_t noc_deadlock_routers(const noc *n, uint32_t *ids, uint32_t cap);

/* Flits inside the network or in source queues. */
uint64_t noc_flits_in_flight(const noc *n);

/* Mesh helpers. */
static inline uint32_t noc_router_of(const noc_config *c, uint32_t terminal)
{
    return terminal / c->terminals_per_router;
}
uint32_t noc_hops(const noc *n, uint32_t src, uint32_t dst);

/* ---- the NoC as a model on a chip (noc_model.c) -------------------------
 * The network plus its trace adapter (trc_noc.h) behind the model
 * contract: attach_trace declares the NoC's tracks and observes the
 * network (counters sampled every model_trace.sample_cycles, 100 if 0);
 * finish writes the last sampling period and gives two items from the
 * totals, noc_router and noc_link; destroy frees both. */
typedef struct noc_model noc_model;

/* NULL with err on failure (noc_new's). */
noc_model *noc_model_new(kq_kernel *k, const noc_config *c, base_error *err);
noc *noc_model_net(noc_model *m);
/* For the other models writing to the same trace: trc_noc_sync, or t_ps
 * when the NoC is not traced. */
uint64_t noc_model_sync(noc_model *m, uint64_t t_ps);
/* How its trace names terminals and packets (trc_noc.h); before the
 * trace attaches. Copied. */
struct trc_noc_view;
void noc_model_set_view(noc_model *m, const struct trc_noc_view *v);

extern const model_ops noc_model_ops;

#endif
