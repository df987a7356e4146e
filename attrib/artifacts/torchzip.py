# SPDX-License-Identifier: Apache-2.0
"""Read the tensor table of a PyTorch zip checkpoint without unpickling anything.

``torch.save`` (since PyTorch 1.6) writes a zip: ``<name>/data.pkl``, a pickle of the state dict
in which each tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``
and each storage a persistent id ``('storage', torch.FloatStorage, key, location, numel)``;
the storage bytes are the zip member ``<name>/data/<key>``, stored uncompressed.

``pickle.load`` would run whatever callable the pickle names (``os.system`` is one GLOBAL and
one REDUCE away), so the pickle is never loaded: its opcodes are walked with
:func:`pickletools.genops` and a small stack machine builds plain data from them. A GLOBAL is
only a (module, name) pair, a REDUCE only a record of what would have been called; the two
torch rebuild functions are recognised by name, every other call is inert data.
"""
from __future__ import annotations

import io
import math
import pickletools
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .tensorfile import ITEMSIZE, MAX_RANK, MAX_TENSORS, TensorFileError, TensorRef

MAX_PICKLE_BYTES = 64 * 1024 * 1024  # a state dict of 100k tensors pickles to ~10 MB
MAX_OPS = 5_000_000
MAX_MEMBERS = 200_000                # zip entries: one per storage, plus a few
MAX_DEPTH = 16                       # nesting of dicts walked for tensors
# torch's storage classes (torch/storage.py, the legacy names it still pickles)
STORAGE_DTYPES = {"FloatStorage": "F32", "HalfStorage": "F16", "BFloat16Storage": "BF16",
                  "DoubleStorage": "F64", "LongStorage": "I64", "IntStorage": "I32",
                  "ShortStorage": "I16", "CharStorage": "I8", "ByteStorage": "U8",
                  "BoolStorage": "BOOL"}
REBUILD_TENSOR = {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")}
REBUILD_PARAMETER = {("torch._utils", "_rebuild_parameter"),
                     ("torch._utils", "_rebuild_parameter_with_state")}
ORDERED_DICT = {("collections", "OrderedDict")}
SAFE_MODULES = {"torch", "collections", "numpy", "_codecs"}  # what a state dict's pickle names


@dataclass(frozen=True)
class Global:
    """A GLOBAL opcode's (module, name): never imported."""

    module: str
    name: str


@dataclass(frozen=True)
class Call:
    """A REDUCE (or NEWOBJ) that was not performed: what it names and its arguments."""

    func: object
    args: object


@dataclass(frozen=True)
class Persistent:
    pid: object


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a checkpoint: name, dtype, shape, and where its bytes start (None when
    they cannot be memory-mapped: compressed, strided, another dtype or byte order)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int | None = None


_MARK = object()


class _Machine:
    """The pickle stack machine, building data only (see the module docstring)."""

    def __init__(self) -> None:
        self.stack: list = []
        self.memo: dict = {}
        self.globals: set[Global] = set()

    def pop_mark(self) -> list:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1:]
                del self.stack[i:]
                return items
        raise TensorFileError("pickle: MARK missing")

    def run(self, data: bytes) -> object:
        ops = 0
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            ops += 1
            if ops > MAX_OPS:
                raise TensorFileError(f"pickle: more than {MAX_OPS} opcodes")
            if op.name == "STOP":
                return self.stack.pop()
            self.step(op.name, arg)
        raise TensorFileError("pickle: no STOP")

    def step(self, name: str, arg: object) -> None:  # noqa: C901 - one branch per opcode
        s = self.stack
        if name in _PUSH_ARG:
            s.append(arg)
        elif name in _CONSTANTS:
            s.append(_CONSTANTS[name]())
        elif name == "MARK":
            s.append(_MARK)
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            s.append(Global(module, attr))
            self.globals.add(s[-1])
            if name == "INST":
                s[-1] = Call(s[-1], tuple(self.pop_mark_below()))
        elif name == "STACK_GLOBAL":
            attr, module = s.pop(), s.pop()
            s.append(Global(str(module)[:200], str(attr)[:200]))
            self.globals.add(s[-1])
        elif name in ("TUPLE", "LIST", "FROZENSET", "DICT"):
            items = self.pop_mark()
            s.append(dict(zip(items[::2], items[1::2])) if name == "DICT"
                     else list(items) if name == "LIST" else tuple(items))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = tuple(s[-n:])
            del s[-n:]
            s.append(items)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[arg] = s[-1]
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = s[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if arg not in self.memo:
                raise TensorFileError(f"pickle: memo {arg} read before it is written")
            s.append(self.memo[arg])
        elif name == "SETITEM":
            value, key = s.pop(), s.pop()
            _set(s[-1], key, value)
        elif name == "SETITEMS":
            items = self.pop_mark()
            for key, value in zip(items[::2], items[1::2]):
                _set(s[-1], key, value)
        elif name == "APPEND":
            value = s.pop()
            if isinstance(s[-1], list):
                s[-1].append(value)
        elif name in ("APPENDS", "ADDITEMS"):
            items = self.pop_mark()
            if isinstance(s[-1], list):
                s[-1].extend(items)
        elif name in ("REDUCE", "NEWOBJ"):
            args, func = s.pop(), s.pop()
            s.append(_call(func, args))
        elif name == "NEWOBJ_EX":
            _, args, func = s.pop(), s.pop(), s.pop()
            s.append(_call(func, args))
        elif name == "OBJ":
            items = self.pop_mark()
            s.append(Call(items[0], tuple(items[1:])) if items else None)
        elif name == "BUILD":
            state = s.pop()
            if isinstance(s[-1], dict) and isinstance(state, dict):
                s[-1].update(state)
        elif name in ("BINPERSID", "PERSID"):
            s.append(Persistent(s.pop() if name == "BINPERSID" else arg))
        elif name == "POP":
            s.pop()
        elif name == "POP_MARK":
            self.pop_mark()
        elif name == "DUP":
            s.append(s[-1])
        elif name not in ("PROTO", "FRAME"):
            raise TensorFileError(f"pickle: opcode {name} not supported")

    def pop_mark_below(self) -> list:
        top = self.stack.pop()
        items = self.pop_mark()
        self.stack.append(top)
        return items


_PUSH_ARG = {"BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4", "BINFLOAT",
             "FLOAT", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
             "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
             "BYTEARRAY8"}
_CONSTANTS = {"NONE": lambda: None, "NEWTRUE": lambda: True, "NEWFALSE": lambda: False,
              "EMPTY_DICT": dict, "EMPTY_LIST": list, "EMPTY_TUPLE": tuple, "EMPTY_SET": list}


def _set(target: object, key: object, value: object) -> None:
    if isinstance(target, dict):
        try:
            target[key] = value
        except TypeError:  # an unhashable key (a list): data we do not need
            pass


def _call(func: object, args: object) -> object:
    """What the REDUCE would have made, as data: a state dict, a tensor, or an inert Call."""
    key = (func.module, func.name) if isinstance(func, Global) else None
    if key in ORDERED_DICT:
        return {}
    if key in REBUILD_PARAMETER and isinstance(args, tuple) and args:
        return args[0]
    return Call(func, args)


def _tensor(call: Call) -> tuple[str, str, int, tuple[int, ...], tuple[int, ...]] | None:
    """(storage key, dtype, storage offset, shape, stride) of a _rebuild_tensor call."""
    func, args = call.func, call.args
    if not (isinstance(func, Global) and (func.module, func.name) in REBUILD_TENSOR
            and isinstance(args, tuple) and len(args) >= 4 and isinstance(args[0], Persistent)):
        return None
    pid, offset, shape, stride = args[0].pid, args[1], args[2], args[3]
    if not (isinstance(pid, tuple) and len(pid) >= 3 and isinstance(pid[1], Global)):
        return None
    ok = (type(offset) is int and offset >= 0 and isinstance(shape, tuple)
          and isinstance(stride, tuple) and len(shape) == len(stride) <= MAX_RANK
          and all(type(d) is int and 0 <= d < 1 << 40 for d in shape + stride))
    if not ok:
        raise TensorFileError(f"tensor of storage {str(pid[2])[:40]!r}: absurd offset, shape "
                              "or stride")
    return str(pid[2]), STORAGE_DTYPES.get(pid[1].name, pid[1].name[:40]), offset, shape, stride


def _walk(obj: object, prefix: str, out: dict, depth: int = 0) -> None:
    """Tensors of nested dicts under dotted names ({"model": {...}} is common)."""
    if depth > MAX_DEPTH or len(out) > MAX_TENSORS:
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str):
                _walk(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", out, depth + 1)
    elif isinstance(obj, Call) and (t := _tensor(obj)) is not None:
        out[prefix] = t


def _data_start(path: Path, info: zipfile.ZipInfo) -> int | None:
    """The absolute offset of a stored member's bytes (its local header read, APPNOTE §4.3.7)."""
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + name_len + extra_len


def is_torch_zip(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def read_torch_zip(path: str | Path) -> tuple[list[TensorInfo], list[str]]:
    """The tensors of a PyTorch zip checkpoint, and a message per tensor not mapped.

    Raises TensorFileError (one line) when the file is not one, or is damaged or hostile.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise TensorFileError(f"{len(infos)} zip members (attrib reads {MAX_MEMBERS})")
            pkl = [i for i in infos if i.filename.endswith("data.pkl")
                   and i.filename.count("/") <= 1]
            if not pkl:
                raise TensorFileError("a zip without data.pkl: not a PyTorch checkpoint")
            if pkl[0].file_size > MAX_PICKLE_BYTES:
                raise TensorFileError(f"data.pkl of {pkl[0].file_size} bytes (attrib reads "
                                      f"{MAX_PICKLE_BYTES})")
            with zf.open(pkl[0]) as fh:
                data = fh.read(MAX_PICKLE_BYTES + 1)
            root = pkl[0].filename[:-len("data.pkl")]
            order = next((i for i in infos if i.filename == root + "byteorder"), None)
            if order is not None:
                with zf.open(order) as fh:
                    little = fh.read(16).strip() == b"little"
            else:
                little = True
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise TensorFileError(f"not a readable zip: {exc}") from None
    machine = _Machine()
    try:
        state = machine.run(data)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError,
            MemoryError, struct.error) as exc:
        if isinstance(exc, TensorFileError):
            raise
        raise TensorFileError(f"data.pkl is not a readable pickle: {str(exc)[:120]}") from None
    found: dict = {}
    _walk(state, "", found)
    if len(found) > MAX_TENSORS:
        raise TensorFileError(f"more than {MAX_TENSORS} tensors (attrib reads {MAX_TENSORS})")
    members = {i.filename: i for i in infos}
    tensors, skipped = [], _foreign(machine.globals)
    for name, (key, dtype, offset, shape, stride) in sorted(found.items()):
        where = _mapped(path, members.get(f"{root}data/{key}"), dtype, offset, shape, stride,
                        little)
        if isinstance(where, str):
            skipped.append(f"tensor {name!r}: {where}")
            where = None
        tensors.append(TensorInfo(name[:1000], dtype, shape, where))
    return tensors, skipped


def _foreign(names: set[Global]) -> list[str]:
    """A message naming the callables outside torch's own that loading the file would run."""
    foreign = sorted(f"{g.module}.{g.name}"[:200] for g in names
                     if g.module.split(".")[0] not in SAFE_MODULES)
    if not foreign:
        return []
    return [f"data.pkl names {', '.join(foreign[:5])}" + (" ..." if len(foreign) > 5 else "")
            + " (torch.load without weights_only would call them; attrib never does)"]


def _mapped(path: Path, member: zipfile.ZipInfo | None, dtype: str, offset: int,
            shape: tuple[int, ...], stride: tuple[int, ...], little: bool) -> int | str | None:
    """The byte offset of a tensor's values, None when not needed, or why it cannot be read."""
    if dtype not in ITEMSIZE:
        return None  # structure only: names and shapes still count in the weight map
    if member is None:
        return "its storage is not in the zip"
    contiguous = tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
    if any(d > 1 and s != c for d, s, c in zip(shape, stride, contiguous)) or not little:
        return None
    if (offset + math.prod(shape)) * ITEMSIZE[dtype] > member.file_size:
        return "its shape runs past its storage"
    start = _data_start(path, member)
    return None if start is None else start + offset * ITEMSIZE[dtype]


def tensor_refs(path: str | Path, tensors: list[TensorInfo]) -> list[TensorRef]:
    """The tensors whose values can be memory-mapped, as safetensors-like references."""
    return [TensorRef(t.name, str(path), t.dtype, t.shape, t.offset) for t in tensors
            if t.offset is not None and t.dtype in ITEMSIZE]


# -- writing one, for tests and benchmarks (no torch needed) ------------------------------------

def _op(code: bytes, payload: bytes = b"") -> bytes:
    return code + payload


def _str(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def _int(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)  # BININT


def _tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"  # MARK ... TUPLE


def state_dict_pickle(tensors: dict[str, tuple[str, tuple[int, ...]]]) -> bytes:
    """The pickle ``torch.save`` writes for a state dict: ``{name: (storage dtype, shape)}``,
    storage keys "0", "1", ... in order (protocol 2, the opcodes torch's pickler emits)."""
    names = {v: k for k, v in STORAGE_DTYPES.items()}
    out = [b"\x80\x02", b"ccollections\nOrderedDict\n", b")", b"R", b"("]
    for key, (name, (dtype, shape)) in enumerate(tensors.items()):
        stride = [math.prod(shape[i + 1:]) for i in range(len(shape))]
        storage = _tuple([_str("storage"), f"ctorch\n{names[dtype]}\n".encode(), _str(str(key)),
                          _str("cpu"), _int(math.prod(shape))]) + b"Q"  # BINPERSID
        args = _tuple([storage, _int(0), _tuple([_int(d) for d in shape]),
                       _tuple([_int(s) for s in stride]), b"\x89",  # requires_grad False
                       b"ccollections\nOrderedDict\n)R"])
        out += [_str(name), b"ctorch._utils\n_rebuild_tensor_v2\n", args, b"R"]
    out += [b"u", b"."]  # SETITEMS, STOP
    return b"".join(out)


def write_torch_zip(path: str | Path, tensors: dict, dtype: str = "F32") -> None:
    """Write float arrays as a PyTorch zip checkpoint laid out as ``torch.save`` lays it."""
    import numpy as np

    from .tensorfile import from_float32

    root = Path(path).stem or "archive"
    layout = {name: (dtype, tuple(array.shape)) for name, array in tensors.items()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{root}/data.pkl", state_dict_pickle(layout))
        zf.writestr(f"{root}/byteorder", "little")
        for key, array in enumerate(tensors.values()):
            zf.writestr(f"{root}/data/{key}", from_float32(np.asarray(array), dtype).tobytes())
        zf.writestr(f"{root}/version", "3\n")
