/* ev_fmt_evt.c -- Prophesee EVT 2.0 and EVT 3.0 raw streams.
 *
 * Both are stateful: a TIME_HIGH word sets the upper timestamp bits that
 * the following CD words complete. Following Prophesee's specification:
 *  - EVT 2.0 (32-bit LE words, type in bits 31-28): t = TIME_HIGH(28 bits)
 *    << 6 | the CD word's 6-bit low time; x bits 21-11, y bits 10-0.
 *  - EVT 3.0 (16-bit LE words, type in bits 15-12): t = TIME_HIGH(12 bits)
 *    << 12 | TIME_LOW(12 bits), a 24-bit microsecond counter. A TIME_LOW
 *    that steps back without a new TIME_HIGH is taken as written (the
 *    event is delivered and counted in `backwards`); only TIME_HIGH
 *    unrolls a wrap, when it drops by more than half its range.
 * CD records before the first TIME_HIGH have no time base and are
 * counted, not guessed. */
#include "input/ev_internal.h"

static inline void put_px(ev_event *e, uint64_t t_us, uint32_t x, uint32_t y, uint32_t p)
{
    e->t_ps = t_us * EV_US_PS;
    e->x = x;
    e->y = y;
    e->channel = 0;
    e->polarity = (uint8_t)p;
    e->is_channel = 0;
}

/* A new TIME_HIGH of BITS bits, worth << SHIFT microseconds. */
static inline void time_high(ev_reader *r, uint32_t high, unsigned bits, unsigned shift)
{
    ev_evt_state *s = &r->st.evt;
    const unsigned span = bits + shift;
    uint64_t wraps = s->base_us >> span << span;
    if (s->have_high && high < s->last_high && s->last_high - high > (1u << (bits - 1))) {
        wraps += UINT64_C(1) << span;
        r->info.time_wraps++;
    }
    s->base_us = wraps | (uint64_t)high << shift;
    s->last_high = high;
    s->have_high = 1;
    r->info.time_records++;
}

size_t ev_decode_evt2(ev_reader *r, ev_event *out, size_t cap)
{
    ev_evt_state *s = &r->st.evt;
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 4, n = 0, i = 0;
    for (; i < nrec && n < cap; i++, b += 4) {
        uint32_t w = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
        switch (w >> 28) {
        case 0x0: /* CD_OFF */
        case 0x1: /* CD_ON */ {
            uint32_t x = (w >> 11) & 0x7ff, y = w & 0x7ff;
            if (!s->have_high)
                r->info.skipped[EV_SKIP_NO_TIME_BASE]++;
            else if (!ev_in_bounds(&r->info, x, y))
                r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            else
                put_px(&out[n++], s->base_us | ((w >> 22) & 0x3f), x, y, w >> 28);
            break;
        }
        case 0x8: /* EV_TIME_HIGH */
            time_high(r, w & 0x0fffffffu, 28, 6);
            break;
        case 0xA: /* EXT_TRIGGER */
            r->info.skipped[EV_SKIP_TRIGGER]++;
            break;
        case 0xE: /* OTHERS */
        case 0xF: /* CONTINUED */
            r->info.skipped[EV_SKIP_VENDOR]++;
            break;
        default:
            r->info.skipped[EV_SKIP_UNKNOWN_TYPE]++;
            break;
        }
    }
    r->pos += i * 4;
    return n;
}

/* VECT_12 / VECT_8: bit i of MASK is an event at base_x + i; the base
 * then moves past the vector whether or not the events could be placed. */
static inline size_t vect(ev_reader *r, ev_event *out, uint32_t mask, unsigned width)
{
    ev_evt_state *s = &r->st.evt;
    size_t n = 0;
    if (!s->have_high || !s->have_y || !s->have_base) {
        r->info.skipped[s->have_high ? EV_SKIP_NO_ROW : EV_SKIP_NO_TIME_BASE]++;
    } else {
        uint64_t t = s->base_us | s->low_us;
        while (mask) {
            uint32_t x = s->base_x + (uint32_t)__builtin_ctz(mask);
            mask &= mask - 1;
            if (ev_in_bounds(&r->info, x, s->y))
                put_px(&out[n++], t, x, s->y, s->vect_pol);
            else
                r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
        }
    }
    s->base_x += width;
    return n;
}

size_t ev_decode_evt3(ev_reader *r, ev_event *out, size_t cap)
{
    ev_evt_state *s = &r->st.evt;
    const uint8_t *b = r->buf + r->pos;
    size_t nrec = (r->len - r->pos) / 2, n = 0, i = 0;
    for (; i < nrec && n + 12 <= cap; i++, b += 2) {
        uint32_t w = (uint32_t)b[1] << 8 | b[0];
        switch (w >> 12) {
        case 0x0: /* EVT_ADDR_Y; bit 11 is the system type, not used */
            s->y = w & 0x7ff;
            s->have_y = 1;
            break;
        case 0x2: { /* EVT_ADDR_X: one event, polarity in bit 11 */
            uint32_t x = w & 0x7ff;
            if (!s->have_high)
                r->info.skipped[EV_SKIP_NO_TIME_BASE]++;
            else if (!s->have_y)
                r->info.skipped[EV_SKIP_NO_ROW]++;
            else if (!ev_in_bounds(&r->info, x, s->y))
                r->info.skipped[EV_SKIP_OUT_OF_BOUNDS]++;
            else
                put_px(&out[n++], s->base_us | s->low_us, x, s->y, (w >> 11) & 1);
            break;
        }
        case 0x3: /* VECT_BASE_X */
            s->base_x = w & 0x7ff;
            s->vect_pol = (w >> 11) & 1;
            s->have_base = 1;
            break;
        case 0x4: /* VECT_12 */
            n += vect(r, out + n, w & 0xfff, 12);
            break;
        case 0x5: /* VECT_8 */
            n += vect(r, out + n, w & 0xff, 8);
            break;
        case 0x6: /* EVT_TIME_LOW */
            s->low_us = w & 0xfff;
            break;
        case 0x8: /* EVT_TIME_HIGH */
            time_high(r, w & 0xfff, 12, 12);
            break;
        case 0xA: /* EXT_TRIGGER */
            r->info.skipped[EV_SKIP_TRIGGER]++;
            break;
        case 0x7: /* CONTINUED_4 */
        case 0xE: /* OTHERS */
        case 0xF: /* CONTINUED_12 */
            r->info.skipped[EV_SKIP_VENDOR]++;
            break;
        default:
            r->info.skipped[EV_SKIP_UNKNOWN_TYPE]++;
            break;
        }
    }
    r->pos += i * 2;
    return n;
}
