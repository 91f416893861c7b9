/* ev_fmt_aedat4.c -- AEDAT 4.0 (iniVation DV): '#!AER-DAT4.0\r\n', a
 * 32-bit LE length and an IOHeader FlatBuffer (compression, position of
 * the trailing data table, an XML info node naming each stream's type),
 * then packets: 32-bit stream id, 32-bit size, and that many bytes of an
 * LZ4 or ZSTD frame (or raw bytes) holding a size-prefixed FlatBuffer. An
 * EVTS packet's buffer is a table whose field 0 is a vector of 16-byte
 * events (int64 t_us, int16 x, int16 y, bool on, 3 padding bytes).
 *
 * Streaming with bounded memory: a packet's frame is fed to liblz4 or
 * libzstd (ev_unpack.c) as the input buffer holds it, decoded into a
 * window from which events are taken as it fills; nothing grows with the
 * file or the packet (the window holds at most the FlatBuffer head and
 * one output chunk; the libraries keep only the frame's block or window).
 * Packets of other streams (frames, IMU, triggers) are skipped undecoded
 * and counted per packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/ev_internal.h"

#define OUT_CHUNK (64u * 1024u) /* decoded bytes asked of the library per step */
#define IOHEADER_MAX (16u * 1024u * 1024u)

/* PK_DONE: the packet's bytes are all decoded, events may remain */
enum { PK_HEADER, PK_SKIP, PK_COMP, PK_RAW, PK_DONE, PK_END };
enum { FB_HEAD, FB_SKIP, FB_EVENTS, FB_DONE };

typedef struct {
    int64_t table_pos; /* file offset of the data table, or -1 */
    ev_unpack *un; /* NULL: uncompressed */
    uint64_t evts_mask; /* stream ids (< 64) whose type is EVTS */
    int have_origin;
    /* packet */
    int phase;
    uint64_t pk_start; /* file offset of the packet header */
    uint64_t pk_left;  /* packet bytes not consumed yet */
    uint64_t skip_left;
    /* decoded bytes of the packet: win[0] is packet offset out_base */
    uint8_t *win;
    size_t win_cap, win_len, win_pos;
    uint64_t out_base;
    /* FlatBuffer walk */
    int fb;
    uint64_t elems_at, count;
} a4_state;

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static void a4_free(void *p)
{
    a4_state *s = p;
    if (s) {
        ev_unpack_free(s->un);
        base_free(s->win);
        base_free(s);
    }
}

/* ---- IOHeader ---------------------------------------------------------- */

/* Field ID of the table at TAB in FlatBuffer B of N bytes: its position,
 * or 0 when absent or out of bounds. */
static size_t fb_field(const uint8_t *b, size_t n, size_t tab, unsigned id, size_t width)
{
    if (tab + 4 > n)
        return 0;
    int64_t vt = (int64_t)tab - (int32_t)le32(b + tab);
    if (vt < 0 || (uint64_t)vt + 4 > n)
        return 0;
    unsigned vsize = b[vt] | b[vt + 1] << 8;
    size_t at = (size_t)vt + 4 + 2 * id;
    if (4 + 2 * id + 2 > vsize || at + 2 > n)
        return 0;
    unsigned off = b[at] | b[at + 1] << 8;
    if (!off || tab + off + width > n)
        return 0;
    return tab + off;
}

/* LIT at X[I], within the N bytes (the string need not be terminated). */
static int at(const char *x, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    return i <= n && n - i >= k && !memcmp(x + i, lit, k);
}

/* Stream types and the event sensor size from the info node's XML: each
 * stream is a node whose path ends in "outInfo/ID/". */
static void parse_info(ev_reader *r, a4_state *s, const char *x, size_t n)
{
    long cur = -1;
    for (size_t i = 0; i < n; i++) {
        if (at(x, n, i, "outInfo/")) {
            size_t j = i + 8;
            long id = 0;
            while (j < n && x[j] >= '0' && x[j] <= '9' && id < 1000000)
                id = id * 10 + (x[j++] - '0');
            if (j > i + 8 && j + 1 < n && x[j] == '/' && x[j + 1] == '"')
                cur = id;
        } else if (at(x, n, i, "\"typeIdentifier\"")) {
            const char *v = memchr(x + i, '>', n - i);
            if (v && at(x, n, (size_t)(v - x) + 1, "EVTS<") && cur >= 0 && cur < 64)
                s->evts_mask |= UINT64_C(1) << cur;
        } else if (at(x, n, i, "\"sizeX\"") || at(x, n, i, "\"sizeY\"")) {
            const char *v = memchr(x + i, '>', n - i);
            if (!v || cur < 0 || cur >= 64 || !(s->evts_mask >> cur & 1))
                continue;
            uint32_t val = 0;
            for (v++; v < x + n && *v >= '0' && *v <= '9' && val < 100000; v++)
                val = val * 10 + (uint32_t)(*v - '0');
            if (x[i + 5] == 'X')
                r->info.width = val;
            else
                r->info.height = val;
        }
    }
}

/* The N bytes of the IOHeader, in a new buffer (NULL with evr_fail). */
static uint8_t *read_ioheader(ev_reader *r, size_t n)
{
    uint8_t *h = base_malloc(n);
    if (!h) {
        evr_fail(r, "out of memory");
        return NULL;
    }
    for (size_t got = 0; got < n;) {
        if (r->pos == r->len && (r->eof || evr_refill(r) || r->pos == r->len)) {
            base_free(h);
            evr_fail(r, "file ends inside the AEDAT 4.0 IOHeader");
            return NULL;
        }
        size_t k = r->len - r->pos < n - got ? r->len - r->pos : n - got;
        memcpy(h + got, r->buf + r->pos, k);
        got += k;
        r->pos += k;
    }
    return h;
}

int ev_header_aedat4(ev_reader *r)
{
    a4_state *s = base_calloc(1, sizeof *s);
    if (!s) {
        evr_fail(r, "out of memory");
        return -1;
    }
    r->ext = s;
    r->ext_free = a4_free;
    while (r->len - r->pos < 18 && !r->eof)
        if (evr_refill(r))
            return -1;
    if (r->len - r->pos < 18 || memcmp(r->buf + r->pos, "#!AER-DAT4.0\r\n", 14)) {
        evr_fail(r, "no AEDAT 4.0 header ('#!AER-DAT4.0' line and IOHeader)");
        return -1;
    }
    uint32_t n = le32(r->buf + r->pos + 14);
    r->pos += 18;
    if (n < 12 || n > IOHEADER_MAX) {
        evr_fail(r, "AEDAT 4.0 IOHeader of %u bytes is implausible", n);
        return -1;
    }
    uint8_t *h = read_ioheader(r, n);
    if (!h)
        return -1;
    size_t tab = le32(h);
    size_t f_comp = fb_field(h, n, tab, 0, 4), f_tab = fb_field(h, n, tab, 1, 8);
    size_t f_info = fb_field(h, n, tab, 2, 4);
    int32_t comp = f_comp ? (int32_t)le32(h + f_comp) : 0;
    s->table_pos = f_tab ? (int64_t)((uint64_t)le32(h + f_tab) | (uint64_t)le32(h + f_tab + 4) << 32)
                         : -1;
    if (f_info) {
        size_t str = f_info + le32(h + f_info);
        if (str + 4 <= n && le32(h + str) <= n - str - 4)
            parse_info(r, s, (const char *)h + str + 4, le32(h + str));
    }
    base_free(h);
    if (comp < 0 || comp > 4) {
        evr_fail(r, "AEDAT 4.0 compression %d is unknown (evsim reads 0 none, 1-2 LZ4, 3-4 ZSTD)",
                 comp);
        return -1;
    }
    if (!s->evts_mask) {
        evr_fail(r, "AEDAT 4.0 info node names no EVTS (event) stream");
        return -1;
    }
    if (comp && !(s->un = ev_unpack_new(comp <= 2 ? EV_UNPACK_LZ4 : EV_UNPACK_ZSTD))) {
        evr_fail(r, "out of memory");
        return -1;
    }
    s->phase = PK_HEADER;
    r->at_end = NULL;
    return 0;
}

/* ---- the decoded window ------------------------------------------------ */

/* Make room for NEED more decoded bytes, keeping what is unconsumed (the
 * libraries keep the history their frames refer to themselves). */
static int win_room(ev_reader *r, a4_state *s, size_t need)
{
    size_t keep_from = s->win_pos;
    if (s->win_cap - s->win_len < need && keep_from) {
        memmove(s->win, s->win + keep_from, s->win_len - keep_from);
        s->win_len -= keep_from;
        s->win_pos -= keep_from;
        s->out_base += keep_from;
    }
    if (s->win_cap - s->win_len < need) {
        size_t cap = s->win_len + need + OUT_CHUNK;
        uint8_t *w = base_realloc(s->win, cap);
        if (!w) {
            evr_fail(r, "out of memory");
            return -1;
        }
        s->win = w;
        s->win_cap = cap;
    }
    return 0;
}

/* ---- the packet's FlatBuffer ------------------------------------------- */

#define HEAD_MAX (1u << 20) /* a packet header beyond this is corrupt */

/* Locate the event vector once the packet's first bytes are decoded. The
 * FlatBuffer builder writes the vector after the table, so the walk is
 * forward-only; anything else is reported, not guessed. MORE: further
 * bytes of this packet may still come. */
static void fb_head(ev_reader *r, a4_state *s, int more)
{
    const uint8_t *b = s->win;
    size_t n = s->win_len;
    const char *why = "too short for its FlatBuffer";
    if (n < 12)
        goto need;
    if (memcmp(b + 8, "EVTS", 4)) {
        why = "not an EVTS FlatBuffer";
        goto bad;
    }
    size_t tab = 4 + (size_t)le32(b + 4);
    if (tab + 4 > n)
        goto need;
    int64_t vt = (int64_t)tab - (int32_t)le32(b + tab);
    if (vt < 4 || (uint64_t)vt + 6 > n) {
        why = "bad vtable";
        goto bad;
    }
    unsigned vsize = b[vt] | b[vt + 1] << 8;
    unsigned off = vsize >= 6 ? (b[vt + 4] | b[vt + 5] << 8) : 0;
    if (!off) { /* no elements field: an empty packet */
        s->fb = FB_DONE;
        return;
    }
    size_t f = tab + off;
    if (f + 4 > n)
        goto need;
    uint64_t vec = f + (uint64_t)le32(b + f);
    if (vec + 4 > n)
        goto need;
    s->count = le32(b + vec);
    s->elems_at = vec + 4;
    if (s->elems_at + s->count * 16 > (uint64_t)le32(b) + 4) {
        why = "more events than bytes";
        goto bad;
    }
    s->fb = FB_SKIP;
    return;
need:
    if (more && n < HEAD_MAX)
        return;
bad:
    evr_fail(r, "AEDAT 4.0 packet at byte %llu: %s", (unsigned long long)s->pk_start, why);
}

static size_t take_events(ev_reader *r, a4_state *s, ev_event *out, size_t cap, int more)
{
    size_t n = 0;
    if (s->fb == FB_HEAD)
        fb_head(r, s, more);
    if (s->fb == FB_SKIP) {
        uint64_t want = s->elems_at - s->out_base;
        s->win_pos = want < s->win_len ? (size_t)want : s->win_len;
        if (s->out_base + s->win_pos == s->elems_at)
            s->fb = s->count ? FB_EVENTS : FB_DONE;
    }
    while (s->fb == FB_EVENTS && n < cap && s->win_len - s->win_pos >= 16) {
        const uint8_t *e = s->win + s->win_pos;
        int64_t t = (int64_t)((uint64_t)le32(e) | (uint64_t)le32(e + 4) << 32);
        uint32_t x = (uint32_t)(e[8] | e[9] << 8), y = (uint32_t)(e[10] | e[11] << 8);
        s->win_pos += 16;
        s->count--;
        if (s->count == 0)
            s->fb = FB_DONE;
        if (t < 0 || (x | y) > 0x7fff) {
            r->info.skipped[EV_SKIP_BAD_ADDRESS]++;
            continue;
        }
        if (!ev_in_bounds(&r->info, x, y)) {
            r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            continue;
        }
        if (!s->have_origin) { /* as the CSV reader: only times past 2^62 ps move */
            if ((uint64_t)t >= (UINT64_C(1) << 62) / EV_US_PS)
                r->info.t_origin_us = (uint64_t)t / 1000000 * 1000000;
            s->have_origin = 1;
        }
        uint64_t rel = (uint64_t)t > r->info.t_origin_us ? (uint64_t)t - r->info.t_origin_us : 0;
        ev_event *o = &out[n++];
        o->t_ps = rel * EV_US_PS;
        o->x = x;
        o->y = y;
        o->channel = 0;
        o->polarity = e[12] != 0;
        o->is_channel = 0;
    }
    if (s->fb == FB_DONE)
        s->win_pos = s->win_len;
    return n;
}

/* ---- packets ----------------------------------------------------------- */

static size_t avail(const ev_reader *r, const a4_state *s)
{
    size_t a = r->len - r->pos;
    return a < s->pk_left ? a : (size_t)s->pk_left;
}

static void eat(ev_reader *r, a4_state *s, size_t k)
{
    r->pos += k;
    s->pk_left -= k;
}

/* The file ended inside a packet: that packet is the truncated record. */
static void a4_at_end(ev_reader *r)
{
    a4_state *s = r->ext;
    if (s->phase != PK_HEADER && s->phase != PK_END) {
        r->info.skipped[EV_SKIP_TRUNCATED]++;
        r->info.truncated_bytes = r->file_off + r->len - s->pk_start;
        s->phase = PK_END;
    }
}

static size_t fail_at(ev_reader *r, a4_state *s, const char *what, size_t n)
{
    evr_fail(r, "AEDAT 4.0 packet at byte %llu: %s", (unsigned long long)s->pk_start, what);
    return n;
}

enum { GO, WAIT }; /* a step either moved on or needs more input */

/* The 8-byte packet header: an event packet to decode, another stream's
 * to skip, or the data table (the end). */
static int packet_head(ev_reader *r, a4_state *s)
{
    uint64_t off = r->file_off + r->pos;
    if (s->table_pos >= 0 && off >= (uint64_t)s->table_pos) {
        s->phase = PK_END;
        return GO;
    }
    if (r->len - r->pos < 8)
        return WAIT; /* more input, or a truncated packet header at the end */
    const uint8_t *b = r->buf + r->pos;
    uint32_t sid = le32(b), size = le32(b + 4);
    s->pk_start = off;
    if ((int32_t)size < 0 || (int32_t)sid < 0) {
        fail_at(r, s, "negative stream id or size", 0);
        return WAIT;
    }
    r->pos += 8;
    s->pk_left = size;
    if (sid < 64 && (s->evts_mask >> sid & 1)) {
        s->phase = s->un ? PK_COMP : PK_RAW;
        if (s->un)
            ev_unpack_reset(s->un);
        s->win_len = s->win_pos = 0;
        s->out_base = 0;
        s->fb = FB_HEAD;
    } else {
        r->info.skipped[EV_SKIP_OTHER_STREAM]++;
        s->phase = PK_SKIP;
    }
    return GO;
}

/* Feed the packet's bytes at hand to the decompressor, one output chunk. */
static int step_comp(ev_reader *r, a4_state *s)
{
    if (win_room(r, s, OUT_CHUNK))
        return WAIT;
    size_t a = avail(r, s), in_n = a, out_n = s->win_cap - s->win_len;
    const char *why = "";
    char msg[160];
    int rc = ev_unpack_step(s->un, r->buf + r->pos, &in_n, s->win + s->win_len, &out_n, &why);
    if (rc < 0) {
        snprintf(msg, sizeof msg, "corrupt %s frame (%s)", ev_unpack_name(s->un), why);
        fail_at(r, s, msg, 0);
        return WAIT;
    }
    eat(r, s, in_n);
    s->win_len += out_n;
    if (rc == 1 && s->pk_left)
        snprintf(msg, sizeof msg, "bytes after the %s frame", ev_unpack_name(s->un));
    else if (rc == 0 && s->pk_left == 0 && out_n == 0)
        snprintf(msg, sizeof msg, "%s frame runs past the packet", ev_unpack_name(s->un));
    else if (rc == 0 && in_n == 0 && out_n == 0 && a)
        snprintf(msg, sizeof msg, "%s decoder made no progress", ev_unpack_name(s->un));
    else {
        if (rc == 1)
            s->phase = PK_DONE;
        return rc == 0 && in_n == 0 && out_n == 0 ? WAIT : GO;
    }
    fail_at(r, s, msg, 0);
    return WAIT;
}

static int step_raw(ev_reader *r, a4_state *s)
{
    size_t k = avail(r, s);
    if (k) {
        if (win_room(r, s, k))
            return WAIT;
        memcpy(s->win + s->win_len, r->buf + r->pos, k);
        s->win_len += k;
        eat(r, s, k);
        return GO;
    }
    if (s->pk_left)
        return WAIT;
    s->phase = PK_DONE;
    return GO;
}

static int step_skip(ev_reader *r, a4_state *s)
{
    size_t k = avail(r, s);
    eat(r, s, k);
    if (s->pk_left == 0)
        s->phase = PK_HEADER;
    return s->pk_left && k == 0 ? WAIT : GO;
}

size_t ev_decode_aedat4(ev_reader *r, ev_event *out, size_t cap)
{
    a4_state *s = r->ext;
    size_t n = 0;
    r->at_end = a4_at_end;
    for (;;) {
        int in_packet = s->phase == PK_COMP || s->phase == PK_RAW || s->phase == PK_DONE;
        if (in_packet)
            n += take_events(r, s, out + n, cap - n, s->phase != PK_DONE);
        r->pending = in_packet && n == cap && !r->failed;
        if (r->failed || n == cap)
            return n;
        int st = GO;
        switch (s->phase) {
        case PK_END:
            r->pos = r->len; /* the data table (or whatever follows) is no packet */
            return n;
        case PK_HEADER:
            st = packet_head(r, s);
            break;
        case PK_SKIP:
            st = step_skip(r, s);
            break;
        case PK_COMP:
            st = step_comp(r, s);
            break;
        case PK_RAW:
            st = step_raw(r, s);
            break;
        case PK_DONE:
            /* take_events above had every byte and room left: it ended */
            if (s->fb != FB_DONE)
                return fail_at(r, s, "packet ends before its last event", n);
            s->phase = PK_HEADER;
            break;
        }
        if (st == WAIT || r->failed)
            return n;
    }
}
