/* cfg_equation.c -- ZigZag layer equations and dimension relations.
 *
 *   O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]
 *   O[b][g][oy][ox]=W[b][g][oy][ox]+I[b][g][oy][ox]
 *   ix=2*ox+1*fx
 *
 * The first operand is the output; `+=` marks a reduction over the dims
 * the output does not index. Index names are stored upper-cased, as
 * loop_dims are written. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static void skip_sp(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* An identifier [A-Za-z_][A-Za-z0-9_]* into out (cap incl. NUL). */
static bool ident(const char **p, char *out, size_t cap, bool upper)
{
    skip_sp(p);
    const char *s = *p;
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    size_t n = 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = upper ? (char)toupper((unsigned char)s[i]) : s[i];
    out[n] = '\0';
    *p = s + n;
    return true;
}

static bool operand(const char **p, cfg_operand *o, char *why, size_t wl)
{
    memset(o, 0, sizeof *o);
    if (!ident(p, o->name, sizeof o->name, false)) {
        snprintf(why, wl, "expected an operand name (such as O, W or I) at '%.20s'", *p);
        return false;
    }
    skip_sp(p);
    while (**p == '[') {
        (*p)++;
        if (o->n_idx >= CFG_MAX_INDICES) {
            snprintf(why, wl, "operand %s has more than %d indices", o->name, CFG_MAX_INDICES);
            return false;
        }
        if (!ident(p, o->idx[o->n_idx], sizeof o->idx[0], true)) {
            snprintf(why, wl, "expected an index name (such as k or ix) in operand %s at "
                     "'%.20s'", o->name, *p);
            return false;
        }
        skip_sp(p);
        if (**p != ']') {
            snprintf(why, wl, "expected ']' after index %s of operand %s, found '%.20s'",
                     o->idx[o->n_idx], o->name, *p);
            return false;
        }
        (*p)++;
        o->n_idx++;
        skip_sp(p);
    }
    return true;
}

int cfg_equation_parse(const char *eq, cfg_layer *l, char *why, size_t wl)
{
    const char *p = eq;
    l->n_operands = 0;
    l->combine = 0;
    if (!operand(&p, &l->operands[0], why, wl))
        return -1;
    l->n_operands = 1;
    skip_sp(&p);
    if (p[0] == '+' && p[1] == '=') {
        l->accumulate = true;
        p += 2;
    } else if (p[0] == '=') {
        l->accumulate = false;
        p += 1;
    } else {
        snprintf(why, wl, "expected '+=' or '=' after the output %s, found '%.20s'",
                 l->operands[0].name, p);
        return -1;
    }
    for (;;) {
        if (l->n_operands >= CFG_MAX_OPERANDS) {
            snprintf(why, wl, "expected at most %d input operands", CFG_MAX_OPERANDS - 1);
            return -1;
        }
        cfg_operand *o = &l->operands[l->n_operands];
        if (!operand(&p, o, why, wl))
            return -1;
        for (int i = 0; i < l->n_operands; i++)
            if (!strcmp(l->operands[i].name, o->name)) {
                snprintf(why, wl, "operand %s appears twice", o->name);
                return -1;
            }
        l->n_operands++;
        skip_sp(&p);
        if (!*p)
            break;
        if (*p != '*' && *p != '+') {
            snprintf(why, wl, "expected '*' or '+' between operands, found '%.20s'", p);
            return -1;
        }
        if (l->combine && l->combine != *p) {
            snprintf(why, wl, "expected one operator between the inputs, found both '*' and '+'");
            return -1;
        }
        l->combine = *p++;
    }
    if (l->n_operands < 2) {
        snprintf(why, wl, "expected at least one input operand after the '='");
        return -1;
    }
    if (!l->combine)
        l->combine = '*';
    return 0;
}

int cfg_relation_parse(const char *text, cfg_relation *r, char *why, size_t wl)
{
    const char *p = text;
    memset(r, 0, sizeof *r);
    if (!ident(&p, r->lhs, sizeof r->lhs, true)) {
        snprintf(why, wl, "expected a relation such as ix=2*ox+1*fx, found '%.40s'", text);
        return -1;
    }
    skip_sp(&p);
    if (*p != '=') {
        snprintf(why, wl, "expected '=' after %s, found '%.20s'", r->lhs, p);
        return -1;
    }
    p++;
    for (;;) {
        if (r->n_terms >= CFG_MAX_TERMS) {
            snprintf(why, wl, "expected at most %d terms", CFG_MAX_TERMS);
            return -1;
        }
        skip_sp(&p);
        int64_t coef = 1;
        if (isdigit((unsigned char)*p)) {
            coef = 0;
            while (isdigit((unsigned char)*p) && coef < 1000000)
                coef = coef * 10 + (*p++ - '0');
            skip_sp(&p);
            if (*p != '*') {
                snprintf(why, wl, "expected '*' after the coefficient %lld, found '%.20s'",
                         (long long)coef, p);
                return -1;
            }
            p++;
        }
        if (coef < 1) {
            snprintf(why, wl, "expected a positive coefficient");
            return -1;
        }
        if (!ident(&p, r->dim[r->n_terms], sizeof r->dim[0], true)) {
            snprintf(why, wl, "expected a dimension name in '%.40s' at '%.20s'", text, p);
            return -1;
        }
        r->coef[r->n_terms++] = coef;
        skip_sp(&p);
        if (!*p)
            return 0;
        if (*p != '+') {
            snprintf(why, wl, "expected '+' between terms, found '%.20s'", p);
            return -1;
        }
        p++;
    }
}
