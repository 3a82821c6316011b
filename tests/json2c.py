#!/usr/bin/env python3
"""json2c.py - compile a JSON file into constant C data for tests/json.h.

    python3 tests/json2c.py NAME IN.json OUT.c

Writes OUT.c defining `const json_doc NAME`: every JSON value becomes one
json_value, objects keep their members in source order, and each value
carries the line and column (1-based, counted in characters) where it
starts, so a test can point at bad data in the file it came from.

Parsing is Python's own json module, held to RFC 8259: besides what the
module already refuses (comments, trailing commas, leading zeros, raw
control characters in strings, text after the value), NaN and Infinity,
a key repeated within one object (a duplicate would hide half of a table),
invalid UTF-8 and lone surrogate escapes are errors too.

A file that is missing or is not such JSON does not stop the build: OUT.c
then holds a document without a root whose `error` says what is wrong (and
`missing` whether the file was absent), and the test reading it turns that
into a FAIL line.  The message is also printed on standard error.

OUT.c is only rewritten when its contents change, so make rebuilds the
object only when the data did.  Exit status: 0 (also for bad JSON, see
above), 1 when OUT.c cannot be written, 2 on wrong usage.
"""
import json
import math
import os
import sys


class BadJson(Exception):
    pass


class ObjectPairs(list):
    """An object's (key, value) members, told apart from an array."""


def no_constants(name):
    raise BadJson(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def unique_members(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise BadJson(f'key "{key}" appears twice in one object')
        seen.add(key)
    return ObjectPairs(pairs)  # the order is the file's


def value_starts(text):
    """Offsets of every value's first character, in document order (the
    order of a preorder walk).  The text is known to be valid JSON."""
    starts, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            k = j
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k >= n or text[k] != ":":  # a key is not a value
                starts.append(i)
            i = j
        elif c in "{[":
            starts.append(i)
            i += 1
        elif c in "-0123456789tfn":
            starts.append(i)
            while i < n and text[i] not in ",]} \t\r\n":
                i += 1
        else:
            i += 1
    return starts


def position(text, line_starts, offset):
    """1-based (line, column) of a character offset."""
    lo, hi = 0, len(line_starts) - 1
    while lo < hi:  # the last line start <= offset
        mid = (lo + hi + 1) // 2
        if line_starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1, offset - line_starts[lo] + 1


def c_string(s):
    """A C string literal for the UTF-8 bytes of s, and their count."""
    try:
        data = s.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("a string holds a lone surrogate escape (not valid UTF-8)")
    out = []
    for b in data:
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F and ch != "?":  # '?' would risk trigraphs
            out.append(ch)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"', len(data)


def c_double(x):
    if math.isinf(x):
        return "HUGE_VAL" if x > 0 else "-HUGE_VAL"
    return x.hex()


def number_fields(x):
    """The json_value number fields: the double, and the exact integers when
    the number is integral and they hold it (integer literals exactly, other
    literals only when their double is an integer below 2^53)."""
    if isinstance(x, float):
        d = c_double(x)
        exact = math.isfinite(x) and x == math.floor(x) and abs(x) < 2.0**53
        i = int(x) if exact else None
    else:
        try:
            d = c_double(float(x))
        except OverflowError:
            d = "HUGE_VAL" if x > 0 else "-HUGE_VAL"
        i = x
    has_i64 = i is not None and -(2**63) <= i < 2**63
    has_u64 = i is not None and 0 <= i < 2**64
    i64 = ("INT64_MIN" if i == -(2**63) else "INT64_C(%d)" % i) if has_i64 else "0"
    u64 = "UINT64_C(%d)" % i if has_u64 else "0"
    return "{.d = %s, .has_i64 = %d, .has_u64 = %d, .i64 = %s, .u64 = %s}" % (
        d, has_i64, has_u64, i64, u64)


def generate(name, path, text):
    root = json.loads(text, object_pairs_hook=unique_members, parse_constant=no_constants)
    starts = value_starts(text)
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    values, items, members = [], [], []

    def emit(v):
        """Appends v and its children (preorder); returns v's index."""
        idx = len(values)
        if idx >= len(starts):
            raise BadJson("internal error: fewer value positions than values")
        line, col = position(text, line_starts, starts[idx])
        values.append(None)

        def head(kind):
            return ".type = %s, .line = %d, .column = %d" % (kind, line, col)

        if isinstance(v, ObjectPairs):
            kids = [(k, emit(x)) for k, x in v]
            # Members of one object are contiguous: appended after the
            # children, whose own members come first.
            first = len(members)
            for k, vi in kids:
                lit, n = c_string(k)
                members.append("{%s, %d, &V[%d]}" % (lit, n, vi))
            body = head("JSON_OBJECT") + ", .u.obj = {%s, %d}" % (
                "&M[%d]" % first if kids else "NULL", len(kids))
        elif isinstance(v, list):
            kids = [emit(x) for x in v]
            first = len(items)
            items.extend("&V[%d]" % k for k in kids)
            body = head("JSON_ARRAY") + ", .u.arr = {%s, %d}" % (
                "&I[%d]" % first if kids else "NULL", len(kids))
        elif isinstance(v, str):
            lit, n = c_string(v)
            body = head("JSON_STRING") + ", .u.str = {%s, %d}" % (lit, n)
        elif v is None:
            body = head("JSON_NULL")
        elif v is True:
            body = head("JSON_TRUE")
        elif v is False:
            body = head("JSON_FALSE")
        else:
            body = head("JSON_NUMBER") + ", .u.num = " + number_fields(v)
        values[idx] = body
        return idx

    emit(root)
    if len(values) != len(starts):
        raise BadJson("internal error: %d values but %d value positions" % (len(values), len(starts)))
    lit, _ = c_string(path)
    # V is declared first (a tentative definition): items and members point
    # into it, and it points into them.
    out = [header(path), "static const json_value V[%d];" % len(values)]
    if items:
        out.append("static const json_value *const I[%d] = {\n\t%s,\n};" % (len(items), wrap(items)))
    if members:
        out.append("static const json_member M[%d] = {\n\t%s,\n};" % (len(members), ",\n\t".join(members)))
    out += ["static const json_value V[%d] = {\n\t{%s},\n};" % (len(values), "},\n\t{".join(values)),
            "const json_doc %s = {.path = %s, .root = &V[0]};" % (name, lit)]
    return "\n".join(out) + "\n"


def wrap(entries, per_line=12):
    lines = [", ".join(entries[i:i + per_line]) for i in range(0, len(entries), per_line)]
    return ",\n\t".join(lines)


def header(path):
    return ("/* Generated by tests/json2c.py from %s; do not edit. */\n"
            "#include <math.h>\n#include <stdint.h>\n\n#include \"json.h\"\n" % os.path.basename(path))


def error_doc(name, path, missing, why):
    lit, _ = c_string(path)
    msg, _ = c_string(why)
    return header(path) + "const json_doc %s = {.path = %s, .error = %s, .missing = %s};\n" % (
        name, lit, msg, "true" if missing else "false")


def translate(name, path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return error_doc(name, path, True, "%s: no such file" % path), "no such file"
    except OSError as e:
        return error_doc(name, path, False, "%s: %s" % (path, e.strerror)), e.strerror
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        why = "line %d: invalid UTF-8 (byte offset %d)" % (line, e.start)
        return error_doc(name, path, False, why), why
    try:
        return generate(name, path, text), None
    except json.JSONDecodeError as e:
        why = "line %d, column %d: %s" % (e.lineno, e.colno, e.msg)
    except (BadJson, ValueError, RecursionError) as e:
        why = str(e) or type(e).__name__
    return error_doc(name, path, False, why), why


def main(argv):
    if len(argv) != 4 or not argv[1].isidentifier():
        sys.stderr.write("usage: json2c.py NAME IN.json OUT.c  (NAME: a C identifier)\n")
        return 2
    name, path, out = argv[1:]
    code, problem = translate(name, path)
    if problem is not None:
        sys.stderr.write("json2c.py: %s: %s (the tests will report it)\n" % (path, problem))
    try:
        with open(out, "r", encoding="utf-8") as f:
            if f.read() == code:
                return 0
    except OSError:
        pass
    try:
        tmp = out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(code)
        os.replace(tmp, out)
    except OSError as e:
        sys.stderr.write("json2c.py: %s: %s\n" % (out, e.strerror))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
