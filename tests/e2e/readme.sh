# End-to-end: README.md says what the code does. Every fenced block that
# README.md marks with a `<!-- readme-test ... -->` line just before it is
# run from the repository root, so the document cannot drift:
#   - a block with `$ ` lines is a transcript: each `$ ` line is a command,
#     the lines up to the next one are (an excerpt of) what it prints on
#     stdout and stderr (stderr after stdout). Expected lines must appear
#     in order, as runs of consecutive output lines; a line `...` ends a run
#     (any lines may come between runs); a line ending in
#     ` ...` (or `...`) matches any line that starts with the text before.
#   - a block without `$ ` lines lists commands (`\` continues a line,
#     `# ...` comments are dropped), each of which must succeed.
# A leading `evsim` or `build/evsim` runs $EVSIM. Marker options, after a
# colon: `exit=N` (the commands' exit status, default 0), `needs=PATH`
# (SKIP unless PATH exists), `creates=FILE` (removed before the block and
# at the end of the test, so a later block may read it).
# Unmarked blocks (placeholders like FILE, synopses with [options], output
# shown without its command) are not run: mark a new example to check it.
set -u
EVSIM=${EVSIM:-build/evsim}
export EVSIM
python3 - "$EVSIM" README.md <<'PY'
import os, re, shlex, subprocess, sys
evsim, readme = sys.argv[1], sys.argv[2]
lines = open(readme).read().split("\n")
MARK = re.compile(r"^<!-- readme-test(?::\s*(.*?))?\s*-->$")

def blocks():
    """(line number, options, body lines) of each marked fenced block."""
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i].strip())
        i += 1
        if not m:
            continue
        opts = dict(kv.split("=", 1) for kv in (m.group(1) or "").split() if "=" in kv)
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            yield i, None, "marker not followed by a fenced block"
            continue
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        yield start, opts, body

def command(c):
    c = c.strip()
    for pre in ("build/evsim ", "evsim "):
        if c.startswith(pre):
            return shlex.quote(evsim) + " " + c[len(pre):]
    return c

def matches(want, got):
    if want.endswith("...") and want != "...":
        return got.startswith(want[:-3].rstrip())
    return want == got

def excerpt_ok(expected, output):
    """The expected lines, split at `...`, appear in order as runs."""
    out = [l.rstrip() for l in output.split("\n")]
    segs, cur = [], []
    for e in expected:
        if e.strip() == "...":
            segs.append(cur); cur = []
        else:
            cur.append(e.rstrip())
    segs.append(cur)
    pos = 0
    for seg in segs:
        if not seg:
            continue
        found = -1
        for p in range(pos, len(out) - len(seg) + 1):
            if all(matches(seg[j], out[p + j]) for j in range(len(seg))):
                found = p
                break
        if found < 0:
            return "expected from README line\n    %s\nnot found in the output:\n    %s" % (
                "\n    ".join(seg), "\n    ".join(out[pos:pos + 40]))
        pos = found + len(seg)
    return None

def run(cmd, want_rc):
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    return r.returncode, r.stdout + ("\n" if r.stdout and not r.stdout.endswith("\n") else "") + r.stderr

def transcript(body):
    items, cur = [], None
    for l in body:
        if l.startswith("$ "):
            cur = [l[2:], []]
            items.append(cur)
        elif cur is not None:
            cur[1].append(l)
    return items

def commands(body):
    out, acc = [], ""
    for l in body:
        l = re.sub(r"\s+#.*$", "", l).rstrip()
        if l.endswith("\\"):
            acc += l[:-1] + " "
            continue
        acc += l
        if acc.strip():
            out.append(acc)
        acc = ""
    return out

fails = checked = skipped = 0
cleanup = []
for start, opts, body in blocks():
    if opts is None:
        print("FAIL: README.md:%d: %s" % (start, body)); fails += 1; continue
    need = opts.get("needs")
    if need and not os.path.exists(need):
        print("SKIP: README.md:%d (needs %s)" % (start, need)); skipped += 1; continue
    want_rc = int(opts.get("exit", "0"))
    created = opts.get("creates")
    if created:
        cleanup.append(created)
        if os.path.exists(created):
            os.remove(created)
    items = transcript(body) if any(l.startswith("$ ") for l in body) else \
        [[c, None] for c in commands(body)]
    for cmd, expected in items:
        checked += 1
        rc, out = run(command(cmd), want_rc)
        why = None if rc == want_rc else "exit status %d, expected %d:\n    %s" % (
            rc, want_rc, "\n    ".join(out.split("\n")[-5:]))
        if why is None and expected:
            why = excerpt_ok(expected, out)
        if why:
            print("FAIL: README.md:%d: %s: %s" % (start, cmd, why)); fails += 1
        else:
            print("ok: README.md:%d: %s" % (start, cmd))
for f in cleanup:
    if os.path.exists(f):
        os.remove(f)
print("readme: %d commands checked, %d failed, %d blocks skipped" % (checked, fails, skipped))
if checked == 0:
    print("FAIL: README.md has no marked example"); fails += 1
sys.exit(1 if fails else 0)
PY
rc=$?
[ $rc -eq 0 ] && echo "PASS: readme"
exit $rc
