/* test_mem.c -- the memory controller model: read pacing after the
 * latency, energy booked per bit as the traffic happens, static energy,
 * and the reads it refuses. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "mem/mem.h"

typedef struct {
    uint64_t tag[64], t[64], bits[64];
    uint32_t packet[64];
    int n;
    kq_kernel *k;
} release_log;

static void on_release(void *ctx, uint64_t tag, uint32_t packet, uint64_t bits)
{
    release_log *l = ctx;
    ck_assert_int_lt(l->n, 64);
    l->tag[l->n] = tag;
    l->packet[l->n] = packet;
    l->bits[l->n] = bits;
    l->t[l->n++] = kq_now(l->k);
}

/* 100 Gbit/s = 0.1 bit/ps: 1000 bits take 10 ns; latency 50 ns. */
static mem_params params(release_log *l)
{
    mem_params p = {.name = "dram", .size_bits = 1u << 20, .bandwidth_gbps = 100.0,
                    .latency_ps = 50000, .read_pj_per_bit = 2.0, .write_pj_per_bit = 3.0,
                    .static_mw = 20.0, .cb = {.released = on_release, .ctx = l}};
    return p;
}

static double item(const model_energy *e, const char *component)
{
    int found = 0;
    double pj = 0;
    for (uint32_t i = 0; i < e->n; i++)
        if (!strcmp(e->items[i].component, component)) {
            ck_assert_str_eq(e->items[i].model, "dram");
            pj = e->items[i].pj;
            found++;
        }
    ck_assert_int_eq(found, 1);
    return pj;
}

START_TEST(test_read_packets_leave_at_bandwidth_after_latency)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    base_error err;
    mem_model *m = mem_new(l.k, &p, &err);
    ck_assert_ptr_nonnull(m);
    /* 3500 bits in packets of 1000: 1000, 1000, 1000, 500. The first
     * leaves at the latency, each next one 1000 bits (10 ns) later. */
    mem_read_req r = {.bits = 3500, .packet_bits = 1000, .tag = 7};
    ck_assert_int_eq(mem_read(m, &r, &err), 0);
    kq_run(l.k, KQ_TIME_MAX, 0);
    uint64_t t[] = {50000, 60000, 70000, 80000}, bits[] = {1000, 1000, 1000, 500};
    ck_assert_int_eq(l.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(l.t[i], t[i]);
        ck_assert_uint_eq(l.bits[i], bits[i]);
        ck_assert_uint_eq(l.packet[i], (uint32_t)i);
        ck_assert_uint_eq(l.tag[i], 7);
    }
    mem_stats st;
    mem_get_stats(m, &st);
    ck_assert_uint_eq(st.read_bits, 3500);
    ck_assert_uint_eq(st.free_ps, 50000 + 35000); /* latency + 3500 bits at 0.1 bit/ps */
    mem_free(m);
    kq_free(l.k);
}
END_TEST

START_TEST(test_reads_queue_behind_each_other_and_each_pays_the_latency)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    base_error err;
    mem_model *m = mem_new(l.k, &p, &err);
    mem_read_req a = {.bits = 2000, .packet_bits = 1000, .tag = 1};
    mem_read_req b = {.bits = 1000, .packet_bits = 1000, .tag = 2};
    ck_assert_int_eq(mem_read(m, &a, &err), 0);
    ck_assert_int_eq(mem_read(m, &b, &err), 0);
    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(l.n, 3);
    ck_assert_uint_eq(l.t[0], 50000);
    ck_assert_uint_eq(l.t[1], 60000);
    /* b starts when a has streamed out (70 ns), then its own latency. */
    ck_assert_uint_eq(l.tag[2], 2);
    ck_assert_uint_eq(l.t[2], 70000 + 50000);
    /* A read asked for once the controller is idle starts then. */
    kq_run(l.k, 500000, 0);
    ck_assert_int_eq(mem_read(m, &b, &err), 0);
    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.t[3], 500000 + 50000);
    mem_free(m);
    kq_free(l.k);
}
END_TEST

/* Writes share the one port: 2000 bits landing at 0 hold it 20 ns, a read
 * asked for then starts after them; a write landing while a read holds
 * the port waits for it. A re-read (repeated) may exceed the capacity. */
START_TEST(test_writes_take_port_time_and_reads_queue_behind)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    base_error err;
    mem_model *m = mem_new(l.k, &p, &err);
    mem_write(m, 2000);
    mem_stats st;
    mem_get_stats(m, &st);
    ck_assert_uint_eq(st.free_ps, 20000);
    mem_read_req r = {.bits = 1000, .packet_bits = 1000, .tag = 3};
    ck_assert_int_eq(mem_read(m, &r, &err), 0);
    mem_write(m, 500); /* behind the read: 20 + 50 + 10 ns, then 5 ns */
    mem_get_stats(m, &st);
    ck_assert_uint_eq(st.free_ps, 20000 + 50000 + 10000 + 5000);
    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.t[0], 20000 + 50000);
    ck_assert_uint_eq(st.write_bits, 2500);
    mem_read_req big = {.bits = 2u << 20, .packet_bits = 1u << 20, .tag = 4};
    ck_assert_int_ne(mem_read(m, &big, &err), 0);
    big.repeated = 1;
    ck_assert_int_eq(mem_read(m, &big, &err), 0);
    mem_free(m);
    kq_free(l.k);
}
END_TEST

START_TEST(test_packet_time_rounds_to_the_nearest_ps)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    p.bandwidth_gbps = 46.08; /* 128 bits: 2777.78 ps */
    base_error err;
    mem_model *m = mem_new(l.k, &p, &err);
    ck_assert_uint_eq(mem_stream_ps(m, 128), 2778);
    mem_read_req r = {.bits = 256, .packet_bits = 128};
    ck_assert_int_eq(mem_read(m, &r, &err), 0);
    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.t[1] - l.t[0], 2778);
    mem_free(m);
    kq_free(l.k);
}
END_TEST

/* The bug of the chip run before the memory was a model: read energy was
 * booked when the read was asked for. A run stopped before the latency
 * has passed has read nothing and pays nothing for reading. */
START_TEST(test_energy_is_booked_per_bit_as_traffic_happens)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    base_error err;
    mem_model *m = mem_new(l.k, &p, &err);
    mem_read_req r = {.bits = 3500, .packet_bits = 1000};
    ck_assert_int_eq(mem_read(m, &r, &err), 0);
    model_energy e = {0};
    kq_run(l.k, 1000, 0);
    ck_assert_int_eq(mem_model_ops.finish(m, 1000, &e, &err), 0);
    ck_assert_double_eq(item(&e, "offchip_read"), 0.0);
    model_energy_free(&e);

    kq_run(l.k, 65000, 0); /* two packets out */
    mem_write(m, 80);
    ck_assert_int_eq(mem_model_ops.finish(m, 65000, &e, &err), 0);
    ck_assert_double_eq(item(&e, "offchip_read"), 2000 * 2.0);
    ck_assert_double_eq(item(&e, "offchip_write"), 80 * 3.0);
    /* 20 mW over 65 ns = 1300 pJ */
    ck_assert_double_eq_tol(item(&e, "offchip_static"), 1300.0, 1e-9);
    model_energy_free(&e);

    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(mem_model_ops.finish(m, 1000000, &e, &err), 0);
    ck_assert_double_eq(item(&e, "offchip_read"), 3500 * 2.0);
    ck_assert_double_eq_tol(item(&e, "offchip_static"), 20000.0, 1e-9); /* 20 mW x 1 us */
    model_energy_free(&e);
    mem_model_ops.destroy(m);
    kq_free(l.k);
}
END_TEST

START_TEST(test_refuses_bad_memories_and_reads)
{
    release_log l = {.k = kq_new()};
    mem_params p = params(&l);
    base_error err;
    p.bandwidth_gbps = 0;
    ck_assert_ptr_null(mem_new(l.k, &p, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "bandwidth"));
    p = params(&l);
    mem_model *m = mem_new(l.k, &p, &err);
    mem_read_req big = {.bits = p.size_bits + 1, .packet_bits = 1000};
    ck_assert_int_eq(mem_read(m, &big, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot read"));
    mem_read_req none = {.bits = 10, .packet_bits = 0};
    ck_assert_int_eq(mem_read(m, &none, &err), -1);
    /* An empty read is still one (empty) packet: the reader is told. */
    mem_read_req empty = {.bits = 0, .packet_bits = 1000};
    ck_assert_int_eq(mem_read(m, &empty, &err), 0);
    kq_run(l.k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.bits[0], 0);
    mem_free(m);
    kq_free(l.k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("mem");
    tcase_add_test(tc, test_read_packets_leave_at_bandwidth_after_latency);
    tcase_add_test(tc, test_reads_queue_behind_each_other_and_each_pays_the_latency);
    tcase_add_test(tc, test_packet_time_rounds_to_the_nearest_ps);
    tcase_add_test(tc, test_writes_take_port_time_and_reads_queue_behind);
    tcase_add_test(tc, test_energy_is_booked_per_bit_as_traffic_happens);
    tcase_add_test(tc, test_refuses_bad_memories_and_reads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
