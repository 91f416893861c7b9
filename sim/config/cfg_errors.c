/* cfg_errors.c -- the error record the loaders fill: a bounded list of
 * formatted messages, so one bad file cannot grow it without limit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

void cfg_errors_init(cfg_errors *e)
{
    memset(e, 0, sizeof *e);
}

void cfg_errors_clear(cfg_errors *e)
{
    for (int i = 0; i < e->count; i++)
        free(e->msgs[i]);
    free(e->msgs);
    memset(e, 0, sizeof *e);
}

void cfg_errors_add(cfg_errors *e, const char *fmt, ...)
{
    if (e->count >= CFG_MAX_ERRORS) {
        e->dropped++;
        return;
    }
    if (!e->msgs) {
        e->msgs = calloc(CFG_MAX_ERRORS, sizeof *e->msgs);
        if (!e->msgs) {
            e->dropped++;
            return;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *m = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!m) {
        e->dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    e->msgs[e->count++] = m;
}
