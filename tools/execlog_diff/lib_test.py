"""Tests for tools/execlog_diff on logs serialized here with schema.py's classes."""

import io
import json
import os
import random
import re
import subprocess
import sys

from absl.testing import absltest

from tools.execlog_diff import lib, schema

from google.protobuf import descriptor_pb2, proto  # noqa: E402 (schema makes google importable)

_HERE = os.path.dirname(os.path.abspath(__file__))

_BIN = "bazel-out/k8-fastbuild/bin"


def _digest(content):
    import hashlib

    return schema.Digest(
        hash=hashlib.sha256(content.encode()).hexdigest(), size_bytes=len(content), hash_function_name="SHA-256"
    )


def _spawn(mnemonic, outputs, inputs=(), args=None, env=None, exit_code=0):
    """A SpawnExec. outputs and inputs: {path: content}."""
    s = schema.SpawnExec(
        command_args=args if args is not None else ["/bin/bash", "-c", f"run {mnemonic}"],
        mnemonic=mnemonic,
        listed_outputs=sorted(outputs),
        runner="linux-sandbox",
        remotable=True,
        cacheable=True,
        exit_code=exit_code,
    )
    for name, value in sorted((env or {}).items()):
        s.environment_variables.add(name=name, value=value)
    for path, content in sorted(dict(inputs).items()):
        s.inputs.add(path=path, digest=_digest(content))
    for path, content in sorted(outputs.items()):
        s.actual_outputs.add(path=path, digest=_digest(content))
    return s


def _view(spawn):
    return schema.SpawnExecView.FromString(spawn.SerializeToString())


def _log(*spawns):
    out = io.BytesIO()
    for s in spawns:
        proto.serialize_length_prefixed(s, out)
    return out.getvalue()


def _build(where="/ob/a", stamp="1", copt="-O2", path_env="/bin", extra=()):
    """The spawns of a small build; the arguments are what may differ between builds."""
    return [
        _spawn("Stable", {f"{_BIN}/stable.txt": "stable"}),
        # Reads a file of an external repository (a root cause when it differs).
        _spawn(
            "WhereCopy",
            {f"{_BIN}/where_copy.txt": where},
            inputs={"external/repo/where.txt": where, "src/a.c": "int a;"},
        ),
        # Non-deterministic when `stamp` differs.
        _spawn("Stamp", {f"{_BIN}/stamp.txt": stamp}),
        # Reads :stamp's output: differs by inheritance.
        _spawn("StampCopy", {f"{_BIN}/stamp_copy.txt": stamp}, inputs={f"{_BIN}/stamp.txt": stamp}),
        _spawn(
            "Compile",
            {f"{_BIN}/a.o": "obj" + copt},
            inputs={"src/a.c": "int a;"},
            args=["clang", copt, "-c", "src/a.c", "-o", f"{_BIN}/a.o"],
            env={"PATH": path_env},
        ),
        *extra,
    ]


def _compare(a, b, lines=10):
    return lib.compare("a.log", io.BytesIO(_log(*a)), "b.log", io.BytesIO(_log(*b)), lines=lines)


def _report(a, b, limit=20, lines=10):
    return lib.format_result(_compare(a, b, lines=lines), limit=limit)


class SchemaTest(absltest.TestCase):
    def test_python_descriptor_is_spawn_proto(self):
        with open(os.path.join(_HERE, "spawn.proto")) as f:
            parsed = _parse_proto(f.read())
        self.assertEqual(str(parsed), str(schema.file_proto()))
        self.assertEqual(parsed, schema.file_proto())

    def test_proto_parser_sees_a_changed_number(self):
        # The check above can fail: a renumbered field gives another descriptor.
        with open(os.path.join(_HERE, "spawn.proto")) as f:
            text = f.read().replace("string mnemonic = 10;", "string mnemonic = 19;")
        self.assertNotEqual(_parse_proto(text), schema.file_proto())

    def test_view_keeps_inputs_serialized(self):
        spawn = _build()[1]
        view = _view(spawn)
        self.assertEqual([schema.File.FromString(x) for x in view.inputs], list(spawn.inputs))
        view.ClearField("inputs")
        full = schema.SpawnExec()
        full.CopyFrom(spawn)
        full.ClearField("inputs")
        self.assertEqual(view.SerializeToString(), full.SerializeToString())

    def test_round_trip(self):
        spawns = _build()
        self.assertEqual(lib.read_all("x.log", io.BytesIO(_log(*spawns))), spawns)


class CompareTest(absltest.TestCase):
    def test_identical_logs(self):
        result = _compare(_build(), _build())
        self.assertFalse(result.differs)
        self.assertEqual(result.compared, 5)
        self.assertEqual(
            lib.format_result(result), "5 actions compared, none differ; 0 only in a.log, 0 only in b.log\n"
        )

    def test_inputs_in_another_order_do_not_differ(self):
        b = _build()
        inputs = list(b[1].inputs)
        del b[1].inputs[:]
        b[1].inputs.extend(reversed(inputs))
        self.assertFalse(_compare(_build(), b).differs)

    def test_input_digest_is_a_root_cause(self):
        result = _compare(_build(where="/ob/a"), _build(where="/ob/b"))
        self.assertEqual([(d.mnemonic, d.nondeterministic, d.rank) for d in result.actions], [("WhereCopy", False, 0)])
        self.assertEqual(
            [(r.path, r.a, r.b, r.actions) for r in result.root_inputs],
            [("external/repo/where.txt", _short("/ob/a"), _short("/ob/b"), 1)],
        )
        report = lib.format_result(result)
        self.assertIn(
            f"root causes: 1 input, 0 commands, 0 non-deterministic actions\n"
            f"  input  external/repo/where.txt: {_short('/ob/a')} != {_short('/ob/b')} (1 action)\n",
            report,
        )
        self.assertIn(
            f"WhereCopy {_BIN}/where_copy.txt\n"
            f"  input  external/repo/where.txt: {_short('/ob/a')} != {_short('/ob/b')}\n"
            f"  output {_BIN}/where_copy.txt: {_short('/ob/a')} != {_short('/ob/b')}\n",
            report,
        )
        self.assertTrue(report.endswith("5 actions compared, 1 differ: 1 in their key (inputs/args/env), "
                                        "0 only in outputs (non-deterministic); 0 only in a.log, 0 only in b.log\n"))

    def test_output_only_difference_is_non_deterministic(self):
        result = _compare(_build(stamp="1"), _build(stamp="2"))
        by = {d.mnemonic: d for d in result.actions}
        self.assertEqual(sorted(by), ["Stamp", "StampCopy"])
        self.assertTrue(by["Stamp"].nondeterministic)
        self.assertFalse(by["StampCopy"].nondeterministic)
        # stamp.txt differs because Stamp does: not a root cause.
        self.assertEqual(result.root_inputs, ())
        self.assertEqual((by["Stamp"].rank, by["StampCopy"].rank), (1, 2))
        report = lib.format_result(result)
        self.assertIn(f"  non-deterministic Stamp {_BIN}/stamp.txt\n", report)
        self.assertIn(
            f"Stamp {_BIN}/stamp.txt\n  same inputs, args and env: non-deterministic\n"
            f"  output {_BIN}/stamp.txt: {_short('1')} != {_short('2')}\n",
            report,
        )
        self.assertIn("2 differ: 1 in their key (inputs/args/env), 1 only in outputs (non-deterministic)", report)

    def test_arg_difference(self):
        report = _report(_build(copt="-O2"), _build(copt="-Os"))
        self.assertIn(f"  command Compile {_BIN}/a.o: arg differ\n", report)
        self.assertIn(f"Compile {_BIN}/a.o\n  arg 1: '-O2' != '-Os'\n", report)

    def test_env_difference(self):
        report = _report(_build(path_env="/bin"), _build(path_env="/usr/bin:/bin"))
        self.assertIn(f"  command Compile {_BIN}/a.o: env differ\n", report)
        self.assertIn("  env PATH: '/bin' != '/usr/bin:/bin'\n", report)

    def test_missing_arg_and_env(self):
        a = _spawn("M", {"o": "x"}, args=["a", "b"], env={"A": "1"})
        b = _spawn("M", {"o": "x"}, args=["a"], env={"B": "2"})
        lines = lib.format_differences(lib.spawn_differences(_view(a), _view(b)), lines=10)
        self.assertEqual(lines, ["  arg 1: 'b' != (absent)", "  env A: '1' != (absent)", "  env B: (absent) != '2'"])

    def test_long_args_are_cut_around_the_difference(self):
        prefix = "x" * 200
        a, b = lib.excerpts(prefix + "/ob/a/end" + "y" * 200, prefix + "/ob/b/end" + "y" * 200)
        self.assertTrue(a.startswith("…'") and a.endswith("'…"), a)
        self.assertIn("/ob/a/end", a)
        self.assertIn("/ob/b/end", b)
        self.assertLess(len(a), 100)

    def test_lines_per_kind(self):
        many = {f"src/{i}.h": str(i) for i in range(15)}
        changed = {p: c + "!" for p, c in many.items()}
        a = _build(extra=[_spawn("Many", {"many.o": "1"}, inputs=many)])
        b = _build(extra=[_spawn("Many", {"many.o": "1"}, inputs=changed)])
        report = _report(a, b, lines=3)
        self.assertEqual(report.count("  input  src/"), 15 + 3)  # 15 root causes (--limit) + 3 in the action
        self.assertIn("  … 12 more input differences (--lines=0 shows all)\n", report)
        self.assertIn("  … 12 more (--limit=0 shows all)\n", _report(a, b, limit=3))
        self.assertEqual(_report(a, b, lines=0).count("  input  src/"), 30)

    def test_limit_caps_actions(self):
        a = [_spawn("M", {f"o{i}": "a"}) for i in range(5)]
        b = [_spawn("M", {f"o{i}": "b"}) for i in range(5)]
        report = _report(a, b, limit=2)
        self.assertEqual(re.findall(r"^M o\d$", report, re.M), ["M o0", "M o1"])
        self.assertIn("5 differ", report)

    def test_actions_in_one_log(self):
        a = _build(extra=[_spawn("Extra", {"x/1": "1"}), _spawn("Extra", {"x/2": "1"})])
        result = _compare(a, _build())
        self.assertTrue(result.differs)
        self.assertEqual([x.key for x in result.only_a], ["x/1", "x/2"])
        report = lib.format_result(result, limit=1)
        self.assertIn("only in a.log: 2 actions\n  Extra x/1\n  … 1 more (--limit=0 shows all)\n", report)
        self.assertTrue(report.endswith("; 2 only in a.log, 0 only in b.log\n"))

    def test_input_from_an_action_of_one_log(self):
        # gen.h comes from an action only the first log ran: named as such.
        a = [_spawn("Gen", {"gen.h": "1"}), _spawn("Use", {"use.o": "1"}, inputs={"gen.h": "1"})]
        b = [_spawn("Use", {"use.o": "1"}, inputs={"gen.h": "2"})]
        (root,) = _compare(a, b).root_inputs
        self.assertEqual((root.path, root.note), ("gen.h", "output of Gen gen.h, only in a.log"))

    def test_repeated_spawns_are_matched_in_order(self):
        a = [_spawn("T", {"t.log": "1"}), _spawn("T", {"t.log": "2"})]
        b = [_spawn("T", {"t.log": "1"}), _spawn("T", {"t.log": "3"})]
        result = _compare(a, b)
        self.assertEqual([d.key for d in result.actions], ["t.log #2"])

    def test_exit_code(self):
        a = [_spawn("T", {"t": "1"}, exit_code=0)]
        b = [_spawn("T", {"t": "1"}, exit_code=1)]
        self.assertIn("  exit code: 0 != 1\n", _report(a, b))

    def test_report_is_sorted(self):
        # The same report whatever order the spawns were logged in.
        a, b = _build(where="/ob/a", stamp="1"), _build(where="/ob/b", stamp="2")
        shuffled_a, shuffled_b = list(a), list(b)
        random.Random(1).shuffle(shuffled_a)
        random.Random(2).shuffle(shuffled_b)
        self.assertEqual(_report(a, b), _report(shuffled_a, shuffled_b))
        # Root causes first, then non-deterministic, then inherited differences.
        self.assertEqual([d.mnemonic for d in _compare(a, b).actions], ["WhereCopy", "Stamp", "StampCopy"])


class BadLogTest(absltest.TestCase):
    def _error(self, data):
        with self.assertRaises(lib.LogError) as e:
            lib.read_index("x.log", io.BytesIO(data))
        self.assertNotIn("\n", str(e.exception))
        self.assertTrue(str(e.exception).startswith("x.log: "), str(e.exception))
        return str(e.exception)

    def test_truncated(self):
        data = _log(*_build())
        self.assertIn("x.log: truncated: record 5 (byte", self._error(data[:-3]))

    def test_every_cut_is_an_error_or_a_shorter_log(self):
        spawns = _build()
        data = _log(*spawns)
        ends = {len(_log(*spawns[:n])) for n in range(len(spawns) + 1)}
        for cut in range(len(data)):
            if cut in ends:
                self.assertLen(lib.read_index("x.log", io.BytesIO(data[:cut])), sorted(ends).index(cut))
            else:
                self.assertIn("truncated", self._error(data[:cut]))

    def test_not_a_log(self):
        self.assertIn("truncated", self._error(b"hello, world\n"))
        self.assertIn("not a Bazel execution log", self._error(b"\x05\xff\xff\xff\xff\xff" + b"rest"))
        self.assertIn("record without a command line", self._error(b"\x00"))
        self.assertIn(
            "a JSON log (--execution_log_json_file)", self._error(b'{\n  "commandArgs": ["/bin/true"]\n}')
        )

    def test_random_bytes_are_an_error(self):
        rng = random.Random(0)
        for _ in range(300):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            try:
                lib.read_index("x.log", io.BytesIO(data))
            except lib.LogError as e:
                self.assertNotIn("\n", str(e))

    def test_huge_claimed_length_is_truncated_not_out_of_memory(self):
        # A varint claiming 2**62 bytes: protobuf would try to read them all.
        data = bytes([0xFF] * 8 + [0x3F]) + b"rest"
        self.assertIn("x.log: truncated: record 1 (byte 0) runs past the end of the file (13 bytes)", self._error(data))
        with self.assertRaises(lib.LogError):
            lib.read_all("x.log", io.BytesIO(data))

    def test_corrupt_input_of_a_differing_spawn(self):
        a = _build()
        b = _view(_build(where="/ob/b")[1])
        b.inputs.append(b"\x0a\x7f")  # a path running past the end of the File
        out = io.BytesIO()
        proto.serialize_length_prefixed(b, out)
        with self.assertRaises(lib.LogError) as e:
            lib.compare("a.log", io.BytesIO(_log(a[1])), "b.log", io.BytesIO(out.getvalue()))
        self.assertIn(f"a.log or b.log: an input of the spawn of {_BIN}/where_copy.txt is not a File", str(e.exception))

    def test_empty_log(self):
        self.assertEqual(lib.read_index("x.log", io.BytesIO(b"")), {})


class JsonTest(absltest.TestCase):
    def test_agrees_with_the_json_log(self):
        spawns = _build()
        text = "".join(
            json.dumps(schema.message_to_dict(s, always_print_fields_with_no_presence=True), indent=2)
            for s in reversed(spawns)
        )
        objects = lib.read_json_log("x.json", text)
        self.assertEqual(lib.json_mismatch(spawns, objects), "")
        objects[0]["mnemonic"] = "Other"
        self.assertIn("mnemonic", lib.json_mismatch(spawns, objects))
        self.assertIn("4 in the JSON log", lib.json_mismatch(spawns, objects[1:]))

    def test_not_json(self):
        with self.assertRaises(lib.LogError):
            lib.read_json_log("x.json", "{} [")


class MainTest(absltest.TestCase):
    def _run(self, *args, cwd=None, script="execlog_diff.py"):
        env = dict(os.environ)
        if cwd:
            env["BUILD_WORKING_DIRECTORY"] = cwd
        return subprocess.run(
            [sys.executable, "-S", "-s", "-B", "-P", os.path.join(_HERE, script), *args],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )

    def _write(self, tmp, name, spawns):
        return tmp.create_file(name, _log(*spawns), mode="wb").full_path

    def test_exit_status_and_relative_paths(self):
        tmp = self.create_tempdir()
        self._write(tmp, "a.log", _build())
        self._write(tmp, "b.log", _build(stamp="2"))
        same = self._run("a.log", "a.log", cwd=tmp.full_path)
        self.assertEqual((same.returncode, same.stderr), (0, ""))
        self.assertEqual(same.stdout, "5 actions compared, none differ; 0 only in a.log, 0 only in a.log\n")
        differ = self._run("--limit=1", "a.log", "b.log", cwd=tmp.full_path)
        self.assertEqual((differ.returncode, differ.stderr), (1, ""))
        self.assertEqual(differ.stdout, _report(_build(), _build(stamp="2"), limit=1))

    def test_bad_input_is_one_line_and_status_2(self):
        tmp = self.create_tempdir()
        good = self._write(tmp, "good.log", _build())
        cut = tmp.create_file("cut.log", _log(*_build())[:-5], mode="wb").full_path
        cases = {
            "missing": ([good, os.path.join(tmp.full_path, "nope.log")], "nope.log: cannot read: No such file"),
            "truncated": ([good, cut], "cut.log: truncated"),
            "directory": ([tmp.full_path, good], "cannot read: Is a directory"),
            "one log": ([good], "give two logs"),
            "bad flag": (["--limit=-1", good, good], "--limit"),
        }
        for name, (args, fragment) in cases.items():
            with self.subTest(name):
                r = self._run(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(fragment, r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                self.assertEqual(r.stdout, "")
                if name not in ("one log",):  # absl adds the usage to UsageError
                    self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_check_json(self):
        tmp = self.create_tempdir()
        spawns = _build()
        binary = self._write(tmp, "x.log", spawns)
        text = "".join(json.dumps(schema.message_to_dict(s, always_print_fields_with_no_presence=True)) for s in spawns)
        good = tmp.create_file("x.json", text).full_path
        r = self._run(binary, good, script="check_json.py")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "5 spawns agree\n", ""))
        bad = tmp.create_file("bad.json", text.replace('"Compile"', '"Link"')).full_path
        r = self._run(binary, bad, script="check_json.py")
        self.assertEqual(r.returncode, 1)
        self.assertIn("mnemonic", r.stderr)


def _short(content):
    return _digest(content).hash[:8] + "…"


# ---- A parser for the subset of .proto that spawn.proto uses.

_TOKEN = re.compile(r'\s*(?:(//[^\n]*)|([A-Za-z_][\w.]*|\d+|"[^"]*"|[{}=;]))', re.S)


def _tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip():
                raise ValueError(f"cannot parse spawn.proto at {text[pos:pos + 20]!r}")
            break
        pos = m.end()
        if m.group(2):
            out.append(m.group(2))
    return out


def _parse_proto(text):
    """spawn.proto's FileDescriptorProto: syntax, package, options (ignored), messages."""
    tokens = _tokens(text)
    file = descriptor_pb2.FileDescriptorProto(name=schema.FILE_NAME)
    messages = {}  # dotted name -> DescriptorProto
    fields = []  # (scope, FieldDescriptorProto, type) to resolve at the end
    pos = 0

    def expect(token):
        nonlocal pos
        if tokens[pos] != token:
            raise ValueError(f"spawn.proto: expected {token!r}, got {tokens[pos]!r}")
        pos += 1

    def message(container, scope):
        nonlocal pos
        name = tokens[pos + 1]
        pos += 2
        expect("{")
        dotted = f"{scope}.{name}" if scope else name
        msg = container.add(name=name)
        messages[dotted] = msg
        while tokens[pos] != "}":
            if tokens[pos] == "message":
                message(msg.nested_type, dotted)
                continue
            label = "optional"
            if tokens[pos] == "repeated":
                label = "repeated"
                pos += 1
            type_, name = tokens[pos], tokens[pos + 1]
            pos += 2
            expect("=")
            number = int(tokens[pos])
            pos += 1
            expect(";")
            field = msg.field.add(name=name, number=number)
            field.label = getattr(descriptor_pb2.FieldDescriptorProto, "LABEL_" + label.upper())
            fields.append((dotted, field, type_))
        pos += 1

    while pos < len(tokens):
        word = tokens[pos]
        if word in ("syntax", "package", "option"):
            end = tokens.index(";", pos)
            value = tokens[end - 1]
            if word == "syntax":
                file.syntax = value.strip('"')
            elif word == "package":
                file.package = value
            pos = end + 1
        elif word == "message":
            message(file.message_type, "")
        else:
            raise ValueError(f"spawn.proto: unexpected {word!r}")
    for scope, field, type_ in fields:
        if type_ in schema.SCALARS:
            field.type = schema.SCALARS[type_]
            continue
        field.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
        # The innermost enclosing scope that defines the name.
        parts = scope.split(".")
        for i in range(len(parts), -1, -1):
            candidate = ".".join(parts[:i] + [type_])
            if candidate in messages:
                field.type_name = f".{file.package}.{candidate}"
                break
        else:
            raise ValueError(f"spawn.proto: unknown type {type_}")
    return file


if __name__ == "__main__":
    absltest.main()
