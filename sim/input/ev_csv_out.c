/* ev_csv_out.c -- the CSV writer of `evsim events --to-csv` (see
 * ev_stats.h): exact times in the source's tick, written to PATH.tmp and
 * renamed into place only when complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/ev_stats.h"

struct ev_csv_writer {
    FILE *f;
    const ev_info *src; /* live: its t_origin_us is set by the first event */
    uint64_t tick_ps;
    char *path, *tmp;
};

static const struct {
    uint64_t ps;
    const char *name;
} units[] = {
    {1, "ps"}, {1000, "ns"}, {1000000, "us"}, {1000000000, "ms"},
    {UINT64_C(1000000000000), "s"},
};

static char *put_u128(char *p, unsigned __int128 v)
{
    char tmp[40];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_u64(char *p, uint64_t v)
{
    return put_u128(p, v);
}

void ev_format_time(char *buf, uint64_t t_ps, uint64_t origin_us, uint64_t tick_ps)
{
    unsigned __int128 t = (unsigned __int128)origin_us * 1000000u + t_ps;
    char *p = put_u128(buf, t / tick_ps);
    uint64_t rem = (uint64_t)(t % tick_ps);
    if (rem) {
        *p++ = '.';
        for (uint64_t scale = tick_ps / 10; scale && rem; scale /= 10) {
            *p++ = (char)('0' + rem / scale);
            rem %= scale;
        }
    }
    *p = '\0';
}

static void free_writer(ev_csv_writer *w)
{
    base_free(w->path);
    base_free(w->tmp);
    base_free(w);
}

int ev_csvw_open(ev_csv_writer **out, const char *path, const ev_info *src, base_error *err)
{
    *out = NULL;
    const char *unit = NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (units[i].ps == src->tick_ps)
            unit = units[i].name;
    if (!unit) { /* a tick that is no named unit: picoseconds are exact */
        unit = "ps";
    }
    ev_csv_writer *w = base_calloc(1, sizeof *w);
    size_t len = strlen(path);
    if (w) {
        w->path = base_strdup(path);
        w->tmp = base_malloc(len + 5);
    }
    if (!w || !w->path || !w->tmp) {
        base_fail(err, "%s: out of memory", path);
        if (w)
            free_writer(w);
        return -1;
    }
    w->src = src;
    memcpy(w->tmp, path, len);
    memcpy(w->tmp + len, ".tmp", 5);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(units[i].name, unit))
            w->tick_ps = units[i].ps;
    w->f = fopen(w->tmp, "w");
    if (!w->f) {
        base_fail(err, "%s: cannot create: %s", w->tmp, strerror(errno));
        free_writer(w);
        return -1;
    }
    fprintf(w->f, "# evsim events: converted from %s; width=%u height=%u\n",
            ev_format_name(src->format), src->width, src->height);
    fprintf(w->f, src->channel_events ? "t_%s,channel\n" : "t_%s,x,y,p\n", unit);
    *out = w;
    return 0;
}

int ev_csvw_write(ev_csv_writer *w, const ev_event *ev, size_t n, base_error *err)
{
    char line[96];
    for (size_t i = 0; i < n; i++) {
        const ev_event *e = &ev[i];
        ev_format_time(line, e->t_ps, w->src->t_origin_us, w->tick_ps);
        char *p = line + strlen(line);
        *p++ = ',';
        if (e->is_channel) {
            p = put_u64(p, e->channel);
        } else {
            p = put_u64(p, e->x);
            *p++ = ',';
            p = put_u64(p, e->y);
            *p++ = ',';
            *p++ = (char)('0' + e->polarity);
        }
        *p++ = '\n';
        if (fwrite(line, 1, (size_t)(p - line), w->f) != (size_t)(p - line)) {
            base_fail(err, "%s: write error: %s", w->tmp, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int ev_csvw_commit(ev_csv_writer *w, base_error *err)
{
    int bad = ferror(w->f);
    bad |= fclose(w->f) != 0;
    w->f = NULL;
    if (bad || rename(w->tmp, w->path)) {
        base_fail(err, "%s: cannot write: %s", w->path, strerror(errno));
        remove(w->tmp);
        free_writer(w);
        return -1;
    }
    free_writer(w);
    return 0;
}

void ev_csvw_abort(ev_csv_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    remove(w->tmp);
    free_writer(w);
}
