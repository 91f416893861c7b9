/* json.c -- JSON output through cJSON; see base.h. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include "base/base.h"

static void *hook_malloc(size_t n)
{
    return base_malloc(n);
}

static void install_hooks(void)
{
    cJSON_Hooks h = {.malloc_fn = hook_malloc, .free_fn = base_free};
    cJSON_InitHooks(&h);
}

/* cJSON keeps its allocator in a global of its own: route it through the
 * funnel once, before the first tree is built. */
static void hooks(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
}

static cJSON *raw(const char *text)
{
    hooks();
    return cJSON_CreateRaw(text);
}

cJSON *base_json_object(void)
{
    hooks();
    return cJSON_CreateObject();
}

cJSON *base_json_array(void)
{
    hooks();
    return cJSON_CreateArray();
}

cJSON *base_json_num(double v, const char *fmt)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return raw(buf);
}

cJSON *base_json_u64(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return raw(buf);
}

/* Adds item under key, or frees it; 0 or -1. */
static int add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return -1;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

int base_json_add_num(cJSON *obj, const char *key, double v, const char *fmt)
{
    return add(obj, key, base_json_num(v, fmt));
}

int base_json_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    return add(obj, key, base_json_u64(v));
}

int base_json_add_str(cJSON *obj, const char *key, const char *s)
{
    hooks();
    return add(obj, key, cJSON_CreateString(s));
}

int base_json_add_bool(cJSON *obj, const char *key, int b)
{
    hooks();
    return add(obj, key, cJSON_CreateBool(b));
}

int base_json_add_null(cJSON *obj, const char *key)
{
    hooks();
    return add(obj, key, cJSON_CreateNull());
}

int base_json_add_raw(cJSON *obj, const char *key, const char *text)
{
    return add(obj, key, raw(text));
}

int base_json_print(FILE *out, const cJSON *j, const char *end)
{
    hooks();
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        return -1;
    int bad = fputs(s, out) < 0 || fputs(end, out) < 0;
    cJSON_free(s);
    return bad ? -1 : 0;
}

char *base_json_quote(const char *s)
{
    hooks();
    cJSON *j = cJSON_CreateString(s);
    if (!j)
        return NULL;
    char *q = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return q; /* cJSON allocated it through the funnel: base_free frees it */
}

int base_json_put_str(FILE *out, const char *s)
{
    char *q = base_json_quote(s);
    if (!q)
        return -1;
    int bad = fputs(q, out) < 0;
    base_free(q);
    return bad ? -1 : 0;
}
