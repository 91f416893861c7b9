/* ev_fmt_csv.c -- the plain CSV trace: after the header (ev_header.c),
 * one event per line, `t,x,y,p` or `t,channel` (either with a last
 * `value` column: the event's graded value), t in the header's unit
 * with an optional decimal fraction converted exactly to picoseconds.
 * Blank lines and '#' comments are not records; a line that does not
 * parse is counted as bad_line (the first one's number is kept for the
 * message), never guessed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "input/ev_internal.h"

static inline const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *parse_u32(const char *p, const char *end, uint32_t *v)
{
    p = ws(p, end);
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    uint64_t x = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        x = x * 10 + (uint64_t)(*p++ - '0');
        if (x > UINT32_MAX)
            return NULL;
    }
    *v = (uint32_t)x;
    return ws(p, end);
}

typedef unsigned __int128 u128;

/* Decimal time in units of UNIT_PS, in picoseconds; NULL if malformed,
 * beyond 2^96 ps or finer than a picosecond. 128 bits because absolute
 * (Unix-epoch) times do not fit 64-bit picoseconds: the caller moves them
 * to a whole-second origin. */
static const char *parse_time(const char *p, const char *end, uint64_t unit_ps, u128 *t)
{
    p = ws(p, end);
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    uint64_t ip = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (ip > (UINT64_MAX - 9) / 10)
            return NULL;
        ip = ip * 10 + (uint64_t)(*p++ - '0');
    }
    u128 v = (u128)ip * unit_ps;
    uint64_t scale = unit_ps;
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9') {
            uint64_t d = (uint64_t)(*p++ - '0');
            if (scale % 10) {
                if (d)
                    return NULL; /* below one picosecond */
                continue;
            }
            scale /= 10;
            v += (u128)d * scale;
        }
    }
    if (v >> 96)
        return NULL;
    *t = v;
    return ws(p, end);
}

/* Picoseconds from the origin; the first event fixes the origin (a whole
 * second) when its absolute time would not fit 64-bit picoseconds, like
 * the AEDAT 4.0 reader does. An event before the origin is clamped to it
 * (and so counted as a step back). -1 if beyond 64-bit range. */
static int rebase(ev_reader *r, u128 t, uint64_t *t_ps)
{
    ev_csv_state *c = &r->st.csv;
    const u128 s_ps = (u128)EV_US_PS * 1000000u;
    if (!c->have_origin) {
        c->have_origin = 1;
        if (t >> 62)
            r->info.t_origin_us = (uint64_t)(t / s_ps) * 1000000u;
    }
    u128 o = (u128)r->info.t_origin_us * EV_US_PS;
    u128 rel = t > o ? t - o : 0;
    if (rel >> 64)
        return -1;
    *t_ps = (uint64_t)rel;
    return 0;
}

/* ",value" at the end of the line: a finite decimal number; NULL if not. */
static const char *parse_value(const char *p, const char *end, double *v)
{
    char b[64], *e;
    p = ws(p, end);
    if (p == end || *p++ != ',')
        return NULL;
    p = ws(p, end);
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof b)
        return NULL;
    memcpy(b, p, n);
    b[n] = '\0';
    *v = strtod(b, &e);
    if (e == b || !isfinite(*v))
        return NULL;
    return ws(p + (e - b), end);
}

/* 1 event, 0 not a record, -1 bad line. */
static int parse_line(ev_reader *r, const char *p, const char *end, ev_event *e)
{
    const ev_csv_state *c = &r->st.csv;
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    p = ws(p, end);
    if (p == end || *p == '#')
        return 0;
    u128 t;
    if (!(p = parse_time(p, end, c->unit_ps, &t)) || p == end || *p++ != ',' ||
        rebase(r, t, &e->t_ps))
        return -1;
    e->value = 1.0;
    if (c->channel) {
        if (!(p = parse_u32(p, end, &e->channel)) ||
            (c->values && !(p = parse_value(p, end, &e->value))) || p != end)
            return -1;
        e->x = e->y = 0;
        e->polarity = 0;
        e->is_channel = 1;
        return 1;
    }
    uint32_t pol;
    if (!(p = parse_u32(p, end, &e->x)) || p == end || *p++ != ',' ||
        !(p = parse_u32(p, end, &e->y)) || p == end || *p++ != ',' ||
        !(p = parse_u32(p, end, &pol)) ||
        (c->values && !(p = parse_value(p, end, &e->value))) || p != end || pol > 1)
        return -1;
    e->polarity = (uint8_t)pol;
    e->channel = 0;
    e->is_channel = 0;
    if (!ev_in_bounds(&r->info, e->x, e->y)) {
        r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
        return 0;
    }
    return 1;
}

size_t ev_decode_csv(ev_reader *r, ev_event *out, size_t cap)
{
    ev_csv_state *c = &r->st.csv;
    size_t n = 0;
    while (n < cap && r->pos < r->len) {
        const char *p = (const char *)r->buf + r->pos;
        const char *end = memchr(p, '\n', r->len - r->pos);
        size_t used;
        if (end) {
            used = (size_t)(end - p) + 1;
        } else if (r->eof) {
            end = (const char *)r->buf + r->len; /* last line, no newline */
            used = r->len - r->pos;
        } else {
            if (r->pos == 0 && r->len == EV_BUF_BYTES)
                evr_fail(r, "CSV line %llu is longer than %u bytes",
                         (unsigned long long)c->line_no + 1, EV_BUF_BYTES);
            break; /* need more input */
        }
        c->line_no++;
        int k = parse_line(r, p, end, &out[n]);
        if (k > 0)
            n++;
        else if (k < 0) {
            r->info.skipped[EV_SKIP_BAD_LINE]++;
            if (!c->first_bad_line)
                c->first_bad_line = c->line_no;
        }
        r->pos += used;
    }
    return n;
}

uint64_t ev_csv_first_bad_line(const ev_reader *r)
{
    return r->info.format == EV_FMT_CSV ? r->st.csv.first_bad_line : 0;
}
