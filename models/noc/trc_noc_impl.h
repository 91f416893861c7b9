/* trc_noc_impl.h -- the NoC adapter's state, shared by trc_noc.c (what
 * happens during a run) and trc_noc_setup.c (tracks, opening, closing).
 * Not a public header. */
#ifndef EVSIM_TRC_NOC_IMPL_H
#define EVSIM_TRC_NOC_IMPL_H

#include "noc/trc_noc.h"

#define NO_LINK UINT32_MAX

/* A packet whose slice is open, kept in a ring indexed by packet id
 * (ids are sequential, so the ring spans only the packets in flight). */
typedef struct {
    uint64_t id; /* FREE when unused */
    trc_track lane;
    uint64_t flow0;  /* multicast: first of n_dst consecutive flow ids */
    uint32_t *dst;   /* multicast: the destinations, in flow order */
    uint32_t n_dst;
} pkt_rec;

#define FREE UINT64_MAX

struct trc_noc {
    trc_writer *w;
    bool owns_writer;
    bool ready;        /* tracks declared: callbacks record */
    const noc *n;      /* valid during the run only */
    noc *observed;     /* set when this adapter installed the observer */
    trc_noc_hook *hook; /* when opened by a runner's attach call */
    uint32_t routers, terminals, ports; /* ports per router: 4 + T */
    uint64_t cycle_ps, sample_cycles, win_ps, next_ps, now;

    trc_track top, inflight, by_src, deliveries;
    trc_track *buf_track;  /* [router] */
    trc_track *link_track; /* [link], 0 when not traced */
    trc_track *from;       /* [terminal] lane groups */
    trc_track *to;         /* [terminal] created on first delivery */
    bool packets;          /* packet tracks are written */

    uint32_t *occ;      /* [router * ports + port] flits */
    uint64_t *tot;      /* [router] flits in all input buffers */
    double *integral;   /* [router] flit * ps since the period began */
    uint64_t *last_ps;  /* [router] time of the last change */
    uint64_t *flits;    /* [link] flits this period */
    uint32_t n_links;
    int64_t in_flight;

    pkt_rec *ring;
    uint64_t ring_cap, base, top_id;

    trc_noc_view view;
    bool mean_inflight;    /* view.mean_in_flight and no packet tracks */
    double inflight_integral; /* packet * ps since the period began */
    uint64_t inflight_last_ps;

    trc_name n_pkt, n_mcast, n_deliv, n_deadlock;
    trc_name k_data;
    trc_name k_dst, k_dsts, k_flits, k_hops, k_lat, k_pkt, k_routers;
};

/* trc_noc.c */
/* The callbacks, with ctx = r (attached: NULL, or the setup's own). */
void trc_noc_fill_observer(trc_noc *r, noc_observer *obs,
                           void (*attached)(void *, const struct noc *));
/* trc_noc_setup.c: "PREFIX NAME" (the view's) or "PREFIX T". */
void trc_noc_terminal_name(const trc_noc *r, uint32_t t, const char *prefix, char *buf,
                           size_t len);
/* Writes the samples of the last, partial period ending at end_ps. */
void trc_noc_last_period(trc_noc *r, uint64_t end_ps);

#endif
