/* test_snn_input.c -- the event-driven run's input options (README.md
 * "Scenario keys", sim/run/snn_input.h): which input neuron a cropped,
 * down-sampled, polarity-merged event drives; the sensor check after crop
 * and scale; skip counts by reason; and, through run_scenario on the
 * functional-test net (tests/data/snn/cpd.workload.yaml), that a
 * recording at twice the resolution with input.scale: 2, or shifted into a
 * larger sensor with input.crop, gives every neuron the same spikes in
 * every step as the original; input.loop and input.time_scale in steps;
 * input.events_per_packet changes packets, never spikes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"
#include "run/snn_input.h"
#include "snn_test_util.h"

#define DATA "tests/data/snn/"
#define NEV 400 /* events in events_8x8.csv */

/* ---- the mapping, on its own ------------------------------------------ */

static cfg_scenario scen(void)
{
    cfg_scenario s;
    memset(&s, 0, sizeof s);
    s.input_scale = 1;
    s.time_scale = 1;
    s.input_loop = 1;
    snprintf(s.file, sizeof s.file, "x.yaml");
    snprintf(s.input.path, sizeof s.input.path, "t.csv");
    s.input_line = 9;
    s.input_col = 3;
    return s;
}

static ev_event px(uint32_t x, uint32_t y, uint8_t p)
{
    ev_event e = {.t_ps = 0, .x = x, .y = y, .polarity = p};
    return e;
}

START_TEST(test_scale_pools_blocks_into_one_neuron)
{
    cfg_scenario s = scen();
    s.input_scale = 4;
    snn_input_map mp;
    base_error err;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){2, 120, 160}, &err), 0);
    snn_in_reason why;
    /* (13, 9) ON: block (3, 2), channel 1: (1 * 120 + 2) * 160 + 3 */
    ck_assert_int_eq(snn_input_neuron(&mp, &(ev_event){.x = 13, .y = 9, .polarity = 1}, &why),
                     19523);
    ck_assert_int_eq(why, SNN_IN_USED);
    ev_event a = px(12, 8, 1), b = px(15, 11, 1), c = px(16, 11, 1), off = px(13, 9, 0);
    ck_assert_int_eq(snn_input_neuron(&mp, &a, NULL), 19523); /* the block's first pixel */
    ck_assert_int_eq(snn_input_neuron(&mp, &b, NULL), 19523); /* and its last */
    ck_assert_int_eq(snn_input_neuron(&mp, &c, NULL), 19524); /* the next block */
    ck_assert_int_eq(snn_input_neuron(&mp, &off, NULL), 2 * 160 + 3); /* OFF: channel 0 */
    ev_event last = px(639, 479, 1), past = px(640, 0, 1);
    ck_assert_int_eq(snn_input_neuron(&mp, &last, NULL), 2 * 120 * 160 - 1);
    ck_assert_int_eq(snn_input_neuron(&mp, &past, &why), -1);
    ck_assert_int_eq(why, SNN_IN_OUTSIDE_LAYER);
}
END_TEST

START_TEST(test_crop_window_then_scale)
{
    cfg_scenario s = scen();
    s.has_crop = true;
    s.crop_x = 100;
    s.crop_y = 50;
    s.crop_w = 64;
    s.crop_h = 32;
    s.input_scale = 2;
    snn_input_map mp;
    base_error err;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){1, 16, 32}, &err), 0);
    snn_in_reason why;
    ev_event left = px(99, 60, 1), top = px(120, 49, 0), right = px(164, 60, 1),
             below = px(120, 82, 1);
    ev_event first = px(100, 50, 1), lastp = px(163, 81, 0), mid = px(111, 57, 1);
    ev_event *outs[] = {&left, &top, &right, &below};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(snn_input_neuron(&mp, outs[i], &why), -1);
        ck_assert_int_eq(why, SNN_IN_OUTSIDE_CROP);
    }
    ck_assert_int_eq(snn_input_neuron(&mp, &first, &why), 0);
    ck_assert_int_eq(why, SNN_IN_USED);
    ck_assert_int_eq(snn_input_neuron(&mp, &lastp, NULL), 15 * 32 + 31);
    /* (11, 7) in the window -> (5, 3); one channel: merged */
    ck_assert_int_eq(snn_input_neuron(&mp, &mid, NULL), 3 * 32 + 5);
}
END_TEST

START_TEST(test_polarity_merge_split_default)
{
    cfg_scenario s = scen();
    snn_input_map mp;
    base_error err;
    ev_event on = px(3, 2, 1), off = px(3, 2, 0);
    /* default on 2 channels: split */
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){2, 8, 8}, &err), 0);
    ck_assert_int_eq(snn_input_neuron(&mp, &on, NULL), 64 + 19);
    ck_assert_int_eq(snn_input_neuron(&mp, &off, NULL), 19);
    /* merge on 2 channels: both polarities drive channel 0 */
    s.input_polarity = CFG_POLARITY_MERGE;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){2, 8, 8}, &err), 0);
    ck_assert_int_eq(snn_input_neuron(&mp, &on, NULL), 19);
    ck_assert_int_eq(snn_input_neuron(&mp, &off, NULL), 19);
    /* default on 1 channel: merged */
    s.input_polarity = CFG_POLARITY_AUTO;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){1, 8, 8}, &err), 0);
    ck_assert_int_eq(snn_input_neuron(&mp, &on, NULL), 19);
    /* split on 1 channel: refused, at the input block */
    s.input_polarity = CFG_POLARITY_SPLIT;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){1, 8, 8}, &err), -1);
    ck_assert_str_eq(err.file, "x.yaml");
    ck_assert_uint_eq(err.line, 9);
    ck_assert_ptr_nonnull(strstr(err.msg, "input.polarity: split needs"));
}
END_TEST

START_TEST(test_channel_events_ignore_crop_and_scale)
{
    cfg_scenario s = scen();
    s.input_scale = 4;
    s.has_crop = true;
    s.crop_x = 10;
    s.crop_w = s.crop_h = 4;
    snn_input_map mp;
    base_error err;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, (conn_shape){1, 8, 8}, &err), 0);
    snn_in_reason why;
    ev_event c5 = {.is_channel = 1, .channel = 5}, c64 = {.is_channel = 1, .channel = 64};
    ck_assert_int_eq(snn_input_neuron(&mp, &c5, &why), 5);
    ck_assert_int_eq(snn_input_neuron(&mp, &c64, &why), -1);
    ck_assert_int_eq(why, SNN_IN_OUTSIDE_LAYER);
}
END_TEST

START_TEST(test_sensor_check_after_crop_and_scale)
{
    cfg_scenario s = scen();
    snn_input_map mp;
    base_error err;
    conn_shape in = {2, 120, 160};
    s.input_scale = 3;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, in, &err), 0);
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 640, 480, &err), -1);
    ck_assert_str_eq(err.file, "x.yaml");
    ck_assert_uint_eq(err.line, 9);
    ck_assert_uint_eq(err.col, 3);
    ck_assert_msg(strstr(err.msg, "input.scale: the sensor of t.csv is 640x480") &&
                  strstr(err.msg, "(214x160)") && strstr(err.msg, "set input.scale to 4"),
                  "%s", err.msg);
    s.input_scale = 4;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, in, &err), 0);
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 640, 480, &err), 0);
    /* 641 wide needs ceil(641 / 4) = 161 columns */
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 641, 480, &err), -1);
    /* unknown sensor size: nothing to check before the run */
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 0, 0, &err), 0);
    /* a crop window must lie on the sensor; the window is what must fit */
    s.input_scale = 1;
    s.has_crop = true;
    s.crop_x = 600;
    s.crop_y = 0;
    s.crop_w = 160;
    s.crop_h = 120;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, in, &err), 0);
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 640, 480, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "input.crop: the window [600, 0, 160, 120] leaves"));
    s.crop_x = 480;
    ck_assert_int_eq(snn_input_map_init(&mp, &s, in, &err), 0);
    ck_assert_int_eq(snn_input_check_sensor(&mp, &s, "c1", 640, 480, &err), 0);
}
END_TEST

/* ---- through the run ----------------------------------------------------- */

typedef struct {
    uint32_t t_us, x, y, p;
} ev_row;

static ev_row rows[NEV];
static char root[4096], dir[64];

static void load_rows(void)
{
    FILE *f = fopen(DATA "events_8x8.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    int n = 0;
    while (n < NEV && fscanf(f, "%u,%u,%u,%u", &rows[n].t_us, &rows[n].x, &rows[n].y,
                             &rows[n].p) == 4)
        n++;
    fclose(f);
    ck_assert_int_eq(n, NEV);
}

static void setup(void)
{
    ck_assert_ptr_nonnull(getcwd(root, sizeof root));
    snprintf(dir, sizeof dir, "/tmp/evsim-snnin-" "XX" "XX" "XX"); /* mkdtemp template */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    load_rows();
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A scenario on the functional-test net with `input_extra` in its input
 * block, reading trace name (in dir); returns its path in out. */
static void scenario(const char *name, const char *trace, const char *input_extra, char *out,
                     size_t cap)
{
    snprintf(out, cap, "%s/%s.yaml", dir, name);
    FILE *f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "name: %s\nchip: %s/configs/hw/seneca_2x2.yaml\n"
            "workload: %s/" DATA "cpd.workload.yaml\nmapping: %s/" DATA "cpd_2.mapping.yaml\n"
            "seed: 3\nmode: timestep\ntimestep_us: 1000\npropagation: same_step\n"
            "spikes_per_packet: 3\ninput:\n  trace: %s\n  at: [1, 1]\n%s",
            name, root, root, root, trace, input_extra);
    fclose(f);
}

typedef int (*row_fn)(const ev_row *r, int i, FILE *f);

/* A CSV trace: header comment, then what fn writes per row. */
static void trace(const char *name, const char *comment, row_fn fn)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%st_us,x,y,p\n", comment);
    for (int i = 0; i < NEV; i++)
        ck_assert_int_ge(fn(&rows[i], i, f), 0);
    fclose(f);
}

static int row_plain(const ev_row *r, int i, FILE *f)
{
    (void)i;
    return fprintf(f, "%u,%u,%u,%u\n", r->t_us, r->x, r->y, r->p);
}

/* Twice the resolution: each event at one of its 2 x 2 block's pixels. */
static int row_double(const ev_row *r, int i, FILE *f)
{
    return fprintf(f, "%u,%u,%u,%u\n", r->t_us, 2 * r->x + (i & 1), 2 * r->y + (i >> 1 & 1),
                   r->p);
}

/* Shifted by (5, 3) into a 20 x 20 sensor, every 4th event followed by
 * one left of the window (x < 5) and one below it (y >= 11). */
static int row_shift(const ev_row *r, int i, FILE *f)
{
    int n = fprintf(f, "%u,%u,%u,%u\n", r->t_us, r->x + 5, r->y + 3, r->p);
    if (i % 4 == 0)
        n += fprintf(f, "%u,%u,%u,%u\n%u,%u,%u,%u\n", r->t_us, i % 5, r->y + 3, r->p, r->t_us,
                     r->x + 5, 11 + i % 9, r->p);
    return n;
}

#define MAXSP 20000

typedef struct {
    uint32_t n;
    struct {
        uint32_t layer, neuron;
        uint64_t step;
        double v;
    } s[MAXSP];
} spikes;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    spikes *sp = ctx;
    ck_assert_uint_lt(sp->n, MAXSP);
    sp->s[sp->n].layer = layer;
    sp->s[sp->n].step = step;
    sp->s[sp->n].neuron = neuron;
    sp->s[sp->n++].v = v;
}

/* Runs path; fills res (free it) and, when sp, every output. */
static void run(const char *path, spikes *sp, run_result *res)
{
    if (sp)
        sp->n = 0;
    snn_test_run(path, sp ? on_spike : NULL, sp, res);
    ck_assert(res->snn_res.complete);
}

static uint64_t skipped(const snn_result *r, const char *why)
{
    for (uint32_t i = 0; i < r->n_skip; i++)
        if (!strcmp(r->skip_name[i], why))
            return r->skip_count[i];
    return 0;
}

/* The order of outputs is fixed (snn_spike_fn), so equal runs give equal
 * lists. */
static void same_spikes(const spikes *a, const spikes *b)
{
    ck_assert_uint_eq(a->n, b->n);
    ck_assert_uint_gt(a->n, 20);
    for (uint32_t i = 0; i < a->n; i++)
        ck_assert_msg(a->s[i].layer == b->s[i].layer && a->s[i].step == b->s[i].step &&
                      a->s[i].neuron == b->s[i].neuron && a->s[i].v == b->s[i].v,
                      "output %u differs: layer %u step %llu neuron %u", i, b->s[i].layer,
                      (unsigned long long)b->s[i].step, b->s[i].neuron);
}

static spikes sa, sb;

START_TEST(test_downsampled_trace_drives_the_same_neurons)
{
    char p[512];
    run_result ra, rb;
    trace("plain.csv", "# width=8 height=8\n", row_plain);
    trace("double.csv", "# width=16 height=16\n", row_double);
    scenario("plain", "plain.csv", "", p, sizeof p);
    run(p, &sa, &ra);
    scenario("double", "double.csv", "  scale: 2\n", p, sizeof p);
    run(p, &sb, &rb);
    same_spikes(&sa, &sb);
    ck_assert_uint_eq(rb.snn_res.events_used, NEV);
    ck_assert_uint_eq(rb.snn_res.steps, ra.snn_res.steps);
    run_result_free(&ra);
    run_result_free(&rb);
    /* the same 16 x 16 trace without scale is refused before the run */
    scenario("noscale", "double.csv", "", p, sizeof p);
    run_options o;
    run_options_default(&o);
    o.json_path = o.text_path = "";
    o.no_trace = true;
    base_error err;
    ck_assert_int_ne(run_scenario(p, &o, &rb, &err), 0);
    ck_assert_msg(strstr(err.msg, "is 16x16, larger than the input layer conv (8x8)") &&
                  strstr(err.msg, "set input.scale to 2"), "%s", err.msg);
    run_result_free(&rb);
}
END_TEST

START_TEST(test_crop_counts_outside_and_keeps_spikes)
{
    char p[512];
    run_result ra, rb;
    trace("plain.csv", "", row_plain);
    trace("shift.csv", "# width=20 height=20\n", row_shift);
    scenario("plain", "plain.csv", "", p, sizeof p);
    run(p, &sa, &ra);
    scenario("crop", "shift.csv", "  crop: [5, 3, 8, 8]\n", p, sizeof p);
    run(p, &sb, &rb);
    same_spikes(&sa, &sb);
    ck_assert_uint_eq(rb.snn_res.events_read, NEV + 2 * (NEV / 4));
    ck_assert_uint_eq(rb.snn_res.events_used, NEV);
    ck_assert_uint_eq(skipped(&rb.snn_res, "outside_crop"), 2 * (NEV / 4));
    run_result_free(&ra);
    run_result_free(&rb);
}
END_TEST

/* Every 10th event moved to x = 9 (past the 8-wide layer; the trace says
 * no sensor size, so the run counts it). */
static int row_some_outside(const ev_row *r, int i, FILE *f)
{
    return fprintf(f, "%u,%u,%u,%u\n", r->t_us, i % 10 == 0 ? 9 : r->x, r->y, r->p);
}

START_TEST(test_skips_counted_by_reason)
{
    char p[512];
    run_result r;
    trace("out.csv", "", row_some_outside);
    /* window [2000, 9000) us, at most 250 used */
    int before = 0, after = 0, outside = 0, used = 0;
    for (int i = 0; i < NEV; i++) {
        if (rows[i].t_us < 2000)
            before++;
        else if (rows[i].t_us >= 9000) {
            after = 1; /* the first event past the window ends the input */
            break;
        } else if (i % 10 == 0)
            outside++;
        else
            used++;
    }
    ck_assert_int_gt(before, 0);
    ck_assert_int_gt(outside, 0);
    scenario("win", "out.csv", "  from_us: 2000\n  to_us: 9000\n", p, sizeof p);
    run(p, NULL, &r);
    ck_assert_uint_eq(r.snn_res.events_used, (uint64_t)used);
    ck_assert_uint_eq(skipped(&r.snn_res, "before_from_us"), (uint64_t)before);
    ck_assert_uint_eq(skipped(&r.snn_res, "after_to_us"), (uint64_t)after);
    ck_assert_uint_eq(skipped(&r.snn_res, "outside_input_layer"), (uint64_t)outside);
    ck_assert_uint_eq(skipped(&r.snn_res, "outside_crop"), 0);
    ck_assert_uint_eq(r.snn_res.steps, 7);
    /* recorded times of the first and last used events */
    ck_assert_uint_ge(r.snn_res.in_t_first_ps, 2000000000ull);
    ck_assert_uint_lt(r.snn_res.in_t_last_ps, 9000000000ull);
    run_result_free(&r);
    scenario("lim", "out.csv", "  max_events: 250\n", p, sizeof p);
    run(p, NULL, &r);
    ck_assert_uint_eq(r.snn_res.events_used, 250);
    ck_assert_uint_eq(skipped(&r.snn_res, "over_max_events"), 1);
    run_result_free(&r);
}
END_TEST

START_TEST(test_loop_repeats_whole_steps)
{
    char p[512];
    run_result ra, rb;
    trace("plain.csv", "", row_plain);
    scenario("one", "plain.csv", "", p, sizeof p);
    run(p, &sa, &ra);
    scenario("three", "plain.csv", "  loop: 3\n", p, sizeof p);
    run(p, &sb, &rb);
    uint64_t steps = ra.snn_res.steps;
    ck_assert_uint_eq(steps, rows[NEV - 1].t_us / 1000 + 1);
    ck_assert_uint_eq(rb.snn_res.steps, 3 * steps);
    ck_assert_uint_eq(rb.snn_res.events_used, 3 * NEV);
    ck_assert_uint_eq(rb.snn_res.events_read, 3 * NEV);
    ck_assert_uint_eq(rb.snn_res.in_passes, 3);
    /* the first pass is the single run */
    uint32_t n = 0;
    while (n < sb.n && sb.s[n].step < steps)
        n++;
    ck_assert_uint_eq(n, sa.n);
    for (uint32_t i = 0; i < n; i++)
        ck_assert(sa.s[i].neuron == sb.s[i].neuron && sa.s[i].step == sb.s[i].step);
    run_result_free(&ra);
    run_result_free(&rb);
    /* with a window, each pass is the window's steps */
    scenario("w3", "plain.csv", "  to_us: 5000\n  loop: 2\n", p, sizeof p);
    run(p, NULL, &rb);
    ck_assert_uint_eq(rb.snn_res.steps, 10);
    run_result_free(&rb);
}
END_TEST

START_TEST(test_time_scale_stretches_steps)
{
    char p[512];
    run_result r;
    trace("plain.csv", "", row_plain);
    scenario("slow", "plain.csv", "  time_scale: 2\n", p, sizeof p);
    run(p, NULL, &r);
    ck_assert_uint_eq(r.snn_res.steps, 2 * rows[NEV - 1].t_us / 1000 + 1);
    ck_assert_uint_eq(r.snn_res.first_input_ps, 2 * (uint64_t)rows[0].t_us * 1000000);
    run_result_free(&r);
    scenario("fast", "plain.csv", "  time_scale: 0.25\n", p, sizeof p);
    run(p, NULL, &r);
    ck_assert_uint_eq(r.snn_res.steps, rows[NEV - 1].t_us / 4 / 1000 + 1);
    ck_assert_uint_eq(r.snn_res.events_used, NEV);
    run_result_free(&r);
}
END_TEST

START_TEST(test_events_per_packet_groups_without_changing_spikes)
{
    char p[512];
    run_result ra, rb;
    trace("plain.csv", "", row_plain);
    scenario("one", "plain.csv", "", p, sizeof p);
    run(p, &sa, &ra);
    scenario("grouped", "plain.csv", "  events_per_packet: 3\n", p, sizeof p);
    run(p, &sb, &rb);
    same_spikes(&sa, &sb);
    ck_assert_uint_lt(rb.snn_res.packets, ra.snn_res.packets);
    ck_assert_uint_eq(rb.snn_res.spikes_sent, ra.snn_res.spikes_sent);
    run_result_free(&ra);
    run_result_free(&rb);
}
END_TEST

static Suite *snn_input_suite(void)
{
    Suite *s = suite_create("snn_input");
    TCase *m = tcase_create("map");
    tcase_add_test(m, test_scale_pools_blocks_into_one_neuron);
    tcase_add_test(m, test_crop_window_then_scale);
    tcase_add_test(m, test_polarity_merge_split_default);
    tcase_add_test(m, test_channel_events_ignore_crop_and_scale);
    tcase_add_test(m, test_sensor_check_after_crop_and_scale);
    suite_add_tcase(s, m);
    TCase *r = tcase_create("run");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_set_timeout(r, 120);
    tcase_add_test(r, test_downsampled_trace_drives_the_same_neurons);
    tcase_add_test(r, test_crop_counts_outside_and_keeps_spikes);
    tcase_add_test(r, test_skips_counted_by_reason);
    tcase_add_test(r, test_loop_repeats_whole_steps);
    tcase_add_test(r, test_time_scale_stretches_steps);
    tcase_add_test(r, test_events_per_packet_groups_without_changing_spikes);
    suite_add_tcase(s, r);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(snn_input_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
