/* cfg_yaml.h -- internal to sim/config: a parsed YAML document and the
 * typed getters the loaders share. Each getter records a positioned error
 * (file:line:col, key path, expected, found) and returns false on a bad
 * value, so a loader can go on and report every problem in one pass. */
#ifndef EVSIM_CFG_YAML_H
#define EVSIM_CFG_YAML_H

#include <yaml.h>

#include "config/config.h"

typedef struct {
    yaml_document_t doc;
    bool loaded;
    const char *file;     /* display name used in messages */
    base_errors *err;
    int nerr_start;       /* err->count when the load began */
} cfg_doc;

typedef yaml_node_t cfg_node;

/* Parses the single document in text. On failure records the syntax error
 * and returns -1 (cfg_doc_close is still safe). */
int cfg_doc_open(cfg_doc *d, const char *text, size_t len, const char *file, base_errors *err);
void cfg_doc_close(cfg_doc *d);
cfg_node *cfg_doc_root(cfg_doc *d);
/* True when errors were recorded since cfg_doc_open. */
bool cfg_doc_failed(const cfg_doc *d);

/* Reads a whole file into a NUL-terminated buffer; NULL + error if not. */
char *cfg_read_file(const char *path, size_t *len, base_errors *err);

/* Records one error at FILE:LINE:COL (line 0: about the file as a whole,
 * printed "FILE: message"), printf-style. */
void cfg_err_pos(base_errors *l, const char *file, size_t line, size_t col, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
#define cfg_err_file(l, file, ...) cfg_err_pos((l), (file), 0, 0, __VA_ARGS__)
/* An error at node `at` (1:1 when NULL), "path: message". */
void cfg_err_at(cfg_doc *d, const cfg_node *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "a mapping", "a list", "'text'", "nothing" -- for "found ..." */
const char *cfg_describe(const cfg_node *n, char *buf, size_t len);

bool cfg_is_map(const cfg_node *n);
bool cfg_is_seq(const cfg_node *n);
bool cfg_is_scalar(const cfg_node *n);
/* Scalar text, or NULL when n is not a scalar. */
const char *cfg_text(const cfg_node *n);
/* A scalar the YAML author left empty (`key:`) or wrote as null/~. */
bool cfg_is_null(const cfg_node *n);

int cfg_seq_len(const cfg_node *seq);
cfg_node *cfg_seq_at(cfg_doc *d, const cfg_node *seq, int i);
int cfg_map_len(const cfg_node *map);
/* i-th pair of a mapping, in file order. */
cfg_node *cfg_map_key(cfg_doc *d, const cfg_node *map, int i);
cfg_node *cfg_map_val(cfg_doc *d, const cfg_node *map, int i);
/* Value of key in map (the last one when the key repeats, as PyYAML
 * does, so files written for ZigZag read the same); NULL if absent. */
cfg_node *cfg_map_get(cfg_doc *d, const cfg_node *map, const char *key);

/* Records an error, with a "did you mean" when a known key is within edit
 * distance 2, for every key of map not in known (NULL-terminated). */
bool cfg_check_keys(cfg_doc *d, const cfg_node *map, const char *path, const char *const *known);
/* The closest of known to s within distance 2, or NULL. */
const char *cfg_suggest(const char *s, const char *const *known);

/* Expect map to be a mapping; error otherwise. */
bool cfg_expect_map(cfg_doc *d, const cfg_node *n, const char *path);
bool cfg_expect_seq(cfg_doc *d, const cfg_node *n, const char *path);

/* Scalar conversions of a node (path names it in errors). */
bool cfg_as_int(cfg_doc *d, const cfg_node *n, const char *path, int64_t lo, int64_t hi,
                int64_t *out);
bool cfg_as_uint(cfg_doc *d, const cfg_node *n, const char *path, uint64_t lo, uint64_t *out);
bool cfg_as_double(cfg_doc *d, const cfg_node *n, const char *path, double lo, double hi,
                   double *out);
bool cfg_as_bool(cfg_doc *d, const cfg_node *n, const char *path, bool *out);
bool cfg_as_str(cfg_doc *d, const cfg_node *n, const char *path, char *out, size_t cap);

/* Getters for a key of a mapping: required ones record "missing key" when
 * absent; optional ones leave *out untouched and return true. */
bool cfg_get_int(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                 bool required, int64_t lo, int64_t hi, int64_t *out);
bool cfg_get_uint(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                  bool required, uint64_t lo, uint64_t *out);
bool cfg_get_double(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                    bool required, double lo, double hi, double *out);
bool cfg_get_bool(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                  bool required, bool *out);
bool cfg_get_str(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                 bool required, char *out, size_t cap);
/* Value node of a required key, or NULL after recording "missing key". */
cfg_node *cfg_need(cfg_doc *d, const cfg_node *map, const char *path, const char *key);

/* path + "." + key (or key alone when path is empty) into buf. */
const char *cfg_path_key(char *buf, size_t len, const char *path, const char *key);
/* path + "[i]" into buf. */
const char *cfg_path_idx(char *buf, size_t len, const char *path, int i);

/* Directory part of path ("." when none) and the join of dir and rel
 * (rel unchanged when absolute). */
void cfg_dirname(const char *path, char *out, size_t cap);
bool cfg_join(const char *dir, const char *rel, char *out, size_t cap);

/* A node's class for the sweep's type check (cfg_sweep.h: cfg_yfound.cls,
 * '[' a list, '{' a mapping). */
char cfg_ypath_class(const cfg_node *n);

/* Case-insensitive equality of two names. */
bool cfg_name_eq(const char *a, const char *b);

/* Parsers shared between kinds (a chip holds cores inline). Each fills
 * *out from node (at key path `path`) and returns 0, or -1 after
 * recording errors. */
int cfg_core_parse(cfg_doc *d, const cfg_node *root, const char *path, cfg_core *out);
/* A {D1: "K, 8", D2: [C, 4, K, 2], ...} map (spatial_mapping, dataflows)
 * appended to arr (at most CFG_MAX_OA_DIMS) at *n_out. */
void cfg_parse_spatial(cfg_doc *d, const cfg_node *sm, const char *path, cfg_spatial *arr,
                       int *n_out);

/* A Stream accelerator file (cfg_stream_acc.c): is_ tells it from evsim's
 * chip form by its keys; parse fills c (stream_form) from it, core files
 * found from base_dir, and records every error in d. */
bool cfg_stream_acc_is(cfg_doc *d, const cfg_node *root);
void cfg_stream_acc_parse(cfg_doc *d, const cfg_node *root, const char *base_dir, cfg_chip *c);

/* Generic "load FILE/STRING of one kind" driver used by every loader. */
typedef void *(*cfg_parse_fn)(cfg_doc *d, const cfg_node *root, void *arg);
void *cfg_load_text(const char *text, size_t len, const char *name, base_errors *err,
                    cfg_parse_fn fn, void *arg);
void *cfg_load_path(const char *path, base_errors *err, cfg_parse_fn fn, void *arg);

#endif
