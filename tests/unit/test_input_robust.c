/* test_input_robust.c -- corrupt and truncated inputs never crash or hang
 * a reader (ASan runs this too): random bodies behind every header, the
 * real N-MNIST trace cut at many lengths (exact event and partial-record
 * counts), and byte flips in a real file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_skip.h"
#include "input/ev_reader.h"
#include "input_test_util.h"


static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void write_file(const char *p, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    if (na)
        ck_assert_uint_eq(fwrite(a, 1, na, f), na);
    if (nb)
        ck_assert_uint_eq(fwrite(b, 1, nb, f), nb);
    fclose(f);
}

/* Read to the end; returns the final status and checks the contract. */
static int drain(const char *p, ev_format fmt, uint64_t *events)
{
    ev_reader *r;
    base_error err;
    err.msg[0] = '\0';
    *events = 0;
    if (ev_open(&r, p, fmt, &err)) {
        ck_assert_msg(err.msg[0] != '\0', "open failed without a message");
        return -2;
    }
    ev_event buf[64];
    long n;
    while ((n = ev_read(r, buf, 64, &err)) > 0) {
        ck_assert_int_le(n, 64);
        *events += (uint64_t)n;
    }
    if (n < 0)
        ck_assert_msg(err.msg[0] != '\0', "read failed without a message");
    ck_assert_uint_eq(*events, ev_get_info(r)->events);
    /* once ended, a reader stays ended */
    ck_assert_int_eq(ev_read(r, buf, 64, &err), n < 0 ? -1 : 0);
    ev_close(r);
    return (int)n;
}

static uint8_t *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n ? *n : 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

START_TEST(test_random_bodies_behind_every_header)
{
    static const struct {
        const char *name, *hdr;
        ev_format fmt;
    } cases[] = {
        {"r.bin", "", EV_FMT_NMNIST},
        {"r1.bin", "", EV_FMT_NCALTECH101},
        {"r.aedat", "#!AER-DAT2.0\n# AEChip: DVS128\n", EV_FMT_AUTO},
        {"r2.aedat", "#!AER-DAT2.0\n# AEChip: Davis346\n", EV_FMT_AUTO},
        {"r.raw", "% evt 2.0\n% geometry 640x480\n", EV_FMT_AUTO},
        {"r3.raw", "% evt 3.0\n% geometry 1280x720\n", EV_FMT_AUTO},
        {"r.dat", "% Data file containing Event2D events.\n% Version 2\n", EV_FMT_AUTO},
        {"r.csv", "t_us,x,y,p\n", EV_FMT_AUTO},
    };
    uint8_t body[3001];
    char p[128];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int round = 0; round < 20; round++) {
            size_t n = rng() % sizeof body;
            for (size_t i = 0; i < n; i++)
                body[i] = (uint8_t)rng();
            if (cases[c].fmt == EV_FMT_AUTO && strstr(cases[c].name, ".dat") && n >= 2) {
                body[0] = 0; /* keep the DAT type/size bytes valid */
                body[1] = 8;
            }
            snprintf(p, sizeof p, "%s/%s", dir, cases[c].name);
            write_file(p, cases[c].hdr, strlen(cases[c].hdr), body, n);
            uint64_t events;
            int st = drain(p, cases[c].fmt, &events);
            ck_assert_int_ge(st, -2);
            ck_assert_int_le(st, 0);
        }
}
END_TEST

START_TEST(test_nmnist_cut_at_every_length)
{
    size_t n;
    uint8_t *b = slurp("traces/nmnist_sample.bin", &n);
    ck_assert_ptr_nonnull(b);
    char p[128];
    snprintf(p, sizeof p, "%s/cut.bin", dir);
    for (size_t len = 0; len < n; len += 1 + rng() % 97) {
        write_file(p, b, len, NULL, 0);
        ev_reader *r;
        base_error err;
        ck_assert_int_eq(ev_open(&r, p, EV_FMT_AUTO, &err), 0);
        ev_event e;
        uint64_t k = 0;
        int st;
        while ((st = ev_next(r, &e, &err)) == 1)
            k++;
        ck_assert_int_eq(st, 0);
        ck_assert_uint_eq(k, len / 5);
        ck_assert_uint_eq(ev_get_info(r)->truncated_bytes, len % 5);
        ck_assert_uint_eq(ev_get_info(r)->skipped[EV_SKIP_TRUNCATED], len % 5 != 0);
        ev_close(r);
    }
    free(b);
}
END_TEST

/* Random byte flips and cuts in a real recording: the reader may refuse
 * it, never crash or loop. */
static void flip_file(const char *path)
{
    size_t n;
    uint8_t *b = slurp(path, &n);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    const char *ext = strrchr(path, '.');
    char p[128];
    snprintf(p, sizeof p, "%s/flip%s", dir, ext);
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < 200; k++)
            b[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
        write_file(p, b, n - rng() % 7, NULL, 0);
        uint64_t events;
        int st = drain(p, EV_FMT_AUTO, &events);
        ck_assert_int_ge(st, -2);
    }
    free(b);
}

/* 4096 random bytes named x.bin are not N-MNIST: refused when the
 * format comes from the extension (saying why), read when --format
 * forces it; the real recording, cut short, still passes the check. */
START_TEST(test_garbage_named_bin_is_refused_unless_forced)
{
    uint8_t body[4096];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)rng();
    char p[128];
    snprintf(p, sizeof p, "%s/x.bin", dir);
    write_file(p, body, sizeof body, NULL, 0);
    ev_reader *r;
    base_error err = {0};
    ck_assert_int_eq(ev_open(&r, p, EV_FMT_AUTO, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "does not look like nmnist"));
    ck_assert_ptr_nonnull(strstr(err.msg, "outside the 34 x 34 sensor"));
    ck_assert_ptr_nonnull(strstr(err.msg, "--format nmnist"));
    uint64_t events;
    ck_assert_int_eq(drain(p, EV_FMT_NMNIST, &events), 0);
    ck_assert_uint_gt(events, 0);
    ck_assert_uint_lt(events, 819 / 2); /* most records are out of bounds */

    /* Timestamps that run backwards, every record inside the sensor. */
    for (size_t i = 0; i + 5 <= sizeof body; i += 5) {
        body[i] = (uint8_t)(rng() % 34);
        body[i + 1] = (uint8_t)(rng() % 34);
    }
    write_file(p, body, sizeof body, NULL, 0);
    ck_assert_int_eq(ev_open(&r, p, EV_FMT_AUTO, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "step back in time"));

    size_t n;
    uint8_t *b = slurp("traces/nmnist_sample.bin", &n);
    ck_assert_ptr_nonnull(b);
    write_file(p, b, 5 * 40, NULL, 0);
    free(b);
    ck_assert_int_eq(drain(p, EV_FMT_AUTO, &events), 0);
    ck_assert_uint_eq(events, 40);
}
END_TEST

#define REF "../shared/reference/events/"
static const char *const shared_files[] = {
    REF "prophesee_evt3_sample.raw", REF "prophesee_evt2_sample.raw",
    REF "ncars_sample.dat", REF "dvxplorer_sample.aedat4", NULL};

START_TEST(test_byte_flips_in_shipped_trace)
{
    flip_file("traces/nmnist_sample.bin");
}
END_TEST

START_TEST(test_byte_flips_in_shared_recordings)
{
    for (int f = 0; shared_files[f]; f++)
        flip_file(shared_files[f]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input_robust");
    TCase *tc = tcase_create("robust");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_bodies_behind_every_header);
    tcase_add_test(tc, test_garbage_named_bin_is_refused_unless_forced);
    tcase_add_test(tc, test_nmnist_cut_at_every_length);
    tcase_add_test(tc, test_byte_flips_in_shipped_trace);
    tcase_add_test_needing_all(tc, test_byte_flips_in_shared_recordings, shared_files);
    suite_add_tcase(s, tc);
    return input_suite_main(s, "robust");
}
