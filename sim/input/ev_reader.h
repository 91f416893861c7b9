/* ev_reader.h -- streaming readers of recorded event traces.
 *
 * One interface for every format: open a file (format detected from its
 * header, else its extension, or forced), then pull events one at a time
 * (ev_next) or in batches (ev_read) until the end. A reader holds a fixed
 * input buffer and a small event queue, so memory is constant whatever the
 * file size; nothing is ever loaded whole.
 *
 * An event is a pixel event (t_ps, x, y, polarity; polarity 1 = ON) or a
 * channel event (t_ps, channel), the latter from CSV files that name a
 * `channel` column. Timestamps are the file's own (no offset removed) in
 * picoseconds, counted from ev_info.t_origin_us (0 unless the file holds
 * absolute epoch times too large for 64-bit picoseconds); coordinates are
 * raw (no flips).
 *
 * Nothing is dropped silently: every record that does not become an event
 * is counted in ev_info.skipped[] by reason, and events whose time steps
 * back are delivered unchanged but counted in ev_info.backwards. Fatal
 * problems (I/O errors, bad headers, a body that holds no valid record at
 * all) end the stream with -1 and a message in the caller's base_error. */
#ifndef EVSIM_EV_READER_H
#define EVSIM_EV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef enum {
    EV_FMT_AUTO = 0,      /* detect from header, then extension */
    EV_FMT_NMNIST,        /* N-MNIST binary, 5 bytes/event, 34 x 34 */
    EV_FMT_NCALTECH101,   /* same layout, sensor size not fixed */
    EV_FMT_AEDAT2,        /* AEDAT 2.0, address layout from the header */
    EV_FMT_AEDAT2_DVS128, /* AEDAT 2.0, DVS128 address layout */
    EV_FMT_AEDAT2_DAVIS,  /* AEDAT 2.0, DAVIS (240/346/640) layout */
    EV_FMT_EVT2,          /* Prophesee EVT 2.0 .raw */
    EV_FMT_EVT3,          /* Prophesee EVT 3.0 .raw */
    EV_FMT_DAT,           /* Prophesee DAT, 8-byte CD events */
    EV_FMT_CSV,           /* t_UNIT,x,y,p or t_UNIT,channel */
    EV_FMT_AEDAT4,        /* AEDAT 4.0: uncompressed, LZ4 or ZSTD EVTS packets */
    EV_FMT_COUNT
} ev_format;

/* Why a record was not delivered as an event. */
typedef enum {
    EV_SKIP_TRUNCATED = 0, /* partial record at the end of the file */
    EV_SKIP_OUT_OF_BOUNDS, /* x or y outside the sensor size in the header */
    EV_SKIP_TRIGGER,       /* external trigger / special (sync) record */
    EV_SKIP_APS_IMU,       /* DAVIS frame (APS) or IMU sample */
    EV_SKIP_BAD_ADDRESS,   /* address bits outside the format's layout */
    EV_SKIP_NO_TIME_BASE,  /* CD record before the first TIME_HIGH */
    EV_SKIP_NO_ROW,        /* EVT 3.0 column record before any ADDR_Y */
    EV_SKIP_VENDOR,        /* EVT OTHERS / CONTINUED words */
    EV_SKIP_UNKNOWN_TYPE,  /* EVT word type the specification leaves unused */
    EV_SKIP_BAD_LINE,      /* CSV line that does not parse */
    EV_SKIP_OTHER_STREAM,  /* AEDAT 4.0 packet of frames, IMU, triggers */
    EV_SKIP_COUNT
} ev_skip_reason;

typedef struct {
    uint64_t t_ps;
    uint32_t x, y;       /* pixel events */
    uint32_t channel;    /* channel events */
    uint8_t polarity;    /* 1 = ON, 0 = OFF (pixel events) */
    uint8_t is_channel;  /* 1: channel event, x/y/polarity unused */
    double value;        /* the event's graded value: 1, or a CSV's value column */
} ev_event;

typedef struct {
    ev_format format;       /* resolved: never AUTO or plain AEDAT2 */
    uint32_t width, height; /* sensor size; 0 when the file does not say */
    uint64_t tick_ps;       /* the file's native time unit */
    uint64_t header_bytes;  /* where the body starts */
    uint64_t events;        /* delivered so far */
    uint64_t backwards;     /* delivered events earlier than the previous one */
    uint64_t time_records;  /* time-base records decoded (EVT TIME_HIGH) */
    uint64_t time_wraps;    /* timestamp counter wraps unrolled */
    uint64_t truncated_bytes; /* size of the partial record at the end */
    uint64_t skipped[EV_SKIP_COUNT];
    char sensor[64];        /* chip / camera named in the header, or "" */
    int channel_events;     /* 1: the file holds channel events (CSV) */
    int has_values;         /* 1: events carry a value (CSV value column) */
    /* Event times are t_ps + t_origin_us * 1e6. Usually 0; when the
     * first event's absolute time is past 2^62 ps (Unix-epoch
     * microseconds in AEDAT 4.0 or CSV overflow 64-bit picoseconds) it
     * is that time floored to a whole second. */
    uint64_t t_origin_us;
} ev_info;

typedef struct ev_reader ev_reader;

/* Open PATH as format FMT (EV_FMT_AUTO to detect) and parse its header.
 * Returns 0, or -1 with err filled (unreadable file, unknown or
 * unsupported format, bad header). */
int ev_open(ev_reader **out, const char *path, ev_format fmt, base_error *err);
void ev_close(ev_reader *r);

/* Next event: 1 and *ev filled, 0 at a clean end, -1 on a fatal error. */
int ev_next(ev_reader *r, ev_event *ev, base_error *err);

/* Up to CAP events into OUT: the count (> 0), 0 at the end, -1 on error. */
long ev_read(ev_reader *r, ev_event *out, size_t cap, base_error *err);

const ev_info *ev_get_info(const ev_reader *r);

/* The input-neuron index an event drives: one neuron per pixel and
 * polarity, (y * width + x) * 2 + polarity, on a sensor WIDTH wide; a
 * channel event drives neuron `channel`. */
static inline uint64_t ev_input_index(const ev_event *e, uint32_t width)
{
    if (e->is_channel)
        return e->channel;
    return ((uint64_t)e->y * width + e->x) * 2 + e->polarity;
}

/* CSV only: number of the first line counted as bad_line, or 0. */
uint64_t ev_csv_first_bad_line(const ev_reader *r);

/* Names: "nmnist", "aedat2-dvs128", ... and back (EV_FMT_COUNT if
 * unknown; "aedat2-davis240" is accepted for EV_FMT_AEDAT2_DAVIS). */
const char *ev_format_name(ev_format f);
const char *ev_format_description(ev_format f);
ev_format ev_format_from_name(const char *name);
const char *ev_skip_name(ev_skip_reason s);
uint64_t ev_skipped_total(const ev_info *info);

#endif
