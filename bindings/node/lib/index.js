'use strict';
// codesync for Node: documents wire-compatible with Yjs 13.6, with an API in
// the spirit of yjs (Doc, getText, insert/delete, encodeStateAsUpdate,
// applyUpdate, encodeStateVector, 'update' events, text observers).
//
// Text indices and lengths are UTF-16 code units, as in yjs and JS strings.
// A document and everything obtained from it are used from one thread.
const native = require('./native.js');

// Origins that are not strings travel through the C library as tokens and
// are handed back to listeners as the original values. One table for the
// process, so a token held for a document also resolves for an awareness.
const ORIGIN_PREFIX = '\u001bcodesync-origin:';
const originTokens = new Map(); // origin value -> { token, count }
const originValues = new Map(); // token -> origin value
let nextOrigin = 1;

function holdOrigin(origin) {
  if (origin === null || origin === undefined) return null;
  if (typeof origin === 'string') return origin;
  let entry = originTokens.get(origin);
  if (!entry) {
    entry = { token: `${ORIGIN_PREFIX}${nextOrigin++}`, count: 0 };
    originTokens.set(origin, entry);
    originValues.set(entry.token, origin);
  }
  entry.count++;
  return entry.token;
}

function releaseOrigin(token) {
  if (token === null || !originValues.has(token)) return;
  const origin = originValues.get(token);
  const entry = originTokens.get(origin);
  if (--entry.count === 0) {
    originTokens.delete(origin);
    originValues.delete(token);
  }
}

function originOf(origin) {
  if (origin === null) return null;
  return originValues.has(origin) ? originValues.get(origin) : origin;
}

function jsonOf(value, what) {
  if (value instanceof Uint8Array || ArrayBuffer.isView(value)) {
    throw new TypeError(`${what}: binary values are not supported yet`);
  }
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${what}: not a JSON value`);
  return json;
}

function isShared(value) {
  return value instanceof YText || value instanceof YArray || value instanceof YMap;
}

class Doc {
  /**
   * @param {{clientID?: number, gc?: boolean}} [opts] clientID 0 or absent
   *   picks a random 32-bit id, as yjs does.
   */
  constructor({ clientID = 0, gc = true } = {}, _native = null) {
    this._n = _native || new native.NativeDoc(clientID, gc, native.OFFSET_UTF16);
    this._types = new Map(); // handle key -> wrapper
    this._listeners = new Map(); // event name -> listener array
    this.destroyed = false;
    this._n._onUpdate = (update, origin) => {
      const o = this._originOf(origin);
      const tr = { origin: o, doc: this };
      for (const fn of [...(this._listeners.get('update') || [])]) fn(update, o, this, tr);
    };
    this._n._onDelta = (key, delta, origin) => {
      const text = this._types.get(key);
      if (text) text._emit(delta, this._originOf(origin));
    };
  }

  get clientID() {
    return this._n.clientId;
  }

  /** True while some applied updates wait for missing dependencies. */
  get hasPending() {
    return this._n.hasPending();
  }

  getText(name = '') {
    return this._wrap(this._n.text(name));
  }

  getArray(name = '') {
    return this._wrap(this._n.array(name));
  }

  getMap(name = '') {
    return this._wrap(this._n.map(name));
  }

  /**
   * Runs fn inside one transaction (one 'update' event). Transactions nest;
   * listeners run when the outermost ends. Returns fn's result.
   */
  transact(fn, origin = null) {
    const token = this._holdOrigin(origin);
    try {
      this._n.begin(token);
      let result;
      try {
        result = fn({ doc: this, origin });
      } finally {
        this._n.commit();
      }
      return result;
    } finally {
      this._releaseOrigin(token);
    }
  }

  /** Events: 'update' (update, origin, doc, transaction) and 'destroy' (doc). */
  on(name, fn) {
    if (name !== 'update' && name !== 'destroy') throw new TypeError(`unsupported event: ${name}`);
    let list = this._listeners.get(name);
    if (!list) this._listeners.set(name, (list = []));
    list.push(fn);
    if (name === 'update' && list.length === 1) this._n.observeUpdates();
  }

  once(name, fn) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      fn(...args);
    };
    this.on(name, wrapper);
  }

  off(name, fn) {
    const list = this._listeners.get(name);
    if (!list) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
    if (name === 'update' && list.length === 0 && !this.destroyed) this._n.unobserveUpdates();
  }

  /** Frees the document now; any later use throws. */
  destroy() {
    if (this.destroyed) return;
    for (const fn of [...(this._listeners.get('destroy') || [])]) fn(this);
    this.destroyed = true;
    this._n.destroy();
    this._types.clear();
  }

  /** Every root type as JSON values (texts as strings). */
  toJSON() {
    return JSON.parse(this._n.toJSON());
  }

  _wrap(h) {
    let w = this._types.get(h.key);
    if (w === undefined) {
      w = h instanceof native.NativeText ? new YText() : h instanceof native.NativeArray ? new YArray() : new YMap();
      w._bind(this, h);
    }
    return w;
  }

  _value(raw) {
    return typeof raw === 'string' ? JSON.parse(raw) : this._wrap(raw);
  }

  // The process-wide origin table (the tests check that tokens are released).
  get _originTokens() {
    return originTokens;
  }

  _holdOrigin(origin) {
    return holdOrigin(origin);
  }

  _releaseOrigin(token) {
    releaseOrigin(token);
  }

  _originOf(origin) {
    return originOf(origin);
  }
}

// Shared types: created with `new` they are preliminary (content kept in JS)
// until inserted into a Map or Array of a document; obtained from a document
// they are integrated.
class AbstractType {
  constructor() {
    this.doc = null;
    this._h = null;
  }

  _bind(doc, h) {
    this.doc = doc;
    this._h = h;
    doc._types.set(h.key, this);
  }

  _integrate(doc, h) {
    if (this._h) throw new Error(`this ${this.constructor.name} already belongs to a document`);
    const prelim = this._prelim;
    this._prelim = null;
    this._bind(doc, h);
    doc.transact(() => this._fill(prelim));
  }

  _transact(fn) {
    return this.doc.transact(fn);
  }
}

class YText extends AbstractType {
  constructor(string = '') {
    super();
    this._prelim = String(string);
    this._observers = [];
  }

  _fill(prelim) {
    if (prelim) this._h.insert(0, prelim);
  }

  /** Inserts text at index (UTF-16 units), with formatting attributes if given. */
  insert(index, text, attributes) {
    const h = this._h;
    if (h === null) {
      this._prelim = this._prelim.slice(0, index) + text + this._prelim.slice(index);
    } else if (attributes == null) {
      h.insert(index, text);
    } else {
      h.insert(index, text, jsonOf(attributes, 'attributes'));
    }
  }

  /** Inserts an embed (any JSON value) occupying one position. */
  insertEmbed(index, embed, attributes) {
    const h = this._needH();
    if (attributes == null) {
      h.insertEmbed(index, jsonOf(embed, 'embed'));
    } else {
      this._transact(() => {
        h.insertEmbed(index, jsonOf(embed, 'embed'));
        h.format(index, 1, jsonOf(attributes, 'attributes'));
      });
    }
  }

  delete(index, length) {
    const h = this._h;
    if (h === null) {
      this._prelim = this._prelim.slice(0, index) + this._prelim.slice(index + length);
    } else {
      h.delete(index, length);
    }
  }

  /** Sets formatting on a range; an attribute set to null is removed. */
  format(index, length, attributes) {
    this._needH().format(index, length, jsonOf(attributes, 'attributes'));
  }

  /** Applies a Quill/yjs-style delta ({retain}, {insert, attributes}, {delete}). */
  applyDelta(delta) {
    const h = this._needH();
    this._transact(() => {
      let index = 0;
      for (const op of delta) {
        if (op.insert !== undefined) {
          if (typeof op.insert === 'string') {
            this.insert(index, op.insert, op.attributes);
            index += op.insert.length;
          } else {
            this.insertEmbed(index, op.insert, op.attributes);
            index += 1;
          }
        } else if (op.retain !== undefined) {
          if (op.attributes) h.format(index, op.retain, jsonOf(op.attributes, 'attributes'));
          index += op.retain;
        } else if (op.delete !== undefined) {
          h.delete(index, op.delete);
        }
      }
    });
  }

  get length() {
    const h = this._h;
    return h === null ? this._prelim.length : h.length;
  }

  toString() {
    const h = this._h;
    return h === null ? this._prelim : h.toString();
  }

  toJSON() {
    return this.toString();
  }

  /** The content as a delta: [{insert, attributes?}, ...]. */
  toDelta() {
    const h = this._h;
    if (h === null) return this._prelim ? [{ insert: this._prelim }] : [];
    return JSON.parse(h.toDelta());
  }

  /** fn(event, transaction) after each transaction that changed this text; event has delta, target, origin. */
  observe(fn) {
    const h = this._needH();
    this._observers.push(fn);
    if (this._observers.length === 1) this.doc._n.observeText(h);
  }

  unobserve(fn) {
    const i = this._observers.indexOf(fn);
    if (i < 0) return;
    this._observers.splice(i, 1);
    if (this._observers.length === 0 && this.doc && !this.doc.destroyed) this.doc._n.unobserveText(this._h);
  }

  _emit(delta, origin) {
    const transaction = { origin, doc: this.doc };
    const event = { target: this, currentTarget: this, delta, origin, transaction };
    for (const fn of [...this._observers]) fn(event, transaction);
  }

  _needH() {
    if (this._h === null) throw new Error('this Text is not in a document yet: insert it into a Map or Array first');
    return this._h;
  }

  /**
   * What changed between two snapshots (null/undefined: the empty document /
   * now), as runs turning the older version into the newer: {retain},
   * {insert, client} and {delete, text, client} (an embed: insert holds it, or
   * `embed` for a delete). `client` inserted the content (yjs's ychange
   * user). The document needs gc: false.
   */
  diff(prev = null, next = null) {
    return JSON.parse(this._needH().diff(snapshotBytes(prev, true), snapshotBytes(next, true)));
  }

  /** Which client inserted each part of the text: [{index, length, client}] covering it in order. */
  authorship() {
    return JSON.parse(this._needH().authorship());
  }
}

class YArray extends AbstractType {
  constructor() {
    super();
    this._prelim = [];
  }

  static from(items) {
    const a = new YArray();
    a.push(items);
    return a;
  }

  _fill(prelim) {
    if (prelim.length) this._insertValues(0, prelim);
  }

  // Runs of plain values go in one call; nested types one by one.
  _insertValues(index, values) {
    const h = this._h;
    if (!values.some(isShared)) {
      h.insertJson(index, jsonOf(values, 'value'));
      return;
    }
    this._transact(() => {
      let run = [];
      const flush = () => {
        if (run.length) {
          h.insertJson(index, jsonOf(run, 'value'));
          index += run.length;
          run = [];
        }
      };
      for (const v of values) {
        if (isShared(v)) {
          flush();
          const nested = v instanceof YText ? h.insertText(index) : v instanceof YArray ? h.insertArray(index) : h.insertMap(index);
          v._integrate(this.doc, nested);
          index += 1;
        } else {
          run.push(v);
        }
      }
      flush();
    });
  }

  /** Inserts the items of `content` (an array) before index. */
  insert(index, content) {
    if (!Array.isArray(content)) throw new TypeError('content must be an array');
    if (this._h === null) {
      this._prelim.splice(index, 0, ...content);
    } else if (content.length) {
      this._insertValues(index, content);
    }
  }

  push(content) {
    this.insert(this.length, content);
  }

  unshift(content) {
    this.insert(0, content);
  }

  delete(index, length = 1) {
    if (this._h === null) this._prelim.splice(index, length);
    else this._h.delete(index, length);
  }

  /** The element at index, or undefined past the end. */
  get(index) {
    const h = this._h;
    if (h === null) return this._prelim[index];
    if (!(index >= 0 && index < h.length)) return undefined;
    return this.doc._value(h.get(index));
  }

  get length() {
    const h = this._h;
    return h === null ? this._prelim.length : h.length;
  }

  /** The elements, with nested types as Text/Array/Map objects. */
  toArray() {
    const h = this._h;
    if (h === null) return this._prelim.slice();
    const out = new Array(h.length);
    for (let i = 0; i < out.length; i++) out[i] = this.doc._value(h.get(i));
    return out;
  }

  slice(start = 0, end = this.length) {
    return this.toArray().slice(start, end);
  }

  map(fn) {
    return this.toArray().map((v, i) => fn(v, i, this));
  }

  forEach(fn) {
    this.toArray().forEach((v, i) => fn(v, i, this));
  }

  [Symbol.iterator]() {
    return this.toArray()[Symbol.iterator]();
  }

  /** Plain JSON values, nested types converted too. */
  toJSON() {
    const h = this._h;
    if (h === null) return this._prelim.map((v) => (isShared(v) ? v.toJSON() : v));
    return JSON.parse(h.toJSON());
  }
}

class YMap extends AbstractType {
  constructor(entries) {
    super();
    this._prelim = new Map(entries);
  }

  _fill(prelim) {
    for (const [key, value] of prelim) this.set(key, value);
  }

  /** Sets key to a JSON value or a new nested Text/Array/Map; returns value. */
  set(key, value) {
    const h = this._h;
    if (h === null) {
      this._prelim.set(key, value);
    } else if (isShared(value)) {
      this._transact(() => {
        const nested = value instanceof YText ? h.setText(key) : value instanceof YArray ? h.setArray(key) : h.setMap(key);
        value._integrate(this.doc, nested);
      });
    } else {
      h.setJson(key, jsonOf(value, 'value'));
    }
    return value;
  }

  /** The value under key, or undefined. */
  get(key) {
    const h = this._h;
    if (h === null) return this._prelim.get(key);
    const raw = h.get(key);
    return raw === undefined ? undefined : this.doc._value(raw);
  }

  has(key) {
    const h = this._h;
    if (h === null) return this._prelim.has(key);
    return h.get(key) !== undefined;
  }

  delete(key) {
    const h = this._h;
    if (h === null) this._prelim.delete(key);
    else if (h.get(key) !== undefined) h.delete(key);
  }

  clear() {
    if (this._h === null) {
      this._prelim.clear();
      return;
    }
    const keys = [...this.keys()];
    if (keys.length) this._transact(() => keys.forEach((k) => this._h.delete(k)));
  }

  get size() {
    const h = this._h;
    return h === null ? this._prelim.size : h.size;
  }

  keys() {
    const h = this._h;
    if (h === null) return this._prelim.keys();
    return Object.keys(JSON.parse(h.toJSON()))[Symbol.iterator]();
  }

  values() {
    return [...this.keys()].map((k) => this.get(k))[Symbol.iterator]();
  }

  entries() {
    return [...this.keys()].map((k) => [k, this.get(k)])[Symbol.iterator]();
  }

  forEach(fn) {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  /** Plain JSON values, nested types converted too. */
  toJSON() {
    const h = this._h;
    if (h === null) {
      const out = {};
      for (const [k, v] of this._prelim) out[k] = isShared(v) ? v.toJSON() : v;
      return out;
    }
    return JSON.parse(h.toJSON());
  }

  /**
   * The keys whose value differs between two snapshots (null as in
   * Text#diff), ascending: [{key, action: 'add'|'update'|'delete', old?, new?, client}].
   */
  diff(prev = null, next = null) {
    if (this._h === null) throw new Error('this Map is not in a document yet: insert it into a Map or Array first');
    return JSON.parse(this._h.diff(snapshotBytes(prev, true), snapshotBytes(next, true)));
  }
}

/** The whole state as one update, or what a peer with the given state vector lacks. */
function encodeStateAsUpdate(doc, encodedTargetStateVector) {
  return doc._n.encodeUpdate(encodedTargetStateVector);
}

/** Applies an update as one transaction with the given origin. */
function applyUpdate(doc, update, transactionOrigin = null) {
  const token = doc._holdOrigin(transactionOrigin);
  try {
    doc._n.applyUpdate(update, token);
  } finally {
    doc._releaseOrigin(token);
  }
}

function encodeStateVector(doc) {
  return doc._n.stateVector();
}

/** Merges updates into one, without a document. */
function mergeUpdates(updates) {
  return native.mergeUpdates(updates);
}

/** The state vector a document would have after applying only this update. */
function encodeStateVectorFromUpdate(update) {
  return native.updateStateVector(update);
}

// ---- History: snapshots (yjs's format), versions, restore; persistence -----------

/**
 * A document's version: its delete set and state vector, held encoded as
 * yjs's encodeSnapshot (v1) makes them, so snapshots travel between codesync
 * and yjs through encodeSnapshot / decodeSnapshot.
 */
class Snapshot {
  constructor(bytes) {
    this._bytes = bytes;
  }
}

const EMPTY_UPDATE = new Uint8Array([0, 0]);

function snapshotBytes(snap, optional = false) {
  if ((snap === null || snap === undefined) && optional) return null;
  if (snap instanceof Snapshot) return snap._bytes;
  if (snap instanceof Uint8Array) return snap;
  throw new TypeError('expected a Snapshot (from snapshot() or decodeSnapshot())');
}

/** The document's snapshot now (cheap: no content is copied). */
function snapshot(doc) {
  return new Snapshot(doc._n.snapshot());
}

function encodeSnapshot(snap) {
  return snapshotBytes(snap).slice();
}

/** Decodes a snapshot (e.g. from yjs's encodeSnapshot); throws CODESYNC_ERR_MALFORMED for an invalid one. */
function decodeSnapshot(buf) {
  if (!(buf instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
  native.snapshotContainsUpdate(buf, EMPTY_UPDATE); // validates
  return new Snapshot(buf.slice());
}

function equalSnapshots(a, b) {
  const x = snapshotBytes(a);
  const y = snapshotBytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The snapshot of an empty document. */
const emptySnapshot = new Snapshot(new Uint8Array([0, 0]));

/** True when everything the update inserts and deletes is already in the snapshot. */
function snapshotContainsUpdate(snap, update) {
  return native.snapshotContainsUpdate(snapshotBytes(snap), update);
}

/**
 * A document holding what originDoc (created with gc: false) held at the
 * snapshot; originDoc is not modified. Without newDoc, a new Doc is made
 * (opts as for new Doc); with one, the old state is applied to it.
 */
function createDocFromSnapshot(originDoc, snap, newDoc = null, { clientID = 0, gc = true } = {}) {
  const n = originDoc._n.fromSnapshot(snapshotBytes(snap), clientID, gc);
  if (newDoc === null || newDoc === undefined) return new Doc({}, n);
  try {
    applyUpdate(newDoc, n.encodeUpdate());
  } finally {
    n.destroy();
  }
  return newDoc;
}

/**
 * Makes the document's root types read as they did at the snapshot, by
 * ordinary edits in one transaction with origin (one 'update' event for
 * peers). Needs gc: false.
 */
function restoreSnapshot(doc, snap, origin = null) {
  const token = doc._holdOrigin(origin);
  try {
    doc._n.restoreSnapshot(snapshotBytes(snap), token);
  } finally {
    doc._releaseOrigin(token);
  }
}

/**
 * The whole document as a verified container for storage (FlatBuffers,
 * checksummed): opts.guid a string, opts.metadata an object of string values.
 */
function saveContainer(doc, { guid = null, metadata = null } = {}) {
  return doc._n.saveContainer(guid, metadata === null || metadata === undefined ? null : jsonOf(metadata, 'metadata'));
}

/** Verifies a container and merges its state into doc (origin 'container'); a corrupt one throws and changes nothing. */
function loadContainer(doc, data) {
  doc._n.loadContainer(data);
}

/** Verifies a container and describes it without a document. */
function containerInfo(data) {
  const info = JSON.parse(native.containerInfo(data));
  return {
    formatVersion: info.format_version,
    guid: info.guid,
    metadata: info.metadata,
    stateVector: new Map(Object.entries(info.state_vector).map(([k, v]) => [Number(k), v])),
    stateBytes: info.state_bytes,
  };
}

// ---- Awareness ------------------------------------------------------------------

// A monotonic millisecond clock (the C library wants the same clock on every call).
function monotonicMs() {
  return Math.floor(performance.now());
}

// on/once/off/_emit for a class whose instances have `_listeners`, with these event names.
function listenerMixin(proto, events) {
  proto.on = function (name, fn) {
    if (!events.has(name)) throw new TypeError(`unsupported event: ${name}`);
    let list = this._listeners.get(name);
    if (!list) this._listeners.set(name, (list = []));
    list.push(fn);
  };
  proto.once = function (name, fn) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      fn(...args);
    };
    this.on(name, wrapper);
  };
  proto.off = function (name, fn) {
    const list = this._listeners.get(name);
    if (!list) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
  proto._emit = function (name, args) {
    for (const fn of [...(this._listeners.get(name) || [])]) fn(...args);
  };
}

/**
 * Presence states per client, as y-protocols/awareness: the same API and
 * wire format. States are JSON values; null means "no state". The client id
 * is the document's. Like y-protocols, a new awareness starts with the local
 * state {} and, unless `autoTick: false`, checks every timeout/10 ms (an
 * unref'd timer) to renew the local state and expire silent clients; without
 * it, call tick(). `clock` returns milliseconds of a monotonic clock.
 */
// ---- Relative positions (yjs's RelativePosition) -------------------------------

/**
 * A position in a text or array that stays attached to the character after
 * it (assoc >= 0) or before it (assoc < 0) whatever peers insert or delete.
 * Its fields are yjs's (type, tname, item as {client, clock}, assoc);
 * encodeRelativePosition gives yjs's bytes, relativePositionToJSON its JSON.
 */
class RelativePosition {
  constructor(bytes, json, type = null) {
    this._bytes = bytes;
    this._json = json;
    this._type = type;
    this.type = json.type ?? null;
    this.tname = json.tname ?? null;
    this.item = json.item ?? null;
    this.assoc = json.assoc ?? 0;
  }
}

function relposOf(bytes, type = null, json = null) {
  return new RelativePosition(bytes, json || JSON.parse(native.relposToJson(bytes)), type);
}

function needRelpos(rpos) {
  if (!(rpos instanceof RelativePosition)) throw new TypeError('expected a RelativePosition');
  return rpos._bytes;
}

/** The position at index (0..length) of a Text or Array; assoc < 0 sticks to the character before. */
function createRelativePositionFromTypeIndex(type, index, assoc = 0) {
  if (!(type instanceof YText || type instanceof YArray)) throw new TypeError('expected a Text or Array');
  if (type._h === null) throw new Error(`this ${type.constructor.name} is not in a document yet`);
  // The JSON names the type beside the item, as yjs's does; the bytes name it only without an item.
  return relposOf(type._h.relpos(index, assoc), type, JSON.parse(type._h.relposJson(index, assoc)));
}

/**
 * {type, index, assoc} for the position in doc now, or null when its type was
 * deleted or is not in doc (yet). `type` is the Text or Array the position was
 * made from when that is in doc, else null.
 */
function createAbsolutePositionFromRelativePosition(rpos, doc) {
  const [index, state] = doc._n.relposToIndex(needRelpos(rpos));
  if (state !== native.RELPOS_FOUND) return null;
  const type = rpos._type && rpos._type.doc === doc ? rpos._type : null;
  return { type, index, assoc: rpos.assoc };
}

function encodeRelativePosition(rpos) {
  return needRelpos(rpos).slice();
}

/** Throws CODESYNC_ERR_MALFORMED for bytes that are not a position. */
function decodeRelativePosition(buf) {
  if (!(buf instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
  return relposOf(buf.slice());
}

function relativePositionToJSON(rpos) {
  needRelpos(rpos);
  return JSON.parse(JSON.stringify(rpos._json));
}

/** From relativePositionToJSON's object (ours or yjs's); throws CODESYNC_ERR_INVALID_ARGUMENT for another value. */
function createRelativePositionFromJSON(json) {
  const text = jsonOf(json, 'position');
  return relposOf(native.relposFromJson(text), null, JSON.parse(text));
}

function compareRelativePositions(a, b) {
  if (a === b) return true;
  if (!(a instanceof RelativePosition) || !(b instanceof RelativePosition)) return false;
  const x = a._bytes;
  const y = b._bytes;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// ---- Undo manager (yjs's UndoManager) ------------------------------------------

const UNDO_KINDS = ['stack-item-added', 'stack-item-updated', 'stack-item-popped'];

/** One undo or redo stack entry; `meta` is a Map for the embedder (e.g. the cursor before the change). */
class StackItem {
  constructor() {
    this.meta = new Map();
  }
}

/**
 * Undo/redo of the changes tracked origins make to some types, as yjs's
 * UndoManager: undo deletes what a stack item inserted and re-creates what it
 * deleted, so peers' edits made meanwhile are kept. Changes within
 * captureTimeout ms are one stack item until stopCapturing(). Tracked origins
 * default to {null} (plain local edits): apply remote updates with an origin.
 * Undo and redo run with this manager as their origin. Events:
 * 'stack-item-added', 'stack-item-updated', 'stack-item-popped' ({stackItem,
 * origin, type: 'undo'|'redo'}, manager) and 'stack-cleared'. Call destroy()
 * when done.
 */
class UndoManager {
  constructor(typeScope, { captureTimeout = 500, trackedOrigins = new Set([null]), doc = null, clock = monotonicMs } = {}) {
    const scope = Array.isArray(typeScope) ? typeScope : [typeScope];
    doc = doc || (scope[0] && scope[0].doc);
    if (!(doc instanceof Doc)) throw new TypeError('UndoManager needs a type of a document (or opts.doc)');
    this.doc = doc;
    this.trackedOrigins = new Set();
    this.destroyed = false;
    this._listeners = new Map();
    this._items = new Map(); // id -> StackItem, named by the C item's meta
    this._stacks = [[], []]; // item ids of the undo and redo stacks, bottom first
    this._nextItem = 1;
    this._popped = null;
    this._poppedIds = [];
    this._busy = false;
    // The origin of undo's and redo's transactions: a token that names this
    // manager only while they run, so the process-wide origin table never
    // keeps a manager alive.
    this._token = `${ORIGIN_PREFIX}undo-manager:${nextOrigin++}`;
    this._clock = clock;
    this._n = new native.NativeUndo(doc._n, captureTimeout, this._token, true);
    this._n._clock = () => this._clock();
    this._n._onEvent = (kind, stack, origin, meta) => this._onEvent(kind, stack, origin, meta);
    // Freed with its document at the latest (the library frees the C manager first).
    this._onDocDestroy = () => this.destroy();
    doc.on('destroy', this._onDocDestroy);
    this._n.removeTrackedOrigin(null);
    for (const o of trackedOrigins) this.addTrackedOrigin(o);
    this.addToScope(scope);
  }

  addToScope(types) {
    for (const t of Array.isArray(types) ? types : [types]) {
      if (!(isShared(t)) || t.doc !== this.doc || t._h === null) {
        throw new TypeError("the scope must be Texts, Arrays or Maps of the manager's document");
      }
      this._n.addType(t._h);
    }
  }

  addTrackedOrigin(origin) {
    if (this.trackedOrigins.has(origin)) return;
    this.trackedOrigins.add(origin);
    this._n.addTrackedOrigin(holdOrigin(origin));
  }

  removeTrackedOrigin(origin) {
    if (!this.trackedOrigins.delete(origin)) return;
    const token = holdOrigin(origin);
    this._n.removeTrackedOrigin(token);
    releaseOrigin(token);
    releaseOrigin(token);
  }

  /** Undoes the newest stack item; returns it, or null when nothing changed. */
  undo() {
    return this._run(() => this._n.undo());
  }

  redo() {
    return this._run(() => this._n.redo());
  }

  _forgetPopped() {
    for (const id of this._poppedIds) this._items.delete(id);
    this._poppedIds = [];
  }

  _run(op) {
    this._forgetPopped();
    this._popped = null;
    this._busy = true;
    originValues.set(this._token, this);
    try {
      return op() ? this._popped : null;
    } finally {
      originValues.delete(this._token);
      this._busy = false;
      this._trim();
    }
  }

  // Forgets the items the library dropped (a cleared redo stack, items with nothing left to change).
  _trim() {
    if (this.destroyed) return;
    const depths = [this._n.undoDepth, this._n.redoDepth];
    this._stacks.forEach((ids, s) => {
      while (ids.length > depths[s]) {
        const id = ids.pop();
        if (!this._poppedIds.includes(id)) this._items.delete(id);
      }
    });
  }

  canUndo() {
    return this._n.canUndo;
  }

  canRedo() {
    return this._n.canRedo;
  }

  get undoDepth() {
    return this._n.undoDepth;
  }

  get redoDepth() {
    return this._n.redoDepth;
  }

  /** The next change starts a new stack item. */
  stopCapturing() {
    this._n.stopCapturing();
  }

  /** Empties both stacks (yjs's clear(clearUndoStack = true, clearRedoStack = true)). */
  clear() {
    const event = { undoStackCleared: this._n.canUndo, redoStackCleared: this._n.canRedo };
    this._n.clear();
    this._items.clear();
    this._stacks = [[], []];
    if (event.undoStackCleared || event.redoStackCleared) this._emit('stack-cleared', [event, this]);
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this._n.destroy();
    for (const o of this.trackedOrigins) {
      const token = holdOrigin(o); // the token addTrackedOrigin held, released with this extra hold
      releaseOrigin(token);
      releaseOrigin(token);
    }
    this.doc.off('destroy', this._onDocDestroy);
    this._items.clear();
  }

  _onEvent(kind, stack, origin, meta) {
    const type = stack === 0 ? 'undo' : 'redo';
    let item;
    if (kind === 0) {
      const id = this._nextItem++;
      item = new StackItem();
      this._items.set(id, item);
      this._stacks[stack].push(id);
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, id, true);
      this._n.setMeta(stack, bytes);
      if (!this._busy) {
        // A new change: it cleared the redo stack, and the last undo's events are over.
        this._forgetPopped();
        this._trim();
      }
    } else {
      const bytes = kind === 2 ? meta : this._n.getMeta(stack);
      const id = bytes && bytes.length === 8 ? new DataView(bytes.buffer, bytes.byteOffset).getFloat64(0, true) : 0;
      item = this._items.get(id);
      if (kind === 2) {
        // Listeners still see it in this event; its changes went to the other stack as a new item.
        this._popped = item || null;
        this._poppedIds.push(id);
        const ids = this._stacks[stack];
        const i = ids.indexOf(id);
        if (i >= 0) {
          for (const dropped of ids.slice(i + 1)) this._items.delete(dropped); // nothing left to change
          ids.length = i;
        }
      }
    }
    if (item) this._emit(UNDO_KINDS[kind], [{ stackItem: item, origin: originOf(origin), type, changedParentTypes: new Map() }, this]);
  }

}
listenerMixin(UndoManager.prototype, new Set(['stack-item-added', 'stack-item-updated', 'stack-item-popped', 'stack-cleared']));

class Awareness {
  constructor(doc, { outdatedTimeout = 30000, clock = monotonicMs, autoTick = true } = {}, _native = null) {
    if (!(doc instanceof Doc)) throw new TypeError('Awareness needs a Doc');
    this.doc = doc;
    this._clock = clock;
    this._listeners = new Map();
    this._n = _native || new native.NativeAwareness(doc.clientID, outdatedTimeout);
    this._n._onChange = (added, updated, renewed, removed, origin) => {
      const o = originOf(origin);
      if (added.length || updated.length || removed.length) {
        this._emit('change', [{ added, updated, removed }, o]);
      }
      const all = renewed.length ? [...updated, ...renewed].sort((a, b) => a - b) : updated;
      this._emit('update', [{ added, updated: all, removed }, o]);
    };
    this._timer = null;
    this._destroyed = false;
    if (!_native) this.setLocalState({});
    if (autoTick) {
      const period = Math.max(1, Math.floor((outdatedTimeout > 0 ? outdatedTimeout : 30000) / 10));
      this._timer = setInterval(() => this.tick(), period);
      if (this._timer.unref) this._timer.unref();
    }
  }

  get clientID() {
    return this._n.clientId;
  }

  getLocalState() {
    return JSON.parse(this._n.localState());
  }

  /** Sets the local state (any JSON value); null removes it. */
  setLocalState(state) {
    this._n.setLocalState(state === null || state === undefined ? null : jsonOf(state, 'state'), this._clock());
  }

  /** Sets one field of the local state (an object); does nothing when there is none. */
  setLocalStateField(field, value) {
    const state = this.getLocalState();
    if (state !== null && typeof state === 'object') this.setLocalState({ ...state, [field]: value });
  }

  /** Every client's state (a new Map: client id -> state). */
  getStates() {
    const states = new Map();
    for (const [k, v] of Object.entries(JSON.parse(this._n.statesJson()))) states.set(Number(k), v);
    return states;
  }

  get states() {
    return this.getStates();
  }

  /** A client's last known clock (kept after its state is removed), or undefined if never seen. */
  getClock(clientID) {
    return this._n.clock(clientID);
  }

  /** Renews the local state if due and removes expired remote states (origin 'timeout'). */
  tick(now = this._clock()) {
    this._n.tick(now);
  }

  /** Stops the timer and frees the awareness; as y-protocols, the local state is removed first. */
  destroy() {
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
    if (this._destroyed) return;
    this._destroyed = true;
    this._emit('destroy', [this]);
    try {
      this.setLocalState(null);
    } finally {
      this._n.destroy();
    }
  }
}
// Events: 'change' ({added, updated, removed}, origin) when states were added,
// changed or removed; 'update' (the same, renewals counted in `updated`) after
// every change; 'destroy' (awareness).
listenerMixin(Awareness.prototype, new Set(['change', 'update', 'destroy']));

/** An awareness update with these clients (default: every client with a state). */
function encodeAwarenessUpdate(awareness, clients) {
  return awareness._n.encodeUpdate(clients === undefined ? null : clients);
}

/** Applies an awareness update; a malformed one throws and changes nothing. */
function applyAwarenessUpdate(awareness, update, origin = null) {
  const token = holdOrigin(origin);
  try {
    awareness._n.applyUpdate(update, awareness._clock(), token);
  } finally {
    releaseOrigin(token);
  }
}

/** Marks clients as gone (e.g. when the connection that owned them closed). */
function removeAwarenessStates(awareness, clients, origin = null) {
  const token = holdOrigin(origin);
  try {
    awareness._n.removeStates(clients, awareness._clock(), token);
  } finally {
    releaseOrigin(token);
  }
}

// ---- Sync protocol ------------------------------------------------------------------

/** What a y-websocket frame carries. */
const messageKind = Object.freeze({
  syncStep1: 0,
  syncStep2: 1,
  syncUpdate: 2,
  awareness: 3,
  permissionDenied: 4,
  queryAwareness: 5
});

/** Splits one frame into {kind, payload}; throws CODESYNC_ERR_MALFORMED for an invalid one. */
function decodeMessage(frame) {
  return native.syncDecode(frame);
}

function encodeSyncStep1(doc) {
  return native.syncEncodeStep1(doc._n);
}

/** What a peer with that state vector lacks (everything when absent). */
function encodeSyncStep2(doc, stateVector) {
  return native.syncEncodeStep2(doc._n, stateVector);
}

function encodeSyncUpdate(update) {
  return native.syncEncodeUpdate(update);
}

function encodeAwarenessMessage(awareness, clients) {
  return native.syncEncodeAwareness(awareness._n, clients === undefined ? null : clients);
}

function encodePermissionDenied(reason) {
  return native.syncEncodePermissionDenied(reason);
}

function encodeQueryAwareness() {
  return native.syncEncodeQueryAwareness();
}

/**
 * Handles one received frame as y-websocket's provider does: SyncStep1 is
 * answered with SyncStep2, SyncStep2 and Update are applied under `origin`,
 * awareness is applied to `awareness` (ignored when absent), a query is
 * answered with every state. Returns {kind, reply} with reply null when
 * there is nothing to send. A malformed frame throws and changes nothing.
 */
function receiveMessage(doc, frame, { awareness = null, origin = null } = {}) {
  const token = holdOrigin(origin);
  try {
    const now = awareness ? awareness._clock() : monotonicMs();
    const { kind, reply } = native.syncReceive(doc._n, awareness ? awareness._n : null, frame, now, token);
    return { kind, reply: reply.length ? reply : null };
  } finally {
    releaseOrigin(token);
  }
}

// ---- Rooms ----------------------------------------------------------------------------

/**
 * The server side of y-websocket for one document, without I/O. The
 * embedder attaches each connection under an id, passes every received
 * frame to receive(), and sends what nextMessage() / messages() hand out, in
 * that order. Updates from a connection are applied with origin
 * 'conn:<id>'. Edits through room.doc and changes through room.awareness are
 * queued for every connection. The awareness states of silent clients
 * expire on tick(), which an unref'd timer calls every awarenessTimeout/10
 * ms unless `autoTick: false`.
 */
class Room {
  constructor({ clientID = 0, gc = true, awarenessTimeout = 30000, clock = monotonicMs, autoTick = true } = {}) {
    this._n = new native.NativeRoom(clientID, gc, native.OFFSET_UTF16, awarenessTimeout);
    this._clock = clock;
    this.doc = new Doc({}, this._n.doc());
    this.awareness = new Awareness(this.doc, { clock, autoTick: false }, this._n.awareness());
    this.destroyed = false;
    this._timer = null;
    if (autoTick) {
      const period = Math.max(1, Math.floor((awarenessTimeout > 0 ? awarenessTimeout : 30000) / 10));
      this._timer = setInterval(() => this.tick(), period);
      if (this._timer.unref) this._timer.unref();
    }
  }

  /** Adds a connection; queues SyncStep1 (and the awareness states) for it. */
  attach(connId, { readOnly = false } = {}) {
    this._n.attach(connId, readOnly, this._clock());
  }

  /** Removes a connection, its queued frames and the awareness states it set. */
  detach(connId) {
    this._n.detach(connId, this._clock());
  }

  setReadOnly(connId, readOnly) {
    this._n.setReadOnly(connId, readOnly);
  }

  /** Handles one frame from a connection; replies and broadcasts are queued. */
  receive(connId, frame) {
    this._n.receive(connId, frame, this._clock());
  }

  /** Expires awareness states. */
  tick(now = this._clock()) {
    this._n.tick(now);
  }

  /** The oldest queued frame as {connId, frame}, or null. */
  nextMessage() {
    return this._n.nextMessage();
  }

  /** Pops queued frames until none is left (including ones queued meanwhile). */
  * messages() {
    for (let m = this._n.nextMessage(); m !== null; m = this._n.nextMessage()) yield m;
  }

  get pendingMessages() {
    return this._n.pendingMessages;
  }

  get connectionCount() {
    return this._n.connectionCount;
  }

  /** Frees the room now (its doc and awareness too); any later use throws. */
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
    this.doc.destroy();
    this._n.destroy();
  }
}

exports.Doc = Doc;
exports.Text = YText;
exports.Array = YArray;
exports.Map = YMap;
exports.YText = YText;
exports.YArray = YArray;
exports.YMap = YMap;
exports.AbstractType = AbstractType;
exports.encodeStateAsUpdate = encodeStateAsUpdate;
exports.applyUpdate = applyUpdate;
exports.encodeStateVector = encodeStateVector;
exports.mergeUpdates = mergeUpdates;
exports.encodeStateVectorFromUpdate = encodeStateVectorFromUpdate;
exports.version = native.version;
exports.Awareness = Awareness;
exports.encodeAwarenessUpdate = encodeAwarenessUpdate;
exports.applyAwarenessUpdate = applyAwarenessUpdate;
exports.removeAwarenessStates = removeAwarenessStates;
exports.messageKind = messageKind;
exports.decodeMessage = decodeMessage;
exports.encodeSyncStep1 = encodeSyncStep1;
exports.encodeSyncStep2 = encodeSyncStep2;
exports.encodeSyncUpdate = encodeSyncUpdate;
exports.encodeAwarenessMessage = encodeAwarenessMessage;
exports.encodePermissionDenied = encodePermissionDenied;
exports.encodeQueryAwareness = encodeQueryAwareness;
exports.receiveMessage = receiveMessage;
exports.Room = Room;
exports.Snapshot = Snapshot;
exports.snapshot = snapshot;
exports.encodeSnapshot = encodeSnapshot;
exports.decodeSnapshot = decodeSnapshot;
exports.equalSnapshots = equalSnapshots;
exports.emptySnapshot = emptySnapshot;
exports.snapshotContainsUpdate = snapshotContainsUpdate;
exports.createDocFromSnapshot = createDocFromSnapshot;
exports.restoreSnapshot = restoreSnapshot;
exports.saveContainer = saveContainer;
exports.loadContainer = loadContainer;
exports.containerInfo = containerInfo;
exports.RelativePosition = RelativePosition;
exports.createRelativePositionFromTypeIndex = createRelativePositionFromTypeIndex;
exports.createAbsolutePositionFromRelativePosition = createAbsolutePositionFromRelativePosition;
exports.encodeRelativePosition = encodeRelativePosition;
exports.decodeRelativePosition = decodeRelativePosition;
exports.relativePositionToJSON = relativePositionToJSON;
exports.createRelativePositionFromJSON = createRelativePositionFromJSON;
exports.compareRelativePositions = compareRelativePositions;
exports.UndoManager = UndoManager;
exports.StackItem = StackItem;
