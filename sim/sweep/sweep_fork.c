/* sweep_fork.c -- local workers: forked processes, one pipe each way. A
 * point runs in a worker so that one that crashes costs its row only (the
 * worker is replaced). Wire: the coordinator writes a point number
 * (UINT32_MAX: stop); the worker answers with sw_wire and the row. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep/sweep_int.h"

typedef struct {
    uint32_t pt, len, searched;
    double wall_s;
    char cache[BASE_PATH_MAX];
} sw_wire;

typedef struct {
    pid_t pid;
    int to, from;       /* -1 when closed */
    uint32_t pt;        /* in flight, UINT32_MAX: none */
} fk_worker;

typedef struct {
    sweep *s;
    const sw_paths *p;
    fk_worker *w;
    int n;
    char host[128];
} fk_ctx;

static int full_write(int fd, const void *b, size_t n)
{
    const char *p = b;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int full_read(int fd, void *b, size_t n)
{
    char *p = b;
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The worker's life: points in, rows out, until told to stop or the
 * coordinator is gone. */
static void worker_loop(fk_ctx *c, int idx, int in, int out)
{
    sw_wire h;
    sw_seed sd = {.master = c->p->master_cache, .m_size = -1};
    memset(&h, 0, sizeof h);
    sw_worker_cache(c->p, idx, sd.own, sizeof sd.own);
    snprintf(h.cache, sizeof h.cache, "%s", sd.own);
    uint32_t pt;
    while (full_read(in, &pt, sizeof pt) == 0 && pt != UINT32_MAX) {
        double t0 = now_s();
        char *row = sw_run_point(c->s, pt, c->p->tmp_dir, &sd, &h.searched);
        h.pt = pt;
        h.len = row ? (uint32_t)strlen(row) : 0;
        h.wall_s = now_s() - t0;
        bool ok = row && full_write(out, &h, sizeof h) == 0 && full_write(out, row, h.len) == 0;
        base_free(row);
        if (!ok)
            break;
    }
    remove(h.cache);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn(fk_ctx *c, int i)
{
    int down[2], up[2];
    if (pipe(down))
        return -1;
    if (pipe(up)) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        for (int k = 0; k < c->n; k++)
            if (k != i) {
                close_fd(&c->w[k].to);
                close_fd(&c->w[k].from);
            }
        close(down[1]);
        close(up[0]);
        worker_loop(c, i, down[0], up[1]);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    if (pid < 0) {
        close(down[1]);
        close(up[0]);
        return -1;
    }
    c->w[i] = (fk_worker){pid, down[1], up[0], UINT32_MAX};
    return 0;
}

static void reap(fk_worker *w)
{
    close_fd(&w->to);
    close_fd(&w->from);
    if (w->pid > 0)
        waitpid(w->pid, NULL, 0);
    w->pid = 0;
}

static int fk_send(sw_transport *t, int w, uint32_t pt)
{
    fk_ctx *c = t->ctx;
    if (c->w[w].to < 0 && spawn(c, w))
        return -1;
    if (full_write(c->w[w].to, &pt, sizeof pt)) {
        reap(&c->w[w]);
        return -1;
    }
    c->w[w].pt = pt;
    return 0;
}

static int read_result(fk_ctx *c, int i, sw_done *d)
{
    fk_worker *w = &c->w[i];
    sw_wire h;
    memset(d, 0, sizeof *d);
    d->w = i;
    d->pt = w->pt;
    snprintf(d->host, sizeof d->host, "%s", c->host);
    w->pt = UINT32_MAX;
    if (full_read(w->from, &h, sizeof h) == 0 && h.pt == d->pt &&
        (d->row = base_malloc((size_t)h.len + 1)) && full_read(w->from, d->row, h.len) == 0) {
        d->row[h.len] = '\0';
        d->wall_s = h.wall_s;
        d->searched = h.searched;
        snprintf(d->cache, sizeof d->cache, "%s", h.cache);
        return 0;
    }
    base_free(d->row);
    d->row = NULL;
    reap(w); /* died on this point: the next send spawns a new one */
    return 0;
}

static int fk_recv(sw_transport *t, sw_done *d)
{
    fk_ctx *c = t->ctx;
    struct pollfd pf[256];
    int idx[256], n = 0;
    for (int i = 0; i < c->n && n < 256; i++)
        if (c->w[i].from >= 0 && c->w[i].pt != UINT32_MAX) {
            pf[n] = (struct pollfd){.fd = c->w[i].from, .events = POLLIN};
            idx[n++] = i;
        }
    if (n == 0)
        return -1;
    while (poll(pf, (nfds_t)n, -1) < 0)
        if (errno != EINTR)
            return -1;
    for (int k = 0; k < n; k++)
        if (pf[k].revents)
            return read_result(c, idx[k], d);
    return -1;
}

static void fk_stop(sw_transport *t)
{
    fk_ctx *c = t->ctx;
    uint32_t stop = UINT32_MAX;
    for (int i = 0; i < c->n; i++)
        if (c->w[i].to >= 0)
            full_write(c->w[i].to, &stop, sizeof stop);
    for (int i = 0; i < c->n; i++)
        reap(&c->w[i]);
}

static int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int sweep_run(sweep *s, const sweep_options *o, sweep_progress *pr, base_error *err)
{
    sw_paths p;
    sw_table t;
    sw_paths_init(&p, o->out_dir);
    if (sw_table_init(&t, s->n_points))
        return base_fail(err, "out of memory");
    int rc = sw_prepare_dir(s, o, &p, &t, err);
    fk_ctx c = {s, &p, NULL, o->jobs > 0 ? o->jobs : default_jobs(), ""};
    if (c.n > 256)
        c.n = 256;
    if ((uint32_t)c.n > s->n_points)
        c.n = (int)s->n_points;
    gethostname(c.host, sizeof c.host - 1);
    if (rc == 0 && !(c.w = base_calloc((size_t)c.n, sizeof *c.w)))
        rc = base_fail(err, "out of memory");
    for (int i = 0; c.w && i < c.n; i++)
        c.w[i] = (fk_worker){0, -1, -1, UINT32_MAX};
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    sw_transport tr = {c.n, &c, fk_send, fk_recv, fk_stop};
    if (rc == 0)
        rc = sw_coordinate(s, o, &p, &t, &tr, pr, err);
    signal(SIGPIPE, old);
    base_free(c.w);
    sw_table_free(&t, s->n_points);
    rmdir(p.tmp_dir);
    rmdir(p.cache_dir);
    return rc;
}
