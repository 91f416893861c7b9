/* noc_observer.h -- what the NoC tells an observer (a trace writer, a
 * debugger) while it runs.
 *
 * The observer is a struct of optional callbacks plus one context pointer,
 * set on a NoC before the run with noc_set_observer(). A NULL callback is
 * skipped. The NoC never knows who listens: it only reports facts, in
 * simulated time (picoseconds) with stable ids:
 *   - packets are numbered from 0 in creation order (noc_packet_info.id);
 *   - routers are y * width + x;
 *   - terminals are router * terminals_per_router + i;
 *   - links are numbered 0 .. noc_link_count() - 1, described by
 *     noc_link_describe() (noc_stats.h): router-to-router channels first,
 *     then one injection and one ejection channel per terminal.
 *
 * Callbacks are made in simulated-time order of the call, but a time they
 * carry may be in the future of the call (a flit hop is reported when it
 * leaves the router, with the time it will arrive). Pointers passed to a
 * callback are valid only during the call.
 *
 * Compatibility: new callbacks are only ever appended at the end of the
 * struct; zero-initialise the struct ({0} or memset) so a newer NoC sees
 * NULL for callbacks an older observer does not know. */
#ifndef EVSIM_NOC_OBSERVER_H
#define EVSIM_NOC_OBSERVER_H

#include <stdint.h>

struct noc;

/* A packet as its sender asked for it. */
typedef struct {
    uint64_t id;            /* unique per NoC, in creation order */
    uint64_t tag;           /* the sender's tag, passed through */
    uint32_t src;           /* source terminal */
    uint32_t n_dst;         /* number of destination terminals (>= 1) */
    const uint32_t *dst;    /* the destination terminals, n_dst of them */
    uint32_t flits;         /* length in flits, head and tail included */
    uint32_t payload_bits;  /* payload size asked for (0 if given in flits) */
    uint64_t created_ps;    /* when the sender handed it to the NoC */
} noc_packet_info;

/* Where a flit went in one step: across a router-to-router link, an
 * injection channel (terminal -> router) or an ejection channel
 * (router -> terminal). */
typedef struct {
    uint64_t packet_id;
    uint32_t flit;          /* 0 is the head */
    uint32_t flits;         /* length of the packet */
    uint32_t link;          /* link index, see noc_link_describe() */
    uint32_t from_router;   /* for an injection: the source's router */
    uint32_t to_router;     /* for an ejection: the destination's router */
    uint64_t depart_ps;     /* left the router (or the terminal) */
    uint64_t arrive_ps;     /* is in the next buffer (or ejected) */
} noc_flit_hop;

typedef struct noc_observer {
    void *ctx;

    /* The sender handed a packet to the NoC (it waits in the source
     * queue of its terminal). */
    void (*packet_created)(void *ctx, const noc_packet_info *p);

    /* The head flit left the source terminal into the injection channel. */
    void (*packet_injected)(void *ctx, uint64_t packet_id, uint32_t src,
                            uint64_t t_ps);

    /* A flit was switched onto a link or channel. A multicast flit that
     * branches is reported once per branch. */
    void (*flit_hop)(void *ctx, const noc_flit_hop *h);

    /* The number of flits holding buffer slots at one input port of a
     * router changed. A slot is held from the moment the upstream router
     * sends the flit (its credit is spent) until the flit leaves. Port
     * 0..3 = east, west, north, south neighbour; 4.. = terminals. */
    void (*buffer_occupancy)(void *ctx, uint32_t router, uint32_t port,
                             uint32_t flits, uint64_t t_ps);

    /* The tail flit reached one destination terminal. latency_ps counts
     * from creation (source queueing included). */
    void (*packet_delivered)(void *ctx, uint64_t packet_id, uint32_t dst,
                             uint64_t t_ps, uint64_t latency_ps);

    /* Every destination of the packet has its tail: the packet is done. */
    void (*packet_finished)(void *ctx, uint64_t packet_id, uint64_t t_ps,
                            uint64_t latency_ps);

    /* The NoC stopped because no flit moved for the configured number of
     * cycles while flits were in flight. routers lists the routers that
     * hold flits. */
    void (*deadlock)(void *ctx, uint64_t t_ps, const uint32_t *routers,
                     uint32_t n_routers);

    /* Called once by noc_set_observer(), before any other callback, with
     * the NoC itself: the observer may keep the pointer for the run and
     * ask it for its shape (noc_routers, noc_get_config,
     * noc_link_describe...), e.g. to name trace tracks. Useful when the
     * NoC is built by someone else (noc_traffic_run). */
    void (*attached)(void *ctx, const struct noc *n);
} noc_observer;

#endif
