/* sweep.h -- design-space sweeps: many runs of one scenario with values
 * changed, on worker processes (or MPI ranks), into one table.
 *
 *   sweep file (config/cfg_sweep.h) -> points (grid or zip, minus the
 *   excludes) -> every key path and value checked against the base's
 *   files -> each point: its values spliced into copies of the files it
 *   touches, one run_scenario call -> a row of results
 *
 * Rows are kept in point order and the files rewritten (PATH.tmp, then
 * renamed) as points finish, so DIR/results.csv and DIR/results.json are
 * the same bytes whatever the worker count and the order points finished
 * in; wall times, workers and hosts go to DIR/timing.csv only. The mapper's
 * cost cache is shared: each worker runs with its own cache file, seeded
 * before every point from DIR/mapper.cache, into which the coordinator
 * merges what every finished point searched. */
#ifndef EVSIM_SWEEP_H
#define EVSIM_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

#define SWEEP_DEFAULT_MAX_POINTS 10000

typedef struct {
    uint32_t total, done, failed, skipped; /* skipped: already in the results */
    double elapsed_s, rate, eta_s;         /* points per second, seconds left */
} sweep_progress;

typedef struct {
    const char *out_dir;
    int jobs;                 /* worker processes; 0: the number of cores */
    uint64_t max_points;      /* refuse more points unless force */
    bool force;
    bool resume;              /* skip the points DIR/results.csv holds as run
                                 (ok, incomplete); failed ones run again */
    /* About twice a second and at the end. */
    void (*progress)(void *ctx, const sweep_progress *p);
    void *progress_ctx;
} sweep_options;

void sweep_options_default(sweep_options *o);

typedef struct sweep sweep;

/* Loads the sweep file and checks it whole before anything runs: its
 * shape, every key path (which part names nothing), each value's type
 * against the base's, the point count against max_points. NULL with every
 * problem in err (FILE:LINE:COL of the sweep entry). */
sweep *sweep_open(const char *path, const sweep_options *o, base_errors *err);
void sweep_free(sweep *s);
uint32_t sweep_n_points(const sweep *s);
int sweep_n_params(const sweep *s);
const char *sweep_param_key(const sweep *s, int i);
const char *sweep_base(const sweep *s);

/* Runs every point not yet in the results with local worker processes.
 * 0 when the sweep went through (failed points are rows with status
 * failed, counted in *p), -1 with err when it could not (output
 * directory, a results file from another sweep). */
int sweep_run(sweep *s, const sweep_options *o, sweep_progress *p, base_error *err);

/* Whether this build has MPI (sweep_mpi.c). */
bool sweep_mpi_available(void);
/* Under mpirun (more than one rank): rank 0 coordinates and writes the
 * files, the other ranks run points as they are handed out. Returns as
 * sweep_run on rank 0; other ranks return 0 when told to stop. Call
 * sweep_mpi_init first; *ranks is 1 outside mpirun. */
int sweep_mpi_init(int *argc, char ***argv, int *rank, int *ranks);
int sweep_run_mpi(sweep *s, const sweep_options *o, sweep_progress *p, base_error *err);
void sweep_mpi_finish(void);

#endif
