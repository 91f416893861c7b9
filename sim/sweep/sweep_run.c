/* sweep_run.c -- the coordinator (dynamic assignment: a worker gets the
 * next point as soon as it hands one back, since points differ in cost by
 * orders of magnitude), the output folder, the shared mapper cache. The
 * workers are behind sw_transport: forked processes here, MPI ranks in
 * sweep_mpi.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loma/loma.h"
#include "sweep/sweep_int.h"

void sw_paths_init(sw_paths *p, const char *dir)
{
    memset(p, 0, sizeof *p);
    p->dir = dir;
    /* The point's files name each other: absolute, whatever the cwd. */
    char cwd[BASE_PATH_MAX / 2] = "";
    if (dir[0] != '/' && !getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    snprintf(p->tmp_dir, sizeof p->tmp_dir, "%.200s%s%.250s/.tmp", cwd, cwd[0] ? "/" : "", dir);
    snprintf(p->cache_dir, sizeof p->cache_dir, "%s/.cache", dir);
    snprintf(p->master_cache, sizeof p->master_cache, "%s/mapper.cache", dir);
}

void sw_worker_cache(const sw_paths *p, int w, char *out, size_t cap)
{
    snprintf(out, cap, "%s/w%d-%ld.cache", p->cache_dir, w, (long)getpid());
}

int sw_merge_cache(const char *dst, const char *src, base_error *err)
{
    loma_cache *c = loma_cache_new();
    if (!c)
        return base_fail(err, "out of memory");
    int rc = 0;
    if (access(dst, F_OK) == 0)
        rc = loma_cache_load(c, dst, err);
    size_t before = loma_cache_count(c);
    if (rc == 0 && access(src, F_OK) == 0)
        rc = loma_cache_load(c, src, err);
    if (rc == 0 && (loma_cache_count(c) > before || access(dst, F_OK) != 0))
        rc = loma_cache_save(c, dst, err);
    loma_cache_free(c);
    return rc;
}

static int make_dir(const char *d, base_error *err)
{
    if (mkdir(d, 0777) == 0 || errno == EEXIST)
        return 0;
    return base_fail(err, "cannot create %s: %s", d, strerror(errno));
}

static void clear_leftovers(const sw_paths *p);

int sw_prepare_dir(const sweep *s, const sweep_options *o, const sw_paths *p, sw_table *t,
                   base_error *err)
{
    char res[BASE_PATH_MAX];
    if (make_dir(p->dir, err) || make_dir(p->tmp_dir, err) || make_dir(p->cache_dir, err))
        return -1;
    snprintf(res, sizeof res, "%s/results.csv", p->dir);
    if (access(res, F_OK) == 0 && !o->resume)
        return base_fail(err, "%s exists: --resume to go on with that sweep, or choose "
                         "another --out", res);
    clear_leftovers(p);
    return o->resume ? sw_table_load(s, t, p->dir, err) : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    uint32_t *queue, nq, next, in_flight;
    double t0, last_write, last_progress;
} coord;

static void report(const sweep_options *o, sweep_progress *pr, const sw_table *t, coord *c,
                   bool force)
{
    double now = now_s();
    pr->done = t->n_done;
    pr->failed = t->n_failed;
    pr->elapsed_s = now - c->t0;
    uint32_t ran = t->n_done - pr->skipped;
    pr->rate = pr->elapsed_s > 0 ? ran / pr->elapsed_s : 0.0;
    pr->eta_s = pr->rate > 0 ? (pr->total - t->n_done) / pr->rate : 0.0;
    if (!o->progress || (!force && now - c->last_progress < 0.5))
        return;
    c->last_progress = now;
    o->progress(o->progress_ctx, pr);
}

/* What workers killed with an earlier run left: their searches go into
 * the master cache, their files away. */
static void clear_leftovers(const sw_paths *p)
{
    const char *dirs[2] = {p->tmp_dir, p->cache_dir};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char f[BASE_PATH_MAX * 2];
            base_error err;
            if (e->d_name[0] == '.')
                continue;
            snprintf(f, sizeof f, "%s/%s", dirs[k], e->d_name);
            if (k == 1 && sw_merge_cache(p->master_cache, f, &err))
                remove(p->master_cache);
            remove(f);
        }
        if (d)
            closedir(d);
    }
}

/* A finished point into the table; what its worker searched into the
 * master cache (merged in arrival order: entries are keyed by shape and
 * core, so the set, and every result, is the same in any order). */
static int take(sweep *s, sw_table *t, const sw_paths *p, sw_done *d)
{
    base_error e;
    if (d->searched > 0 && d->cache[0] && access(d->cache, F_OK) == 0 &&
        sw_merge_cache(p->master_cache, d->cache, &e))
        remove(p->master_cache); /* a broken cache only costs searches */
    if (!d->row)
        d->row = sw_failure_row(s, d->pt, "the worker running it exited before it finished");
    if (!d->row)
        return -1;
    base_free(t->rows[d->pt]);
    t->rows[d->pt] = d->row;
    t->n_done++;
    t->n_failed += sw_row_status(d->row, s->cfg->n_params) == 2;
    char tm[256];
    snprintf(tm, sizeof tm, "%d,%s,%.3f,%u", d->w, d->host, d->wall_s, d->searched);
    base_free(t->timing[d->pt]);
    t->timing[d->pt] = base_strdup(tm);
    return 0;
}

int sw_coordinate(sweep *s, const sweep_options *o, const sw_paths *p, sw_table *t,
                  sw_transport *tr, sweep_progress *pr, base_error *err)
{
    coord c = {0};
    c.t0 = c.last_progress = now_s();
    memset(pr, 0, sizeof *pr);
    pr->total = s->n_points;
    pr->skipped = t->n_done;
    if (!(c.queue = base_calloc((size_t)s->n_points + 1, sizeof *c.queue)))
        return base_fail(err, "out of memory");
    for (uint32_t i = 0; i < s->n_points; i++)
        if (!t->rows[i])
            c.queue[c.nq++] = i;
    for (int w = 0; w < tr->n_workers && c.next < c.nq; w++)
        if (tr->send(tr, w, c.queue[c.next]) == 0) {
            c.next++;
            c.in_flight++;
        }
    int rc = 0;
    while (c.in_flight > 0 && rc == 0) {
        sw_done d;
        if (tr->recv(tr, &d) != 0) {
            rc = base_fail(err, "every worker is gone with %u points left", c.nq - c.next);
            break;
        }
        c.in_flight--;
        if (take(s, t, p, &d))
            rc = base_fail(err, "out of memory");
        if (rc == 0 && now_s() - c.last_write > 0.5) {
            rc = sw_table_write(s, t, p->dir, err);
            c.last_write = now_s();
        }
        report(o, pr, t, &c, false);
        if (rc == 0 && c.next < c.nq && tr->send(tr, d.w, c.queue[c.next]) == 0) {
            c.next++;
            c.in_flight++;
        }
    }
    tr->stop(tr);
    if (rc == 0)
        rc = sw_table_write(s, t, p->dir, err);
    report(o, pr, t, &c, true);
    base_free(c.queue);
    return rc;
}
