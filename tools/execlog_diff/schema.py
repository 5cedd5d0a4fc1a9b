"""The messages of spawn.proto as protobuf classes, without protoc.

spawn.proto (beside this file) is the reference: it lists the fields of Bazel 4.2.3's
src/main/protobuf/spawn.proto. MESSAGES below is the same list in Python, turned into a
FileDescriptorProto and message classes at import time; lib_test.py parses spawn.proto and
checks that it gives the same FileDescriptorProto. Change both together.

The other modules get protobuf from here (see _google_from_zips).
"""

import sys
import types
import zipimport


def _google_from_zips():
    """Makes the namespace package `google` importable from the zips on sys.path.

    zipimport finds a namespace package only through a directory entry, and the pinned
    wheels' site.zip (tools/deb_assemble zip_tree) has file entries only, so a plain
    `import google.protobuf` fails there. When it does, this gives `google` the google/
    directory of each zip that holds google/protobuf. A no-op once zip_tree writes
    directory entries (or where protobuf is installed as usual).
    """
    try:
        import google.protobuf  # noqa: F401

        return
    except ImportError:
        pass
    path = []
    for entry in sys.path:
        if entry.endswith(".zip"):
            try:
                if zipimport.zipimporter(entry + "/google").find_spec("google.protobuf"):
                    path.append(entry + "/google")
            except zipimport.ZipImportError:
                pass
    if path:
        google = types.ModuleType("google")
        google.__path__ = path
        sys.modules["google"] = google


_google_from_zips()

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, proto  # noqa: E402
from google.protobuf.message import DecodeError  # noqa: E402,F401

PACKAGE = "tools.protos"
FILE_NAME = "tools/execlog_diff/spawn.proto"

_Field = descriptor_pb2.FieldDescriptorProto

SCALARS = {
    "string": _Field.TYPE_STRING,
    "bool": _Field.TYPE_BOOL,
    "int32": _Field.TYPE_INT32,
    "int64": _Field.TYPE_INT64,
}

# (message, ((field, number, type), ...)) in spawn.proto's order. A type is a scalar of
# SCALARS or a message of this list (nested ones by their dotted name), with "repeated "
# in front for repeated fields. A nested message follows its parent.
MESSAGES = (
    ("Digest", (("hash", 1, "string"), ("size_bytes", 2, "int64"), ("hash_function_name", 3, "string"))),
    ("File", (("path", 1, "string"), ("digest", 2, "Digest"))),
    ("EnvironmentVariable", (("name", 1, "string"), ("value", 2, "string"))),
    ("Platform", (("properties", 1, "repeated Platform.Property"),)),
    ("Platform.Property", (("name", 1, "string"), ("value", 2, "string"))),
    (
        "SpawnExec",
        (
            ("command_args", 1, "repeated string"),
            ("environment_variables", 2, "repeated EnvironmentVariable"),
            ("platform", 3, "Platform"),
            ("inputs", 4, "repeated File"),
            ("listed_outputs", 5, "repeated string"),
            ("remotable", 6, "bool"),
            ("cacheable", 7, "bool"),
            ("timeout_millis", 8, "int64"),
            ("progress_message", 9, "string"),
            ("mnemonic", 10, "string"),
            ("actual_outputs", 11, "repeated File"),
            ("runner", 12, "string"),
            ("remote_cache_hit", 13, "bool"),
            ("status", 14, "string"),
            ("exit_code", 15, "int32"),
            ("remote_cacheable", 16, "bool"),
        ),
    ),
)


def field_proto(name, number, type_):
    """A FieldDescriptorProto for MESSAGES' (name, number, "[repeated ]type")."""
    field = _Field(name=name, number=number)
    repeated, _, base = type_.rpartition(" ")
    field.label = _Field.LABEL_REPEATED if repeated == "repeated" else _Field.LABEL_OPTIONAL
    if base in SCALARS:
        field.type = SCALARS[base]
    else:
        field.type = _Field.TYPE_MESSAGE
        field.type_name = f".{PACKAGE}.{base}"
    return field


def file_proto():
    """spawn.proto as a FileDescriptorProto, built from MESSAGES."""
    file = descriptor_pb2.FileDescriptorProto(name=FILE_NAME, package=PACKAGE, syntax="proto3")
    messages = {}
    for dotted, fields in MESSAGES:
        parent, _, name = dotted.rpartition(".")
        container = messages[parent].nested_type if parent else file.message_type
        message = container.add(name=name)
        message.field.extend(field_proto(*f) for f in fields)
        messages[dotted] = message
    return file


def view_proto():
    """SpawnExecView: SpawnExec with its inputs left serialized (as bytes fields).

    Pure-Python protobuf spends ~8 us on each File message, and a kernel compile has ~800
    inputs; comparing the inputs' bytes first and parsing only those that differ (as File)
    reads a log ~15 times faster. The view is derived from MESSAGES, not written by hand.
    """
    file = descriptor_pb2.FileDescriptorProto(
        name=FILE_NAME.replace(".proto", "_view.proto"), package=PACKAGE, syntax="proto3", dependency=[FILE_NAME]
    )
    view = file.message_type.add()
    view.CopyFrom(next(m for m in file_proto().message_type if m.name == "SpawnExec"))
    view.name = "SpawnExecView"
    for field in view.field:
        if field.name == "inputs":
            field.type = _Field.TYPE_BYTES
            field.ClearField("type_name")
    return file


def _classes():
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto())
    pool.Add(view_proto())
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
        for name in [m for m, _ in MESSAGES] + ["SpawnExecView"]
    }


_CLASSES = _classes()
SpawnExec = _CLASSES["SpawnExec"]
SpawnExecView = _CLASSES["SpawnExecView"]
File = _CLASSES["File"]
Digest = _CLASSES["Digest"]
EnvironmentVariable = _CLASSES["EnvironmentVariable"]
Platform = _CLASSES["Platform"]
# For lib.py.
parse_length_prefixed = proto.parse_length_prefixed
message_to_dict = json_format.MessageToDict
