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
/** The library version, e.g. "0.1.0". */
export const version: string;
