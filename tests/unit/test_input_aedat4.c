/* test_input_aedat4.c -- the AEDAT 4.0 reader: the real DVXplorer
 * recording (values cross-checked by decoding its packets with the lz4
 * command-line tool and a separate FlatBuffer walk), and files built here:
 * uncompressed and LZ4 packets (raw blocks, a match reaching into the
 * previous block, an event split across blocks), other streams skipped,
 * the data table not read as packets, truncation, ZSTD refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_skip.h"
#include "input/ev_reader.h"
#include "input/ev_stats.h"
#include "input_test_util.h"

#define US UINT64_C(1000000)

typedef struct {
    uint8_t b[8192];
    size_t n;
} buf;

static void put(buf *o, const void *p, size_t n)
{
    ck_assert_uint_le(o->n + n, sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put32(buf *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}

static void put16(buf *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(o, b, 2);
}

static const char *INFO =
    "<dv version=\"2.0\"><node name=\"outInfo\" path=\"/mainloop/Recorder/outInfo/\">"
    "<node name=\"0\" path=\"/mainloop/Recorder/outInfo/0/\">"
    "<attr key=\"typeIdentifier\" type=\"string\">EVTS</attr>"
    "<node name=\"info\" path=\"/mainloop/Recorder/outInfo/0/info/\">"
    "<attr key=\"sizeX\" type=\"int\">320</attr><attr key=\"sizeY\" type=\"int\">240</attr>"
    "</node></node><node name=\"1\" path=\"/mainloop/Recorder/outInfo/1/\">"
    "<attr key=\"typeIdentifier\" type=\"string\">IMUS</attr></node></node></dv>";

/* The file head: magic, IOHeader (compression, data table position,
 * INFO as the info node; NUL-terminated unless TERM is 0). */
static void file_head_info(buf *o, int32_t compression, int64_t table_pos, const char *info,
                           int term)
{
    buf h = {.n = 0};
    put32(&h, 20);          /* root table at 20 */
    put(&h, "IOHE", 4);
    put16(&h, 10);          /* vtable: size, table size, 3 fields */
    put16(&h, 20);
    put16(&h, 4);
    put16(&h, 8);
    put16(&h, 16);
    put16(&h, 0);           /* pad to 20 */
    put32(&h, 12);          /* table: soffset to the vtable at 8 */
    put32(&h, (uint32_t)compression);
    put32(&h, (uint32_t)table_pos);
    put32(&h, (uint32_t)((uint64_t)table_pos >> 32));
    put32(&h, 4);           /* infoNode: string 4 bytes on */
    put32(&h, (uint32_t)strlen(info));
    put(&h, info, strlen(info) + (term != 0));
    put(o, "#!AER-DAT4.0\r\n", 14);
    put32(o, (uint32_t)h.n);
    put(o, h.b, h.n);
}

static void file_head(buf *o, int32_t compression, int64_t table_pos)
{
    file_head_info(o, compression, table_pos, INFO, 1);
}

static void event(buf *o, uint64_t t, uint16_t x, uint16_t y, uint8_t on)
{
    put32(o, (uint32_t)t);
    put32(o, (uint32_t)(t >> 32));
    put16(o, x);
    put16(o, y);
    uint8_t tail[4] = {on, 0, 0, 0};
    put(o, tail, 4);
}

/* A size-prefixed EVTS FlatBuffer with N events from EV. */
static void evts(buf *o, size_t n, const uint64_t *t, const uint16_t *xy, const uint8_t *on)
{
    buf f = {.n = 0};
    put32(&f, 16);           /* root table at 16 */
    put(&f, "EVTS", 4);
    put16(&f, 6);            /* vtable at 8: one field at +4 */
    put16(&f, 8);
    put16(&f, 4);
    put16(&f, 0);
    put32(&f, 8);            /* table at 16: vtable 8 back */
    put32(&f, 4);            /* elements: vector 4 bytes on, at 24 */
    put32(&f, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        event(&f, t[i], xy[2 * i], xy[2 * i + 1], on[i]);
    put32(o, (uint32_t)f.n);
    put(o, f.b, f.n);
}

static void packet(buf *o, uint32_t stream, const buf *body)
{
    put32(o, stream);
    put32(o, (uint32_t)body->n);
    put(o, body->b, body->n);
}

static const char *save(const char *name, const buf *o)
{
    return input_write(name, NULL, o->b, o->n);
}

typedef input_result result;

static result *run(const char *p)
{
    return input_run(p, EV_FMT_AUTO);
}

static const uint64_t T0 = UINT64_C(1605537493718345); /* Unix-epoch us */
static const uint64_t ts[3] = {UINT64_C(1605537493718345), UINT64_C(1605537493718350),
                               UINT64_C(1605537493718350)};
static const uint16_t xy[6] = {319, 239, 0, 5, 0, 5};
static const uint8_t on[3] = {1, 0, 0};

static void ck_events(const result *r)
{
    ck_assert_uint_eq(r->info.t_origin_us, 1605537493000000);
    ck_assert_uint_eq(r->ev[0].t_ps, (T0 - 1605537493000000) * US);
    ck_assert_uint_eq(r->ev[0].x, 319);
    ck_assert_uint_eq(r->ev[0].y, 239);
    ck_assert_uint_eq(r->ev[0].polarity, 1);
    for (int i = 1; i < 3; i++) {
        ck_assert_uint_eq(r->ev[i].t_ps, (ts[i] - 1605537493000000) * US);
        ck_assert_uint_eq(r->ev[i].x, 0);
        ck_assert_uint_eq(r->ev[i].y, 5);
        ck_assert_uint_eq(r->ev[i].polarity, 0);
    }
}

START_TEST(test_uncompressed_packets_and_other_streams)
{
    buf o = {.n = 0}, body = {.n = 0}, imu = {.n = 0};
    file_head(&o, 0, -1);
    evts(&body, 3, ts, xy, on);
    put(&imu, "not decoded", 11);
    packet(&o, 1, &imu);
    packet(&o, 0, &body);
    result *r = run(save("raw.aedat4", &o));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_AEDAT4);
    ck_assert_uint_eq(r->info.width, 320);
    ck_assert_uint_eq(r->info.height, 240);
    ck_assert_uint_eq(r->n, 3);
    ck_events(r);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OTHER_STREAM], 1);
    /* the same file cut inside the event packet */
    o.n -= 20;
    r = run(save("cut.aedat4", &o));
    ck_assert_int_eq(r->status, 0);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRUNCATED], 1);
    ck_assert_uint_eq(r->n, 1); /* the cut 20 bytes held event 3 and the end of event 2 */
}
END_TEST

START_TEST(test_lz4_blocks_with_history_and_data_table)
{
    buf p = {.n = 0}, lz = {.n = 0}, o = {.n = 0};
    evts(&p, 3, ts, xy, on); /* the last two events are identical */
    size_t split = p.n - 21; /* block 2 holds 5 bytes of event 2 */
    const uint8_t magic[7] = {0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00};
    put(&lz, magic, 7);
    put32(&lz, 0x80000000u | (uint32_t)split); /* stored block */
    put(&lz, p.b, split);
    put32(&lz, 0x80000000u | 5);
    put(&lz, p.b + split, 5);
    /* block 3: a match of 15 bytes 16 back (into block 2 and 1), then
     * the last byte as a literal-only final sequence */
    const uint8_t blk[5] = {0x0b, 0x10, 0x00, 0x10, p.b[p.n - 1]};
    put32(&lz, sizeof blk);
    put(&lz, blk, sizeof blk);
    put32(&lz, 0); /* EndMark */
    file_head(&o, 1, 0);
    packet(&o, 0, &lz);
    int64_t table = (int64_t)o.n;
    put(&o, "DATA TABLE, NOT A PACKET", 24);
    /* rewrite the header's dataTablePosition: the IOHeader starts at byte
     * 18, the field is 28 bytes into it */
    for (int i = 0; i < 8; i++)
        o.b[18 + 28 + i] = (uint8_t)((uint64_t)table >> (8 * i));
    result *r = run(save("lz4.aedat4", &o));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->n, 3);
    ck_events(r);
    ck_assert_uint_eq(ev_skipped_total(&r->info), 0);
    /* a corrupt match offset is an error naming the packet */
    o.b[table - 4 - 5 + 1] = 0xff;
    r = run(save("bad.aedat4", &o));
    ck_assert_int_eq(r->status, -1);
    ck_assert_msg(strstr(r->err.msg, "corrupt LZ4 block"), "%s", r->err.msg);
}
END_TEST

/* A match longer than its offset repeats the pattern (LZ4's run-length
 * trick): three copies of a 16-byte event from one 16-back match. */
START_TEST(test_lz4_overlapping_match)
{
    static const uint64_t t4[5] = {5000000, 5000001, 5000001, 5000001, 5000001};
    static const uint16_t xy4[10] = {1, 2, 3, 4, 3, 4, 3, 4, 3, 4};
    static const uint8_t on4[5] = {0, 1, 1, 1, 1};
    buf p = {.n = 0}, lz = {.n = 0}, o = {.n = 0};
    evts(&p, 5, t4, xy4, on4);
    size_t head = p.n - 48; /* through the first copy of the repeated event */
    const uint8_t magic[7] = {0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00};
    put(&lz, magic, 7);
    put32(&lz, 0x80000000u | (uint32_t)head);
    put(&lz, p.b, head);
    /* match 47 bytes (15 + 28 + 4) from 16 back, then 1 literal */
    const uint8_t blk[6] = {0x0f, 0x10, 0x00, 28, 0x10, p.b[p.n - 1]};
    put32(&lz, sizeof blk);
    put(&lz, blk, sizeof blk);
    put32(&lz, 0);
    file_head(&o, 1, -1);
    packet(&o, 0, &lz);
    result *r = run(save("rle.aedat4", &o));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->info.t_origin_us, 0); /* small times: no origin */
    ck_assert_uint_eq(r->n, 5);
    ck_assert_uint_eq(r->ev[0].t_ps, 5000000 * US);
    ck_assert_uint_eq(r->ev[0].x, 1);
    for (int i = 1; i < 5; i++) {
        ck_assert_uint_eq(r->ev[i].t_ps, 5000001 * US);
        ck_assert_uint_eq(r->ev[i].x, 3);
        ck_assert_uint_eq(r->ev[i].y, 4);
        ck_assert_uint_eq(r->ev[i].polarity, 1);
    }
}
END_TEST

START_TEST(test_zstd_and_bad_heads_refused)
{
    buf o = {.n = 0};
    file_head(&o, 3, -1);
    result *r = run(save("zstd.aedat4", &o));
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "ZSTD"), "%s", r->err.msg);
    o.n = 20; /* inside the IOHeader */
    r = run(save("short.aedat4", &o));
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "IOHeader"), "%s", r->err.msg);
    buf p = {.n = 0}, body = {.n = 0};
    file_head(&p, 0, -1);
    put(&body, "\x08\0\0\0\x04\0\0\0FRME", 12);
    packet(&p, 0, &body);
    r = run(save("frme.aedat4", &p));
    ck_assert_int_eq(r->status, -1);
    ck_assert_msg(strstr(r->err.msg, "not an EVTS FlatBuffer"), "%s", r->err.msg);
}
END_TEST

/* Found by fuzz_events: an info node that ends the IOHeader without a
 * NUL, in the middle of a key, was compared past its end. */
START_TEST(test_info_node_cut_at_header_end)
{
    static const char *cuts[] = {"<node path=\"/outInfo/0/\"><attr key=\"typeIdentif",
                                 "<node path=\"/outInfo/0/\"><attr key=\"typeIdentifier\">EVT",
                                 "<attr key=\"size", "outInfo/1"};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        buf o = {.n = 0};
        file_head_info(&o, 0, -1, cuts[i], 0);
        result *r = run(save("cut_info.aedat4", &o));
        ck_assert_int_eq(r->status, -2);
        ck_assert_msg(strstr(r->err.msg, "no EVTS"), "%s", r->err.msg);
    }
}
END_TEST

#define DVX "../shared/reference/events/dvxplorer_sample.aedat4"

START_TEST(test_dvxplorer_recording)
{
    const char *p = DVX;
    ev_reader *r;
    base_error err;
    ck_assert_msg(ev_open(&r, p, EV_FMT_AUTO, &err) == 0, "%s", err.msg);
    ev_stats st;
    ev_stats_init(&st);
    ev_event b[300];
    long n;
    while ((n = ev_read(r, b, 300, &err)) > 0)
        ev_stats_add(&st, b, (size_t)n);
    ck_assert_msg(n == 0, "%s", err.msg);
    const ev_info *in = ev_get_info(r);
    ck_assert_uint_eq(in->width, 320);
    ck_assert_uint_eq(in->height, 240);
    ck_assert_uint_eq(st.events, 111954);
    ck_assert_uint_eq(st.on, 55023);
    ck_assert_uint_eq(st.off, 56931);
    ck_assert_uint_eq(in->t_origin_us * US + st.t_first_ps, UINT64_C(1605537493718345) * US);
    ck_assert_uint_eq(in->t_origin_us + st.t_last_ps / US, UINT64_C(1605537494308262));
    ck_assert_uint_eq(st.x_max, 319);
    ck_assert_uint_eq(st.y_max, 239);
    ck_assert_uint_eq(in->backwards, 0);
    ck_assert_uint_eq(in->skipped[EV_SKIP_OTHER_STREAM], 59); /* the trigger stream */
    ck_assert_uint_eq(ev_skipped_total(in), 59);
    ev_close(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input_aedat4");
    TCase *tc = tcase_create("aedat4");
    tcase_add_test(tc, test_uncompressed_packets_and_other_streams);
    tcase_add_test(tc, test_lz4_blocks_with_history_and_data_table);
    tcase_add_test(tc, test_lz4_overlapping_match);
    tcase_add_test(tc, test_zstd_and_bad_heads_refused);
    tcase_add_test(tc, test_info_node_cut_at_header_end);
    tcase_add_test_needing(tc, test_dvxplorer_recording, DVX);
    suite_add_tcase(s, tc);
    return input_suite_main(s, "aedat4");
}
