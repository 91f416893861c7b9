/* ev_reader.c -- the generic half of the trace readers: the fixed input
 * buffer, format detection, the pull loop over a format's decoder, the
 * accounting every format shares (event count, steps back, truncated
 * tails) and the malformed-body verdict. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "input/ev_internal.h"

static const struct {
    const char *name, *desc;
} fmt_names[EV_FMT_COUNT] = {
    [EV_FMT_AUTO] = {"auto", "detect from header or extension"},
    [EV_FMT_NMNIST] = {"nmnist", "N-MNIST binary (5 bytes/event, 34 x 34)"},
    [EV_FMT_NCALTECH101] = {"ncaltech101", "N-Caltech101 binary (5 bytes/event)"},
    [EV_FMT_AEDAT2] = {"aedat2", "AEDAT 2.0 (layout from the header's AEChip)"},
    [EV_FMT_AEDAT2_DVS128] = {"aedat2-dvs128", "AEDAT 2.0, DVS128 address layout"},
    [EV_FMT_AEDAT2_DAVIS] = {"aedat2-davis", "AEDAT 2.0, DAVIS address layout"},
    [EV_FMT_EVT2] = {"evt2", "Prophesee EVT 2.0 raw (32-bit words)"},
    [EV_FMT_EVT3] = {"evt3", "Prophesee EVT 3.0 raw (16-bit words)"},
    [EV_FMT_DAT] = {"dat", "Prophesee DAT (8-byte CD events)"},
    [EV_FMT_CSV] = {"csv", "CSV t_UNIT,x,y,p or t_UNIT,channel"},
    [EV_FMT_AEDAT4] = {"aedat4", "AEDAT 4.0 (EVTS packets, uncompressed, LZ4 or ZSTD)"},
};

static const char *skip_names[EV_SKIP_COUNT] = {
    [EV_SKIP_TRUNCATED] = "truncated",
    [EV_SKIP_OUT_OF_BOUNDS] = "out_of_bounds",
    [EV_SKIP_TRIGGER] = "trigger",
    [EV_SKIP_APS_IMU] = "aps_imu",
    [EV_SKIP_BAD_ADDRESS] = "bad_address",
    [EV_SKIP_NO_TIME_BASE] = "no_time_base",
    [EV_SKIP_NO_ROW] = "no_row",
    [EV_SKIP_VENDOR] = "vendor",
    [EV_SKIP_UNKNOWN_TYPE] = "unknown_type",
    [EV_SKIP_BAD_LINE] = "bad_line",
    [EV_SKIP_OTHER_STREAM] = "other_stream",
};

const char *ev_format_name(ev_format f)
{
    return f < EV_FMT_COUNT ? fmt_names[f].name : "?";
}

const char *ev_format_description(ev_format f)
{
    return f < EV_FMT_COUNT ? fmt_names[f].desc : "?";
}

ev_format ev_format_from_name(const char *name)
{
    if (!strcmp(name, "aedat2-davis240") || !strcmp(name, "aedat2-davis346"))
        return EV_FMT_AEDAT2_DAVIS;
    for (int f = 0; f < EV_FMT_COUNT; f++)
        if (!strcmp(name, fmt_names[f].name))
            return (ev_format)f;
    return EV_FMT_COUNT;
}

const char *ev_skip_name(ev_skip_reason s)
{
    return s < EV_SKIP_COUNT ? skip_names[s] : "?";
}

uint64_t ev_skipped_total(const ev_info *info)
{
    uint64_t n = 0;
    for (int i = 0; i < EV_SKIP_COUNT; i++)
        n += info->skipped[i];
    return n;
}

const ev_info *ev_get_info(const ev_reader *r)
{
    return &r->info;
}

void evr_fail(ev_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return; /* keep the first cause */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
    r->failed = 1;
}

int evr_refill(ev_reader *r)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->file_off += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == EV_BUF_BYTES)
        return 0;
    ssize_t k;
    do
        k = read(r->fd, r->buf + r->len, EV_BUF_BYTES - r->len);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        evr_fail(r, "read error at byte %llu: %s",
                 (unsigned long long)(r->file_off + r->len), strerror(errno));
        return -1;
    }
    if (k == 0)
        r->eof = 1;
    else
        r->len += (size_t)k;
    return 0;
}

int evr_peek(ev_reader *r)
{
    while (r->pos >= r->len) {
        if (r->eof || evr_refill(r))
            return -1;
    }
    return r->buf[r->pos];
}

long evr_line(ev_reader *r, char *line, size_t cap)
{
    size_t n = 0;
    int any = 0;
    for (;;) {
        if (r->pos >= r->len) {
            if (r->eof)
                break;
            if (evr_refill(r))
                return -1;
            continue;
        }
        uint8_t c = r->buf[r->pos++];
        any = 1;
        if (c == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = (char)c;
    }
    while (n > 0 && line[n - 1] == '\r')
        n--;
    line[n] = '\0';
    return any ? (long)n : -1;
}

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

/* Pick the format from the first bytes, else the extension. Headers are
 * authoritative: an extension can lie, a '#!AER-DAT' or '% evt' line not. */
static ev_format detect(ev_reader *r, const char *path)
{
    const char *ext = extension(path);
    const uint8_t *b = r->buf + r->pos;
    size_t n = r->len - r->pos;
    if (n >= 9 && !memcmp(b, "#!AER-DAT", 9)) {
        if (n >= 12 && !memcmp(b + 9, "2.0", 3))
            return EV_FMT_AEDAT2;
        if (n >= 12 && !memcmp(b + 9, "4.0", 3))
            return EV_FMT_AEDAT4;
        char ver[8] = {0};
        for (size_t i = 0; i < 3 && 9 + i < n && isprint(b[9 + i]); i++)
            ver[i] = (char)b[9 + i];
        evr_fail(r, "AEDAT %s file: unsupported version (evsim reads AEDAT 2.0 and 4.0)", ver);
        return EV_FMT_COUNT;
    }
    if (n >= 1 && b[0] == '%')
        return EV_FMT_EVT2; /* Prophesee family: the header decides below */
    if (!strcasecmp(ext, "csv") || (n >= 2 && b[0] == 't' && b[1] == '_'))
        return EV_FMT_CSV;
    if (!strcasecmp(ext, "bin"))
        return EV_FMT_NMNIST;
    if (!strcasecmp(ext, "dat"))
        return EV_FMT_DAT;
    if (!strcasecmp(ext, "aedat4"))
        evr_fail(r, "AEDAT 4.0 file without its '#!AER-DAT4.0' header line");
    else
        evr_fail(r, "cannot tell the format from the header or the extension '.%s'; "
                    "use --format (nmnist, ncaltech101, aedat2, aedat4, evt2, evt3, dat, csv)", ext);
    return EV_FMT_COUNT;
}

static int setup_format(ev_reader *r, ev_format req, const char *path)
{
    if (req >= EV_FMT_COUNT) {
        evr_fail(r, "unknown trace format (evsim reads nmnist, ncaltech101, aedat2, aedat4, "
                    "evt2, evt3, dat, csv)");
        return -1;
    }
    ev_format f = req == EV_FMT_AUTO ? detect(r, path) : req;
    if (f == EV_FMT_COUNT)
        return -1;
    r->info.tick_ps = EV_US_PS;
    switch (f) {
    case EV_FMT_NMNIST:
    case EV_FMT_NCALTECH101:
        if (f == EV_FMT_NMNIST)
            r->info.width = r->info.height = 34;
        r->decode = ev_decode_nmnist;
        r->rec_bytes = 5;
        break;
    case EV_FMT_AEDAT2:
    case EV_FMT_AEDAT2_DVS128:
    case EV_FMT_AEDAT2_DAVIS:
        r->info.format = f;
        if (ev_header_aedat2(r))
            return -1;
        f = r->info.format;
        r->decode = f == EV_FMT_AEDAT2_DVS128 ? ev_decode_aedat2_dvs128 : ev_decode_aedat2_davis;
        r->rec_bytes = 8;
        break;
    case EV_FMT_EVT2:
    case EV_FMT_EVT3:
    case EV_FMT_DAT: {
        int evt = 0, dat_version = -1;
        if (ev_header_prophesee_facts(r, &evt, &dat_version))
            return -1;
        if (req == EV_FMT_AUTO) {
            if (evt == 2 || evt == 3)
                f = evt == 2 ? EV_FMT_EVT2 : EV_FMT_EVT3;
            else if (dat_version >= 0 || !strcasecmp(extension(path), "dat"))
                f = EV_FMT_DAT;
            else {
                evr_fail(r, "Prophesee header names no EVT version ('%% evt 2.0' or "
                            "'%% evt 3.0'); use --format evt2, evt3 or dat");
                return -1;
            }
        } else if ((f == EV_FMT_EVT2 && evt == 3) || (f == EV_FMT_EVT3 && evt == 2)) {
            evr_fail(r, "--format %s given but the header says EVT %d.0", ev_format_name(f), evt);
            return -1;
        }
        if (f == EV_FMT_DAT) {
            if (ev_header_dat_types(r, dat_version))
                return -1;
            r->decode = ev_decode_dat;
            r->rec_bytes = 8;
        } else {
            r->decode = f == EV_FMT_EVT2 ? ev_decode_evt2 : ev_decode_evt3;
            r->rec_bytes = f == EV_FMT_EVT2 ? 4 : 2;
        }
        break;
    }
    case EV_FMT_AEDAT4:
        if (ev_header_aedat4(r))
            return -1;
        r->decode = ev_decode_aedat4;
        r->rec_bytes = 1;
        break;
    case EV_FMT_CSV:
        if (ev_header_csv(r))
            return -1;
        r->decode = ev_decode_csv;
        r->rec_bytes = 1;
        break;
    default:
        evr_fail(r, "format '%s' cannot be read", ev_format_name(f));
        return -1;
    }
    r->info.format = f;
    return 0;
}

/* A headerless format chosen by extension only must look like itself: a
 * trial decode of the first buffer (at most EV_QUEUE_EVENTS events) with
 * the decoder's state restored afterwards. Refused when more than half of
 * the records fall outside the sensor or more than a quarter of the
 * events step back in time -- what a wrong file gives, and what no real
 * recording of these formats does. --format skips the check. */
#define EV_PLAUSIBLE_MIN 8
static int plausible_body(ev_reader *r)
{
    size_t pos = r->pos;
    uint64_t skipped[EV_SKIP_COUNT];
    memcpy(skipped, r->info.skipped, sizeof skipped);
    size_t n = r->decode(r, r->q, EV_QUEUE_EVENTS);
    uint64_t oob = r->info.skipped[EV_SKIP_OUT_OF_BOUNDS] - skipped[EV_SKIP_OUT_OF_BOUNDS];
    uint64_t back = 0, records = n + oob;
    for (size_t i = 1; i < n; i++)
        back += r->q[i].t_ps < r->q[i - 1].t_ps;
    r->pos = pos;
    memcpy(r->info.skipped, skipped, sizeof skipped);
    if (records < EV_PLAUSIBLE_MIN || (oob * 2 <= records && back * 4 <= n))
        return 0;
    evr_fail(r, "does not look like %s (chosen from the extension '.%s'): of the first %llu "
                "records, %llu are outside the %u x %u sensor and %llu of %zu events step back "
                "in time; use --format %s (format: in a scenario) to read it anyway",
             ev_format_name(r->info.format), extension(r->path), (unsigned long long)records,
             (unsigned long long)oob, r->info.width, r->info.height,
             (unsigned long long)back, n, ev_format_name(r->info.format));
    return -1;
}

static int headerless(ev_format f)
{
    return f == EV_FMT_NMNIST;
}

int ev_open(ev_reader **out, const char *path, ev_format fmt, base_error *err)
{
    *out = NULL;
    ev_reader *r = base_calloc(1, sizeof *r);
    if (r) {
        r->fd = -1;
        r->buf = base_malloc(EV_BUF_BYTES);
        r->q = base_malloc(EV_QUEUE_EVENTS * sizeof *r->q);
    }
    if (!r || !r->buf || !r->q) {
        base_fail(err, "%s: out of memory", path);
        ev_close(r);
        return -1;
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    r->fd = open(path, O_RDONLY);
    if (r->fd < 0) {
        base_fail(err, "%s: cannot open: %s", path, strerror(errno));
        base_free(r->buf);
        base_free(r->q);
        base_free(r);
        return -1;
    }
    if (evr_refill(r) == 0 && setup_format(r, fmt, path) == 0 && evr_refill(r) == 0 &&
        (fmt != EV_FMT_AUTO || !headerless(r->info.format) || plausible_body(r) == 0)) {
        r->info.header_bytes = r->file_off + r->pos;
        r->body_head_len = r->len - r->pos < sizeof r->body_head ? r->len - r->pos
                                                                 : sizeof r->body_head;
        memcpy(r->body_head, r->buf + r->pos, r->body_head_len);
        *out = r;
        return 0;
    }
    base_fail(err, "%s: %s", path, r->err_msg);
    ev_close(r);
    return -1;
}

void ev_close(ev_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (r->ext_free)
        r->ext_free(r->ext);
    base_free(r->buf);
    base_free(r->q);
    base_free(r);
}

static void describe_skips(const ev_info *in, char *s, size_t cap)
{
    size_t n = 0;
    s[0] = '\0';
    for (int i = 0; i < EV_SKIP_COUNT && n < cap; i++) {
        if (!in->skipped[i])
            continue;
        n += (size_t)snprintf(s + n, cap - n, "%s%llu %s", n ? ", " : "",
                              (unsigned long long)in->skipped[i], skip_names[i]);
    }
}

/* End of input: count a partial record, then judge the body. A body that
 * held records but not one event is not a recording of this format (the
 * filler-body AEDAT file is the case in point): that is an error, not an
 * empty trace. Triggers alone are a valid, event-less recording. */
static long finish(ev_reader *r)
{
    if (r->at_end)
        r->at_end(r);
    size_t rest = r->len - r->pos;
    if (rest) {
        r->info.skipped[EV_SKIP_TRUNCATED]++;
        r->info.truncated_bytes = rest;
        r->pos = r->len;
    }
    r->finished = 1;
    uint64_t bad = ev_skipped_total(&r->info) - r->info.skipped[EV_SKIP_TRIGGER];
    if (r->info.events == 0 && bad > 0) {
        char skips[200], text[64] = "";
        describe_skips(&r->info, skips, sizeof skips);
        int ascii = r->body_head_len > 0;
        for (size_t i = 0; i < r->body_head_len; i++)
            ascii &= isprint(r->body_head[i]) || r->body_head[i] == '\r' || r->body_head[i] == '\n';
        if (ascii) {
            size_t k = 0;
            for (size_t i = 0; i < r->body_head_len && isprint(r->body_head[i]); i++)
                k = i + 1;
            snprintf(text, sizeof text, "; the body is ASCII text ('%.*s...')", (int)k,
                     (const char *)r->body_head);
        }
        evr_fail(r, "malformed %s body after the %llu-byte header: no record decodes as an "
                    "event (skipped: %s)%s",
                 ev_format_name(r->info.format), (unsigned long long)r->info.header_bytes,
                 skips, text);
        return -1;
    }
    return 0;
}

/* Counts what a decode delivered (events, steps back) and gives events
 * of files without a value column their value 1. */
static void account(ev_reader *r, ev_event *ev, size_t n)
{
    uint64_t last = r->last_t_ps, back = 0;
    if (r->info.events == 0)
        last = ev[0].t_ps;
    for (size_t i = 0; i < n; i++) {
        back += ev[i].t_ps < last;
        last = ev[i].t_ps;
    }
    if (!r->info.has_values) /* decoders leave value alone: it is 1 */
        for (size_t i = 0; i < n; i++)
            ev[i].value = 1.0;
    r->last_t_ps = last;
    r->info.backwards += back;
    r->info.events += n;
}

/* Decode into OUT (cap >= EV_DECODE_SLACK) until at least one event. */
static long fill(ev_reader *r, ev_event *out, size_t cap)
{
    while (!r->failed && !r->finished) {
        if (r->len - r->pos >= r->rec_bytes || r->pending) {
            size_t before = r->pos;
            size_t n = r->decode(r, out, cap);
            if (r->failed)
                break;
            if (n) {
                account(r, out, n);
                return (long)n;
            }
            if (r->pos != before)
                continue;
        }
        if (r->eof) {
            if (finish(r))
                break;
            return 0;
        }
        if (evr_refill(r))
            break;
    }
    return r->failed ? -1 : 0;
}

static long report(ev_reader *r, long n, base_error *err)
{
    if (n < 0)
        base_fail(err, "%s: %s", r->path, r->err_msg);
    return n;
}

int ev_next(ev_reader *r, ev_event *ev, base_error *err)
{
    if (r->q_head == r->q_len) {
        long n = fill(r, r->q, EV_QUEUE_EVENTS);
        if (n <= 0)
            return (int)report(r, n, err);
        r->q_head = 0;
        r->q_len = (size_t)n;
    }
    *ev = r->q[r->q_head++];
    return 1;
}

long ev_read(ev_reader *r, ev_event *out, size_t cap, base_error *err)
{
    if (cap == 0)
        return 0;
    if (r->q_head == r->q_len && cap >= EV_DECODE_SLACK)
        return report(r, fill(r, out, cap), err);
    size_t n = 0;
    while (n < cap) {
        int k = ev_next(r, &out[n], err);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        n++;
        if (r->q_head == r->q_len)
            break; /* do not block on more input for a partial batch */
    }
    return (long)n;
}
