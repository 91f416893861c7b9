/* stream_test_util.h -- a Stream chip built by hand from its core files,
 * for tests of the CN costs (the Stream accelerator reader is
 * sim/config/cfg_stream_acc.c's job; this only places the cores Stream's
 * tpu_like_quad_core names: 0-3 tpu_like, 4 pooling, 5 simd, 6 offchip). */
#ifndef EVSIM_STREAM_TEST_UTIL_H
#define EVSIM_STREAM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/config.h"

/* A JSON file parsed whole; NULL if it cannot be read or parsed. */
static inline cJSON *stream_load_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cJSON *j = NULL;
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        j = cJSON_Parse(buf);
    }
    free(buf);
    fclose(f);
    return j;
}

/* The chip of CASE_DIR/cores/: NULL (errors printed) when a file does not
 * load. Free with cfg_chip_free. */
static inline cfg_chip *stream_quad_chip(const char *case_dir)
{
    static const char *const files[] = {"tpu_like", "tpu_like", "tpu_like", "tpu_like",
                                        "pooling", "simd", "offchip"};
    const int n = (int)(sizeof files / sizeof files[0]);
    cfg_chip *c = base_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->types = base_calloc((size_t)n, sizeof *c->types);
    c->cores = base_calloc((size_t)n, sizeof *c->cores);
    if (!c->types || !c->cores) {
        cfg_chip_free(c);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "tpu_like_quad_core");
    c->stream_form = true;
    c->offchip_core_id = n - 1;
    c->clock_ghz = 1;
    for (int i = 0; i < n; i++) {
        char p[BASE_PATH_MAX];
        if (snprintf(p, sizeof p, "%s/cores/%s.yaml", case_dir, files[i]) >= (int)sizeof p) {
            cfg_chip_free(c);
            return NULL;
        }
        base_errors e;
        base_errors_init(&e);
        cfg_core *core = cfg_core_load_file(p, &e);
        if (!core) {
            base_errors_print(stderr, &e);
            base_errors_clear(&e);
            cfg_chip_free(c);
            return NULL;
        }
        base_errors_clear(&e);
        snprintf(c->types[i].name, sizeof c->types[i].name, "%s", core->name);
        snprintf(c->types[i].source, sizeof c->types[i].source, "%s", p);
        c->types[i].core = *core;
        cfg_core_free(core);
        c->cores[i] = (cfg_core_inst){.id = i, .type = i};
        c->n_types = c->n_cores = i + 1;
    }
    return c;
}

#endif
