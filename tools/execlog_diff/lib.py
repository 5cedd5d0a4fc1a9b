"""Compares two Bazel execution logs (--execution_log_binary_file) action by action.

A log is a stream of SpawnExec messages (schema.py), each preceded by its length as a
varint. Spawns are matched across the two logs by their first listed output: exec paths
(bazel-out/..., external/...) do not depend on the output base. A matched pair differs in
its *key* (inputs, arguments, environment, platform, mnemonic, listed outputs: what Bazel's
caches hash) or only in its *outputs* (or exit status): a non-deterministic action.

Root causes are the differences that nothing else in the logs explains:
  - a differing input that no differing action produces (a source file, a file of an
    external repository, the output of an action only one log ran);
  - an action whose command (arguments, environment, platform, mnemonic, listed outputs)
    differs;
  - a non-deterministic action.
Every other difference follows from those: an input that is the output of a differing action.

Two passes keep memory small on kernel-sized logs: the first keeps a fingerprint of each
spawn's key and outputs and where the spawn starts; the second re-reads only the spawns
that differ.
"""

import dataclasses
import hashlib
import json
import struct

from tools.execlog_diff import schema

# Hashes are shown by their first characters.
_HASH_CHARS = 8
# Longer strings are shown as an excerpt around their first difference.
_WIDTH = 72
_CONTEXT = 24

# What protobuf's pure-Python decoder raises on bytes that are no SpawnExec.
_DECODE_ERRORS = (schema.DecodeError, ValueError, IndexError, KeyError, TypeError, struct.error)


class LogError(Exception):
    """A log that cannot be read. str() is one line that names the file."""


@dataclasses.dataclass(frozen=True)
class Action:
    """One spawn of a log, as the first pass keeps it."""

    key: str  # The first listed output; " #N" for the Nth spawn with that output.
    mnemonic: str
    outputs: tuple  # Listed and actual output paths.
    key_digest: bytes  # Inputs, arguments, environment, platform, mnemonic, listed outputs.
    result_digest: bytes  # Actual outputs, exit code, status.
    offset: int  # Where the spawn's record starts in its log.


@dataclasses.dataclass(frozen=True)
class RootInput:
    """A differing input that no differing action produces."""

    path: str
    a: str  # Shown digest in the first log.
    b: str
    actions: int  # How many differing actions read it.
    note: str  # "" or what produced it, e.g. "output of M path, only in a.log".


@dataclasses.dataclass(frozen=True)
class ActionDiff:
    """A matched pair of spawns that differ."""

    mnemonic: str
    key: str
    nondeterministic: bool  # Same key, different outputs.
    command: tuple  # What of its command differs: ("args", "env", ...).
    rank: int  # 0: has a root cause, 1: non-deterministic, 2: only inherited differences.
    lines: tuple  # Detail lines, indented.


@dataclasses.dataclass(frozen=True)
class Result:
    a_name: str
    b_name: str
    compared: int  # Actions in both logs.
    actions: tuple  # ActionDiff, root causes first (rank, then key).
    root_inputs: tuple  # RootInput, by path.
    only_a: tuple  # Action, by key.
    only_b: tuple

    @property
    def differs(self):
        return bool(self.actions or self.only_a or self.only_b)


# ---- Reading logs


def _records(name, f, message_class=schema.SpawnExecView):
    """Yields (offset, message) for each record of the seekable binary file f."""
    size = f.seek(0, 2)
    f.seek(0)
    index = 0
    while True:
        offset = f.tell()
        claimed = _claimed_end(f)
        if claimed is not None and claimed > size:
            # Checked before protobuf reads it: random bytes can claim a record of exabytes.
            raise _bad_record(name, f, index, offset, size, "", at_end=True)
        try:
            spawn = schema.parse_length_prefixed(message_class, f)
        except _DECODE_ERRORS as e:
            raise _bad_record(name, f, index, offset, size, e, at_end=f.tell() >= size) from None
        if spawn is None:
            return
        if not spawn.command_args:
            raise _bad_record(name, f, index, offset, size, "a record without a command line", at_end=False)
        yield offset, spawn
        index += 1


def _claimed_end(f):
    """Where the length-prefixed record at f's position says it ends (None: no varint there).

    Leaves f where it was.
    """
    start = f.tell()
    length, shift = 0, 0
    for n in range(10):
        b = f.read(1)
        if not b:
            break
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            f.seek(start)
            return start + n + 1 + length
    f.seek(start)
    return None


def _bad_record(name, f, index, offset, size, why, at_end):
    """The LogError for record `index` at `offset` (at_end: decoding it hit the end)."""
    f.seek(0)
    if f.read(1) == b"{":
        return LogError(
            f"{name}: a JSON log (--execution_log_json_file); give the --execution_log_binary_file one"
        )
    at = f"record {index + 1} (byte {offset})"
    if at_end:
        # The record claims more bytes than the file has left.
        return LogError(
            f"{name}: truncated: {at} runs past the end of the file ({size} bytes); "
            "was the build interrupted? Rebuild with --execution_log_binary_file"
        )
    return LogError(
        f"{name}: not a Bazel execution log: {at} does not decode as a SpawnExec ({why}); "
        "give a log written by --execution_log_binary_file"
    )


def read_spawn(name, f, offset):
    """The SpawnExecView whose record starts at `offset` of f (as read_index found it)."""
    f.seek(offset)
    try:
        spawn = schema.parse_length_prefixed(schema.SpawnExecView, f)
    except _DECODE_ERRORS as e:
        raise LogError(f"{name}: record at byte {offset} no longer decodes ({e}); did the log change?") from None
    if spawn is None:
        raise LogError(f"{name}: no record at byte {offset}; did the log change?")
    return spawn


def read_all(name, f):
    """Every SpawnExec of the log in the seekable binary file f, in order."""
    return [spawn for _, spawn in _records(name, f, schema.SpawnExec)]


def _fingerprint(value, serialized=()):
    """A digest of `value` (made of str, int, tuples, lists) and the bytes `serialized`."""
    h = hashlib.sha256(repr(value).encode("utf-8", "surrogatepass"))
    for item in serialized:
        h.update(len(item).to_bytes(8, "little"))
        h.update(item)
    return h.digest()[:16]


def _files(files):
    return sorted((f.path, f.digest.hash, f.digest.size_bytes) for f in files)


def _first_output(spawn):
    if spawn.listed_outputs:
        return min(spawn.listed_outputs)
    if spawn.actual_outputs:
        return min(f.path for f in spawn.actual_outputs)
    return f"(no outputs: {' '.join(spawn.command_args)[:_WIDTH]})"


def read_index(name, f):
    """{key: Action} for every spawn of the log in f."""
    actions = {}
    seen = {}
    for offset, spawn in _records(name, f):
        first = _first_output(spawn)
        seen[first] = seen.get(first, 0) + 1
        key = first if seen[first] == 1 else f"{first} #{seen[first]}"
        outputs = set(spawn.listed_outputs) | {o.path for o in spawn.actual_outputs}
        actions[key] = Action(
            key=key,
            mnemonic=spawn.mnemonic,
            outputs=tuple(sorted(outputs)),
            key_digest=_fingerprint(
                (
                    spawn.mnemonic,
                    tuple(spawn.command_args),
                    sorted((e.name, e.value) for e in spawn.environment_variables),
                    sorted((p.name, p.value) for p in spawn.platform.properties),
                    sorted(spawn.listed_outputs),
                ),
                # Serialized File messages: the same file gives the same bytes.
                sorted(spawn.inputs),
            ),
            result_digest=_fingerprint((_files(spawn.actual_outputs), spawn.exit_code, spawn.status)),
            offset=offset,
        )
    return actions


# ---- Comparing two spawns


def short_digest(file):
    """A File's digest as shown: its first hex digits, or why there is none."""
    if file is None:
        return "(absent)"
    if not file.digest.hash:
        return "(no digest)"
    return file.digest.hash[:_HASH_CHARS] + "…"


def _cut(s, start):
    if s is None:
        return "(absent)"
    piece = s[start : start + _WIDTH]
    return ("…" if start else "") + repr(piece) + ("…" if start + _WIDTH < len(s) else "")


def excerpts(a, b):
    """a and b as shown: quoted, or long ones cut to a window around their first difference."""
    start = 0
    if a is not None and b is not None and max(len(a), len(b)) > _WIDTH:
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        start = max(0, common - _CONTEXT)
    return _cut(a, start), _cut(b, start)


def _mapping_diff(a, b):
    """[(key, a value or None, b value or None)] where the dicts a and b differ, by key."""
    return [(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]


def _file_diff(a, b):
    a = {f.path: f for f in a}
    b = {f.path: f for f in b}
    out = []
    for path in sorted(a.keys() | b.keys()):
        fa, fb = a.get(path), b.get(path)
        da = None if fa is None else (fa.digest.hash, fa.digest.size_bytes)
        db = None if fb is None else (fb.digest.hash, fb.digest.size_bytes)
        if da != db:
            out.append((path, short_digest(fa), short_digest(fb)))
    return out


def changed_inputs(a, b):
    """The File messages among the serialized inputs a and b that are not in both."""
    a, b = set(a), set(b)
    return [schema.File.FromString(x) for x in a - b], [schema.File.FromString(x) for x in b - a]


def spawn_differences(a, b):
    """{kind: [(what, a, b)]} for the kinds in which SpawnExecViews a and b differ.

    Kinds: "input" and "output" (what = path, values = shown digests); "arg" (what = the
    index); "env" and "platform" (what = the name); "mnemonic", "listed output", "exit
    code", "status". Values are strings, or None when absent (digests: "(absent)").
    """
    out = {}

    def add(kind, items):
        if items:
            out[kind] = items

    add("input", _file_diff(*changed_inputs(a.inputs, b.inputs)))
    args_a, args_b = list(a.command_args), list(b.command_args)
    add(
        "arg",
        [
            (str(i), x, y)
            for i in range(max(len(args_a), len(args_b)))
            for x, y in [(args_a[i] if i < len(args_a) else None, args_b[i] if i < len(args_b) else None)]
            if x != y
        ],
    )
    add(
        "env",
        _mapping_diff(
            {e.name: e.value for e in a.environment_variables},
            {e.name: e.value for e in b.environment_variables},
        ),
    )
    add(
        "platform",
        _mapping_diff(
            {p.name: p.value for p in a.platform.properties},
            {p.name: p.value for p in b.platform.properties},
        ),
    )
    if a.mnemonic != b.mnemonic:
        out["mnemonic"] = [("", a.mnemonic, b.mnemonic)]
    add(
        "listed output",
        _mapping_diff({p: "listed" for p in a.listed_outputs}, {p: "listed" for p in b.listed_outputs}),
    )
    add("output", _file_diff(a.actual_outputs, b.actual_outputs))
    if a.exit_code != b.exit_code:
        out["exit code"] = [("", str(a.exit_code), str(b.exit_code))]
    if a.status != b.status:
        out["status"] = [("", a.status, b.status)]
    return out


# Kinds that belong to the command (a root cause when they differ), in display order.
COMMAND_KINDS = ("arg", "env", "platform", "mnemonic", "listed output")
_KIND_ORDER = ("input",) + COMMAND_KINDS + ("output", "exit code", "status")
# The label of each kind's lines: "input" is padded to line up with "output".
_LABELS = {"input": "input ", "listed output": "listed output"}


def format_differences(differences, lines):
    """Detail lines for spawn_differences(), at most `lines` per kind (0: all)."""
    out = []
    for kind in _KIND_ORDER:
        items = differences.get(kind, [])
        shown = items if not lines else items[:lines]
        label = _LABELS.get(kind, kind)
        for what, a, b in shown:
            if kind in ("input", "output"):
                va, vb = a, b
            elif kind == "listed output":
                va, vb = a or "(absent)", b or "(absent)"
            elif kind == "exit code":
                va, vb = a, b
            else:
                va, vb = excerpts(a, b)
            head = f"  {label} {what}" if what else f"  {label}"
            out.append(f"{head}: {va} != {vb}")
        if len(items) > len(shown):
            out.append(f"  … {len(items) - len(shown)} more {kind} differences (--lines=0 shows all)")
    return out


# ---- Comparing two logs


def compare(a_name, a_file, b_name, b_file, lines=10):
    """Compares the logs in the seekable binary files a_file and b_file. Returns a Result.

    Raises LogError if either is not a readable log. `lines` caps the detail lines per
    kind and action (0: all).
    """
    a = read_index(a_name, a_file)
    b = read_index(b_name, b_file)
    common = sorted(a.keys() & b.keys())
    differing = [
        k for k in common if a[k].key_digest != b[k].key_digest or a[k].result_digest != b[k].result_digest
    ]
    # Outputs of differing actions: inputs that are one of them differ by inheritance.
    inherited = set()
    for k in differing:
        inherited.update(a[k].outputs)
        inherited.update(b[k].outputs)
    only_a = tuple(a[k] for k in sorted(a.keys() - b.keys()))
    only_b = tuple(b[k] for k in sorted(b.keys() - a.keys()))
    producers = {}
    for name, index, one_sided in ((a_name, a, {x.key for x in only_a}), (b_name, b, {x.key for x in only_b})):
        for action in index.values():
            for path in action.outputs:
                note = f"output of {action.mnemonic} {action.key}"
                if action.key in one_sided:
                    note += f", only in {name}"
                producers.setdefault(path, note)

    roots = {}  # (path, a, b) -> how many differing actions read it
    diffs = []
    for k in differing:
        try:
            differences = spawn_differences(
                read_spawn(a_name, a_file, a[k].offset), read_spawn(b_name, b_file, b[k].offset)
            )
        except _DECODE_ERRORS as e:
            raise LogError(f"{a_name} or {b_name}: an input of the spawn of {k} is not a File ({e})") from None
        has_root_input = False
        for path, da, db in differences.get("input", []):
            if path not in inherited:
                has_root_input = True
                roots[(path, da, db)] = roots.get((path, da, db), 0) + 1
        command = tuple(kind for kind in COMMAND_KINDS if kind in differences)
        nondeterministic = a[k].key_digest == b[k].key_digest
        detail = format_differences(differences, lines)
        if nondeterministic:
            detail.insert(0, "  same inputs, args and env: non-deterministic")
        diffs.append(
            ActionDiff(
                mnemonic=a[k].mnemonic,
                key=k,
                nondeterministic=nondeterministic,
                command=command,
                rank=0 if has_root_input or command else 1 if nondeterministic else 2,
                lines=tuple(detail),
            )
        )
    diffs.sort(key=lambda d: (d.rank, d.key))
    return Result(
        a_name=a_name,
        b_name=b_name,
        compared=len(common),
        actions=tuple(diffs),
        root_inputs=tuple(
            RootInput(path=path, a=da, b=db, actions=n, note=producers.get(path, ""))
            for (path, da, db), n in sorted(roots.items())
        ),
        only_a=only_a,
        only_b=only_b,
    )


def _plural(n, word, plural=None):
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _capped(items, limit):
    """items, then a line for those past `limit` (0: no limit)."""
    if not limit or len(items) <= limit:
        return list(items)
    return list(items[:limit]) + [f"  … {len(items) - limit} more (--limit=0 shows all)"]


def root_cause_summary(result):
    commands = sum(1 for d in result.actions if d.command)
    nondeterministic = sum(1 for d in result.actions if d.nondeterministic)
    return ", ".join(
        [
            _plural(len(result.root_inputs), "input"),
            _plural(commands, "command"),
            _plural(nondeterministic, "non-deterministic action"),
        ]
    )


def format_result(result, limit=20):
    """The report: root causes, differing actions, one-sided actions, a summary line.

    `limit` caps the entries of each section (0: all).
    """
    out = []
    roots = [
        f"  input  {r.path}: {r.a} != {r.b} ({_plural(r.actions, 'action')}{'; ' + r.note if r.note else ''})"
        for r in result.root_inputs
    ]
    roots += [f"  command {d.mnemonic} {d.key}: {', '.join(d.command)} differ" for d in result.actions if d.command]
    roots += [f"  non-deterministic {d.mnemonic} {d.key}" for d in result.actions if d.nondeterministic]
    if roots:
        out.append(f"root causes: {root_cause_summary(result)}")
        out += _capped(roots, limit)
    if result.actions:
        out.append(f"differing actions: {len(result.actions)}")
        blocks = [[f"{d.mnemonic} {d.key}", *d.lines] for d in result.actions]
        for block in _capped(blocks, limit):
            out += block if isinstance(block, list) else [block]
    for name, actions in ((result.a_name, result.only_a), (result.b_name, result.only_b)):
        if actions:
            out.append(f"only in {name}: {_plural(len(actions), 'action')}")
            out += _capped([f"  {x.mnemonic} {x.key}" for x in actions], limit)
    keyed = sum(1 for d in result.actions if not d.nondeterministic)
    if result.actions:
        differ = (
            f"{len(result.actions)} differ: {keyed} in their key (inputs/args/env), "
            f"{len(result.actions) - keyed} only in outputs (non-deterministic)"
        )
    else:
        differ = "none differ"
    out.append(
        f"{_plural(result.compared, 'action')} compared, {differ}; "
        f"{len(result.only_a)} only in {result.a_name}, {len(result.only_b)} only in {result.b_name}"
    )
    return "".join(line + "\n" for line in out)


# ---- Checking schema.py against Bazel's JSON log


def read_json_log(name, text):
    """The objects of a --execution_log_json_file log: JSON objects one after another."""
    decoder = json.JSONDecoder()
    objects = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return objects
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise LogError(f"{name}:{e.lineno}: not a JSON execution log: {e.msg}") from None
        if not isinstance(obj, dict):
            raise LogError(f"{name}: not a JSON execution log: object {len(objects) + 1} is a {type(obj).__name__}")
        objects.append(obj)


def _json_first_output(obj):
    outputs = obj.get("listedOutputs") or [o.get("path", "") for o in obj.get("actualOutputs", [])]
    return min(outputs) if outputs else ""


def json_mismatch(spawns, objects):
    """"" if the SpawnExecs show as the JSON log's objects (Bazel prints every field), else
    what differs first."""
    if len(spawns) != len(objects):
        return f"{len(spawns)} spawns in the binary log, {len(objects)} in the JSON log"

    def order(obj):
        return (_json_first_output(obj), json.dumps(obj, sort_keys=True))

    ours = sorted(
        (schema.message_to_dict(s, always_print_fields_with_no_presence=True) for s in spawns), key=order
    )
    theirs = sorted(objects, key=order)
    for a, b in zip(ours, theirs):
        if a != b:
            fields = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            return f"the spawn of {_json_first_output(b) or _json_first_output(a)!r}: {', '.join(fields)}"
    return ""
