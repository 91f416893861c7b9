/* noc_internal.h -- the NoC's state, shared by models/noc*.c only.
 *
 * Time inside the NoC is in cycles of its own clock; the kernel sees
 * cycle * cycle_ps. A flit sent by a router is written at once into the
 * downstream VC buffer with the cycle it becomes usable there (`ready`):
 * its credit was spent, so the slot is the flit's from that moment. All
 * effects between routers are at least one cycle later than their cause,
 * so the order in which routers run within a cycle does not matter. */
#ifndef EVSIM_NOC_INTERNAL_H
#define EVSIM_NOC_INTERNAL_H

#include <stdint.h>

#include "noc/noc.h"
#include "noc/noc_stats.h"

#define NOC_NONE UINT32_MAX
/* Packets, worms and routing-table entries alive at once: base_grow
 * refuses beyond this (far below NOC_NONE). */
#define NOC_MAX_LIVE (1u << 28)
#define NOC_MESH_PORTS 4
#define NOC_PORTS_MAX (NOC_MESH_PORTS + NOC_MAX_TERMINALS)

enum { NOC_EAST = 0, NOC_WEST, NOC_NORTH, NOC_SOUTH };

/* Event priorities within one time: traffic sources create packets before
 * routers run, deliveries after, checkpoints last. */
enum { NOC_PRIO_SOURCE = 0, NOC_PRIO_ROUTER = 2, NOC_PRIO_DELIVER = 4 };

typedef struct {
    uint32_t worm;     /* the copy this flit belongs to */
    uint32_t idx;      /* 0 = head, flits - 1 = tail */
    uint64_t ready;    /* first cycle it may be used at this router */
} noc_flit;

/* A packet as sent: lives until every destination has its tail. */
typedef struct {
    uint64_t id, tag;
    uint64_t created_cycle, ready_cycle, injected_cycle;
    uint32_t src, flits, payload_bits;
    uint32_t n_dst, n_done;
    uint32_t *dst;          /* n_dst destinations; &dst0 when one */
    uint32_t dst0;
    uint32_t worm;          /* the first copy */
    uint32_t next;          /* source queue link, or free list */
} noc_pkt;

/* A copy of a packet heading for a subset of its destinations. Unicast
 * packets have one copy end to end; a multicast copy splits into child
 * copies where its destinations' paths split. */
typedef struct {
    uint32_t pkt;
    uint32_t n_dst;
    uint32_t *dst;          /* &dst0 when one */
    uint32_t dst0;
    uint8_t yx;             /* route Y first (NOC_ROUTE_XYYX) */
    uint32_t next_free;
} noc_worm;

/* Where the packet at the front of an input VC goes from this router. */
typedef struct {
    uint8_t port;           /* output port */
    uint8_t admitted;       /* the ejection gate took the packet */
    int16_t ovc;            /* output VC, -1 until allocated */
    uint32_t out_worm;      /* copy sent on a mesh port */
    uint32_t dst;           /* terminal, for an ejection port */
    uint32_t sent;          /* flits of the packet sent on this branch */
    uint64_t sa_ready;      /* first cycle for switch allocation */
} noc_branch;

enum { NOC_VC_IDLE = 0, NOC_VC_ROUTED };

typedef struct {
    uint16_t head, count;   /* ring over this VC's buffer slots */
    uint8_t state;
    uint8_t n_branch;
    uint32_t popped;        /* flits of the front packet already gone */
    uint32_t flits;         /* length of the front packet, once routed */
    uint64_t va_ready;
    noc_branch *br;         /* nports of them in the router's `branches`:
                             * a unicast packet uses br[0] only, so the
                             * VC state the pipeline reads every cycle stays
                             * in 32 bytes instead of 216 */
} noc_ivc;

typedef struct {
    uint64_t cycle;
    uint16_t port, vc;
} noc_credit;

typedef struct {            /* FIFO of credits in flight, cycles ascending */
    noc_credit *q;
    uint32_t head, count, cap;
} noc_credit_fifo;

typedef struct {            /* one terminal's source side */
    uint32_t q_head, q_tail;    /* source queue of packets */
    uint32_t sent;              /* flits of the queue head already sent */
    int16_t vc;                 /* injection VC of the queue head */
    uint16_t rr;
    uint16_t *credits;          /* per VC of the router's input port */
    uint8_t *busy;
    uint64_t queued_flits;
} noc_term;

typedef struct {
    uint32_t id, x, y;
    uint32_t nb[NOC_MESH_PORTS];       /* neighbour router or NOC_NONE */
    uint32_t link_out[NOC_PORTS_MAX];  /* link index of each output */
    noc_ivc *ivc;                      /* [port * vcs + vc] */
    noc_branch *branches;              /* [(port * vcs + vc) * nports] */
    noc_flit *slots;                   /* [(port * vcs + vc) * vc_depth_flits] */
    uint8_t *ovc_busy;                 /* [port * vcs + vc] */
    uint16_t *ovc_credits;
    uint16_t *va_gptr;                 /* per output VC */
    uint16_t *va_aptr;                 /* per input VC: an output VC index
                                        * over all ports, port * vcs + vc */
    uint8_t sa_gptr[NOC_PORTS_MAX], sa_aptr[NOC_PORTS_MAX];
    uint16_t sw_rr[NOC_PORTS_MAX];
    noc_credit_fifo cred_mesh, cred_term;
    noc_term term[NOC_MAX_TERMINALS];
    uint32_t occ[NOC_PORTS_MAX], occ_total;
    uint32_t peak_port[NOC_PORTS_MAX], peak_total;
    uint32_t buffered;                 /* flits in this router's buffers */
    uint32_t va_wait;                  /* branches waiting for an output VC */
    uint64_t va_min;                   /* at most the va_ready of every VC
                                        * in vamask: VC allocation before
                                        * it would find no request */
    uint32_t need_route;               /* idle VCs with a head at the front */
    uint32_t sa_cand;                  /* branches with an output VC and
                                        * flits still to send */
    uint64_t vcmask[NOC_PORTS_MAX];    /* bit v: VC v of the port holds
                                        * flits (NOC_MAX_VCS <= 64) */
    uint64_t vamask[NOC_PORTS_MAX];    /* bit v: VC v is routed and a branch
                                        * still waits for an output VC */
    uint32_t vcports, vaports, rtports; /* bit p: vcmask, vamask, rtmask
                                        * of port p is not 0 (the loops
                                        * visit only those ports) */
    uint32_t outbits[NOC_PORTS_MAX];   /* bit o: outmask[in][o] is not 0 */
    uint32_t inbits;                   /* bit in: outbits[in] is not 0 */
    uint64_t rtmask[NOC_PORTS_MAX];    /* bit v: VC v idle, a head in front */
    uint64_t outmask[NOC_PORTS_MAX][NOC_PORTS_MAX]; /* [in][out] bit v: VC v
                                        * of in has a branch to out with an
                                        * output VC and flits to send */
    /* Stages of more than one cycle work as BookSim's: a stage takes a
     * batch of requests together and starts no other before the batch is
     * done (noc_router.c "Multi-cycle stages"). Each is the first cycle
     * the stage is free again; xb_start is the start of the crossbar's
     * last batch; out_last the last cycle each output sent a flit. */
    uint64_t route_free, va_free, sa_free, xb_start, xb_free;
    uint64_t out_last[NOC_PORTS_MAX];
    uint64_t queued_pkts;              /* packets in its source queues */
    uint64_t next_tick;                /* cycle of the list it waits in
                                        * (noc_step.c), UINT64_MAX if none */
    uint32_t step_prev, step_next;     /* neighbours in that list */
    uint64_t flits_switched;
    double energy_pj;
} noc_router;

/* The routers woken for one cycle, stepped by one kernel event. */
typedef struct {
    uint64_t cycle;
    kq_handle ev;
    uint32_t head, tail;               /* router ids, NOC_NONE if empty */
} noc_step;

typedef struct {
    noc_link_kind kind;
    uint32_t from, to, out_port, terminal;
    uint64_t flits;
} noc_link;

typedef struct {
    uint32_t key, n;
    uint32_t *dst;
} noc_table_entry;

struct noc {
    kq_kernel *k;
    noc_config cfg;
    uint64_t cycle_ps;
    uint32_t nrouters, nterms, nports, vcs, vc_depth_flits;
    noc_router *r;
    noc_link *links;
    uint32_t nlinks;

    noc_pkt *pkts;
    uint32_t npkts, cap_pkts, free_pkt;
    noc_worm *worms;
    uint32_t nworms, cap_worms, free_worm;
    uint64_t next_id;

    noc_table_entry *table;
    uint32_t ntable, cap_table;

    noc_step *steps;                   /* cycles ascending (noc_step.c) */
    uint32_t nsteps, cap_steps;

    noc_observer obs;
    int has_obs;
    noc_sink_fn sink;
    void *sink_ctx;
    noc_gate_fn gate;                  /* ejection backpressure (noc_eject.c) */
    void *gate_ctx;
    uint8_t *eject_blocked;            /* per terminal, once a gate is set */
    uint32_t n_blocked;
    int parked;                        /* routers stopped polling: only
                                        * blocked terminals held them */

    uint64_t rng;                      /* for NOC_ROUTE_XYYX */
    uint64_t buffered;                 /* flits in all router buffers */
    uint64_t queued_flits;             /* flits in source queues */
    uint64_t last_progress;
    int deadlocked;
    int failed;                        /* out of memory in a handler */
    uint32_t *dl_routers;
    uint32_t n_dl;

    noc_totals tot;
    uint64_t window_start;

    /* allocator scratch, sized once */
    uint32_t *scratch_req;             /* requesters per output port */
    uint32_t *scratch_grant;

    struct noc_pktm *pm;               /* the packet model's state, NULL
                                        * for the flit model */
};

/* noc_pkt_model.c: the packet model (noc_config.model == packet). */
struct noc_pktm *noc_pktm_new(noc *n);
void noc_pktm_free(noc *n, struct noc_pktm *pm);
/* Packet p was just created (enqueue): inject it. */
void noc_pktm_inject(noc *n, uint32_t p);

/* noc_step.c */
/* Router r runs at `cycle` (later than now): the slow path of noc_wake. */
void noc_wake_at(noc *n, noc_router *r, uint64_t cycle);
/* Run router r at `cycle` (later than now), unless it runs sooner. Inline:
 * most wake-ups (every flit sent, every router step) find the router
 * already due sooner. */
static inline void noc_wake(noc *n, noc_router *r, uint64_t cycle)
{
    if (cycle < r->next_tick)
        noc_wake_at(n, r, cycle);
}
/* Cancels the pending steps and frees the lists. */
void noc_steps_free(noc *n);

/* noc.c */
uint32_t noc_worm_new(noc *n, uint32_t pkt, const uint32_t *dst,
                      uint32_t n_dst, int *oom);
void noc_worm_free(noc *n, uint32_t w);
void noc_schedule_delivery(noc *n, uint32_t pkt, uint32_t dst,
                           uint64_t cycle);
/* The delivery of pkt's tail to dst now: statistics, observer, sink. */
void noc_deliver(noc *n, uint32_t pkt, uint32_t dst);
void noc_report_occupancy(noc *n, noc_router *r, uint32_t port);
uint64_t noc_now_cycle(const noc *n);

/* noc_router.c */
/* One cycle t of router r (noc_step.c calls it). */
void noc_router_step(noc *n, noc_router *r, uint64_t t);
/* Doubles the FIFO's capacity: 0, or -1 when memory runs out. */
int noc_credit_grow(noc_credit_fifo *f);
/* A credit in flight, back at its router at `cycle` (FIFOs stay in cycle
 * order: every credit of one FIFO takes the same delay). 0, or -1. */
static inline int noc_credit_push(noc_credit_fifo *f, uint64_t cycle, uint16_t port,
                                  uint16_t vc)
{
    if (f->count == f->cap && noc_credit_grow(f) != 0)
        return -1;
    uint32_t x = f->head + f->count;
    f->q[x >= f->cap ? x - f->cap : x] = (noc_credit){cycle, port, vc};
    f->count++;
    return 0;
}

/* noc_eject.c */
/* May branch b of input VC ivc (routed, to an ejection port) ask for the
 * ejection VC? Asks the gate once per packet. */
int noc_eject_admit(noc *n, noc_router *r, uint32_t ivc, uint32_t b);
/* Wake every router with work after a park (a resume or a new packet). */
void noc_unpark(noc *n);

/* noc_routing.c */
uint32_t noc_route_port(const noc *n, const noc_router *r, uint32_t dst,
                        int yx);
/* Split the destinations of worm w at router r into branches (grouped by
 * output port, ports ascending; one branch per ejected terminal). Returns
 * the number of branches, 0 when memory ran out. */
uint32_t noc_route_branches(noc *n, noc_router *r, uint32_t w,
                            noc_branch *br);

/* A stage of more than one cycle that is busy at t (noc_router.c). */
static inline int noc_stage_busy(const noc *n, uint32_t stage, uint64_t free_at,
                                 uint64_t t)
{
    return n->cfg.router_stage_cycles[stage] > 1 && t < free_at;
}

/* noc_alloc.c */
void noc_vc_alloc(noc *n, noc_router *r, uint64_t t);
/* Switch allocation; calls noc_router_send for each match. */
void noc_sw_alloc(noc *n, noc_router *r, uint64_t t);
void noc_router_send(noc *n, noc_router *r, uint32_t in_port, uint32_t vc,
                     uint32_t b, uint64_t t);

/* (head + k) % depth for head < depth and k <= depth: a VC buffer's ring
 * index without the division, which the per-flit paths (send, can_send,
 * next_wake) spent a good part of their time in. */
static inline uint32_t noc_ring_add(uint32_t head, uint32_t k, uint32_t depth)
{
    uint32_t x = head + k;
    return x >= depth ? x - depth : x;
}

/* May branch b of input VC ivc send its next flit at t: it has an output
 * VC, a flit ready in the buffer and (on a mesh port) a credit. Inline:
 * switch allocation asks it for every candidate every cycle. */
static inline int noc_branch_can_send(const noc *n, const noc_router *r, uint32_t ivc,
                        uint32_t b, uint64_t t)
{
    const noc_ivc *iv = &r->ivc[ivc];
    const noc_branch *br = &iv->br[b];
    /* A branch that sent the whole packet waits for the others: the flits
     * behind it in the buffer belong to the next packet. */
    if (br->ovc < 0 || br->sa_ready > t || br->sent >= iv->flits)
        return 0;
    uint32_t pos = br->sent - iv->popped;
    if (pos >= iv->count)
        return 0;
    const noc_flit *f =
        &r->slots[(size_t)ivc * n->vc_depth_flits +
                  noc_ring_add(iv->head, pos, n->vc_depth_flits)];
    if (f->ready > t)
        return 0;
    if (br->port < NOC_MESH_PORTS &&
        !r->ovc_credits[br->port * n->vcs + (uint32_t)br->ovc])
        return 0;
    return 1;
}

/* The buffer peaks after port's occupancy changed, and the observer. */
static inline void noc_note_occupancy(noc *n, noc_router *r, uint32_t port)
{
    if (r->occ[port] > r->peak_port[port])
        r->peak_port[port] = r->occ[port];
    if (r->occ_total > r->peak_total)
        r->peak_total = r->occ_total;
    if (n->has_obs && n->obs.buffer_occupancy)
        noc_report_occupancy(n, r, port);
}

#endif
