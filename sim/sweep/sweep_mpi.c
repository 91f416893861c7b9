/* sweep_mpi.c -- the points over MPI ranks (built when the Makefile finds
 * MPI: EVSIM_MPI); without MPI, stubs that say so. Rank 0 runs the same
 * coordinator as the local workers (sweep_run.c) behind an MPI transport;
 * ranks 1..N-1 each run the points handed to them, one at a time, in
 * their own process (no fork: MPI processes should not). */
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

#else

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_TASK = 1, TAG_HEAD, TAG_ROW };

typedef struct {
    uint32_t pt, len, searched;
    double wall_s;
    char host[128];
    char cache[BASE_PATH_MAX];
} mpi_head;

bool sweep_mpi_available(void)
{
    return true;
}

/* Started by mpirun / mpiexec (Open MPI, MPICH's Hydra, PMIx)? A binary
 * run alone does not start MPI: a singleton init can be slow or fail. */
static bool launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}

int sweep_mpi_init(int *argc, char ***argv, int *rank, int *ranks)
{
    *rank = 0;
    *ranks = 1;
    if (!launched())
        return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, ranks);
    return 0;
}

void sweep_mpi_finish(void)
{
    int on = 0, off = 0;
    MPI_Initialized(&on);
    MPI_Finalized(&off);
    if (on && !off)
        MPI_Finalize();
}

static int mpi_send(sw_transport *t, int w, uint32_t pt)
{
    (void)t;
    return MPI_Send(&pt, 1, MPI_UINT32_T, w + 1, TAG_TASK, MPI_COMM_WORLD) == MPI_SUCCESS ? 0
                                                                                       : -1;
}

static int mpi_recv(sw_transport *t, sw_done *d)
{
    (void)t;
    mpi_head h;
    MPI_Status st;
    memset(d, 0, sizeof *d);
    /* Poll with a nap rather than block: a blocking receive spins a core
     * (Open MPI), which the workers need when ranks share the cores. */
    int ready = 0;
    struct timespec nap = {0, 1000000};
    while (MPI_Iprobe(MPI_ANY_SOURCE, TAG_HEAD, MPI_COMM_WORLD, &ready, &st) == MPI_SUCCESS &&
           !ready)
        nanosleep(&nap, NULL);
    if (!ready || MPI_Recv(&h, (int)sizeof h, MPI_BYTE, st.MPI_SOURCE, TAG_HEAD, MPI_COMM_WORLD,
                           &st) != MPI_SUCCESS)
        return -1;
    d->w = st.MPI_SOURCE - 1;
    d->pt = h.pt;
    d->wall_s = h.wall_s;
    d->searched = h.searched;
    snprintf(d->host, sizeof d->host, "%s", h.host);
    snprintf(d->cache, sizeof d->cache, "%s", h.cache);
    d->row = base_malloc((size_t)h.len + 1);
    char *buf = d->row ? d->row : base_malloc((size_t)h.len + 1);
    MPI_Recv(buf, (int)h.len, MPI_CHAR, st.MPI_SOURCE, TAG_ROW, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (buf)
        buf[h.len] = '\0';
    return 0;
}

static void mpi_stop(sw_transport *t)
{
    uint32_t stop = UINT32_MAX;
    for (int w = 0; w < t->n_workers; w++)
        MPI_Send(&stop, 1, MPI_UINT32_T, w + 1, TAG_TASK, MPI_COMM_WORLD);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A rank other than 0: points in, rows out, until told to stop. */
static void worker(sweep *s, const sw_paths *p, int rank)
{
    mpi_head h;
    memset(&h, 0, sizeof h);
    int n = 0;
    MPI_Get_processor_name(h.host, &n);
    h.host[sizeof h.host - 1] = '\0';
    sw_seed sd = {.master = p->master_cache, .m_size = -1};
    sw_worker_cache(p, rank, sd.own, sizeof sd.own);
    snprintf(h.cache, sizeof h.cache, "%s", sd.own);
    uint32_t pt;
    while (MPI_Recv(&pt, 1, MPI_UINT32_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE) ==
               MPI_SUCCESS &&
           pt != UINT32_MAX) {
        double t0 = now_s();
        char *row = sw_run_point(s, pt, p->tmp_dir, &sd, &h.searched);
        if (!row)
            row = sw_failure_row(s, pt, "out of memory");
        h.pt = pt;
        h.len = row ? (uint32_t)strlen(row) : 0;
        h.wall_s = now_s() - t0;
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_HEAD, MPI_COMM_WORLD);
        MPI_Send(row ? row : "", (int)h.len, MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
        base_free(row);
    }
    remove(h.cache);
}

int sweep_run_mpi(sweep *s, const sweep_options *o, sweep_progress *pr, base_error *err)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    sw_paths p;
    sw_paths_init(&p, o->out_dir);
    if (ranks < 2)
        return sweep_run(s, o, pr, err);
    if (rank != 0) {
        worker(s, &p, rank);
        return 0;
    }
    sw_table t;
    sw_transport tr = {ranks - 1, NULL, mpi_send, mpi_recv, mpi_stop};
    int rc = sw_table_init(&t, s->n_points) ? base_fail(err, "out of memory")
                                            : sw_prepare_dir(s, o, &p, &t, err);
    if (rc == 0)
        rc = sw_coordinate(s, o, &p, &t, &tr, pr, err);
    else
        mpi_stop(&tr);
    sw_table_free(&t, s->n_points);
    rmdir(p.tmp_dir);
    rmdir(p.cache_dir);
    return rc;
}

#endif
