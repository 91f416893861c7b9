/* ev_csv_out.c -- the CSV writer of `evsim events --to-csv` (see
 * ev_stats.h): exact times in the source's tick, written to PATH.tmp and
 * renamed into place only when complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/ev_stats.h"

struct ev_csv_writer {
    base_outfile out;   /* PATH.tmp until ev_csvw_commit */
    const ev_info *src; /* live: its t_origin_us is set by the first event */
    uint64_t tick_ps;
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

/* Removes PATH.tmp unless committed. */
static void free_writer(ev_csv_writer *w)
{
    base_out_abort(&w->out);
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
    if (!w)
        return base_fail(err, "%s: out of memory", path);
    w->src = src;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(units[i].name, unit))
            w->tick_ps = units[i].ps;
    if (base_out_open(&w->out, path, "w", err)) {
        base_free(w);
        return -1;
    }
    fprintf(w->out.f, "# evsim events: converted from %s; width=%u height=%u\n",
            ev_format_name(src->format), src->width, src->height);
    fprintf(w->out.f, src->channel_events ? "t_%s,channel%s\n" : "t_%s,x,y,p%s\n", unit,
            src->has_values ? ",value" : "");
    *out = w;
    return 0;
}

int ev_csvw_write(ev_csv_writer *w, const ev_event *ev, size_t n, base_error *err)
{
    char line[128];
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
        if (w->src->has_values) /* %.17g: the double read back exactly */
            p += snprintf(p, 32, ",%.17g", e->value);
        *p++ = '\n';
        if (fwrite(line, 1, (size_t)(p - line), w->out.f) != (size_t)(p - line)) {
            base_fail(err, "%s: write error: %s", w->out.tmp, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int ev_csvw_commit(ev_csv_writer *w, base_error *err)
{
    int rc = base_out_commit(&w->out, err);
    free_writer(w);
    return rc;
}

void ev_csvw_abort(ev_csv_writer *w)
{
    if (w)
        free_writer(w);
}
