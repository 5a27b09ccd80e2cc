// Type declarations for the codesync Node binding (lib/index.js): documents
// wire-compatible with Yjs 13.6, with an API in the spirit of yjs. Text
// indices and lengths are UTF-16 code units, as in yjs and JS strings.

/** JSON values, as stored in maps and arrays and used as embeds and attributes. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** What a map or array can hold: JSON values and nested shared types. */
export type Value = JsonValue | Text | YArray | YMap;

/** One operation of a text delta (yjs / Quill style). */
export interface DeltaOp {
  insert?: string | JsonValue;
  retain?: number;
  delete?: number;
  attributes?: { [key: string]: JsonValue };
}

/** Passed to listeners; origin is whatever was given to transact or applyUpdate. */
export interface Transaction {
  origin: unknown;
  doc: Doc;
}

export interface TextEvent {
  target: Text;
  currentTarget: Text;
  delta: DeltaOp[];
  origin: unknown;
  transaction: Transaction;
}

/**
 * Errors thrown by the library carry the C code: `code` is its name (e.g.
 * "CODESYNC_ERR_OUT_OF_RANGE", thrown as a RangeError) and `errno` its value.
 */
export interface CodesyncError extends Error {
  code: string;
  errno: number;
}

export interface DocOptions {
  /** 0 or absent: a random 32-bit id, as yjs does. */
  clientID?: number;
  /** Collect deleted content (default true). */
  gc?: boolean;
}

export class Doc {
  constructor(opts?: DocOptions);
  readonly clientID: number;
  readonly destroyed: boolean;
  /** True while some applied updates wait for missing dependencies. */
  readonly hasPending: boolean;
  getText(name?: string): Text;
  getArray(name?: string): YArray;
  getMap(name?: string): YMap;
  /** Runs fn in one transaction (one 'update' event); transactions nest. Returns fn's result. */
  transact<T>(fn: (tr: Transaction) => T, origin?: unknown): T;
  on(name: 'update', fn: (update: Uint8Array, origin: unknown, doc: Doc, tr: Transaction) => void): void;
  on(name: 'destroy', fn: (doc: Doc) => void): void;
  once(name: 'update', fn: (update: Uint8Array, origin: unknown, doc: Doc, tr: Transaction) => void): void;
  once(name: 'destroy', fn: (doc: Doc) => void): void;
  off(name: 'update' | 'destroy', fn: (...args: any[]) => void): void;
  /** Frees the document now; any later use throws. */
  destroy(): void;
  /** Every root type as JSON (texts as strings). */
  toJSON(): { [name: string]: JsonValue };
}

/** Base of Text, Array and Map. Created with `new`, a type is preliminary until inserted into a document. */
export abstract class AbstractType {
  /** The document, or null while preliminary. */
  readonly doc: Doc | null;
  toJSON(): JsonValue;
}

export class Text extends AbstractType {
  constructor(string?: string);
  readonly length: number;
  insert(index: number, text: string, attributes?: { [key: string]: JsonValue } | null): void;
  insertEmbed(index: number, embed: JsonValue, attributes?: { [key: string]: JsonValue } | null): void;
  delete(index: number, length: number): void;
  /** Sets formatting on a range; an attribute set to null is removed. */
  format(index: number, length: number, attributes: { [key: string]: JsonValue }): void;
  applyDelta(delta: DeltaOp[]): void;
  toString(): string;
  toJSON(): string;
  toDelta(): DeltaOp[];
  observe(fn: (event: TextEvent, tr: Transaction) => void): void;
  unobserve(fn: (event: TextEvent, tr: Transaction) => void): void;
  /** The runs turning the version at prev into the one at next (null: the empty document / now); needs gc: false. */
  diff(prev?: Snapshot | null, next?: Snapshot | null): TextDiffOp[];
  /** Which client inserted each part of the text, in order, without gaps. */
  authorship(): AuthorRun[];
}

/** One run of Text#diff; `client` inserted the content (yjs's ychange user). */
export interface TextDiffOp {
  retain?: number;
  insert?: string | JsonValue;
  delete?: number;
  /** The deleted text (or `embed` for a deleted embed). */
  text?: string;
  embed?: JsonValue;
  client?: number;
}

export interface AuthorRun {
  index: number;
  length: number;
  client: number;
}

/** One key of YMap#diff. */
export interface MapDiffEntry {
  key: string;
  action: 'add' | 'update' | 'delete';
  old?: JsonValue;
  new?: JsonValue;
  client: number;
}

declare class YArray<T = any> extends AbstractType implements Iterable<T> {
  constructor();
  static from<T extends Value>(items: T[]): YArray<T>;
  readonly length: number;
  insert(index: number, content: Value[]): void;
  push(content: Value[]): void;
  unshift(content: Value[]): void;
  delete(index: number, length?: number): void;
  /** The element at index, or undefined past the end. */
  get(index: number): T | undefined;
  toArray(): T[];
  slice(start?: number, end?: number): T[];
  map<R>(fn: (value: T, index: number, array: YArray<T>) => R): R[];
  forEach(fn: (value: T, index: number, array: YArray<T>) => void): void;
  [Symbol.iterator](): IterableIterator<T>;
  toJSON(): JsonValue[];
}

declare class YMap<T = any> extends AbstractType implements Iterable<[string, T]> {
  constructor(entries?: Iterable<readonly [string, Value]>);
  readonly size: number;
  set<V extends Value>(key: string, value: V): V;
  /** The value under key, or undefined. */
  get(key: string): T | undefined;
  has(key: string): boolean;
  delete(key: string): void;
  clear(): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[string, T]>;
  forEach(fn: (value: T, key: string, map: YMap<T>) => void): void;
  [Symbol.iterator](): IterableIterator<[string, T]>;
  toJSON(): { [key: string]: JsonValue };
  /** The keys whose value differs between the two snapshots (null: the empty document / now), ascending. */
  diff(prev?: Snapshot | null, next?: Snapshot | null): MapDiffEntry[];
}

export { YArray as Array, YMap as Map, Text as YText, YArray, YMap };

/** The whole state as one update, or what a peer with that state vector lacks. */
export function encodeStateAsUpdate(doc: Doc, encodedTargetStateVector?: Uint8Array): Uint8Array;
/** Applies an update as one transaction with the given origin. */
export function applyUpdate(doc: Doc, update: Uint8Array, transactionOrigin?: unknown): void;
export function encodeStateVector(doc: Doc): Uint8Array;
/** Merges updates into one, without a document. */
export function mergeUpdates(updates: Uint8Array[]): Uint8Array;
/** The state vector a document would have after applying only this update. */
export function encodeStateVectorFromUpdate(update: Uint8Array): Uint8Array;
// ---- History: snapshots (yjs's encodeSnapshot format) and persistence ----

/** A document's version (delete set and state vector); encodeSnapshot gives yjs's bytes. */
export class Snapshot {
  private constructor();
}
/** The document's snapshot now. */
export function snapshot(doc: Doc): Snapshot;
export function encodeSnapshot(snapshot: Snapshot): Uint8Array;
/** Throws CODESYNC_ERR_MALFORMED for bytes that are not a snapshot. */
export function decodeSnapshot(buf: Uint8Array): Snapshot;
export function equalSnapshots(a: Snapshot, b: Snapshot): boolean;
export const emptySnapshot: Snapshot;
/** True when everything the update inserts and deletes is already in the snapshot. */
export function snapshotContainsUpdate(snapshot: Snapshot, update: Uint8Array): boolean;
/** A document holding what originDoc (gc: false) held at the snapshot; newDoc receives it when given. */
export function createDocFromSnapshot(originDoc: Doc, snapshot: Snapshot, newDoc?: Doc | null, opts?: DocOptions): Doc;
/** Makes the root types read as at the snapshot, by ordinary edits in one transaction; needs gc: false. */
export function restoreSnapshot(doc: Doc, snapshot: Snapshot, origin?: unknown): void;

export interface ContainerOptions {
  guid?: string | null;
  /** String values only. */
  metadata?: { [key: string]: string } | null;
}
export interface ContainerInfo {
  formatVersion: number;
  guid: string;
  metadata: { [key: string]: string | number[] };
  stateVector: Map<number, number>;
  stateBytes: number;
}
/** The whole document as a verified container for storage. */
export function saveContainer(doc: Doc, opts?: ContainerOptions): Uint8Array;
/** Verifies a container and merges its state into doc (origin 'container'). */
export function loadContainer(doc: Doc, data: Uint8Array): void;
/** Verifies a container and describes it without a document. */
export function containerInfo(data: Uint8Array): ContainerInfo;

// ---- Relative positions (yjs's RelativePosition) and the undo manager ----

export interface ID {
  client: number;
  clock: number;
}
/** A position that follows edits; yjs's fields. */
export class RelativePosition {
  private constructor();
  readonly type: ID | null;
  readonly tname: string | null;
  readonly item: ID | null;
  readonly assoc: number;
}
export interface AbsolutePosition {
  /** The Text or Array the position was made from, when it is in that document; else null. */
  type: Text | YArray | null;
  index: number;
  assoc: number;
}
/** assoc >= 0 (default) sticks to the character after index, < 0 to the one before. */
export function createRelativePositionFromTypeIndex(type: Text | YArray, index: number, assoc?: number): RelativePosition;
/** null when the position's type was deleted or is not in doc (yet). */
export function createAbsolutePositionFromRelativePosition(rpos: RelativePosition, doc: Doc): AbsolutePosition | null;
export function encodeRelativePosition(rpos: RelativePosition): Uint8Array;
export function decodeRelativePosition(buf: Uint8Array): RelativePosition;
export function relativePositionToJSON(rpos: RelativePosition): { [key: string]: JsonValue };
export function createRelativePositionFromJSON(json: { [key: string]: any }): RelativePosition;
export function compareRelativePositions(a: RelativePosition | null, b: RelativePosition | null): boolean;

export class StackItem {
  /** Yours: e.g. the selection (as relative positions) before the change. */
  meta: Map<any, any>;
}
export interface StackItemEvent {
  stackItem: StackItem;
  origin: unknown;
  type: 'undo' | 'redo';
  changedParentTypes: Map<any, any>;
}
export interface UndoManagerOptions {
  /** Milliseconds within which changes merge into one stack item (default 500; 0: never). */
  captureTimeout?: number;
  /** Origins whose changes are recorded (default: new Set([null]), plain local edits). */
  trackedOrigins?: Set<unknown>;
  /** The document, when the scope is empty. */
  doc?: Doc;
  /** Milliseconds of a monotonic clock (default performance.now). */
  clock?: () => number;
}
export class UndoManager {
  constructor(typeScope: AbstractType | AbstractType[], opts?: UndoManagerOptions);
  readonly doc: Doc;
  readonly trackedOrigins: Set<unknown>;
  readonly destroyed: boolean;
  readonly undoDepth: number;
  readonly redoDepth: number;
  addToScope(types: AbstractType | AbstractType[]): void;
  addTrackedOrigin(origin: unknown): void;
  removeTrackedOrigin(origin: unknown): void;
  /** The popped stack item, or null when nothing changed. */
  undo(): StackItem | null;
  redo(): StackItem | null;
  canUndo(): boolean;
  canRedo(): boolean;
  stopCapturing(): void;
  clear(): void;
  on(name: 'stack-item-added' | 'stack-item-updated' | 'stack-item-popped', fn: (event: StackItemEvent, um: UndoManager) => void): void;
  on(name: 'stack-cleared', fn: (event: { undoStackCleared: boolean; redoStackCleared: boolean }, um: UndoManager) => void): void;
  once(name: 'stack-item-added' | 'stack-item-updated' | 'stack-item-popped', fn: (event: StackItemEvent, um: UndoManager) => void): void;
  off(name: string, fn: (...args: any[]) => void): void;
  /** Frees the manager (also done when its document is destroyed). */
  destroy(): void;
}

/** The library version, e.g. "0.1.0". */
export const version: string;

// ---- Awareness (as y-protocols/awareness) ----

/** Client ids whose state was added, changed (or, for 'update', renewed) or removed. */
export interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

export interface AwarenessOptions {
  /** Milliseconds after which a silent remote client's state is removed (default 30000). */
  outdatedTimeout?: number;
  /** Milliseconds of a monotonic clock (default performance.now). */
  clock?: () => number;
  /** Renew and expire by an unref'd timer every outdatedTimeout/10 ms, as y-protocols (default true). */
  autoTick?: boolean;
}

/** Presence states per client, wire-compatible with y-protocols; starts with the local state {}. */
export class Awareness {
  constructor(doc: Doc, opts?: AwarenessOptions);
  readonly doc: Doc;
  readonly clientID: number;
  /** Every client's state (a new Map each time). */
  readonly states: globalThis.Map<number, any>;
  getLocalState(): any;
  /** Sets the local state (any JSON value); null removes it. */
  setLocalState(state: JsonValue | { [key: string]: any } | null): void;
  /** Sets one field of the local state; does nothing when there is none. */
  setLocalStateField(field: string, value: JsonValue | { [key: string]: any }): void;
  getStates(): globalThis.Map<number, any>;
  /** A client's last known clock (kept after its state is removed), or undefined if never seen. */
  getClock(clientID: number): number | undefined;
  /** Renews the local state if due and removes expired remote states (origin 'timeout'). */
  tick(now?: number): void;
  /** 'change': states added, changed or removed. 'update': after every change, renewals in `updated`. */
  on(name: 'change' | 'update', fn: (change: AwarenessChange, origin: unknown) => void): void;
  on(name: 'destroy', fn: (awareness: Awareness) => void): void;
  once(name: 'change' | 'update', fn: (change: AwarenessChange, origin: unknown) => void): void;
  once(name: 'destroy', fn: (awareness: Awareness) => void): void;
  off(name: 'change' | 'update' | 'destroy', fn: (...args: any[]) => void): void;
  /** Removes the local state, stops the timer and frees the awareness. */
  destroy(): void;
}

/** An awareness update with these clients (default: every client with a state). */
export function encodeAwarenessUpdate(awareness: Awareness, clients?: number[]): Uint8Array;
/** Applies an awareness update; a malformed one throws (CODESYNC_ERR_MALFORMED) and changes nothing. */
export function applyAwarenessUpdate(awareness: Awareness, update: Uint8Array, origin?: unknown): void;
/** Marks clients as gone (e.g. when the connection that owned them closed). */
export function removeAwarenessStates(awareness: Awareness, clients: number[], origin?: unknown): void;

// ---- Sync protocol (y-protocols messages in y-websocket's envelope) ----

export const messageKind: {
  readonly syncStep1: 0;
  readonly syncStep2: 1;
  readonly syncUpdate: 2;
  readonly awareness: 3;
  readonly permissionDenied: 4;
  readonly queryAwareness: 5;
};
export type MessageKind = 0 | 1 | 2 | 3 | 4 | 5;

/** Splits one frame into its kind and payload; throws CODESYNC_ERR_MALFORMED for an invalid one. */
export function decodeMessage(frame: Uint8Array): { kind: MessageKind; payload: Uint8Array };
export function encodeSyncStep1(doc: Doc): Uint8Array;
/** What a peer with that state vector lacks (everything when absent). */
export function encodeSyncStep2(doc: Doc, stateVector?: Uint8Array): Uint8Array;
export function encodeSyncUpdate(update: Uint8Array): Uint8Array;
export function encodeAwarenessMessage(awareness: Awareness, clients?: number[]): Uint8Array;
export function encodePermissionDenied(reason: string): Uint8Array;
export function encodeQueryAwareness(): Uint8Array;
/** Handles one received frame as y-websocket's provider does; reply is null when there is nothing to send. */
export function receiveMessage(
  doc: Doc,
  frame: Uint8Array,
  opts?: { awareness?: Awareness | null; origin?: unknown },
): { kind: MessageKind; reply: Uint8Array | null };

// ---- Rooms: the server side of y-websocket, without I/O ----

export interface RoomOptions {
  /** The room document's client id; 0 or absent: random. */
  clientID?: number;
  gc?: boolean;
  /** Milliseconds after which a silent client's presence is removed (default 30000). */
  awarenessTimeout?: number;
  /** Milliseconds of a monotonic clock (default performance.now). */
  clock?: () => number;
  /** Call tick() from an unref'd timer every awarenessTimeout/10 ms (default true). */
  autoTick?: boolean;
}

export interface RoomMessage {
  connId: number;
  frame: Uint8Array;
}

export class Room {
  constructor(opts?: RoomOptions);
  /** The room's document: load persisted state before attaching anyone; its updates have origin 'conn:<id>'. */
  readonly doc: Doc;
  /** The room's awareness (no local state at first). */
  readonly awareness: Awareness;
  readonly destroyed: boolean;
  readonly pendingMessages: number;
  readonly connectionCount: number;
  attach(connId: number, opts?: { readOnly?: boolean }): void;
  detach(connId: number): void;
  setReadOnly(connId: number, readOnly: boolean): void;
  /** Handles one frame from a connection; replies and broadcasts are queued. */
  receive(connId: number, frame: Uint8Array): void;
  tick(now?: number): void;
  /** The oldest queued frame, or null. */
  nextMessage(): RoomMessage | null;
  /** Pops queued frames until none is left. */
  messages(): IterableIterator<RoomMessage>;
  /** Frees the room (its doc and awareness too). */
  destroy(): void;
}
