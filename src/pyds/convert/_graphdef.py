"""TensorFlow's GraphDef (and the memmapped-package directory) without TensorFlow: a minimal protobuf schema.

Only the messages and fields the converter reads or writes are declared, with TensorFlow's field numbers
(``tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto`` and
``core/util/memmapped_file_system.proto``). Everything else survives a parse/serialize round trip as
protobuf unknown fields, so a GraphDef rewritten here keeps what this schema does not name. The schema is
built at import time from a ``FileDescriptorProto``: no protoc, no generated files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = [
    "GraphDef",
    "NodeDef",
    "AttrValue",
    "TensorProto",
    "TensorShapeProto",
    "MemmappedFileSystemDirectory",
    "DT_FLOAT",
    "DT_INT32",
    "DT_STRING",
    "DT_RESOURCE",
    "NUMPY_DTYPES",
    "tensor_to_numpy",
    "numpy_to_tensor",
    "shape_of",
]

_F = descriptor_pb2.FieldDescriptorProto
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_T = {
    "bytes": _F.TYPE_BYTES,
    "string": _F.TYPE_STRING,
    "int32": _F.TYPE_INT32,
    "int64": _F.TYPE_INT64,
    "uint32": _F.TYPE_UINT32,
    "uint64": _F.TYPE_UINT64,
    "float": _F.TYPE_FLOAT,
    "double": _F.TYPE_DOUBLE,
    "bool": _F.TYPE_BOOL,
}
_PACKAGE = "pyds_tf"

# message name -> [(field name, number, type or message name, repeated)]. DataType enums are declared int32:
# the wire encoding is the same varint.
_SCHEMA: dict[str, list[tuple[str, int, str, bool]]] = {
    "TensorShapeProto.Dim": [("size", 1, "int64", False), ("name", 2, "string", False)],
    "TensorShapeProto": [("dim", 2, "TensorShapeProto.Dim", True), ("unknown_rank", 3, "bool", False)],
    "TensorProto": [
        ("dtype", 1, "int32", False),
        ("tensor_shape", 2, "TensorShapeProto", False),
        ("version_number", 3, "int32", False),
        ("tensor_content", 4, "bytes", False),
        ("float_val", 5, "float", True),
        ("double_val", 6, "double", True),
        ("int_val", 7, "int32", True),
        ("string_val", 8, "bytes", True),
        ("int64_val", 10, "int64", True),
        ("bool_val", 11, "bool", True),
        ("half_val", 13, "int32", True),
        ("uint32_val", 16, "uint32", True),
        ("uint64_val", 17, "uint64", True),
    ],
    "AttrValue.ListValue": [
        ("s", 2, "bytes", True),
        ("i", 3, "int64", True),
        ("f", 4, "float", True),
        ("b", 5, "bool", True),
        ("type", 6, "int32", True),
        ("shape", 7, "TensorShapeProto", True),
        ("tensor", 8, "TensorProto", True),
    ],
    "AttrValue": [
        ("list", 1, "AttrValue.ListValue", False),
        ("s", 2, "bytes", False),
        ("i", 3, "int64", False),
        ("f", 4, "float", False),
        ("b", 5, "bool", False),
        ("type", 6, "int32", False),
        ("shape", 7, "TensorShapeProto", False),
        ("tensor", 8, "TensorProto", False),
        ("placeholder", 9, "string", False),
    ],
    "NodeDef.AttrEntry": [("key", 1, "string", False), ("value", 2, "AttrValue", False)],
    "NodeDef": [
        ("name", 1, "string", False),
        ("op", 2, "string", False),
        ("input", 3, "string", True),
        ("device", 4, "string", False),
        ("attr", 5, "NodeDef.AttrEntry", True),
    ],
    "GraphDef": [("node", 1, "NodeDef", True), ("version", 3, "int32", False)],
    "MemmappedFileSystemDirectoryElement": [
        ("offset", 1, "uint64", False),
        ("name", 2, "string", False),
        ("length", 3, "uint64", False),
    ],
    "MemmappedFileSystemDirectory": [("element", 1, "MemmappedFileSystemDirectoryElement", True)],
}
# AttrValue's value fields form a oneof in TensorFlow; setting one must clear the others.
_ONEOFS = {"AttrValue": ("value", {"list", "s", "i", "f", "b", "type", "shape", "tensor", "placeholder"})}


def _build() -> dict[str, Any]:
    fdp = descriptor_pb2.FileDescriptorProto(name="pyds_tf_graph.proto", package=_PACKAGE, syntax="proto3")
    protos: dict[str, descriptor_pb2.DescriptorProto] = {}
    for full in sorted(_SCHEMA, key=lambda n: n.count(".")):  # parents before their nested types
        parent, _, leaf = full.rpartition(".")
        msg = (protos[parent].nested_type if parent else fdp.message_type).add(name=leaf)
        if leaf == "AttrEntry":
            msg.options.map_entry = True
        protos[full] = msg
        oneof = _ONEOFS.get(full)
        if oneof:
            msg.oneof_decl.add(name=oneof[0])
        for name, number, kind, repeated in _SCHEMA[full]:
            field = msg.field.add(name=name, number=number, label=_REP if repeated else _OPT)
            if kind in _T:
                field.type = _T[kind]
            else:
                field.type = _F.TYPE_MESSAGE
                field.type_name = f".{_PACKAGE}.{kind}"
            if oneof and name in oneof[1]:
                field.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    get_class = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.21
    if get_class is None:
        get_class = message_factory.MessageFactory(pool).GetPrototype
    return {full: get_class(pool.FindMessageTypeByName(f"{_PACKAGE}.{full}")) for full in _SCHEMA}


_CLASSES = _build()
GraphDef = _CLASSES["GraphDef"]
NodeDef = _CLASSES["NodeDef"]
AttrValue = _CLASSES["AttrValue"]
TensorProto = _CLASSES["TensorProto"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
MemmappedFileSystemDirectory = _CLASSES["MemmappedFileSystemDirectory"]

# TensorFlow DataType values (tensorflow/core/framework/types.proto).
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 1, 2, 3, 4, 5, 6, 7
DT_INT64, DT_BOOL, DT_UINT16, DT_HALF, DT_RESOURCE, DT_UINT32, DT_UINT64 = 9, 10, 17, 19, 20, 22, 23
#: Plain-old-data dtypes: the ones a memmapped package may store as raw bytes.
NUMPY_DTYPES: dict[int, np.dtype] = {
    DT_FLOAT: np.dtype("<f4"),
    DT_DOUBLE: np.dtype("<f8"),
    DT_INT32: np.dtype("<i4"),
    DT_UINT8: np.dtype("u1"),
    DT_INT16: np.dtype("<i2"),
    DT_INT8: np.dtype("i1"),
    DT_INT64: np.dtype("<i8"),
    DT_BOOL: np.dtype("?"),
    DT_UINT16: np.dtype("<u2"),
    DT_HALF: np.dtype("<f2"),
    DT_UINT32: np.dtype("<u4"),
    DT_UINT64: np.dtype("<u8"),
}
# The repeated *_val field that holds each dtype when tensor_content is empty.
_VAL_FIELD = {
    DT_FLOAT: "float_val",
    DT_DOUBLE: "double_val",
    DT_INT32: "int_val",
    DT_UINT8: "int_val",
    DT_INT16: "int_val",
    DT_INT8: "int_val",
    DT_UINT16: "int_val",
    DT_INT64: "int64_val",
    DT_BOOL: "bool_val",
    DT_HALF: "half_val",
    DT_UINT32: "uint32_val",
    DT_UINT64: "uint64_val",
}


def shape_of(shape: Any) -> tuple[int, ...] | None:
    """A TensorShapeProto as a tuple (-1 for unknown dimensions), or None for unknown rank."""
    if shape.unknown_rank:
        return None
    return tuple(int(d.size) for d in shape.dim)


def tensor_to_numpy(tensor: Any) -> np.ndarray:
    """A TensorProto's value. String tensors come back as an object array of bytes.

    Raises ValueError when the stored data does not fit the declared shape or the dtype is unsupported.
    """
    shape = shape_of(tensor.tensor_shape) or ()
    if any(d < 0 for d in shape):
        raise ValueError(f"tensor has an unknown dimension in shape {shape}")
    count = int(np.prod(shape, dtype=np.int64))
    if tensor.dtype == DT_STRING:
        values = list(tensor.string_val)
        if len(values) == 1 and count != 1:
            values = values * count
        if len(values) != count:
            raise ValueError(f"string tensor holds {len(values)} values for shape {shape}")
        return np.array(values, dtype=object).reshape(shape)
    dtype = NUMPY_DTYPES.get(tensor.dtype)
    if dtype is None:
        raise ValueError(f"unsupported tensor dtype {tensor.dtype}")
    if tensor.tensor_content:
        if len(tensor.tensor_content) != count * dtype.itemsize:
            raise ValueError(
                f"tensor_content has {len(tensor.tensor_content)} bytes, shape {shape} needs {count * dtype.itemsize}"
            )
        return np.frombuffer(tensor.tensor_content, dtype=dtype).reshape(shape).copy()
    values = getattr(tensor, _VAL_FIELD[tensor.dtype])
    if tensor.dtype == DT_HALF:
        flat = np.array(list(values), dtype=np.uint16).view(np.float16)
    else:
        flat = np.array(list(values), dtype=dtype)
    if flat.size == count:
        return flat.reshape(shape)
    if flat.size == 0:  # TensorFlow stores an all-zero tensor with no values at all
        return np.zeros(shape, dtype)
    if flat.size < count:  # ...and repeats the last value to fill the shape
        return np.concatenate([flat, np.full(count - flat.size, flat[-1], dtype)]).reshape(shape)
    raise ValueError(f"tensor holds {flat.size} values for shape {shape}")


def numpy_to_tensor(array: np.ndarray, dtype: int) -> Any:
    """A TensorProto holding ``array`` as raw little-endian ``tensor_content``."""
    tensor = TensorProto(dtype=dtype)
    for d in array.shape:
        tensor.tensor_shape.dim.add(size=int(d))
    tensor.tensor_content = np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype]).tobytes()
    return tensor
