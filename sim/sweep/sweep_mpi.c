/* sweep_mpi.c -- the points over MPI ranks (built when the Makefile finds
 * mpi.h: EVSIM_MPI); without MPI, stubs that say so. */
#include "sweep/sweep_int.h"

#ifndef EVSIM_MPI

bool sweep_mpi_available(void)
{
    return false;
}

int sweep_mpi_init(int *argc, char ***argv, int *rank, int *ranks)
{
    (void)argc;
    (void)argv;
    *rank = 0;
    *ranks = 1;
    return 0;
}

int sweep_run_mpi(sweep *s, const sweep_options *o, sweep_progress *p, base_error *err)
{
    return sweep_run(s, o, p, err);
}

void sweep_mpi_finish(void)
{
}

#endif
