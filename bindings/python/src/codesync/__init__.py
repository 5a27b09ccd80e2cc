"""codesync: collaborative documents wire-compatible with Yjs 13.6.

A Pythonic layer over the codesync C library (through the ``_codesync``
extension). Documents hold named shared types -- :class:`Text`, :class:`Array`
and :class:`Map` -- and exchange updates (Yjs update format v1) with any Yjs
peer: yjs, pycrdt, y-websocket servers, or other codesync documents.

Text indices and lengths count Unicode code points, as Python's ``str`` does.

Presence (cursors, user names) is an :class:`Awareness`, wire-compatible with
y-protocols. The y-websocket sync protocol is bound as message functions
(:func:`encode_sync_step1`, :func:`receive_message`, ...) for clients and as a
:class:`Room` (the server side, without I/O) for servers.

Threading: a document and everything obtained from it are used from one
thread at a time. Observers run synchronously at the end of the transaction
that triggered them; editing the same document from inside one raises
:class:`BusyError`.
"""

from __future__ import annotations

import enum
import json
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, MutableSequence
from typing import Any, Callable, NamedTuple, Optional, Union

from . import _codesync as _c
from ._codesync import (
    BusyError,
    Error,
    InternalError,
    InvalidArgumentError,
    MalformedError,
    NoMemoryError,
    OutOfRangeError,
    TypeMismatchError,
)

__all__ = [
    "Doc",
    "Text",
    "Array",
    "Map",
    "Transaction",
    "TransactionEvent",
    "TextEvent",
    "Subscription",
    "Awareness",
    "AwarenessEvent",
    "MessageKind",
    "Room",
    "decode_message",
    "encode_sync_step1",
    "encode_sync_step2",
    "encode_sync_update",
    "encode_awareness_message",
    "encode_permission_denied",
    "encode_query_awareness",
    "receive_message",
    "merge_updates",
    "state_vector_from_update",
    "Snapshot",
    "AuthorRun",
    "ContainerInfo",
    "container_info",
    "Assoc",
    "StickyIndex",
    "StackItem",
    "UndoEvent",
    "UndoManager",
    "Error",
    "InvalidArgumentError",
    "MalformedError",
    "OutOfRangeError",
    "TypeMismatchError",
    "NoMemoryError",
    "BusyError",
    "InternalError",
]

__version__: str = _c.version()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


_loads = json.loads


def merge_updates(*updates: bytes) -> bytes:
    """Merges several updates into one, without a document."""
    return _c.merge_updates(updates)


def state_vector_from_update(update: bytes) -> bytes:
    """The state vector a document would have after applying only ``update``."""
    return _c.update_state_vector(update)


# ---- History ---------------------------------------------------------------------


class Snapshot:
    """A version of a document: its state vector and delete set, no content.

    The bytes are Yjs's ``encodeSnapshot`` (v1), so snapshots travel between
    codesync and Yjs. Take one with :meth:`Doc.snapshot`; read the version
    with :meth:`Doc.from_snapshot`, :meth:`Text.diff` or :meth:`Map.diff`
    (which need a document created with ``gc=False``).
    """

    __slots__ = ("_b",)

    def __init__(self, data: bytes) -> None:
        self._b = bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Snapshot":
        """Decodes a snapshot (e.g. from Yjs's encodeSnapshot); MalformedError when it is not one."""
        data = bytes(data)
        _c.snapshot_contains_update(data, _EMPTY_UPDATE)  # validates
        return cls(data)

    @classmethod
    def from_doc(cls, doc: "Doc") -> "Snapshot":
        """The document's snapshot now (as :meth:`Doc.snapshot`; pycrdt's name)."""
        return doc.snapshot()

    @classmethod
    def decode(cls, data: bytes) -> "Snapshot":
        """pycrdt's name for :meth:`from_bytes`."""
        return cls.from_bytes(data)

    def to_bytes(self) -> bytes:
        return self._b

    def encode(self) -> bytes:
        """pycrdt's name for :meth:`to_bytes`."""
        return self._b

    def __bytes__(self) -> bytes:
        return self._b

    def contains_update(self, update: bytes) -> bool:
        """True when everything ``update`` inserts and deletes is in this snapshot (Yjs's snapshotContainsUpdate)."""
        return _c.snapshot_contains_update(self._b, update)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and self._b == other._b

    def __hash__(self) -> int:
        return hash(self._b)

    def __repr__(self) -> str:
        return f"Snapshot(<{len(self._b)} bytes>)"


_EMPTY_UPDATE = b"\x00\x00"

_SnapshotLike = Union[Snapshot, bytes, bytearray, memoryview]


def _snapshot_bytes(snapshot: "Optional[_SnapshotLike]") -> Optional[bytes]:
    if snapshot is None:
        return None
    if isinstance(snapshot, Snapshot):
        return snapshot._b
    if isinstance(snapshot, (bytes, bytearray, memoryview)):
        return bytes(snapshot)
    raise TypeError("expected a Snapshot, bytes or None")


class AuthorRun(NamedTuple):
    """One run of :meth:`Text.authorship`: ``length`` code points from ``index`` inserted by ``client_id``."""

    index: int  # type: ignore[assignment]  # shadows tuple.index (the field reads better)
    length: int
    client_id: int


class ContainerInfo(NamedTuple):
    """What :func:`container_info` reads from a saved container."""

    format_version: int
    guid: str
    metadata: dict
    state_vector: dict
    state_bytes: int


def container_info(data: bytes) -> ContainerInfo:
    """Verifies a container made by :meth:`Doc.save` and describes it, without a document.

    Any corruption raises :class:`MalformedError` naming what was wrong.
    """
    info = _loads(_c.container_info(data))
    return ContainerInfo(
        info["format_version"],
        info["guid"],
        info["metadata"],
        {int(k): v for k, v in info["state_vector"].items()},
        info["state_bytes"],
    )


# ---- Events and subscriptions ---------------------------------------------------


class TransactionEvent:
    """Passed to :meth:`Doc.observe` callbacks: the update one transaction made."""

    __slots__ = ("update", "origin")

    def __init__(self, update: bytes, origin: Any) -> None:
        self.update = update
        self.origin = origin

    def __repr__(self) -> str:
        return f"TransactionEvent(update=<{len(self.update)} bytes>, origin={self.origin!r})"


class TextEvent:
    """Passed to :meth:`Text.observe` callbacks.

    ``delta`` is a Yjs-style delta: a list of ``{"retain": n}``,
    ``{"delete": n}`` and ``{"insert": str_or_embed}`` dicts, each possibly
    with ``"attributes"``; lengths in code points.
    """

    __slots__ = ("target", "delta", "origin")

    def __init__(self, target: "Text", delta: list, origin: Any) -> None:
        self.target = target
        self.delta = delta
        self.origin = origin

    def __repr__(self) -> str:
        return f"TextEvent(delta={self.delta!r}, origin={self.origin!r})"


class Subscription:
    """A registered observer; stop it with :meth:`unsubscribe` (or ``unobserve``)."""

    __slots__ = ("_native", "_id")

    def __init__(self, native: Any, sub_id: int) -> None:
        self._native = native
        self._id = sub_id

    def unsubscribe(self) -> None:
        """Stops the callback. Calling it again does nothing."""
        if self._id:
            self._native.unobserve(self._id)
            self._id = 0

    @property
    def active(self) -> bool:
        return bool(self._id)


# ---- Documents ---------------------------------------------------------------------


class Doc:
    """A document: named root types and the updates that change them.

    ``client_id`` 0 or None picks a random 32-bit id, as Yjs does. ``gc``
    collects deleted content (as Yjs does by default).
    """

    __slots__ = ("_d", "_wrappers", "_origins", "__weakref__")

    def __init__(self, *, client_id: Optional[int] = None, gc: bool = True) -> None:
        self._init(_c._Doc(client_id or 0, gc, _c.OFFSET_CODEPOINT))

    @classmethod
    def _from_native(cls, native: Any) -> "Doc":
        doc = cls.__new__(cls)
        doc._init(native)
        return doc

    def _init(self, native: Any) -> None:
        self._d = native
        self._wrappers: "weakref.WeakValueDictionary[int, _Shared]" = weakref.WeakValueDictionary()
        # Origins that are not str travel through the C library as tokens.
        self._origins: dict[str, list] = {}

    @property
    def client_id(self) -> int:
        return self._d.client_id

    # Root types.

    def get_text(self, name: str) -> "Text":
        """The root text ``name``, created on first use."""
        return self._wrap(self._d.text(name))

    def get_array(self, name: str) -> "Array":
        """The root array ``name``, created on first use."""
        return self._wrap(self._d.array(name))

    def get_map(self, name: str) -> "Map":
        """The root map ``name``, created on first use."""
        return self._wrap(self._d.map(name))

    def get(self, name: str, *, type: type) -> Any:  # noqa: A002 - as pycrdt
        """The root type ``name`` of the given class (Text, Array or Map)."""
        if type is Text:
            return self.get_text(name)
        if type is Array:
            return self.get_array(name)
        if type is Map:
            return self.get_map(name)
        raise TypeError("type must be Text, Array or Map")

    # Updates.

    def get_update(self, state_vector: Optional[bytes] = None) -> bytes:
        """The whole state as one update, or what a peer with ``state_vector`` lacks."""
        return self._d.encode_update(state_vector)

    def apply_update(self, update: bytes, origin: Any = None) -> None:
        """Applies an update (one transaction with ``origin``).

        Parts whose dependencies are missing wait until those arrive. A
        malformed update raises :class:`MalformedError` and changes nothing.
        """
        token = self._hold_origin(origin)
        try:
            self._d.apply_update(update, token)
        finally:
            self._release_origin(token)

    def get_state_vector(self) -> bytes:
        """The encoded state vector (what this document has seen of each client)."""
        return self._d.state_vector()

    @property
    def has_pending(self) -> bool:
        """True while some applied updates wait for missing dependencies."""
        return self._d.has_pending()

    # History and persistence.

    def snapshot(self) -> Snapshot:
        """The document's version now (cheap: no content is copied)."""
        return Snapshot(self._d.snapshot())

    @classmethod
    def from_snapshot(
        cls, doc: "Doc", snapshot: _SnapshotLike, *, client_id: Optional[int] = None, gc: bool = True
    ) -> "Doc":
        """A new document holding what ``doc`` held at ``snapshot`` (Yjs's createDocFromSnapshot).

        ``doc`` must have been created with ``gc=False`` and is not modified;
        ``client_id`` and ``gc`` configure the new document. A snapshot of a
        state ``doc`` never saw raises InvalidArgumentError. pycrdt's order,
        ``Doc.from_snapshot(snapshot, doc)``, is accepted too.
        """
        if isinstance(doc, Snapshot) and isinstance(snapshot, Doc):
            doc, snapshot = snapshot, doc
        if not isinstance(doc, Doc):
            raise TypeError("from_snapshot() takes a Doc")
        data = _snapshot_bytes(snapshot)
        if data is None:
            raise TypeError("expected a Snapshot or bytes")
        return cls._from_native(doc._d.from_snapshot(data, client_id or 0, gc, _c.OFFSET_CODEPOINT))

    def restore(self, snapshot: _SnapshotLike, origin: Any = None) -> None:
        """Makes the root types read as they did at ``snapshot``, by ordinary edits.

        One transaction with ``origin``: content inserted since is deleted,
        content deleted since is inserted again, and peers receive it as one
        update. Needs ``gc=False``.
        """
        data = _snapshot_bytes(snapshot)
        if data is None:
            raise TypeError("expected a Snapshot or bytes")
        token = self._hold_origin(origin)
        try:
            self._d.restore_snapshot(data, token)
        finally:
            self._release_origin(token)

    def save(self, guid: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None) -> bytes:
        """The whole document as a verified container for storage (see :func:`container_info`).

        ``metadata`` maps str to str; other values raise InvalidArgumentError.
        """
        if metadata is not None and not isinstance(metadata, Mapping):
            raise InvalidArgumentError("metadata must be a mapping of str to str")
        meta = None if metadata is None else _dumps(dict(metadata))
        return self._d.save_container(guid, meta)

    @classmethod
    def load(cls, data: bytes, *, client_id: Optional[int] = None, gc: bool = True) -> "Doc":
        """A new document from a container made by :meth:`save`; MalformedError when it is corrupt."""
        doc = cls(client_id=client_id, gc=gc)
        doc.load_container(data)
        return doc

    def load_container(self, data: bytes) -> None:
        """Verifies a container and merges its state into this document (origin ``"container"``).

        A corrupt container raises MalformedError and changes nothing.
        """
        self._d.load_container(data)

    # Transactions and observers.

    def transaction(self, origin: Any = None) -> "Transaction":
        """A context manager grouping edits into one transaction (one update).

        Transactions nest; observers run when the outermost one ends. There is
        no rollback: edits made before an exception stay.
        """
        return Transaction(self, origin)

    def observe(self, callback: Callable[[TransactionEvent], Any]) -> Subscription:
        """Calls ``callback(TransactionEvent)`` after each transaction that changed the document."""
        origin_of = self._origin_of

        def on_update(update: bytes, origin: Optional[str]) -> None:
            callback(TransactionEvent(update, origin_of(origin)))

        return Subscription(self._d, self._d.observe_updates(on_update))

    def unobserve(self, subscription: Subscription) -> None:
        subscription.unsubscribe()

    def to_py(self) -> dict:
        """Every root type as plain Python values (texts as str)."""
        return _loads(self._d.to_json())

    def __repr__(self) -> str:
        return f"Doc(client_id={self.client_id})"

    # Internals.

    def _wrap(self, handle: Any) -> Any:
        w = self._wrappers.get(handle.key)
        if w is None:
            cls = _CLASS_OF_HANDLE[type(handle)]
            w = cls.__new__(cls)
            w._bind(self, handle)
        return w

    def _value(self, raw: Any) -> Any:
        return _loads(raw) if isinstance(raw, str) else self._wrap(raw)

    def _hold_origin(self, origin: Any) -> Optional[str]:
        if origin is None or isinstance(origin, str):
            return origin
        token = f"\x1bcodesync-origin:{id(origin):x}"
        entry = self._origins.get(token)
        if entry is None:
            self._origins[token] = [origin, 1]
        else:
            entry[1] += 1
        return token

    def _release_origin(self, token: Optional[str]) -> None:
        entry = self._origins.get(token) if token is not None else None
        if entry is not None:
            entry[1] -= 1
            if entry[1] == 0:
                del self._origins[token]

    def _origin_of(self, origin: Optional[str]) -> Any:
        if origin is None:
            return None
        entry = self._origins.get(origin)
        return origin if entry is None else entry[0]


class Transaction:
    """See :meth:`Doc.transaction`."""

    __slots__ = ("_doc", "origin", "_token")

    def __init__(self, doc: Doc, origin: Any = None) -> None:
        self._doc = doc
        self.origin = origin
        self._token: Optional[str] = None

    def __enter__(self) -> "Transaction":
        self._token = self._doc._hold_origin(self.origin)
        try:
            self._doc._d.begin(self._token)
        except BaseException:
            self._doc._release_origin(self._token)
            raise
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        try:
            self._doc._d.commit()
        finally:
            self._doc._release_origin(self._token)
        return False


# ---- Shared types ----------------------------------------------------------------


class _Shared:
    """Base of Text, Array and Map.

    Created directly (``Text("hi")``), one is *preliminary*: it holds its
    initial content and becomes a shared type when assigned into a Map or
    Array of a document. Obtained from a document, it is *integrated*.
    """

    __slots__ = ("_doc", "_h", "_prelim", "__weakref__")

    def _bind(self, doc: Doc, handle: Any) -> None:
        self._doc = doc
        self._h = handle
        self._prelim = None
        doc._wrappers[handle.key] = self

    def _integrate(self, doc: Doc, handle: Any) -> None:
        if self._h is not None:
            raise InvalidArgumentError(f"this {type(self).__name__} already belongs to a document")
        prelim = self._prelim
        self._bind(doc, handle)
        self._fill(prelim)

    def _fill(self, prelim: Any) -> None:
        raise NotImplementedError

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise InvalidArgumentError(
                f"this {type(self).__name__} is not in a document yet: assign it into a Map or Array first"
            )
        return h

    @property
    def doc(self) -> Optional[Doc]:
        """The document, or None while preliminary."""
        return self._doc

    @property
    def integrated(self) -> bool:
        return self._h is not None

    def __eq__(self, other: object) -> bool:
        if self._h is None or not isinstance(other, _Shared) or other._h is None:
            return self is other
        return self._doc is other._doc and self._h.key == other._h.key

    def __hash__(self) -> int:
        return hash(self._h.key) if self._h is not None else id(self)


def _slice_range(key: slice, length: int) -> range:
    return range(*key.indices(length))


def _index(index: int, length: int) -> int:
    """A list index (negative counts from the end) checked against ``length``."""
    if index < 0:
        index += length
    if not 0 <= index < length:
        raise OutOfRangeError("index out of range")
    return index


class Text(_Shared):
    """Shared text. Indices and lengths in code points; ``str(text)`` reads it."""

    __slots__ = ()

    def __init__(self, init: str = "") -> None:
        if not isinstance(init, str):
            raise TypeError("Text() takes a str")
        self._doc = None
        self._h = None
        self._prelim = init

    def _fill(self, prelim: str) -> None:
        if prelim:
            self._h.insert(0, prelim)

    # Edits.

    def insert(self, index: int, value: str, attributes: Optional[dict] = None) -> None:
        """Inserts ``value`` at ``index``, with formatting ``attributes`` if given."""
        h = self._h
        if h is None:
            h = self._handle()
        if attributes is None:
            h.insert(index, value)
        else:
            h.insert_with_attributes(index, value, _dumps(attributes))

    def insert_embed(self, index: int, value: Any, attributes: Optional[dict] = None) -> None:
        """Inserts an embed (any JSON value) occupying one position."""
        h = self._handle()
        if attributes is None:
            h.insert_embed(index, _dumps(value))
        else:
            with self._doc.transaction():
                h.insert_embed(index, _dumps(value))
                h.format(index, 1, _dumps(attributes))

    def delete(self, index: int, length: int = 1) -> None:
        """Deletes ``length`` code points from ``index``."""
        h = self._h
        if h is None:
            h = self._handle()
        h.delete(index, length)

    def format(self, index: int, length: int, attributes: dict) -> None:
        """Sets formatting on a range; an attribute set to None is removed."""
        self._handle().format(index, length, _dumps(attributes))

    def __iadd__(self, value: str) -> "Text":
        h = self._handle()
        h.insert(len(h), value)
        return self

    def __delitem__(self, key: "int | slice") -> None:
        h = self._handle()
        if isinstance(key, slice):
            r = _slice_range(key, len(h))
            if r.step != 1:
                raise ValueError("only contiguous slices can be deleted from a Text")
            if len(r):
                h.delete(r.start, len(r))
        else:
            h.delete(_index(key, len(h)), 1)

    def __setitem__(self, key: "int | slice", value: str) -> None:
        h = self._handle()
        if not isinstance(value, str):
            raise TypeError("a Text holds str")
        if isinstance(key, slice):
            r = _slice_range(key, len(h))
            if r.step != 1:
                raise ValueError("only contiguous slices can be assigned in a Text")
            start, count = r.start, len(r)
        else:
            start, count = _index(key, len(h)), 1
        with self._doc.transaction():
            if count:
                h.delete(start, count)
            if value:
                h.insert(start, value)

    # Reads.

    def __str__(self) -> str:
        h = self._h
        return str(h) if h is not None else self._prelim

    def __len__(self) -> int:
        h = self._h
        return len(h) if h is not None else len(self._prelim)

    def __getitem__(self, key: "int | slice") -> str:
        return str(self)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(str(self))

    def __contains__(self, value: str) -> bool:
        return value in str(self)

    def to_py(self) -> str:
        return str(self)

    def to_delta(self) -> list:
        """The content as a Yjs-style delta: ``[{"insert": ..., "attributes": {...}}, ...]``."""
        return _loads(self._handle().to_delta())

    def __repr__(self) -> str:
        return f"Text({str(self)!r})"

    # History.

    def diff(self, prev: "Optional[_SnapshotLike]" = None, next: "Optional[_SnapshotLike]" = None) -> list:  # noqa: A002
        """What changed between two snapshots, as a delta turning the older version into the newer.

        Runs are ``{"retain": n}``, ``{"insert": str, "client": c}`` and
        ``{"delete": n, "text": str, "client": c}`` (an embed: ``"insert"``
        holds it, or ``"embed"`` for a delete), in code points; ``client``
        inserted that content (Yjs's ychange user). ``prev`` None is the empty
        document, ``next`` None the document now. Needs ``gc=False``.
        """
        return _loads(self._handle().diff(_snapshot_bytes(prev), _snapshot_bytes(next)))

    def sticky_index(self, index: int, assoc: int = 0) -> "StickyIndex":
        """A position at ``index`` (0..len, code points) that follows edits.

        ``assoc`` is an :class:`Assoc`: AFTER (0) sticks to the character after
        the index, BEFORE (-1) to the one before. See :class:`StickyIndex`.
        """
        h, a = self._handle(), int(Assoc(assoc))
        return StickyIndex(_c.relpos_from_text(h, index, a), self, json=_c.relpos_from_text_json(h, index, a))

    def authorship(self) -> "list[AuthorRun]":
        """Which client inserted each part of the text: runs covering it in order, in code points."""
        return [AuthorRun(*run) for run in self._handle().authorship()]

    # Observers.

    def observe(self, callback: Callable[[TextEvent], Any]) -> Subscription:
        """Calls ``callback(TextEvent)`` after each transaction that changed this text."""
        h = self._handle()
        origin_of = self._doc._origin_of
        target = self

        def on_delta(delta: list, origin: Optional[str]) -> None:
            callback(TextEvent(target, delta, origin_of(origin)))

        return Subscription(self._doc._d, h.observe(on_delta))

    def unobserve(self, subscription: Subscription) -> None:
        subscription.unsubscribe()


def _is_shared(value: Any) -> bool:
    return isinstance(value, _Shared)


def _check_insertable(values: Iterable[Any]) -> None:
    """Raises what inserting ``values`` would raise, before anything is deleted."""
    for v in values:
        if _is_shared(v):
            if v._h is not None:
                raise InvalidArgumentError(f"this {type(v).__name__} already belongs to a document")
        else:
            _dumps(v)


class Array(_Shared, MutableSequence):
    """Shared array of JSON values and nested Text/Array/Map; behaves like a list."""

    __slots__ = ()

    def __init__(self, init: Iterable[Any] = ()) -> None:
        self._doc = None
        self._h = None
        self._prelim = list(init)

    def _fill(self, prelim: list) -> None:
        if prelim:
            self._insert_values(0, prelim)

    def _insert_values(self, index: int, values: list) -> None:
        """Inserts at ``index``: runs of plain values in one call, nested types one by one."""
        h = self._handle()
        if not any(_is_shared(v) for v in values):
            h.insert_json(index, _dumps(values))
            return
        with self._doc.transaction():
            run: list = []
            for v in values:
                if _is_shared(v):
                    if run:
                        h.insert_json(index, _dumps(run))
                        index += len(run)
                        run = []
                    make = h.insert_text if isinstance(v, Text) else h.insert_array if isinstance(v, Array) else h.insert_map
                    v._integrate(self._doc, make(index))
                    index += 1
                else:
                    run.append(v)
            if run:
                h.insert_json(index, _dumps(run))

    def _items(self) -> list:
        h = self._h
        if h is None:
            return self._prelim
        return [self._doc._value(h.get(i)) for i in range(len(h))]

    # list protocol

    def __len__(self) -> int:
        h = self._h
        return len(h) if h is not None else len(self._prelim)

    def __getitem__(self, key: "int | slice") -> Any:
        h = self._h
        if h is None:
            return self._prelim[key]
        if isinstance(key, slice):
            return [self._doc._value(h.get(i)) for i in _slice_range(key, len(h))]
        return self._doc._value(h.get(_index(key, len(h))))

    def __setitem__(self, key: "int | slice", value: Any) -> None:
        h = self._handle()
        n = len(h)
        if isinstance(key, slice):
            r = _slice_range(key, n)
            values = list(value)
            _check_insertable(values)
            with self._doc.transaction():
                if r.step == 1:
                    if len(r):
                        h.delete(r.start, len(r))
                    if values:
                        self._insert_values(r.start, values)
                else:
                    if len(values) != len(r):
                        raise ValueError(
                            f"attempt to assign sequence of size {len(values)} to extended slice of size {len(r)}"
                        )
                    for i, v in zip(r, values):
                        h.delete(i, 1)
                        self._insert_values(i, [v])
        else:
            i = _index(key, n)
            _check_insertable([value])
            with self._doc.transaction():
                h.delete(i, 1)
                self._insert_values(i, [value])

    def __delitem__(self, key: "int | slice") -> None:
        h = self._handle()
        n = len(h)
        if isinstance(key, slice):
            r = _slice_range(key, n)
            if not len(r):
                return
            if r.step == 1:
                h.delete(r.start, len(r))
                return
            with self._doc.transaction():
                for i in sorted(r, reverse=True):
                    h.delete(i, 1)
        else:
            h.delete(_index(key, n), 1)

    def insert(self, index: int, value: Any) -> None:
        """Inserts before ``index`` (clamped like ``list.insert``)."""
        n = len(self._handle())
        if index < 0:
            index = max(0, index + n)
        self._insert_values(min(index, n), [value])

    def append(self, value: Any) -> None:
        self._insert_values(len(self._handle()), [value])

    def extend(self, values: Iterable[Any]) -> None:
        values = list(values)
        if values:
            self._insert_values(len(self._handle()), values)

    def __iadd__(self, values: Iterable[Any]) -> "Array":
        self.extend(values)
        return self

    def clear(self) -> None:
        h = self._handle()
        if len(h):
            h.delete(0, len(h))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def to_py(self) -> list:
        """The content as plain Python values (nested types converted too)."""
        h = self._h
        if h is None:
            return [v.to_py() if _is_shared(v) else v for v in self._prelim]
        return _loads(h.to_json())

    def sticky_index(self, index: int, assoc: int = 0) -> "StickyIndex":
        """A position at ``index`` (0..len) that follows edits, as :meth:`Text.sticky_index`."""
        h, a = self._handle(), int(Assoc(assoc))
        return StickyIndex(_c.relpos_from_array(h, index, a), self, json=_c.relpos_from_array_json(h, index, a))

    def __repr__(self) -> str:
        return f"Array({self.to_py()!r})"


class Map(_Shared, MutableMapping):
    """Shared map from str to JSON values and nested Text/Array/Map; behaves like a dict."""

    __slots__ = ()

    def __init__(self, init: "Mapping[str, Any] | Iterable[tuple[str, Any]]" = ()) -> None:
        self._doc = None
        self._h = None
        self._prelim = dict(init)

    def _fill(self, prelim: dict) -> None:
        if prelim:
            for key, value in prelim.items():
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        h = self._h
        if h is None:
            return self._prelim[key]
        if not isinstance(key, str):
            raise KeyError(key)
        try:
            raw = h.get(key)
        except OutOfRangeError:
            raise KeyError(key) from None
        return self._doc._value(raw)

    def __setitem__(self, key: str, value: Any) -> None:
        h = self._handle()
        if not isinstance(key, str):
            raise TypeError("Map keys must be str")
        if _is_shared(value):
            make = h.set_text if isinstance(value, Text) else h.set_array if isinstance(value, Array) else h.set_map
            with self._doc.transaction():
                value._integrate(self._doc, make(key))
        else:
            h.set_json(key, _dumps(value))

    def __delitem__(self, key: str) -> None:
        h = self._handle()
        if key not in self:
            raise KeyError(key)
        h.delete(key)

    def __contains__(self, key: object) -> bool:
        h = self._h
        if h is None:
            return key in self._prelim
        if not isinstance(key, str):
            return False
        try:
            h.get(key)
        except OutOfRangeError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        h = self._h
        if h is None:
            return iter(list(self._prelim))
        return iter(list(_loads(h.to_json())))

    def __len__(self) -> int:
        h = self._h
        return len(h) if h is not None else len(self._prelim)

    def clear(self) -> None:
        h = self._handle()
        keys = list(self)
        if keys:
            with self._doc.transaction():
                for key in keys:
                    h.delete(key)

    def to_py(self) -> dict:
        """The content as plain Python values (nested types converted too)."""
        h = self._h
        if h is None:
            return {k: v.to_py() if _is_shared(v) else v for k, v in self._prelim.items()}
        return _loads(h.to_json())

    def diff(self, prev: "Optional[_SnapshotLike]" = None, next: "Optional[_SnapshotLike]" = None) -> list:  # noqa: A002
        """The keys whose value differs between two snapshots, ascending.

        Each is ``{"key", "action": "add"|"update"|"delete", "old", "new",
        "client"}`` ("old" absent for add, "new" for delete). None as in
        :meth:`Text.diff`. Needs ``gc=False``.
        """
        return _loads(self._handle().diff(_snapshot_bytes(prev), _snapshot_bytes(next)))

    def __repr__(self) -> str:
        return f"Map({self.to_py()!r})"


_CLASS_OF_HANDLE = {_c._Text: Text, _c._Array: Array, _c._Map: Map}


# ---- Relative positions ------------------------------------------------------------


class Assoc(enum.IntEnum):
    """Which side a :class:`StickyIndex` sticks to: the character after it (AFTER) or before it (BEFORE)."""

    AFTER = 0
    BEFORE = -1


class StickyIndex:
    """A position in a Text or Array that stays put whatever peers insert or delete around it.

    Yjs's relative position: :meth:`encode` is ``Y.encodeRelativePosition``'s
    bytes and :meth:`to_json` ``Y.relativePositionToJSON``'s object (what
    y-codemirror and y-monaco put in awareness states), so positions travel
    between codesync, Yjs and pycrdt.
    """

    __slots__ = ("_b", "_sequence", "_json")

    def __init__(self, data: bytes, sequence: "Optional[Text | Array]" = None, *, json: Optional[str] = None) -> None:
        self._b = bytes(data)
        self._sequence = sequence
        # The JSON form names the type beside the item (as Yjs's does); the bytes only without an item.
        self._json = json

    @classmethod
    def new(cls, sequence: "Text | Array", index: int, assoc: Assoc = Assoc.AFTER) -> "StickyIndex":
        """The position at ``index`` (0..len) of ``sequence``, as :meth:`Text.sticky_index`."""
        if not isinstance(sequence, (Text, Array)):
            raise TypeError("StickyIndex.new() takes a Text or Array")
        return sequence.sticky_index(index, assoc)

    @classmethod
    def decode(cls, data: bytes, sequence: "Optional[Text | Array]" = None) -> "StickyIndex":
        """From :meth:`encode`'s bytes (or Yjs's); MalformedError when they are not a position."""
        _c.relpos_to_json(data)  # validates
        return cls(data, sequence)

    from_bytes = decode

    @classmethod
    def from_json(cls, data: "Mapping[str, Any]", sequence: "Optional[Text | Array]" = None) -> "StickyIndex":
        """From :meth:`to_json`'s object (or Yjs's); InvalidArgumentError when it is not a position."""
        text = _dumps(dict(data))
        return cls(_c.relpos_from_json(text), sequence, json=text)

    def encode(self) -> bytes:
        return self._b

    to_bytes = encode

    def __bytes__(self) -> bytes:
        return self._b

    def to_json(self) -> dict:
        return _loads(self._json if self._json is not None else _c.relpos_to_json(self._b))

    @property
    def assoc(self) -> Assoc:
        return Assoc.BEFORE if self.to_json().get("assoc", 0) < 0 else Assoc.AFTER

    def resolve(self, doc: Doc) -> Optional[int]:
        """The index in ``doc`` now, or None when its type was deleted or is not in ``doc`` (yet)."""
        if not isinstance(doc, Doc):
            raise TypeError("resolve() takes a Doc")
        index, state = _c.relpos_to_index(doc._d, self._b)
        return index if state == _c.RELPOS_FOUND else None

    def get_index(self) -> int:
        """The index now in the sequence it was made from or decoded with (pycrdt's name).

        Raises InvalidArgumentError when there is no sequence, and when the
        position cannot be resolved (use :meth:`resolve` to get None instead).
        """
        seq = self._sequence
        if seq is None or seq._doc is None:
            raise InvalidArgumentError("this StickyIndex has no sequence: use resolve(doc)")
        if isinstance(seq, Text):
            index, state = _c.relpos_to_text_index(seq._handle(), self._b)
        else:
            index, state = _c.relpos_to_index(seq._doc._d, self._b)
        if state != _c.RELPOS_FOUND:
            raise InvalidArgumentError("the position's type was deleted or is not in this document")
        return index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StickyIndex) and self._b == other._b

    def __hash__(self) -> int:
        return hash(self._b)

    def __repr__(self) -> str:
        return f"StickyIndex({self.to_json()!r})"


# ---- Undo manager ---------------------------------------------------------------------


class StackItem:
    """One undo or redo stack entry; ``meta`` is yours (e.g. the cursor before the change)."""

    __slots__ = ("meta", "__weakref__")

    def __init__(self) -> None:
        self.meta: dict = {}

    def __repr__(self) -> str:
        return f"StackItem(meta={self.meta!r})"


class UndoEvent:
    """Passed to :meth:`UndoManager.observe` callbacks.

    ``kind`` is "added" (a change made a new stack item), "updated" (a change
    merged into the newest one) or "popped" (undo/redo applied it); ``stack``
    is "undo" or "redo"; ``origin`` the transaction's origin.
    """

    __slots__ = ("kind", "stack", "stack_item", "origin")

    def __init__(self, kind: str, stack: str, stack_item: StackItem, origin: Any) -> None:
        self.kind = kind
        self.stack = stack
        self.stack_item = stack_item
        self.origin = origin

    def __repr__(self) -> str:
        return f"UndoEvent(kind={self.kind!r}, stack={self.stack!r}, origin={self.origin!r})"


_UNDO_KINDS = {_c.UNDO_ITEM_ADDED: "added", _c.UNDO_ITEM_UPDATED: "updated", _c.UNDO_ITEM_POPPED: "popped"}
_UNDO_STACKS = {_c.UNDO_STACK_UNDO: "undo", _c.UNDO_STACK_REDO: "redo"}


class UndoManager:
    """Undo/redo of the changes tracked origins make to some shared types, as Yjs's UndoManager.

    Undo deletes what a stack item inserted and re-creates what it deleted, so
    edits other peers made meanwhile are kept. Changes within
    ``capture_timeout`` milliseconds of each other are one stack item until
    :meth:`stop_capturing`. ``tracked_origins`` (default: None only, i.e. plain
    local edits) are the transaction origins recorded; apply remote updates
    with an origin (e.g. ``"remote"``) so they are not recorded. Undo and redo
    run as transactions with origin :attr:`origin`. ``timestamp`` returns
    milliseconds (default :func:`time.monotonic`).
    """

    __slots__ = ("_u", "_doc", "_tracked", "_items", "_stacks", "_popped", "_busy", "_next_item", "__weakref__")

    def __init__(
        self,
        scopes: "Text | Array | Map | Iterable[Text | Array | Map] | None" = None,
        *,
        doc: Optional[Doc] = None,
        tracked_origins: Optional[Iterable[Any]] = None,
        capture_timeout: Optional[int] = None,
        capture_timeout_millis: int = 500,
        timestamp: Optional[Callable[[], int]] = None,
    ) -> None:
        if scopes is None:
            scope_list: list = []
        elif isinstance(scopes, _Shared):
            scope_list = [scopes]
        else:
            scope_list = list(scopes)
        if doc is None:
            if not scope_list or scope_list[0].doc is None:
                raise InvalidArgumentError("UndoManager needs a scope in a document, or doc=")
            doc = scope_list[0].doc
        if not isinstance(doc, Doc):
            raise TypeError("doc must be a Doc")
        timeout = capture_timeout_millis if capture_timeout is None else capture_timeout
        self._doc = doc
        self._u = _c._UndoManager(doc._d, timeout, timestamp or _monotonic_ms)
        self._tracked: dict[int, Any] = {}  # id -> origin kept alive while tracked (its token names it)
        self._items: dict[int, StackItem] = {}
        self._stacks: tuple[list[int], list[int]] = ([], [])  # item ids of the undo and redo stacks, bottom first
        self._popped: list[int] = []  # ids of items popped by the last undo/redo, forgotten at the next
        self._busy = False  # inside undo()/redo()
        self._next_item = 1
        for scope in scope_list:
            self.expand_scope(scope)
        if tracked_origins is not None:
            self._u.remove_tracked_origin(None)
            for origin in tracked_origins:
                self.include_origin(origin)
        self._u.observe(self._on_event)

    @property
    def doc(self) -> Doc:
        return self._doc

    @property
    def origin(self) -> str:
        """The origin of the transactions undo and redo make (compare with an event's origin)."""
        return "codesync:undo"

    def expand_scope(self, scope: "Text | Array | Map") -> None:
        """Adds a shared type of this document (and everything nested in it) to the scope."""
        if not isinstance(scope, _Shared) or scope._doc is not self._doc:
            raise InvalidArgumentError("the scope must be a Text, Array or Map of the manager's document")
        h = scope._handle()
        if isinstance(scope, Text):
            self._u.add_text(h)
        elif isinstance(scope, Array):
            self._u.add_array(h)
        else:
            self._u.add_map(h)

    def include_origin(self, origin: Any) -> None:
        """Records changes made in transactions with ``origin`` (None: plain local edits)."""
        token = self._doc._hold_origin(origin)
        if not (origin is None or isinstance(origin, str)):
            if id(origin) in self._tracked:
                self._doc._release_origin(token)
            else:
                self._tracked[id(origin)] = origin
        self._u.add_tracked_origin(token)

    def exclude_origin(self, origin: Any) -> None:
        """Stops recording changes made with ``origin``."""
        if origin is None or isinstance(origin, str):
            self._u.remove_tracked_origin(origin)
            return
        if self._tracked.pop(id(origin), None) is not None:
            token = f"\x1bcodesync-origin:{id(origin):x}"
            self._u.remove_tracked_origin(token)
            self._doc._release_origin(token)

    def undo(self) -> bool:
        """Undoes the newest stack item; True when something changed."""
        return self._run(self._u.undo)

    def redo(self) -> bool:
        """Redoes the newest undone stack item; True when something changed."""
        return self._run(self._u.redo)

    def _run(self, op: Callable[[], bool]) -> bool:
        self._forget_popped()
        self._busy = True
        try:
            return op()
        finally:
            self._busy = False
            self._trim()

    def _forget_popped(self) -> None:
        for item_id in self._popped:
            self._items.pop(item_id, None)
        self._popped.clear()

    def _trim(self) -> None:
        """Forgets the items the library dropped (a cleared redo stack, items with nothing left to change)."""
        for ids, depth in zip(self._stacks, (self._u.undo_depth(), self._u.redo_depth())):
            while len(ids) > depth:
                item_id = ids.pop()
                if item_id not in self._popped:
                    self._items.pop(item_id, None)

    def can_undo(self) -> bool:
        return self._u.can_undo()

    def can_redo(self) -> bool:
        return self._u.can_redo()

    @property
    def undo_depth(self) -> int:
        return self._u.undo_depth()

    @property
    def redo_depth(self) -> int:
        return self._u.redo_depth()

    def stop_capturing(self) -> None:
        """The next change starts a new stack item."""
        self._u.stop_capturing()

    def clear(self) -> None:
        """Empties both stacks."""
        self._u.clear()
        self._items.clear()
        self._popped.clear()
        for ids in self._stacks:
            ids.clear()

    def observe(self, callback: Callable[[UndoEvent], Any]) -> Subscription:
        """Calls ``callback(UndoEvent)`` when a stack item is added, updated or popped.

        During "added" and "updated" the document refuses edits; set
        ``event.stack_item.meta`` there (e.g. the cursor before the change) and
        read it back in "popped".
        """
        doc_origin = self._doc._origin_of
        items = self._items
        native = self._u

        def on_event(kind: int, stack: int, origin: Optional[str], meta: Optional[bytes]) -> None:
            if kind != _c.UNDO_ITEM_POPPED:
                meta = native.get_meta(stack)  # set by _on_event after this event's meta was read
            item = items.get(int.from_bytes(meta, "little")) if meta else None
            if item is not None:
                callback(UndoEvent(_UNDO_KINDS[kind], _UNDO_STACKS[stack], item, doc_origin(origin)))

        return Subscription(self._u, self._u.observe(on_event))

    def unobserve(self, subscription: Subscription) -> None:
        subscription.unsubscribe()

    def _on_event(self, kind: int, stack: int, origin: Optional[str], meta: Optional[bytes]) -> None:
        # Every stack item gets a StackItem, named in the C item's meta by an id.
        if kind == _c.UNDO_ITEM_ADDED:
            item_id = self._next_item
            self._next_item += 1
            self._items[item_id] = StackItem()
            self._stacks[stack].append(item_id)
            self._u.set_meta(stack, item_id.to_bytes(8, "little"))
            if not self._busy:  # a new change: it cleared the redo stack, the last undo's events are over
                self._forget_popped()
                self._trim()
        elif kind == _c.UNDO_ITEM_POPPED and meta:
            # Observers still see it in this event; its changes went to the other stack as a new item.
            item_id = int.from_bytes(meta, "little")
            self._popped.append(item_id)
            ids = self._stacks[stack]
            if item_id in ids:
                i = ids.index(item_id)
                for dropped in ids[i + 1 :]:  # skipped by the library: nothing left to change
                    self._items.pop(dropped, None)
                del ids[i:]

    def __del__(self) -> None:
        doc = getattr(self, "_doc", None)
        if doc is not None:
            for origin in getattr(self, "_tracked", {}).values():
                doc._release_origin(f"\x1bcodesync-origin:{id(origin):x}")

    def __repr__(self) -> str:
        return f"UndoManager(undo_depth={self.undo_depth}, redo_depth={self.redo_depth})"


# ---- Awareness -------------------------------------------------------------------


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class _OriginTable:
    """Origins that are not str, passed through the C library as tokens.

    Tokens are derived from ``id(origin)`` exactly as :class:`Doc` derives
    them, so one token can be held in a document's and an awareness's table.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str, list] = {}

    def hold(self, origin: Any) -> Optional[str]:
        if origin is None or isinstance(origin, str):
            return origin
        token = f"\x1bcodesync-origin:{id(origin):x}"
        entry = self._held.get(token)
        if entry is None:
            self._held[token] = [origin, 1]
        else:
            entry[1] += 1
        return token

    def release(self, token: Optional[str]) -> None:
        entry = self._held.get(token) if token is not None else None
        if entry is not None:
            entry[1] -= 1
            if entry[1] == 0:
                del self._held[token]

    def origin_of(self, origin: Optional[str]) -> Any:
        if origin is None:
            return None
        entry = self._held.get(origin)
        return origin if entry is None else entry[0]


class AwarenessEvent:
    """Passed to :meth:`Awareness.observe` callbacks: what one call changed.

    Each list holds client ids, ascending. ``updated`` clients changed their
    state; ``renewed`` ones sent the same state again (a keep-alive).
    ``origin`` is ``"local"`` for the local state, ``"timeout"`` for expiry,
    else what the caller passed.
    """

    __slots__ = ("added", "updated", "removed", "renewed", "origin")

    def __init__(self, added: list, updated: list, removed: list, renewed: list, origin: Any) -> None:
        self.added = added
        self.updated = updated
        self.removed = removed
        self.renewed = renewed
        self.origin = origin

    @property
    def changed(self) -> bool:
        """True when a state was added, changed or removed (y-protocols' "change" event)."""
        return bool(self.added or self.updated or self.removed)

    def __repr__(self) -> str:
        return (
            f"AwarenessEvent(added={self.added}, updated={self.updated}, removed={self.removed}, "
            f"renewed={self.renewed}, origin={self.origin!r})"
        )


class Awareness:
    """Presence states (cursor, user name, ...) per client, as y-protocols' Awareness.

    States are JSON values; ``None`` means "no state". The client id is the
    document's. Like y-protocols (and pycrdt), a new awareness starts with the
    local state ``{}``.

    There are no timers: remote states expire, and the local state is
    renewed, when :meth:`tick` is called (every few seconds). Times come from
    ``clock``, a callable returning milliseconds of a monotonic clock (default
    :func:`time.monotonic`); ``tick(now)`` can also be given the time.
    ``outdated_timeout`` is in milliseconds, as in pycrdt.
    """

    __slots__ = ("_a", "_doc", "_clock", "_origins", "__weakref__")

    def __init__(
        self,
        doc: Doc,
        *,
        outdated_timeout: int = 30000,
        clock: Optional[Callable[[], int]] = None,
    ) -> None:
        if not isinstance(doc, Doc):
            raise TypeError("Awareness() takes a Doc")
        self._init(_c._Awareness(doc.client_id, outdated_timeout), doc, clock)
        self.set_local_state({})

    @classmethod
    def _from_native(cls, native: Any, doc: Doc, clock: Optional[Callable[[], int]]) -> "Awareness":
        aw = cls.__new__(cls)
        aw._init(native, doc, clock)
        return aw

    def _init(self, native: Any, doc: Doc, clock: Optional[Callable[[], int]]) -> None:
        self._a = native
        self._doc = doc
        self._clock = clock or _monotonic_ms
        self._origins = _OriginTable()

    @property
    def client_id(self) -> int:
        return self._a.client_id

    @property
    def doc(self) -> Doc:
        return self._doc

    # Local state.

    def get_local_state(self) -> Any:
        """The local state, or None when there is none."""
        return _loads(self._a.local_state())

    def set_local_state(self, state: Any) -> None:
        """Sets the local state (any JSON value); None removes it."""
        self._a.set_local_state(None if state is None else _dumps(state), self._clock())

    def set_local_state_field(self, field: str, value: Any) -> None:
        """Sets one field of the local state (a dict); does nothing when there is no local state."""
        state = self.get_local_state()
        if state is None:
            return
        if not isinstance(state, dict):
            raise TypeMismatchError("the local state is not a dict")
        state[field] = value
        self.set_local_state(state)

    # Every client.

    @property
    def states(self) -> dict[int, Any]:
        """Every client's state by client id (a new dict; clients without state are absent)."""
        return {int(k): v for k, v in _loads(self._a.states_json()).items()}

    def get_state(self, client_id: int) -> Any:
        """One client's state, or None."""
        raw = self._a.state(client_id)
        return None if raw is None else _loads(raw)

    def get_clock(self, client_id: int) -> Optional[int]:
        """A client's last known clock (kept after its state is removed), or None if never seen."""
        return self._a.clock(client_id)

    def encode_update(self, client_ids: Optional[Iterable[int]] = None) -> bytes:
        """An awareness update with these clients (default: every client with a state).

        A client without state is encoded as a removal; clients never seen are skipped.
        """
        return self._a.encode_update(None if client_ids is None else list(client_ids))

    def apply_update(self, update: bytes, origin: Any = None) -> None:
        """Applies an awareness update; a malformed one raises MalformedError and changes nothing."""
        token = self._origins.hold(origin)
        try:
            self._a.apply_update(update, self._clock(), token)
        finally:
            self._origins.release(token)

    def remove_states(self, client_ids: Iterable[int], origin: Any = None) -> None:
        """Marks clients as gone (e.g. when the connection that owned them closed)."""
        token = self._origins.hold(origin)
        try:
            self._a.remove_states(list(client_ids), self._clock(), token)
        finally:
            self._origins.release(token)

    # pycrdt's names for the three above.
    def encode_awareness_update(self, client_ids: Optional[Iterable[int]] = None) -> bytes:
        return self.encode_update(client_ids)

    def apply_awareness_update(self, update: bytes, origin: Any = None) -> None:
        self.apply_update(update, origin)

    def remove_awareness_states(self, client_ids: Iterable[int], origin: Any = None) -> None:
        self.remove_states(client_ids, origin)

    def tick(self, now: Optional[int] = None) -> None:
        """Renews the local state if due and removes expired remote states (origin "timeout")."""
        self._a.tick(self._clock() if now is None else now)

    # Observers.

    def observe(self, callback: Callable[[AwarenessEvent], Any]) -> Subscription:
        """Calls ``callback(AwarenessEvent)`` after every call that changed something, renewals included."""
        origin_of = self._origins.origin_of

        def on_change(added: list, updated: list, renewed: list, removed: list, origin: Optional[str]) -> None:
            callback(AwarenessEvent(added, updated, removed, renewed, origin_of(origin)))

        return Subscription(self._a, self._a.observe(on_change))

    def unobserve(self, subscription: Subscription) -> None:
        subscription.unsubscribe()

    def __repr__(self) -> str:
        return f"Awareness(client_id={self.client_id}, states={self.states!r})"


# ---- Sync protocol -----------------------------------------------------------------


class MessageKind(enum.IntEnum):
    """What a y-websocket frame carries (see :func:`decode_message`)."""

    SYNC_STEP1 = _c.MESSAGE_SYNC_STEP1  # payload: a state vector
    SYNC_STEP2 = _c.MESSAGE_SYNC_STEP2  # payload: an update
    SYNC_UPDATE = _c.MESSAGE_SYNC_UPDATE  # payload: an update
    AWARENESS = _c.MESSAGE_AWARENESS  # payload: an awareness update
    PERMISSION_DENIED = _c.MESSAGE_PERMISSION_DENIED  # payload: the reason, UTF-8
    QUERY_AWARENESS = _c.MESSAGE_QUERY_AWARENESS  # no payload


def decode_message(frame: bytes) -> tuple[MessageKind, bytes]:
    """Splits one frame into its kind and payload; MalformedError when it is not a valid message."""
    kind, payload = _c.sync_decode(frame)
    return MessageKind(kind), payload


def encode_sync_step1(doc: Doc) -> bytes:
    """SyncStep1: the document's state vector, asking the peer for what it lacks."""
    return _c.sync_encode_step1(doc._d)


def encode_sync_step2(doc: Doc, state_vector: Optional[bytes] = None) -> bytes:
    """SyncStep2: what a peer with ``state_vector`` lacks (everything when None)."""
    return _c.sync_encode_step2(doc._d, state_vector)


def encode_sync_update(update: bytes) -> bytes:
    """An Update message carrying ``update`` (e.g. from :meth:`Doc.observe`)."""
    return _c.sync_encode_update(update)


def encode_awareness_message(awareness: Awareness, client_ids: Optional[Iterable[int]] = None) -> bytes:
    """An awareness message with these clients (default: every client with a state)."""
    return _c.sync_encode_awareness(awareness._a, None if client_ids is None else list(client_ids))


def encode_permission_denied(reason: str) -> bytes:
    return _c.sync_encode_permission_denied(reason)


def encode_query_awareness() -> bytes:
    return _c.sync_encode_query_awareness()


def receive_message(
    doc: Doc,
    frame: bytes,
    *,
    awareness: Optional[Awareness] = None,
    origin: Any = None,
) -> tuple[MessageKind, Optional[bytes]]:
    """Handles one received frame as y-websocket's provider does.

    SyncStep1 is answered with SyncStep2; SyncStep2 and Update are applied to
    ``doc`` under ``origin``; an awareness message is applied to ``awareness``
    (ignored when None); a query is answered with every awareness state.
    Returns the kind and the reply to send (None when there is nothing to
    send). A malformed frame raises MalformedError and changes nothing.
    """
    if not isinstance(doc, Doc) or (awareness is not None and not isinstance(awareness, Awareness)):
        raise TypeError("receive_message(doc: Doc, frame, awareness: Awareness | None)")
    aw = awareness._a if awareness is not None else None
    now = awareness._clock() if awareness is not None else _monotonic_ms()
    token = doc._hold_origin(origin)
    if awareness is not None:
        awareness._origins.hold(origin)
    try:
        kind, reply = _c.sync_receive(doc._d, aw, frame, now, token)
    finally:
        doc._release_origin(token)
        if awareness is not None:
            awareness._origins.release(token)
    return MessageKind(kind), (reply or None)


# ---- Rooms -------------------------------------------------------------------------


class Room:
    """The server side of y-websocket for one document, without I/O.

    The room owns a :attr:`doc` and an :attr:`awareness`. The embedder owns
    the sockets: it attaches each connection under an id of its choice,
    passes every received frame to :meth:`receive`, and sends what
    :meth:`next_message` (or :meth:`messages`) hands out, in that order.
    Updates from a connection are applied with origin ``"conn:<id>"``. Edits
    made through :attr:`doc` and changes through :attr:`awareness` are queued
    for every connection. A malformed frame raises MalformedError for that
    call only; the embedder decides whether to close the connection.

    ``awareness_timeout`` is in milliseconds; ``clock`` as for
    :class:`Awareness`. Call :meth:`tick` every few seconds to expire
    awareness states of clients that went silent.
    """

    __slots__ = ("_r", "_doc", "_awareness", "_clock", "__weakref__")

    def __init__(
        self,
        *,
        client_id: Optional[int] = None,
        gc: bool = True,
        awareness_timeout: int = 30000,
        clock: Optional[Callable[[], int]] = None,
    ) -> None:
        self._r = _c._Room(client_id or 0, gc, _c.OFFSET_CODEPOINT, awareness_timeout)
        self._clock = clock or _monotonic_ms
        self._doc = Doc._from_native(self._r.doc())
        self._awareness = Awareness._from_native(self._r.awareness(), self._doc, self._clock)

    @property
    def doc(self) -> Doc:
        """The room's document: load persisted state into it before attaching anyone, observe it to persist."""
        return self._doc

    @property
    def awareness(self) -> Awareness:
        """The room's awareness (it starts without a local state)."""
        return self._awareness

    def attach(self, conn_id: int, *, read_only: bool = False) -> None:
        """Adds a connection; queues SyncStep1 (and the awareness states) for it."""
        self._r.attach(conn_id, read_only, self._clock())

    def detach(self, conn_id: int) -> None:
        """Removes a connection, its queued frames and the awareness states it set."""
        self._r.detach(conn_id, self._clock())

    def set_read_only(self, conn_id: int, read_only: bool) -> None:
        self._r.set_read_only(conn_id, read_only)

    def receive(self, conn_id: int, frame: bytes) -> None:
        """Handles one frame received from a connection; replies and broadcasts are queued."""
        self._r.receive(conn_id, frame, self._clock())

    def tick(self, now: Optional[int] = None) -> None:
        """Expires awareness states (call every few seconds)."""
        self._r.tick(self._clock() if now is None else now)

    def next_message(self) -> Optional[tuple[int, bytes]]:
        """The oldest queued frame as ``(conn_id, frame)``, or None when none is queued."""
        return self._r.next_message()

    def messages(self) -> Iterator[tuple[int, bytes]]:
        """Pops queued frames until none is left (including ones queued meanwhile)."""
        while True:
            m = self._r.next_message()
            if m is None:
                return
            yield m

    @property
    def pending_messages(self) -> int:
        return self._r.pending_messages()

    @property
    def connection_count(self) -> int:
        return self._r.connection_count()

    def __repr__(self) -> str:
        return f"Room(connections={self.connection_count}, pending_messages={self.pending_messages})"
