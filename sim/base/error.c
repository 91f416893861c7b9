/* error.c -- the error record and the error list; see base.h. */
#include <stdio.h>
#include <string.h>

#include "base/base.h"

void base_error_clear(base_error *e)
{
    e->file[0] = 0;
    e->line = e->col = 0;
    e->msg[0] = 0;
}

int base_vfail(base_error *e, const char *fmt, va_list ap)
{
    if (!e) /* a caller that does not want the message */
        return -1;
    e->file[0] = 0;
    e->line = e->col = 0;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int base_fail(base_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    base_vfail(e, fmt, ap);
    va_end(ap);
    return -1;
}

int base_fail_at(base_error *e, const char *file, uint32_t line, uint32_t col,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    base_vfail(e, fmt, ap);
    va_end(ap);
    if (!e)
        return -1;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line;
    e->col = col;
    return -1;
}

int base_fail_prefix(base_error *e, const char *fmt, ...)
{
    char head[BASE_MSG_MAX], old[BASE_MSG_MAX];
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* head, then as much of the old message as fits */
    size_t h = strlen(head), n = strnlen(old, sizeof old - 1);
    if (h + n > sizeof e->msg - 1)
        n = sizeof e->msg - 1 - h;
    memcpy(e->msg, head, h);
    memcpy(e->msg + h, old, n);
    e->msg[h + n] = 0;
    return -1;
}

const char *base_error_str(const base_error *e, char *buf, size_t len)
{
    if (!e->file[0])
        snprintf(buf, len, "%s", e->msg);
    else if (e->line)
        snprintf(buf, len, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
    else
        snprintf(buf, len, "%s: %s", e->file, e->msg);
    return buf;
}

void base_errors_init(base_errors *l)
{
    l->items = NULL;
    l->count = l->dropped = 0;
}

void base_errors_clear(base_errors *l)
{
    base_free(l->items);
    base_errors_init(l);
}

void base_errors_add(base_errors *l, const base_error *e)
{
    if (l->count >= BASE_MAX_ERRORS) {
        l->dropped++;
        return;
    }
    /* The list is short and rare; growing by one keeps it simple. */
    base_error *n = base_realloc(l->items, (size_t)(l->count + 1) * sizeof *n);
    if (!n) {
        l->dropped++;
        return;
    }
    l->items = n;
    l->items[l->count++] = *e;
}

void base_errors_print(FILE *out, const base_errors *l)
{
    char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    for (int i = 0; i < l->count; i++)
        fprintf(out, "%s\n", base_error_str(&l->items[i], buf, sizeof buf));
    if (l->dropped)
        fprintf(out, "(%d more errors)\n", l->dropped);
}
