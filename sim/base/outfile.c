/* outfile.c -- write to PATH.tmp, rename onto PATH when complete; see
 * base.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

/* The temporaries open now, so that a signal handler (main.c's) can
 * remove them: the one piece of process-wide state here besides the
 * allocation funnel, and for the same reason -- an interrupt has no other
 * way to find them. More than BASE_OUT_LIVE at once are not tracked. */
#define BASE_OUT_LIVE 32
static char *volatile live[BASE_OUT_LIVE];

static void track(char *tmp)
{
    for (int i = 0; i < BASE_OUT_LIVE; i++)
        if (!live[i]) {
            live[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; tmp && i < BASE_OUT_LIVE; i++)
        if (live[i] == tmp)
            live[i] = NULL;
}

int base_out_remove_live(void)
{
    int n = 0;
    for (int i = 0; i < BASE_OUT_LIVE; i++) {
        char *t = live[i];
        if (t && unlink(t) == 0)
            n++;
    }
    return n;
}

static void release(base_outfile *o)
{
    if (!o->direct)
        untrack(o->tmp);
    base_free(o->path);
    base_free(o->tmp);
    o->f = NULL;
    o->path = o->tmp = NULL;
    o->direct = 0;
}

/* A path that exists and is not a regular file (/dev/null, /dev/stdout,
 * a FIFO) is written directly: renaming a file onto it would replace the
 * device for every other program. */
static int is_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static int open_direct(base_outfile *o, const char *path, const char *mode, base_error *err)
{
    o->direct = 1;
    o->path = base_strdup(path);
    o->tmp = base_strdup(path); /* what messages name */
    if (!o->path || !o->tmp) {
        release(o);
        return base_fail(err, "%s: out of memory", path);
    }
    if (!(o->f = fopen(path, mode))) {
        base_fail(err, "cannot write %s: %s", path, strerror(errno));
        release(o);
        return -1;
    }
    return 0;
}

int base_out_open(base_outfile *o, const char *path, const char *mode, base_error *err)
{
    o->f = NULL;
    o->direct = 0;
    if (is_special(path))
        return open_direct(o, path, mode, err);
    o->path = base_strdup(path);
    size_t n = strlen(path);
    o->tmp = base_malloc(n + 5);
    if (!o->path || !o->tmp) {
        release(o);
        return base_fail(err, "%s: out of memory", path);
    }
    memcpy(o->tmp, path, n);
    memcpy(o->tmp + n, ".tmp", 5);
    o->f = fopen(o->tmp, mode);
    if (!o->f) {
        base_fail(err, "cannot write %s: %s", o->tmp, strerror(errno));
        release(o);
        return -1;
    }
    track(o->tmp);
    return 0;
}

int base_out_commit(base_outfile *o, base_error *err)
{
    if (!o->f) {
        release(o);
        return base_fail(err, "output file not open");
    }
    int bad = ferror(o->f);
    int e = bad ? EIO : 0;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (!bad && !o->direct && rename(o->tmp, o->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        base_fail(err, "cannot write %s: %s", o->path, strerror(e ? e : EIO));
        if (!o->direct)
            remove(o->tmp);
        release(o);
        return -1;
    }
    release(o);
    return 0;
}

void base_out_abort(base_outfile *o)
{
    if (o->f) {
        fclose(o->f);
        if (!o->direct)
            remove(o->tmp);
    }
    release(o);
}
