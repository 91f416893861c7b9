/* trc_noc.h -- records a NoC run on a timeline, through the NoC's
 * observer interface (models/noc_observer.h). The NoC knows nothing of
 * traces; this adapter turns what it reports into tracks and events:
 *
 *   NoC WxH                      (summary)
 *     packets in flight          counter: created, not yet at every
 *                                destination (source queues included)
 *     router R (x,y)             one group per router, in router order
 *       buffered flits           mean input-buffer occupancy over the
 *                                last sampling period (all ports)
 *       east/west/north/south link, eject link
 *                                output-link utilisation over the last
 *                                sampling period, % of cycles with a flit
 *   NoC packets by source        (full)
 *     from T                     lanes of packet slices from terminal T
 *                                (the source): creation to tail ejection,
 *                                args dst(s), flits, hops, latency_cycles
 *   NoC multicast deliveries     (full)
 *     to T                       one instant per multicast delivery, the
 *                                arrow from the packet's slice ends here
 *
 * A view (trc_noc_view, given by whoever knows what sits on the
 * terminals, e.g. a chip run) names terminals ("from core 2" instead of
 * "from 8"), adds a `data` argument to each packet slice (what it
 * carries: "conv1"), and may ask for the packets-in-flight counter as a
 * mean per sampling period rather than at every change when the packet
 * tracks are not written (a whole network's run makes millions). */
#ifndef EVSIM_TRC_NOC_H
#define EVSIM_TRC_NOC_H

#include "noc/noc.h"
#include "trace/trc.h"

typedef struct trc_noc trc_noc;

typedef struct trc_noc_view {
    /* Terminal t's name into buf (0), or -1: no name (the number). */
    int (*terminal_name)(void *ctx, uint32_t t, char *buf, size_t len);
    /* What the packet with this sender's tag carries, into buf (0), or
     * -1: nothing to say. */
    int (*packet_data)(void *ctx, uint64_t tag, char *buf, size_t len);
    void *ctx;
    bool mean_in_flight; /* below full detail: sampled, see above */
} trc_noc_view;

/* Declares the tracks on w and becomes n's observer. The writer is the
 * caller's (several models may share one). NULL with err on failure. */
trc_noc *trc_noc_new(trc_writer *w, noc *n, uint64_t sample_cycles,
                     base_error *err);
/* The same with a view (NULL: none; copied). */
trc_noc *trc_noc_new_view(trc_writer *w, noc *n, uint64_t sample_cycles,
                          const trc_noc_view *v, base_error *err);
/* Writes the last, partial sampling period ending at end_ps. */
int trc_noc_finish(trc_noc *r, uint64_t end_ps);
/* For other models writing to the same writer: writes the NoC samples of
 * every period that ended by t_ps and returns the time to write at, t_ps
 * or a little later when the NoC already reported events ahead of it (a
 * flit hop is reported with its arrival time). */
uint64_t trc_noc_sync(trc_noc *r, uint64_t t_ps);
/* Stops observing and frees the adapter (not the writer). */
void trc_noc_free(trc_noc *r);

/* For a command that traces only the NoC: open the writer the request
 * asks for (resolved against n's clock) and attach to n. NULL with err on
 * failure. */
trc_noc *trc_noc_start(const trc_request *rq, noc *n, base_error *err);
/* Finishes at end_ps, closes the file (renamed into place) and frees;
 * st (may be NULL) gets the file's figures. -1 with err (and no file
 * left) on failure. */
int trc_noc_stop(trc_noc *r, uint64_t end_ps, trc_stats *st, base_error *err);
/* Drops the trace file being written and frees. NULL is a no-op. */
void trc_noc_abort(trc_noc *r);

/* For a command whose NoC is built inside a runner (noc_traffic_run):
 * hand the runner trc_noc_hook_observer(); the trace opens when the NoC
 * attaches it (noc_set_observer calls `attached`), and trc_noc_hook_end
 * closes it after the run, when the NoC may already be freed. */
typedef struct {
    trc_request req;  /* what to trace (trc_request_init'ed: no trace) */
    trc_noc *rec;
    trc_stats st;     /* of the closed file */
    base_error err;
    int failed;       /* err says why; no file was left */
    int done;         /* the file is in place */
    noc_observer obs;
} trc_noc_hook;

void trc_noc_hook_init(trc_noc_hook *h);
/* NULL (h->err) when out of memory. */
const noc_observer *trc_noc_hook_observer(trc_noc_hook *h);
/* After the run, which ended at end_cycles of the NoC's clock (the trace
 * ends there, or at its last event if later). 0, or -1 with h->err and no
 * file left. Does nothing (0) if no observer was asked for. */
int trc_noc_hook_end(trc_noc_hook *h, uint64_t end_cycles);
/* The run failed: drop the file. */
void trc_noc_hook_cancel(trc_noc_hook *h);

#endif
