/* ev_internal.h -- what the format decoders (ev_fmt_*.c) share with the
 * generic reader (ev_reader.c). Not part of the public contract. */
#ifndef EVSIM_EV_INTERNAL_H
#define EVSIM_EV_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "input/ev_reader.h"

#define EV_BUF_BYTES (64u * 1024u) /* fixed input buffer */
#define EV_QUEUE_EVENTS 1024u      /* events decoded ahead for ev_next */
#define EV_DECODE_SLACK 16u        /* room one record may need (VECT_12) */
#define EV_US_PS UINT64_C(1000000)

/* Decoder state of every format lives in this union, so a reader is one
 * allocation of fixed size. */
typedef struct {
    uint64_t base_us;     /* TIME_HIGH part with wraps, in us */
    uint32_t last_high;   /* raw TIME_HIGH of the previous one */
    uint32_t low_us;      /* EVT 3.0 TIME_LOW */
    uint32_t y, base_x;   /* EVT 3.0 row and vector base */
    uint8_t have_high, have_y, have_base, vect_pol;
} ev_evt_state;

typedef struct {
    uint64_t wrap_us;     /* added to 32-bit timestamps after wraps */
    uint32_t last_raw;
    uint8_t have_last;
    uint8_t dat_v2;       /* DAT: version >= 2 bit layout */
} ev_ts32_state;

typedef struct {
    uint64_t unit_ps;     /* CSV time unit */
    uint64_t line_no;     /* lines consumed so far */
    uint64_t first_bad_line;
    uint8_t channel;      /* t,channel columns instead of t,x,y,p */
    uint8_t values;       /* a last value column */
    uint8_t have_origin;  /* the first event has fixed info.t_origin_us */
} ev_csv_state;

struct ev_reader {
    int fd;
    char path[256];
    ev_info info;
    /* input buffer: bytes [pos, len) are unread; file_off is the file
     * offset of buf[0], for messages */
    uint8_t *buf;
    size_t pos, len;
    uint64_t file_off;
    int eof;
    int failed;           /* a decoder reported a fatal error in err_msg */
    char err_msg[400];
    size_t (*decode)(ev_reader *r, ev_event *out, size_t cap);
    size_t rec_bytes;     /* fixed record size; 1 for CSV (line based) */
    uint64_t last_t_ps;
    uint8_t body_head[8]; /* first body bytes, for malformed-body messages */
    size_t body_head_len;
    /* event queue behind ev_next */
    ev_event *q;
    size_t q_head, q_len;
    int finished;
    void *ext;            /* format state that owns memory (AEDAT 4.0) */
    void (*ext_free)(void *ext);
    void (*at_end)(ev_reader *r); /* a format's own end-of-input check */
    int pending;          /* the decoder filled OUT and may hold decoded
                           * bytes of input it consumed (AEDAT 4.0's window):
                           * call it again even when no input is left */
    union {
        ev_evt_state evt;
        ev_ts32_state ts;
        ev_csv_state csv;
    } st;
};

/* Buffer primitives for header parsers (ev_header.c). */
int evr_refill(ev_reader *r);               /* 0 ok, -1 I/O error */
int evr_peek(ev_reader *r);                 /* next byte or -1 at EOF */
/* Read one line (without CR/LF) into LINE (truncated to cap-1 chars);
 * returns its length, or -1 at EOF before any byte. */
long evr_line(ev_reader *r, char *line, size_t cap);
void evr_fail(ev_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Header parsers: 0 ok, -1 with evr_fail called. */
/* Prophesee '%' header: sensor size, camera; *evt = 2 or 3 when a line
 * names the EVT version (else 0), *dat_version >= 0 when it looks like a
 * DAT header. */
int ev_header_prophesee_facts(ev_reader *r, int *evt, int *dat_version);
/* DAT: the event type and size bytes that follow the header. */
int ev_header_dat_types(ev_reader *r, int dat_version);
int ev_header_aedat2(ev_reader *r);
int ev_header_csv(ev_reader *r);

/* Decoders, one per format (ev_fmt_*.c). */
size_t ev_decode_nmnist(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_aedat2_dvs128(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_aedat2_davis(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_evt2(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_evt3(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_dat(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_csv(ev_reader *r, ev_event *out, size_t cap);
size_t ev_decode_aedat4(ev_reader *r, ev_event *out, size_t cap);
int ev_header_aedat4(ev_reader *r); /* ev_fmt_aedat4.c */

/* A decoder of the compressed frames in AEDAT 4.0 packets (ev_unpack.c,
 * over liblz4 and libzstd), one frame per packet. */
enum { EV_UNPACK_LZ4 = 1, EV_UNPACK_ZSTD = 2 };
typedef struct ev_unpack ev_unpack;
ev_unpack *ev_unpack_new(int kind); /* NULL: out of memory */
void ev_unpack_free(ev_unpack *u);
const char *ev_unpack_name(const ev_unpack *u); /* "LZ4", "ZSTD" */
void ev_unpack_reset(ev_unpack *u);             /* before each frame */
/* Decode from IN (*IN_N bytes) into OUT (room *OUT_N); on return *IN_N and
 * *OUT_N hold the bytes consumed and produced. 1: the frame ended; 0: it
 * wants more input or room; -1: corrupt, *WHY says how (library text). */
int ev_unpack_step(ev_unpack *u, const uint8_t *in, size_t *in_n, uint8_t *out, size_t *out_n,
                   const char **why);

/* Unroll a 32-bit microsecond counter that wraps (AEDAT, DAT): a drop of
 * more than half the range is a wrap, a smaller one a real step back. */
static inline uint64_t ev_ts32_unroll(ev_reader *r, uint32_t raw)
{
    ev_ts32_state *s = &r->st.ts;
    if (s->have_last && raw < s->last_raw && s->last_raw - raw > 0x80000000u) {
        s->wrap_us += UINT64_C(1) << 32;
        r->info.time_wraps++;
    }
    s->last_raw = raw;
    s->have_last = 1;
    return s->wrap_us + raw;
}

static inline int ev_in_bounds(const ev_info *in, uint32_t x, uint32_t y)
{
    return (in->width == 0 || x < in->width) && (in->height == 0 || y < in->height);
}

#endif
