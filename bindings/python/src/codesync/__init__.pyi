"""Type stubs for codesync: collaborative documents wire-compatible with Yjs 13.6.

Text indices and lengths count Unicode code points, as Python's str does.
"""

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, MutableSequence
from typing import Any, NamedTuple, Optional, TypeVar, Union, overload

__version__: str

# JSON values as stored in maps and arrays; nested shared types are allowed too.
_JsonValue = Union[None, bool, int, float, str, list[Any], dict[str, Any]]
_Value = Union[_JsonValue, "Text", "Array", "Map"]

class Error(Exception):
    """A codesync call failed; ``code`` is the C API's error code (None on the base class)."""

    code: Optional[int]

class InvalidArgumentError(Error, ValueError): ...
class MalformedError(Error, ValueError): ...
class OutOfRangeError(Error, IndexError): ...
class TypeMismatchError(Error, TypeError): ...
class NoMemoryError(Error, MemoryError): ...
class BusyError(Error, RuntimeError): ...
class InternalError(Error, RuntimeError): ...

def merge_updates(*updates: bytes) -> bytes:
    """Merges several updates into one, without a document."""

def state_vector_from_update(update: bytes) -> bytes:
    """The state vector a document would have after applying only ``update``."""

class Snapshot:
    """A document's version (state vector and delete set) in Yjs's encodeSnapshot format."""

    def __init__(self, data: bytes) -> None: ...
    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot:
        """Decodes a snapshot; MalformedError when it is not one."""
    @classmethod
    def from_doc(cls, doc: Doc) -> Snapshot: ...
    @classmethod
    def decode(cls, data: bytes) -> Snapshot: ...
    def to_bytes(self) -> bytes: ...
    def encode(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...
    def contains_update(self, update: bytes) -> bool:
        """True when everything ``update`` inserts and deletes is in this snapshot."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

_SnapshotLike = Union[Snapshot, bytes, bytearray, memoryview]

class AuthorRun(NamedTuple):
    """``length`` code points from ``index`` inserted by ``client_id``."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as the field name should
    length: int
    client_id: int

class ContainerInfo(NamedTuple):
    format_version: int
    guid: str
    metadata: dict[str, Any]
    state_vector: dict[int, int]
    state_bytes: int

def container_info(data: bytes) -> ContainerInfo:
    """Verifies a container made by Doc.save and describes it; MalformedError when corrupt."""

class TransactionEvent:
    """The update one transaction made, and its origin."""

    update: bytes
    origin: Any
    def __init__(self, update: bytes, origin: Any) -> None: ...

class TextEvent:
    """A text change as a Yjs-style delta (``retain``/``insert``/``delete`` dicts, code points)."""

    target: Text
    delta: list[dict[str, Any]]
    origin: Any
    def __init__(self, target: Text, delta: list[dict[str, Any]], origin: Any) -> None: ...

class Subscription:
    def __init__(self, native: Any, sub_id: int) -> None: ...
    @property
    def active(self) -> bool: ...
    def unsubscribe(self) -> None:
        """Stops the callback. Calling it again does nothing."""

class Transaction:
    origin: Any
    def __init__(self, doc: Doc, origin: Any = None) -> None: ...
    def __enter__(self) -> Transaction: ...
    def __exit__(self, *exc_info: Any) -> bool: ...

_T = TypeVar("_T", "Text", "Array", "Map")

class Doc:
    """A document: named root types and the updates that change them."""

    def __init__(self, *, client_id: Optional[int] = None, gc: bool = True) -> None:
        """``client_id`` 0 or None picks a random 32-bit id; ``gc`` collects deleted content."""
    @property
    def client_id(self) -> int: ...
    @property
    def has_pending(self) -> bool:
        """True while some applied updates wait for missing dependencies."""
    def get_text(self, name: str) -> Text:
        """The root text ``name``, created on first use."""
    def get_array(self, name: str) -> Array:
        """The root array ``name``, created on first use."""
    def get_map(self, name: str) -> Map:
        """The root map ``name``, created on first use."""
    def get(self, name: str, *, type: type[_T]) -> _T:
        """The root type ``name`` of the given class (Text, Array or Map)."""
    def get_update(self, state_vector: Optional[bytes] = None) -> bytes:
        """The whole state as one update, or what a peer with ``state_vector`` lacks."""
    def apply_update(self, update: bytes, origin: Any = None) -> None:
        """Applies an update as one transaction; raises MalformedError (changing nothing) on bad input."""
    def get_state_vector(self) -> bytes:
        """The encoded state vector."""
    def snapshot(self) -> Snapshot:
        """The document's version now."""
    @overload
    @classmethod
    def from_snapshot(
        cls, doc: Doc, snapshot: _SnapshotLike, *, client_id: Optional[int] = None, gc: bool = True
    ) -> Doc:
        """A new document holding what ``doc`` (gc=False) held at ``snapshot``; pycrdt's argument order works too."""
    @overload
    @classmethod
    def from_snapshot(
        cls, doc: Snapshot, snapshot: Doc, *, client_id: Optional[int] = None, gc: bool = True
    ) -> Doc: ...
    def restore(self, snapshot: _SnapshotLike, origin: Any = None) -> None:
        """Makes the root types read as at ``snapshot``, by ordinary edits in one transaction."""
    def save(self, guid: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None) -> bytes:
        """The whole document as a verified container for storage."""
    @classmethod
    def load(cls, data: bytes, *, client_id: Optional[int] = None, gc: bool = True) -> Doc:
        """A new document from a container made by save()."""
    def load_container(self, data: bytes) -> None:
        """Verifies a container and merges its state into this document."""
    def transaction(self, origin: Any = None) -> Transaction:
        """A context manager grouping edits into one transaction (one update)."""
    def observe(self, callback: Callable[[TransactionEvent], Any]) -> Subscription:
        """Calls ``callback`` after each transaction that changed the document."""
    def unobserve(self, subscription: Subscription) -> None: ...
    def to_py(self) -> dict[str, Any]:
        """Every root type as plain Python values (texts as str)."""

class _Shared:
    @property
    def doc(self) -> Optional[Doc]:
        """The document, or None while preliminary."""
    @property
    def integrated(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Text(_Shared):
    """Shared text; ``Text("...")`` is preliminary until assigned into a Map or Array."""

    def __init__(self, init: str = "") -> None: ...
    def insert(self, index: int, value: str, attributes: Optional[dict[str, Any]] = None) -> None:
        """Inserts ``value`` at ``index``, with formatting ``attributes`` if given."""
    def insert_embed(self, index: int, value: _JsonValue, attributes: Optional[dict[str, Any]] = None) -> None:
        """Inserts an embed (any JSON value) occupying one position."""
    def delete(self, index: int, length: int = 1) -> None:
        """Deletes ``length`` code points from ``index``."""
    def format(self, index: int, length: int, attributes: dict[str, Any]) -> None:
        """Sets formatting on a range; an attribute set to None is removed."""
    def __iadd__(self, value: str) -> Text: ...
    def __delitem__(self, key: Union[int, slice]) -> None: ...
    def __setitem__(self, key: Union[int, slice], value: str) -> None: ...
    def __getitem__(self, key: Union[int, slice]) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def __contains__(self, value: str) -> bool: ...
    def __len__(self) -> int: ...
    def to_py(self) -> str: ...
    def to_delta(self) -> list[dict[str, Any]]:
        """The content as a Yjs-style delta."""
    def diff(self, prev: Optional[_SnapshotLike] = None, next: Optional[_SnapshotLike] = None) -> list[dict[str, Any]]:
        """The delta turning the version at ``prev`` into the one at ``next`` (None: empty / now)."""
    def authorship(self) -> list[AuthorRun]:
        """Which client inserted each part of the text."""
    def sticky_index(self, index: int, assoc: int = 0) -> StickyIndex:
        """A position at ``index`` that follows edits (assoc: Assoc.AFTER or Assoc.BEFORE)."""
    def observe(self, callback: Callable[[TextEvent], Any]) -> Subscription:
        """Calls ``callback`` after each transaction that changed this text."""
    def unobserve(self, subscription: Subscription) -> None: ...

class Array(_Shared, MutableSequence[Any]):
    """Shared array of JSON values and nested types; behaves like a list."""

    def __init__(self, init: Iterable[_Value] = ()) -> None: ...
    @overload
    def __getitem__(self, key: int) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> list[Any]: ...
    @overload
    def __setitem__(self, key: int, value: _Value) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: Iterable[_Value]) -> None: ...
    def __delitem__(self, key: Union[int, slice]) -> None: ...
    def __len__(self) -> int: ...
    def insert(self, index: int, value: _Value) -> None: ...
    def append(self, value: _Value) -> None: ...
    def extend(self, values: Iterable[_Value]) -> None: ...
    def __iadd__(self, values: Iterable[_Value]) -> Array: ...
    def clear(self) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def to_py(self) -> list[Any]:
        """The content as plain Python values (nested types converted too)."""
    def sticky_index(self, index: int, assoc: int = 0) -> StickyIndex:
        """A position at ``index`` that follows edits."""

class Map(_Shared, MutableMapping[str, Any]):
    """Shared map from str to JSON values and nested types; behaves like a dict."""

    def __init__(self, init: Union[Mapping[str, _Value], Iterable[tuple[str, _Value]]] = ()) -> None: ...
    def __getitem__(self, key: str) -> Any: ...
    def __setitem__(self, key: str, value: _Value) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def __contains__(self, key: object) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def clear(self) -> None: ...
    def to_py(self) -> dict[str, Any]:
        """The content as plain Python values (nested types converted too)."""
    def diff(self, prev: Optional[_SnapshotLike] = None, next: Optional[_SnapshotLike] = None) -> list[dict[str, Any]]:
        """The keys whose value differs between the two snapshots, ascending."""

# ---- Relative positions and undo ----

class Assoc(enum.IntEnum):
    AFTER = 0
    BEFORE = -1

class StickyIndex:
    """A position in a Text or Array that follows edits; Yjs's relative position (bytes and JSON)."""

    def __init__(self, data: bytes, sequence: Optional[Union[Text, Array]] = None, *, json: Optional[str] = None) -> None: ...
    @classmethod
    def new(cls, sequence: Union[Text, Array], index: int, assoc: Assoc = ...) -> StickyIndex: ...
    @classmethod
    def decode(cls, data: bytes, sequence: Optional[Union[Text, Array]] = None) -> StickyIndex:
        """From encode()'s bytes (or Yjs's); MalformedError when they are not a position."""
    @classmethod
    def from_bytes(cls, data: bytes, sequence: Optional[Union[Text, Array]] = None) -> StickyIndex: ...
    @classmethod
    def from_json(cls, data: Mapping[str, Any], sequence: Optional[Union[Text, Array]] = None) -> StickyIndex:
        """From to_json()'s object (or Yjs's relativePositionToJSON)."""
    def encode(self) -> bytes: ...
    def to_bytes(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...
    def to_json(self) -> dict[str, Any]: ...
    @property
    def assoc(self) -> Assoc: ...
    def resolve(self, doc: Doc) -> Optional[int]:
        """The index in ``doc`` now, or None when its type is deleted or not in ``doc``."""
    def get_index(self) -> int:
        """The index now in the sequence it was made from or decoded with."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class StackItem:
    meta: dict[str, Any]
    def __init__(self) -> None: ...

class UndoEvent:
    """kind: "added" | "updated" | "popped"; stack: "undo" | "redo"."""

    kind: str
    stack: str
    stack_item: StackItem
    origin: Any
    def __init__(self, kind: str, stack: str, stack_item: StackItem, origin: Any) -> None: ...

class UndoManager:
    """Undo/redo of tracked origins' changes to some shared types, as Yjs's UndoManager."""

    def __init__(
        self,
        scopes: Union[Text, Array, Map, Iterable[Union[Text, Array, Map]], None] = None,
        *,
        doc: Optional[Doc] = None,
        tracked_origins: Optional[Iterable[Any]] = None,
        capture_timeout: Optional[int] = None,
        capture_timeout_millis: int = 500,
        timestamp: Optional[Callable[[], int]] = None,
    ) -> None: ...
    @property
    def doc(self) -> Doc: ...
    @property
    def origin(self) -> str:
        """The origin of undo's and redo's transactions."""
    def expand_scope(self, scope: Union[Text, Array, Map]) -> None: ...
    def include_origin(self, origin: Any) -> None: ...
    def exclude_origin(self, origin: Any) -> None: ...
    def undo(self) -> bool:
        """Undoes the newest stack item; True when something changed."""
    def redo(self) -> bool: ...
    def can_undo(self) -> bool: ...
    def can_redo(self) -> bool: ...
    @property
    def undo_depth(self) -> int: ...
    @property
    def redo_depth(self) -> int: ...
    def stop_capturing(self) -> None:
        """The next change starts a new stack item."""
    def clear(self) -> None: ...
    def observe(self, callback: Callable[[UndoEvent], Any]) -> Subscription:
        """Calls ``callback`` when a stack item is added, updated or popped."""
    def unobserve(self, subscription: Subscription) -> None: ...

# ---- Awareness ----

class AwarenessEvent:
    """What one awareness call changed: client ids (ascending) and the origin.

    ``origin`` is "local" for the local state, "timeout" for expiry, else the caller's.
    """

    added: list[int]
    updated: list[int]
    removed: list[int]
    renewed: list[int]
    origin: Any
    def __init__(self, added: list[int], updated: list[int], removed: list[int], renewed: list[int], origin: Any) -> None: ...
    @property
    def changed(self) -> bool:
        """True when a state was added, changed or removed (y-protocols' "change" event)."""

class Awareness:
    """Presence states per client, wire-compatible with y-protocols; starts with the local state ``{}``.

    ``clock`` returns milliseconds of a monotonic clock (default time.monotonic);
    ``outdated_timeout`` is in milliseconds.
    """

    def __init__(self, doc: Doc, *, outdated_timeout: int = 30000, clock: Optional[Callable[[], int]] = None) -> None: ...
    @property
    def client_id(self) -> int: ...
    @property
    def doc(self) -> Doc: ...
    def get_local_state(self) -> Any:
        """The local state, or None when there is none."""
    def set_local_state(self, state: Any) -> None:
        """Sets the local state (any JSON value); None removes it."""
    def set_local_state_field(self, field: str, value: Any) -> None:
        """Sets one field of the local state; does nothing when there is none."""
    @property
    def states(self) -> dict[int, Any]:
        """Every client's state by client id."""
    def get_state(self, client_id: int) -> Any: ...
    def get_clock(self, client_id: int) -> Optional[int]: ...
    def encode_update(self, client_ids: Optional[Iterable[int]] = None) -> bytes:
        """An awareness update with these clients (default: every client with a state)."""
    def apply_update(self, update: bytes, origin: Any = None) -> None:
        """Applies an awareness update; MalformedError (changing nothing) on bad input."""
    def remove_states(self, client_ids: Iterable[int], origin: Any = None) -> None:
        """Marks clients as gone."""
    def encode_awareness_update(self, client_ids: Optional[Iterable[int]] = None) -> bytes: ...
    def apply_awareness_update(self, update: bytes, origin: Any = None) -> None: ...
    def remove_awareness_states(self, client_ids: Iterable[int], origin: Any = None) -> None: ...
    def tick(self, now: Optional[int] = None) -> None:
        """Renews the local state if due and removes expired remote states."""
    def observe(self, callback: Callable[[AwarenessEvent], Any]) -> Subscription:
        """Calls ``callback`` after every call that changed something, renewals included."""
    def unobserve(self, subscription: Subscription) -> None: ...

# ---- Sync protocol ----

class MessageKind(enum.IntEnum):
    SYNC_STEP1 = 0
    SYNC_STEP2 = 1
    SYNC_UPDATE = 2
    AWARENESS = 3
    PERMISSION_DENIED = 4
    QUERY_AWARENESS = 5

def decode_message(frame: bytes) -> tuple[MessageKind, bytes]:
    """Splits one frame into its kind and payload; MalformedError when invalid."""

def encode_sync_step1(doc: Doc) -> bytes: ...
def encode_sync_step2(doc: Doc, state_vector: Optional[bytes] = None) -> bytes: ...
def encode_sync_update(update: bytes) -> bytes: ...
def encode_awareness_message(awareness: Awareness, client_ids: Optional[Iterable[int]] = None) -> bytes: ...
def encode_permission_denied(reason: str) -> bytes: ...
def encode_query_awareness() -> bytes: ...
def receive_message(
    doc: Doc, frame: bytes, *, awareness: Optional[Awareness] = None, origin: Any = None
) -> tuple[MessageKind, Optional[bytes]]:
    """Handles one received frame as y-websocket's provider does; returns the kind and the reply (or None)."""

# ---- Rooms ----

class Room:
    """The server side of y-websocket for one document, without I/O."""

    def __init__(
        self,
        *,
        client_id: Optional[int] = None,
        gc: bool = True,
        awareness_timeout: int = 30000,
        clock: Optional[Callable[[], int]] = None,
    ) -> None: ...
    @property
    def doc(self) -> Doc: ...
    @property
    def awareness(self) -> Awareness: ...
    def attach(self, conn_id: int, *, read_only: bool = False) -> None: ...
    def detach(self, conn_id: int) -> None: ...
    def set_read_only(self, conn_id: int, read_only: bool) -> None: ...
    def receive(self, conn_id: int, frame: bytes) -> None: ...
    def tick(self, now: Optional[int] = None) -> None: ...
    def next_message(self) -> Optional[tuple[int, bytes]]:
        """The oldest queued frame as (conn_id, frame), or None."""
    def messages(self) -> Iterator[tuple[int, bytes]]:
        """Pops queued frames until none is left."""
    @property
    def pending_messages(self) -> int: ...
    @property
    def connection_count(self) -> int: ...
