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
 */
#ifndef EVSIM_TRC_NOC_H
#define EVSIM_TRC_NOC_H

#include "noc.h"
#include "trace/trc.h"
#include "trace/trc_cli.h"

typedef struct trc_noc trc_noc;

/* Declares the tracks on w and becomes n's observer. The writer is the
 * caller's (several models may share one). NULL with err on failure. */
trc_noc *trc_noc_new(trc_writer *w, noc *n, uint64_t sample_cycles,
                     trc_error *err);
/* Writes the last, partial sampling period ending at end_ps. */
int trc_noc_finish(trc_noc *r, uint64_t end_ps);
/* Stops observing and frees the adapter (not the writer). */
void trc_noc_free(trc_noc *r);

/* For a command that traces only the NoC: open the writer the CLI
 * options ask for and attach to n. NULL with err on failure. */
trc_noc *trc_noc_start(const trc_cli *c, noc *n, trc_error *err);
/* Finishes at end_ps, closes the file (renamed into place) and frees;
 * st (may be NULL) gets the file's figures. -1 with err (and no file
 * left) on failure. */
int trc_noc_stop(trc_noc *r, uint64_t end_ps, trc_stats *st, trc_error *err);
/* Drops the trace file being written and frees. NULL is a no-op. */
void trc_noc_abort(trc_noc *r);

/* For a command whose NoC is built inside a run it does not own (the
 * synthetic-traffic runner): a hook pair with the (ctx, noc) shape such a
 * runner calls back, carrying the --trace* options in and the outcome
 * out. trc_noc_hook_start opens the trace when the NoC exists,
 * trc_noc_hook_end closes it at the end time. */
typedef struct {
    trc_cli cli;      /* fill with trc_cli_parse */
    trc_noc *rec;     /* while recording */
    trc_stats st;     /* of the closed file */
    trc_error err;
    int failed;       /* err says why; no file was left */
    int done;         /* the file is in place */
} trc_noc_hook;

void trc_noc_hook_init(trc_noc_hook *h);
void trc_noc_hook_start(void *hook, noc *n);
void trc_noc_hook_end(void *hook, noc *n, uint64_t end_ps);
/* If the run ended without trc_noc_hook_end (an error): drop the file.
 * Safe after the runner freed its NoC. */
void trc_noc_hook_cancel(trc_noc_hook *h);

#endif
