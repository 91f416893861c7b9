/* base.h -- what every evsim module shares and nothing of ours is needed
 * for: one error record, the allocation funnel (with a fault-injection
 * hook for tests), atomic output files, JSON output through cJSON, unit
 * conversions with one rounding rule, and the random stream (base/rng.h).
 *
 * Modules include this header and nothing else of base's, except
 * base/rng.h, which is header-only so the hot draw inlines. */
#ifndef EVSIM_BASE_H
#define EVSIM_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* ---- errors -------------------------------------------------------------
 * One record for every module. Functions that can fail return 0 / -1 (or
 * NULL) and fill a caller-provided base_error; only the CLI prints. The
 * position is optional: file "" means "not about a place in a file". */

#define BASE_MSG_MAX 768
#define BASE_PATH_MAX 512

typedef struct {
    char file[BASE_PATH_MAX]; /* "" when the error is not about a file */
    uint32_t line, col;       /* 1-based; 0: unknown */
    char msg[BASE_MSG_MAX];   /* what was expected, what was found */
} base_error;

void base_error_clear(base_error *e);
/* Fills e (printf-style) and returns -1, so `return base_fail(e, ...)`.
 * e may be NULL (the caller does not want the message): then only -1. */
int base_fail(base_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int base_fail_at(base_error *e, const char *file, uint32_t line, uint32_t col,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int base_vfail(base_error *e, const char *fmt, va_list ap);
/* Puts context in front of the message already there ("layer conv1: ");
 * returns -1. */
int base_fail_prefix(base_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "FILE:LINE:COL: msg", "FILE: msg" or "msg", into buf; returns buf. */
const char *base_error_str(const base_error *e, char *buf, size_t len);

/* A growing text buffer filled printf-style (the NIR and ONNX loaders
 * write the workload YAML they then load). After a failed allocation `oom`
 * is set and later puts do nothing; the caller frees buf with base_free. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} base_text;

void base_text_put(base_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A list of errors, for loaders that report every problem they find, not
 * only the first. At most BASE_MAX_ERRORS are kept, the rest counted. */
#define BASE_MAX_ERRORS 100
typedef struct {
    base_error *items;
    int count;   /* records in items */
    int dropped; /* beyond BASE_MAX_ERRORS (or unrecordable), counted */
} base_errors;

void base_errors_init(base_errors *l);
void base_errors_clear(base_errors *l); /* frees the records, count = 0 */
/* Appends a copy of e. Out of memory counts it in dropped. */
void base_errors_add(base_errors *l, const base_error *e);
/* Prints every record, one per line, then "(N more errors)". */
void base_errors_print(FILE *out, const base_errors *l);

/* ---- allocation ---------------------------------------------------------
 * Every allocation of ours goes through these, so a test can make the Nth
 * one fail and prove each out-of-memory path (SQLite's faultsim). They
 * behave as malloc/calloc/realloc/strdup/free otherwise; base_calloc and
 * base_grow check the size multiplication for overflow.
 *
 * The fault counter is the one piece of process-wide mutable state outside
 * main.c: it is a test hook, off unless a test arms it, and atomic because
 * the mapper may allocate from several threads. */

void *base_malloc(size_t n);
void *base_calloc(size_t n, size_t size);
void *base_realloc(void *p, size_t n);
char *base_strdup(const char *s);
/* aligned_alloc through the funnel: align a power of two, n rounded up
 * to a multiple of it here; freed with base_free. */
void *base_aligned_alloc(size_t align, size_t n);
void base_free(void *p);

/* Grows *arr (elements of elem bytes, capacity *cap) to hold at least
 * `need` elements, doubling from 16; 0, or -1 when out of memory or when
 * need exceeds max_elems (the array is then unchanged). */
int base_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem, uint32_t max_elems);
#define BASE_GROW(arr, cap, need, max) \
    base_grow((void **)&(arr), &(cap), (need), sizeof *(arr), (max))

/* Test hook: the allocation `n` calls from now fails (0: the very next),
 * and every one after it too when `sticky`; n < 0 disarms. */
void base_alloc_fail_at(long n, int sticky);
/* Allocations made since the process started (or since the hook was last
 * armed), and whether an injected failure has happened since arming. */
uint64_t base_alloc_calls(void);
int base_alloc_injected(void);

/* ---- atomic output files ------------------------------------------------
 * An output is written to PATH.tmp and renamed onto PATH only when it is
 * complete, so a failure or an interrupt never leaves a half-written file
 * under the name a user expects. */

typedef struct {
    FILE *f;    /* write through this */
    char *path; /* owned */
    char *tmp;  /* owned: path + ".tmp" (direct: path) */
    int direct; /* PATH is a device or FIFO: written in place */
} base_outfile;

/* Opens PATH.tmp ("w" or "wb"). 0, or -1 with err (nothing created).
 * A PATH that exists and is not a regular file (/dev/null, a FIFO) is
 * opened directly instead: renaming onto it would replace the device. */
int base_out_open(base_outfile *o, const char *path, const char *mode, base_error *err);
/* Flushes, closes and renames into place; on any failure the temporary
 * is removed. 0, or -1 with err. Always releases o. */
int base_out_commit(base_outfile *o, base_error *err);
/* Closes and removes the temporary; harmless on a zeroed or released o. */
void base_out_abort(base_outfile *o);
/* Unlinks every temporary still open (async-signal-safe: for a SIGINT /
 * SIGTERM handler, which then exits). Returns how many it removed. */
int base_out_remove_live(void);

/* ---- JSON output --------------------------------------------------------
 * Documents are built as cJSON trees (cJSON allocates through the funnel
 * above) and printed unformatted. Numbers go in as raw text printed with
 * the caller's printf format, so output stays byte-for-byte what the
 * format says ("%g" in reports, "%.17g" where exactness matters). */

/* New containers, allocated through the funnel (use these, not
 * cJSON_CreateObject, for a document's root: they install the hooks).
 * NULL when out of memory. */
cJSON *base_json_object(void);
cJSON *base_json_array(void);
cJSON *base_json_num(double v, const char *fmt); /* NULL when out of memory */
cJSON *base_json_u64(uint64_t v);
/* Adds to obj; the adders return 0, or -1 when out of memory. */
int base_json_add_num(cJSON *obj, const char *key, double v, const char *fmt);
int base_json_add_u64(cJSON *obj, const char *key, uint64_t v);
int base_json_add_str(cJSON *obj, const char *key, const char *s);
int base_json_add_bool(cJSON *obj, const char *key, int b);
int base_json_add_null(cJSON *obj, const char *key);
/* text is already JSON (a number printed by the caller) */
int base_json_add_raw(cJSON *obj, const char *key, const char *text);
/* Prints the tree unformatted, then `end` ("\n" or ""). 0, or -1. */
int base_json_print(FILE *out, const cJSON *j, const char *end);
/* Writes s as a quoted, escaped JSON string (for streaming writers that
 * do not build a tree). 0, or -1 when out of memory. */
int base_json_put_str(FILE *out, const char *s);
/* The same text in a new string (base_free it), for writers that count or
 * buffer what they write; NULL when out of memory. */
char *base_json_quote(const char *s);

/* ---- units --------------------------------------------------------------
 * Simulated time is uint64_t picoseconds. Every conversion into ps rounds
 * to the nearest ps (halves away from zero) and saturates at UINT64_MAX;
 * negative or NaN inputs give 0. */

uint64_t base_ps_round(double ps);
uint64_t base_ns_to_ps(double ns);
uint64_t base_us_to_ps(double us);
uint64_t base_cycle_ps(double clock_ghz);                /* one clock period */
uint64_t base_cycles_to_ps(double cycles, double clock_ghz);
uint64_t base_bits_to_ps(uint64_t bits, double gbit_per_s); /* time to move bits */

#endif
