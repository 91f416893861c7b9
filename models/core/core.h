/* core.h -- a compute core as an event handler: a FIFO of ready
 * computation nodes (CNs) and one execution unit that runs them one at a
 * time, each for the duration the mapper gave it.
 *
 * The core knows nothing of layers or the NoC: whoever submits a CN is
 * told when it starts and when it finishes, through the callbacks. */
#ifndef EVSIM_CORE_H
#define EVSIM_CORE_H

#include <stdint.h>

#include "kernel/kernel.h"
#include "model.h"

typedef struct core_model core_model;

typedef struct {
    /* A CN left the ready queue and began on the execution unit. */
    void (*started)(void *ctx, uint32_t core_id, uint32_t cn, uint64_t t_ps,
                    uint64_t dur_ps);
    /* A CN finished; the unit takes the next ready CN right after. */
    void (*finished)(void *ctx, uint32_t core_id, uint32_t cn, uint64_t t_ps);
    void *ctx;
    /* Optional: the next CN could not be scheduled (the kernel is out of
     * memory); the kernel is stopped. */
    void (*failed)(void *ctx, const char *msg);
} core_callbacks;

typedef struct {
    uint32_t id;                    /* passed to the callbacks */
    char name[MODEL_NAME_MAX];      /* instance name ("core 0") */
    char track_name[160];           /* its timeline row */
    core_callbacks cb;
} core_params;

/* NULL when out of memory. */
core_model *core_new(kq_kernel *k, const core_params *p);
void core_free(core_model *c);

/* Queue CN `cn` (an id of the caller's) to run for dur_ps once the unit is
 * free; it starts at once if the unit is idle. Its energy_pj is booked
 * when it finishes. 0, or -1 when out of memory or when the kernel
 * refuses the event. */
int core_submit(core_model *c, uint32_t cn, uint64_t dur_ps, double energy_pj);

uint64_t core_busy_ps(const core_model *c);   /* time spent running CNs */
uint32_t core_cns_done(const core_model *c);
int core_idle(const core_model *c);           /* nothing running, nothing queued */
uint32_t core_peak_ready(const core_model *c); /* longest ready queue */
double core_energy_pj(const core_model *c);   /* of the CNs finished */

/* Its timeline row, once attached (0 before). The core's owner writes the
 * CN slices on it: what a CN is (layer, loop order) is the owner's. */
trc_track core_track(const core_model *c);

/* The contract: attach_trace (one track), finish (one "compute" item: the
 * energy of the CNs it finished), destroy. */
extern const model_ops core_model_ops;

#endif
