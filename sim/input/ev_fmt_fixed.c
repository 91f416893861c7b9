/* ev_fmt_fixed.c -- decoders of the fixed-size-record formats: N-MNIST /
 * N-Caltech101 (5 bytes), AEDAT 2.0 (8 bytes, big-endian, DVS128 or DAVIS
 * address layout) and Prophesee DAT (8 bytes, little-endian).
 *
 * Each decoder consumes only whole records from the buffer and stops when
 * OUT is full; one record yields at most one event. */
#include "input/ev_internal.h"

static inline uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline void put_px(ev_event *e, uint64_t t_us, uint32_t x, uint32_t y, uint32_t p)
{
    e->t_ps = t_us * EV_US_PS;
    e->x = x;
    e->y = y;
    e->channel = 0;
    e->polarity = (uint8_t)p;
    e->is_channel = 0;
}

/* x, y, then polarity in the top bit of byte 2 above a 23-bit timestamp
 * in microseconds (big-endian). Only 23 bits: no wrap within a sample. */
size_t ev_decode_nmnist(ev_reader *r, ev_event *out, size_t cap)
{
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 5, n = 0, i = 0;
    const uint32_t w = r->info.width, h = r->info.height;
    for (; i < nrec && n < cap; i++, b += 5) {
        uint32_t x = b[0], y = b[1];
        if (w && (x >= w || y >= h)) {
            r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            continue;
        }
        uint32_t t = (uint32_t)(b[2] & 0x7f) << 16 | (uint32_t)b[3] << 8 | b[4];
        put_px(&out[n++], t, x, y, b[2] >> 7);
    }
    r->pos += i * 5;
    return n;
}

/* DVS128: bit 0 is the event type, where 1 means OFF (jAER), x in bits
 * 1-7, y in bits 8-14, bit 15 marks special (sync/trigger) events; no
 * higher bit is used. */
size_t ev_decode_aedat2_dvs128(ev_reader *r, ev_event *out, size_t cap)
{
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 8, n = 0, i = 0;
    for (; i < nrec && n < cap; i++, b += 8) {
        uint32_t a = be32(b);
        uint64_t t = ev_ts32_unroll(r, be32(b + 4));
        if (a & 0xffff0000u) {
            r->info.skipped[EV_SKIP_BAD_ADDRESS]++;
            continue;
        }
        if (a & 0x8000u) {
            r->info.skipped[EV_SKIP_TRIGGER]++;
            continue;
        }
        put_px(&out[n++], t, (a >> 1) & 0x7f, (a >> 8) & 0x7f, !(a & 1));
    }
    r->pos += i * 8;
    return n;
}

/* DAVIS: bit 31 set is an APS or IMU sample; otherwise y in bits 22-30,
 * x in bits 12-21, polarity in bit 11 (1 = ON), bit 10 an external input
 * event. */
size_t ev_decode_aedat2_davis(ev_reader *r, ev_event *out, size_t cap)
{
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 8, n = 0, i = 0;
    for (; i < nrec && n < cap; i++, b += 8) {
        uint32_t a = be32(b);
        uint64_t t = ev_ts32_unroll(r, be32(b + 4));
        if (a & 0x80000000u) {
            r->info.skipped[EV_SKIP_APS_IMU]++;
            continue;
        }
        if (a & 0x400u) {
            r->info.skipped[EV_SKIP_TRIGGER]++;
            continue;
        }
        uint32_t x = (a >> 12) & 0x3ff, y = (a >> 22) & 0x1ff;
        if (!ev_in_bounds(&r->info, x, y)) {
            r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            continue;
        }
        put_px(&out[n++], t, x, y, (a >> 11) & 1);
    }
    r->pos += i * 8;
    return n;
}

/* DAT CD event: 32-bit timestamp (us), then x/y/p packed; version 2 gives
 * 14-bit x and y and a 4-bit polarity field, version 1 9-bit x, 8-bit y
 * and a 1-bit polarity. */
size_t ev_decode_dat(ev_reader *r, ev_event *out, size_t cap)
{
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 8, n = 0, i = 0;
    const int v2 = r->st.ts.dat_v2;
    for (; i < nrec && n < cap; i++, b += 8) {
        uint64_t t = ev_ts32_unroll(r, le32(b));
        uint32_t d = le32(b + 4), x, y, p;
        if (v2) {
            x = d & 0x3fff;
            y = (d >> 14) & 0x3fff;
            p = d >> 28;
        } else {
            x = d & 0x1ff;
            y = (d >> 9) & 0xff;
            p = (d >> 17) & 1;
        }
        if (p > 1) {
            r->info.skipped[EV_SKIP_BAD_ADDRESS]++;
            continue;
        }
        if (!ev_in_bounds(&r->info, x, y)) {
            r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            continue;
        }
        put_px(&out[n++], t, x, y, p);
    }
    r->pos += i * 8;
    return n;
}
