/* test_input_synth.c -- the binary readers on small files built here, one
 * per behaviour: exact bit layouts, every skip reason, counter wraps,
 * TIME_LOW stepping back, truncated tails, bad and mismatched headers,
 * headers longer than the input buffer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/ev_reader.h"
#include "input_test_util.h"

#define US UINT64_C(1000000)

typedef input_result result;

static const char *mkfile(const char *name, const char *hdr, const void *body, size_t n)
{
    return input_write(name, hdr, body, n);
}

static result *run(const char *p, ev_format fmt)
{
    return input_run(p, fmt);
}

static void be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void le32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static void ck_event(const ev_event *e, uint64_t t_us, uint32_t x, uint32_t y, uint32_t p)
{
    ck_assert_uint_eq(e->t_ps, t_us * US);
    ck_assert_uint_eq(e->x, x);
    ck_assert_uint_eq(e->y, y);
    ck_assert_uint_eq(e->polarity, p);
    ck_assert_uint_eq(e->is_channel, 0);
}

START_TEST(test_nmnist_truncated_tail_is_counted)
{
    /* (x=1,y=2,ON,t=0x012345) (x=33,y=0,OFF,t=7) (x=40 out of bounds) + 2 bytes */
    const uint8_t b[] = {1, 2, 0x81, 0x23, 0x45, 33, 0, 0x00, 0x00, 0x07,
                         40, 3, 0x00, 0x00, 0x08, 9, 9};
    result *r = run(mkfile("a.bin", NULL, b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->n, 2);
    ck_event(&r->ev[0], 0x012345, 1, 2, 1);
    ck_event(&r->ev[1], 7, 33, 0, 0);
    ck_assert_uint_eq(r->info.backwards, 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRUNCATED], 1);
    ck_assert_uint_eq(r->info.truncated_bytes, 2);
    /* N-Caltech101: same layout, no fixed sensor, so x = 40 is an event */
    r = run(path, EV_FMT_NCALTECH101);
    ck_assert_uint_eq(r->n, 3);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 0);
}
END_TEST

START_TEST(test_empty_and_unknown_files)
{
    result *r = run(mkfile("empty.bin", NULL, NULL, 0), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, 0);
    ck_assert_uint_eq(r->n, 0);
    r = run(mkfile("x.xyz", NULL, "hello", 5), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "cannot tell the format"), "%s", r->err.msg);
    snprintf(path, sizeof path, "%s/missing.bin", dir);
    r = run(path, EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "cannot open"), "%s", r->err.msg);
}
END_TEST

#define DVS128_HDR "#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n"

START_TEST(test_aedat2_dvs128_layout)
{
    uint8_t b[8 * 5];
    be32(b + 0, 5u << 8 | 7u << 1 | 0); /* y 5, x 7, bit0 0 = ON */
    be32(b + 4, 100);
    be32(b + 8, 127u << 8 | 126u << 1 | 1); /* OFF */
    be32(b + 12, 200);
    be32(b + 16, 0x8000); /* special event */
    be32(b + 20, 300);
    be32(b + 24, 0x10000); /* no DVS128 address */
    be32(b + 28, 400);
    be32(b + 32, 1u << 1);
    be32(b + 36, 500);
    result *r = run(mkfile("d.aedat", DVS128_HDR, b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_AEDAT2_DVS128);
    ck_assert_str_eq(r->info.sensor, "DVS128");
    ck_assert_uint_eq(r->n, 3);
    ck_event(&r->ev[0], 100, 7, 5, 1);
    ck_event(&r->ev[1], 200, 126, 127, 0);
    ck_event(&r->ev[2], 500, 1, 0, 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRIGGER], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_BAD_ADDRESS], 1);
}
END_TEST

START_TEST(test_aedat2_davis_layout_and_wrap)
{
    const char *hdr = "#!AER-DAT2.0\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\n"
                      "#End Of ASCII Header\n";
    uint8_t b[8 * 5];
    be32(b + 0, 179u << 22 | 239u << 12 | 1u << 11); /* ON at (239, 179) */
    be32(b + 4, 0xfffffff0u);
    be32(b + 8, 0x80000000u | 5); /* APS sample */
    be32(b + 12, 0xfffffff8u);
    be32(b + 16, 1u << 10); /* external input */
    be32(b + 20, 0xfffffffcu);
    be32(b + 24, 10u << 22 | 240u << 12); /* x 240 beyond 240 x 180 */
    be32(b + 28, 0xfffffffeu);
    be32(b + 32, 3u << 22 | 4u << 12); /* OFF, after the counter wrapped */
    be32(b + 36, 0x10);
    result *r = run(mkfile("v.aedat", hdr, b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_AEDAT2_DAVIS);
    ck_assert_uint_eq(r->info.width, 240);
    ck_assert_uint_eq(r->info.height, 180);
    ck_assert_uint_eq(r->n, 2);
    ck_event(&r->ev[0], 0xfffffff0u, 239, 179, 1);
    ck_event(&r->ev[1], (UINT64_C(1) << 32) + 0x10, 4, 3, 0);
    ck_assert_uint_eq(r->info.time_wraps, 1);
    ck_assert_uint_eq(r->info.backwards, 0);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_APS_IMU], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRIGGER], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
}
END_TEST

START_TEST(test_aedat2_bad_headers)
{
    uint8_t b[8] = {0};
    result *r = run(mkfile("n.aedat", "#!AER-DAT2.0\n# no chip here\n", b, 8), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "--format aedat2-dvs128"), "%s", r->err.msg);
    r = run(path, EV_FMT_AEDAT2_DVS128); /* the layout given by hand */
    ck_assert_int_eq(r->status, 0);
    ck_assert_uint_eq(r->n, 1);
    r = run(mkfile("o.aedat", "#!AER-DAT1.0\n", b, 8), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "unsupported version"), "%s", r->err.msg);
    r = run(mkfile("p.aedat", "# comment first\n", b, 8), EV_FMT_AEDAT2);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "#!AER-DAT2.0"), "%s", r->err.msg);
}
END_TEST

/* A jAER header with a long preferences block must stream through the
 * 64 KiB buffer like the body does. */
START_TEST(test_aedat2_header_longer_than_buffer)
{
    size_t cap = 200 * 1024;
    char *hdr = malloc(cap);
    ck_assert_ptr_nonnull(hdr);
    size_t n = (size_t)sprintf(hdr, "%s", DVS128_HDR);
    while (n < 150 * 1024)
        n += (size_t)sprintf(hdr + n, "#   <entry key=\"some.long.preference.key\" value=\"%zu\"/>\r\n", n);
    uint8_t b[8];
    be32(b, 3u << 8 | 2u << 1);
    be32(b + 4, 42);
    result *r = run(mkfile("long.aedat", hdr, b, 8), EV_FMT_AUTO);
    free(hdr);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->info.header_bytes, n);
    ck_assert_uint_eq(r->n, 1);
    ck_event(&r->ev[0], 42, 2, 3, 1);
}
END_TEST

#define EVT2_HDR "% camera test\n% evt 2.0\n% geometry 640x480\n% end\n"

START_TEST(test_evt2_words)
{
    uint32_t w[] = {
        0x1u << 28 | 1u << 11 | 2,           /* CD before any TIME_HIGH */
        0x8u << 28 | 0x0ffffff0,             /* TIME_HIGH near the top */
        0x1u << 28 | 5u << 22 | 600u << 11 | 400, /* CD_ON */
        0x0u << 28 | 63u << 22 | 10u << 11 | 20,  /* CD_OFF */
        0xAu << 28 | 1,                      /* EXT_TRIGGER */
        0xEu << 28,                          /* OTHERS */
        0x3u << 28,                          /* unused type */
        0x1u << 28 | 700u << 11 | 1,         /* x 700 beyond 640 */
        0x8u << 28 | 0x000001,               /* TIME_HIGH wrapped */
        0x1u << 28 | 2u << 22 | 1u << 11 | 1,
    };
    uint8_t b[sizeof w];
    for (size_t i = 0; i < sizeof w / 4; i++)
        le32(b + 4 * i, w[i]);
    result *r = run(mkfile("e.raw", EVT2_HDR, b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_EVT2);
    ck_assert_uint_eq(r->info.width, 640);
    ck_assert_uint_eq(r->info.height, 480);
    ck_assert_uint_eq(r->n, 3);
    ck_event(&r->ev[0], (UINT64_C(0x0ffffff0) << 6) | 5, 600, 400, 1);
    ck_event(&r->ev[1], (UINT64_C(0x0ffffff0) << 6) | 63, 10, 20, 0);
    ck_event(&r->ev[2], (UINT64_C(1) << 34) + (1u << 6) + 2, 1, 1, 1);
    ck_assert_uint_eq(r->info.time_wraps, 1);
    ck_assert_uint_eq(r->info.time_records, 2);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_NO_TIME_BASE], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRIGGER], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_VENDOR], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_UNKNOWN_TYPE], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
    /* the header says 2.0: forcing 3.0 is refused */
    r = run(path, EV_FMT_EVT3);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "header says EVT 2.0"), "%s", r->err.msg);
}
END_TEST

START_TEST(test_evt3_words)
{
    uint16_t w[] = {
        0x2000 | 5,           /* ADDR_X before TIME_HIGH */
        0x8000 | 0x0ff,       /* TIME_HIGH */
        0x6000 | 0x100,       /* TIME_LOW */
        0x2000 | 5,           /* ADDR_X before ADDR_Y */
        0x0000 | 700,         /* ADDR_Y 700 */
        0x2000 | 0x800 | 12,  /* ON at x 12 */
        0x3000 | 100,         /* VECT_BASE_X 100, OFF */
        0x4000 | 0x805,       /* VECT_12: x 100, 102, 111 */
        0x5000 | 0x80,        /* VECT_8: x 119 */
        0x6000 | 0x0f0,       /* TIME_LOW back, no TIME_HIGH */
        0x2000 | 1,           /* delivered at the earlier time */
        0xA000,               /* EXT_TRIGGER */
        0x7000, 0xE000, 0xF000, /* CONTINUED_4, OTHERS, CONTINUED_12 */
        0x1000,               /* unused type */
        0x8000 | 0x001,       /* TIME_HIGH wrapped (0x0ff -> 0x001) */
        0x2000 | 0x800 | 1279, /* last column */
        0x2000 | 1280,        /* beyond 1280 x 720 */
    };
    uint8_t b[sizeof w];
    for (size_t i = 0; i < sizeof w / 2; i++) {
        b[2 * i] = (uint8_t)w[i];
        b[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    result *r = run(mkfile("e3.raw", "% evt 3.0\n% format EVT3;height=720;width=1280\n",
                           b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_EVT3);
    ck_assert_uint_eq(r->info.width, 1280);
    uint64_t t = 0x0ff << 12 | 0x100, tb = 0x0ff << 12 | 0x0f0;
    ck_assert_uint_eq(r->n, 7);
    ck_event(&r->ev[0], t, 12, 700, 1);
    ck_event(&r->ev[1], t, 100, 700, 0);
    ck_event(&r->ev[2], t, 102, 700, 0);
    ck_event(&r->ev[3], t, 111, 700, 0);
    ck_event(&r->ev[4], t, 119, 700, 0);
    ck_event(&r->ev[5], tb, 1, 700, 0);
    /* a drop of 0xfe in TIME_HIGH is not more than half its range: no wrap */
    ck_event(&r->ev[6], (0x001 << 12) | 0x0f0, 1279, 700, 1);
    ck_assert_uint_eq(r->info.time_wraps, 0);
    ck_assert_uint_eq(r->info.backwards, 2);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_NO_TIME_BASE], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_NO_ROW], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_TRIGGER], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_VENDOR], 3);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_UNKNOWN_TYPE], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
}
END_TEST

START_TEST(test_evt3_time_high_wrap)
{
    uint16_t w[] = {0x0000 | 1, 0x8000 | 0xfff, 0x6000 | 0xfff, 0x2000 | 2,
                    0x8000 | 0x000, 0x6000 | 0x001, 0x2000 | 3};
    uint8_t b[sizeof w];
    for (size_t i = 0; i < sizeof w / 2; i++) {
        b[2 * i] = (uint8_t)w[i];
        b[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    result *r = run(mkfile("w3.raw", "% evt 3.0\n", b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->info.width, 0); /* no geometry, no known plugin */
    ck_assert_uint_eq(r->n, 2);
    ck_event(&r->ev[0], 0xffffff, 2, 1, 0);
    ck_event(&r->ev[1], (UINT64_C(1) << 24) | 1, 3, 1, 0);
    ck_assert_uint_eq(r->info.time_wraps, 1);
    ck_assert_uint_eq(r->info.backwards, 0);
}
END_TEST

START_TEST(test_prophesee_bad_headers)
{
    uint8_t b[4] = {0};
    result *r = run(mkfile("h.raw", "% plugin_name hal_plugin_gen3_fx3\n", b, 4), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "names no EVT version"), "%s", r->err.msg);
    r = run(path, EV_FMT_EVT2); /* forced: the plugin gives the size */
    ck_assert_int_eq(r->status, -1); /* one CD_OFF word, no time base: malformed */
    ck_assert_uint_eq(r->info.width, 640);
    ck_assert_msg(strstr(r->err.msg, "malformed"), "%s", r->err.msg);
    r = run(mkfile("h21.raw", "% evt 2.1\n", b, 4), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "unsupported EVT version '2.1'"), "%s", r->err.msg);
    r = run(mkfile("g.raw", "% evt 3.0\n% geometry 12by4\n", b, 4), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "bad geometry"), "%s", r->err.msg);
}
END_TEST

START_TEST(test_dat_layouts_and_errors)
{
    const char *hdr2 = "% Data file containing Event2D events.\n% Version 2\n% Width 304\n"
                       "% Height 240\n";
    uint8_t b[2 + 8 * 3 + 3] = {0x00, 0x08};
    le32(b + 2, 1000);
    le32(b + 6, 1u << 28 | 239u << 14 | 303u);
    le32(b + 10, 1001);
    le32(b + 14, 0u << 28 | 5u << 14 | 304u); /* x beyond the header's width */
    le32(b + 18, 1002);
    le32(b + 22, 2u << 28 | 1u << 14 | 1u); /* polarity field 2: not CD */
    result *r = run(mkfile("c.dat", hdr2, b, sizeof b), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_DAT);
    ck_assert_uint_eq(r->info.width, 304);
    ck_assert_uint_eq(r->n, 1);
    ck_event(&r->ev[0], 1000, 303, 239, 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_BAD_ADDRESS], 1);
    ck_assert_uint_eq(r->info.truncated_bytes, 3);
    /* version 1 layout: 9-bit x, 8-bit y, polarity bit 17 */
    uint8_t v1[10] = {0x00, 0x08};
    le32(v1 + 2, 77);
    le32(v1 + 6, 1u << 17 | 200u << 9 | 300u);
    r = run(mkfile("v1.dat", "% Data file containing Event2D events.\n", v1, 10), EV_FMT_AUTO);
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->n, 1);
    ck_event(&r->ev[0], 77, 300, 200, 1);
    uint8_t bad[2] = {0x0e, 0x08};
    r = run(mkfile("t.dat", hdr2, bad, 2), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "not supported"), "%s", r->err.msg);
    r = run(mkfile("s.dat", hdr2, bad, 1), EV_FMT_AUTO);
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "ends inside its header"), "%s", r->err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input_synth");
    TCase *tc = tcase_create("synthetic");
    tcase_add_test(tc, test_nmnist_truncated_tail_is_counted);
    tcase_add_test(tc, test_empty_and_unknown_files);
    tcase_add_test(tc, test_aedat2_dvs128_layout);
    tcase_add_test(tc, test_aedat2_davis_layout_and_wrap);
    tcase_add_test(tc, test_aedat2_bad_headers);
    tcase_add_test(tc, test_aedat2_header_longer_than_buffer);
    tcase_add_test(tc, test_evt2_words);
    tcase_add_test(tc, test_evt3_words);
    tcase_add_test(tc, test_evt3_time_high_wrap);
    tcase_add_test(tc, test_prophesee_bad_headers);
    tcase_add_test(tc, test_dat_layouts_and_errors);
    suite_add_tcase(s, tc);
    return input_suite_main(s, "input");
}
