/* test_input_aedat4.c -- the AEDAT 4.0 reader: the real DVXplorer
 * recording (values cross-checked by decoding its packets with the lz4
 * command-line tool and a separate FlatBuffer walk), and files built here:
 * uncompressed, LZ4 and ZSTD packets (compressed with liblz4 and
 * libzstd: the same events as uncompressed, corrupt frames reported,
 * memory that grows with neither packet nor file), other streams skipped,
 * the data table not read as packets, truncation. */
#define _GNU_SOURCE /* mallinfo2 */
#include <check.h>
#include <lz4frame.h>
#include <malloc.h>
#include <zstd.h>
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

/* ---- compressed packets, built with the libraries' own compressors ---- */

/* BODY compressed as AEDAT 4.0 compression COMP (1 LZ4, 3 ZSTD, 4 ZSTD
 * high) into a heap buffer (*N bytes; base on free). LZ4: linked 64 KiB
 * blocks with block and content checksums; ZSTD: with its checksum. */
static uint8_t *compress(int comp, const uint8_t *body, size_t len, size_t *n)
{
    if (comp == 1) {
        LZ4F_preferences_t pr = {.frameInfo = {.blockSizeID = LZ4F_max64KB,
                                               .blockMode = LZ4F_blockLinked,
                                               .contentChecksumFlag = LZ4F_contentChecksumEnabled,
                                               .blockChecksumFlag = LZ4F_blockChecksumEnabled}};
        size_t cap = LZ4F_compressFrameBound(len, &pr);
        uint8_t *d = malloc(cap);
        *n = LZ4F_compressFrame(d, cap, body, len, &pr);
        ck_assert(!LZ4F_isError(*n));
        return d;
    }
    size_t cap = ZSTD_compressBound(len);
    uint8_t *d = malloc(cap);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, comp == 4 ? 12 : 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    *n = ZSTD_compress2(c, d, cap, body, len);
    ck_assert(!ZSTD_isError(*n));
    ZSTD_freeCCtx(c);
    return d;
}

/* Event I of the generated recordings: times rise by 0-3 us, positions
 * and polarities vary so the compressors find some, not all, repeats. */
static void gen_event(uint64_t i, uint64_t *t, uint16_t *x, uint16_t *y, uint8_t *p)
{
    *t = T0 + i * 3 / 2 + (i % 7 == 0);
    *x = (uint16_t)(i * 7 % 320);
    *y = (uint16_t)(i / 13 % 240);
    *p = (uint8_t)(i % 3 == 0);
}

/* An EVTS packet body of events FIRST..FIRST+N-1 (heap; *LEN bytes), laid
 * out as evts() lays it out. */
static uint8_t *gen_body(uint64_t first, size_t n, size_t *len)
{
    *len = 4 + 28 + 16 * n;
    uint8_t *b = malloc(*len), *e = b + 32;
    const uint8_t head[28] = {16, 0, 0, 0, 'E', 'V', 'T', 'S', 6, 0, 8, 0, 4, 0, 0, 0,
                              8, 0, 0, 0, 4, 0, 0, 0};
    uint32_t size = (uint32_t)(*len - 4), cnt = (uint32_t)n;
    for (int k = 0; k < 4; k++) {
        b[k] = (uint8_t)(size >> (8 * k));
        b[28 + k] = (uint8_t)(cnt >> (8 * k));
    }
    memcpy(b + 4, head, 24);
    for (size_t i = 0; i < n; i++, e += 16) {
        uint64_t t;
        uint16_t x, y;
        uint8_t p;
        gen_event(first + i, &t, &x, &y, &p);
        for (int k = 0; k < 8; k++)
            e[k] = (uint8_t)(t >> (8 * k));
        e[8] = (uint8_t)x, e[9] = (uint8_t)(x >> 8), e[10] = (uint8_t)y, e[11] = (uint8_t)(y >> 8);
        e[12] = p, e[13] = e[14] = e[15] = 0;
    }
    return b;
}

/* A file NAME of NPK event packets of PER events each (an IMU packet
 * after the first), compression COMP; returns its path. */
static const char *gen_file(const char *name, int comp, int npk, size_t per)
{
    buf h = {.n = 0};
    file_head(&h, comp, -1);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(h.b, 1, h.n, f);
    for (int k = 0; k < npk; k++) {
        size_t len, n;
        uint8_t *body = gen_body((uint64_t)k * per, per, &len), *pk = body;
        if (comp)
            pk = compress(comp, body, len, &n);
        else
            n = len;
        uint32_t hd[2] = {0, (uint32_t)n}; /* little-endian host */
        fwrite(hd, 4, 2, f);
        fwrite(pk, 1, n, f);
        if (pk != body)
            free(pk);
        free(body);
        if (k == 0)
            fwrite((uint32_t[]){1, 4, 0xdeadbeef}, 4, 3, f); /* an IMU packet */
    }
    fclose(f);
    return path;
}

/* Heap bytes in use (small blocks and mmapped ones); 0 under ASan, whose
 * allocator glibc's statistics do not see. */
static size_t heap_now(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

typedef struct {
    uint64_t n, bad;  /* events read; those not the generated ones */
    size_t peak;      /* heap growth from before ev_open, sampled per read */
    int status;
    base_error err;
} sweep;

/* Reads P in calls of 333 events (records split across calls) and
 * checks each against gen_event. */
static sweep read_all(const char *p)
{
    sweep w = {0};
    size_t h0 = heap_now();
    ev_reader *r;
    ck_assert_msg(ev_open(&r, p, EV_FMT_AUTO, &w.err) == 0, "%s", w.err.msg);
    static ev_event b[333];
    long k;
    while ((k = ev_read(r, b, 333, &w.err)) > 0) {
        size_t h = heap_now();
        if (h > h0 && h - h0 > w.peak)
            w.peak = h - h0;
        for (long i = 0; i < k; i++, w.n++) {
            uint64_t t;
            uint16_t x, y;
            uint8_t pol;
            gen_event(w.n, &t, &x, &y, &pol);
            uint64_t rel = (t - ev_get_info(r)->t_origin_us) * US;
            w.bad += b[i].t_ps != rel || b[i].x != x || b[i].y != y || b[i].polarity != pol;
        }
    }
    w.status = (int)k;
    ev_close(r);
    return w;
}

START_TEST(test_lz4_and_zstd_decode_as_uncompressed)
{
    /* 5 packets of 5000 events: 80 KiB each, several LZ4 blocks */
    static const int comps[4] = {0, 1, 3, 4};
    for (int c = 0; c < 4; c++) {
        char name[32];
        snprintf(name, sizeof name, "gen%d.aedat4", comps[c]);
        sweep w = read_all(gen_file(name, comps[c], 5, 5000));
        ck_assert_msg(w.status == 0, "compression %d: %s", comps[c], w.err.msg);
        ck_assert_uint_eq(w.n, 25000);
        ck_assert_uint_eq(w.bad, 0);
    }
    /* the small hand-built packet, with a data table after it */
    buf p = {.n = 0}, o = {.n = 0};
    evts(&p, 3, ts, xy, on);
    for (int comp = 1; comp <= 3; comp += 2) {
        size_t n;
        uint8_t *z = compress(comp, p.b, p.n, &n);
        buf body = {.n = 0};
        put(&body, z, n);
        free(z);
        o.n = 0;
        file_head(&o, comp, 0);
        packet(&o, 0, &body);
        int64_t table = (int64_t)o.n;
        put(&o, "DATA TABLE, NOT A PACKET", 24);
        for (int i = 0; i < 8; i++) /* the IOHeader's dataTablePosition */
            o.b[18 + 28 + i] = (uint8_t)((uint64_t)table >> (8 * i));
        result *r = run(save("small.aedat4", &o));
        ck_assert_msg(r->status == 0, "%s", r->err.msg);
        ck_assert_uint_eq(r->n, 3);
        ck_events(r);
        ck_assert_uint_eq(ev_skipped_total(&r->info), 0);
    }
}
END_TEST

/* One compressed 3-event packet, its size field off by SIZE_DELTA and
 * EXTRA bytes appended to it; byte FLIP (if >= 0) of the frame inverted. */
static result *bad_packet(int comp, long flip, int size_delta, size_t extra)
{
    buf p = {.n = 0}, o = {.n = 0};
    evts(&p, 3, ts, xy, on);
    size_t n;
    uint8_t *z = compress(comp, p.b, p.n, &n);
    if (flip >= 0)
        z[flip] ^= 0xff;
    file_head(&o, comp, -1);
    put32(&o, 0);
    put32(&o, (uint32_t)((long)n + size_delta));
    put(&o, z, n);
    free(z);
    put(&o, "\0\0\0\0\0\0\0\0", extra);
    return run(save("badz.aedat4", &o));
}

START_TEST(test_corrupt_compressed_packets)
{
    static const char *const names[2] = {"LZ4", "ZSTD"};
    for (int k = 0; k < 2; k++) {
        int comp = k ? 3 : 1;
        char want[64];
        snprintf(want, sizeof want, "corrupt %s frame (", names[k]);
        /* a byte in the middle of the frame: the checksums catch it */
        result *r = bad_packet(comp, 20, 0, 0);
        ck_assert_int_eq(r->status, -1);
        ck_assert_msg(strstr(r->err.msg, want), "%s", r->err.msg);
        ck_assert_msg(strstr(r->err.msg, "packet at byte "), "%s", r->err.msg);
        r = bad_packet(comp, 0, 0, 0); /* the magic number */
        ck_assert_int_eq(r->status, -1);
        ck_assert_msg(strstr(r->err.msg, want), "%s", r->err.msg);
        snprintf(want, sizeof want, "%s frame runs past the packet", names[k]);
        r = bad_packet(comp, -1, -3, 0);
        ck_assert_int_eq(r->status, -1);
        ck_assert_msg(strstr(r->err.msg, want), "%s", r->err.msg);
        snprintf(want, sizeof want, "bytes after the %s frame", names[k]);
        r = bad_packet(comp, -1, 8, 8);
        ck_assert_int_eq(r->status, -1);
        ck_assert_msg(strstr(r->err.msg, want), "%s", r->err.msg);
    }
}
END_TEST

/* Memory does not grow with the packet nor the file: one packet of 3.2 MB
 * decoded and 40 packets of 80 KiB read within the same small bound. */
START_TEST(test_compressed_memory_constant)
{
    if (heap_now() == 0)
        return; /* ASan: no statistics */
    for (int comp = 1; comp <= 3; comp += 2) {
        sweep big = read_all(gen_file("big.aedat4", comp, 1, 200000));
        sweep many = read_all(gen_file("many.aedat4", comp, 40, 5000));
        ck_assert_msg(big.status == 0 && many.status == 0, "%s%s", big.err.msg, many.err.msg);
        ck_assert_uint_eq(big.n, 200000);
        ck_assert_uint_eq(many.n, 200000);
        ck_assert_uint_eq(big.bad + many.bad, 0);
        /* reader buffer 64 KiB, window ~130 KiB, LZ4's 64 KiB blocks or
         * ZSTD level 1's 512 KiB window: 1.2 MiB at most today;
         * holding the 3.2 MB packet would not fit */
        ck_assert_msg(big.peak < 2048 * 1024, "comp %d: peak %zu", comp, big.peak);
        ck_assert_msg(many.peak < 2048 * 1024, "comp %d: peak %zu", comp, many.peak);
    }
}
END_TEST

START_TEST(test_unknown_compression_and_bad_heads_refused)
{
    buf o = {.n = 0};
    file_head(&o, 5, -1);
    result *r = run(save("comp5.aedat4", &o));
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "compression 5 is unknown"), "%s", r->err.msg);
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
    tcase_add_test(tc, test_lz4_and_zstd_decode_as_uncompressed);
    tcase_add_test(tc, test_corrupt_compressed_packets);
    tcase_add_test(tc, test_compressed_memory_constant);
    tcase_add_test(tc, test_unknown_compression_and_bad_heads_refused);
    tcase_add_test(tc, test_info_node_cut_at_header_end);
    tcase_add_test_needing(tc, test_dvxplorer_recording, DVX);
    suite_add_tcase(s, tc);
    return input_suite_main(s, "aedat4");
}
