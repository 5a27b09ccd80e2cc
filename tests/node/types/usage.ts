// Type-checked (not run) by types.test.mjs against bindings/node/index.d.ts.
import * as Y from '../../../bindings/node';

const doc = new Y.Doc({ clientID: 1, gc: true });
const text: Y.Text = doc.getText('t');
text.insert(0, 'hello', { bold: true });
text.insertEmbed(0, { image: 'x.png' });
text.delete(0, 1);
text.format(0, 2, { bold: null });
text.applyDelta([{ retain: 1 }, { insert: 'x' }, { delete: 1 }]);
const s: string = text.toString();
const n: number = text.length + s.length;
text.observe((event: Y.TextEvent, tr: Y.Transaction) => {
  const ops: Y.DeltaOp[] = event.delta;
  void ops;
  void tr.origin;
});

const map = doc.getMap('m');
map.set('n', n);
const nested = map.set('t', new Y.Text('nested'));
nested.insert(0, '>');
const arr: Y.Array<number> = doc.getArray('a');
arr.push([1, 2, 3]);
const first: number | undefined = arr.get(0);
for (const v of arr) void (v + (first ?? 0));
for (const [k, v] of map) void [k, v];
map.set('list', Y.Array.from([1, new Y.Map([['k', 'v']])]));

const result: string = doc.transact((tr) => {
  void tr.doc;
  return 'ok';
}, { any: 'origin' });
void result;
doc.on('update', (update: Uint8Array, origin: unknown) => {
  const other = new Y.Doc();
  Y.applyUpdate(other, update, origin);
});
const sv: Uint8Array = Y.encodeStateVector(doc);
const diff: Uint8Array = Y.encodeStateAsUpdate(doc, sv);
const merged: Uint8Array = Y.mergeUpdates([diff, Y.encodeStateAsUpdate(doc)]);
void Y.encodeStateVectorFromUpdate(merged);
try {
  text.insert(1000, 'x');
} catch (e) {
  const err = e as Y.CodesyncError;
  void (err.code === 'CODESYNC_ERR_OUT_OF_RANGE' && err.errno === -3);
}
const v: string = Y.version;
void v;
doc.destroy();

// Awareness, sync messages and Room.
const adoc = new Y.Doc({ clientID: 2 });
const aw = new Y.Awareness(adoc, { outdatedTimeout: 10000, clock: () => 0, autoTick: false });
aw.setLocalState({ user: { name: 'Ann' }, cursor: null });
aw.setLocalStateField('cursor', { anchor: 1, head: 2 });
const local: any = aw.getLocalState();
void local;
aw.on('change', (change: Y.AwarenessChange, origin: unknown) => void [change.added.length, origin]);
aw.on('destroy', (a: Y.Awareness) => void a.clientID);
const states: globalThis.Map<number, any> = aw.getStates();
void states;
const clock: number | undefined = aw.getClock(2);
void clock;
const aupdate: Uint8Array = Y.encodeAwarenessUpdate(aw, [2]);
Y.applyAwarenessUpdate(aw, aupdate, 'remote');
Y.removeAwarenessStates(aw, [3], { conn: 1 });
aw.tick(5);

const room = new Y.Room({ clientID: 100, awarenessTimeout: 5000, autoTick: false });
room.attach(1, { readOnly: false });
room.receive(1, Y.encodeSyncStep1(adoc));
room.receive(1, Y.encodeAwarenessMessage(aw));
room.receive(1, Y.encodeSyncUpdate(Y.encodeStateAsUpdate(adoc)));
for (const m of room.messages()) {
  const decoded = Y.decodeMessage(m.frame);
  if (decoded.kind === Y.messageKind.syncStep1) void m.connId;
  const { kind, reply } = Y.receiveMessage(adoc, m.frame, { awareness: aw, origin: room });
  void [kind, reply?.length];
}
const next: Y.RoomMessage | null = room.nextMessage();
void next;
void [room.pendingMessages, room.connectionCount, room.doc.getText('t').length, room.awareness.clientID];
void [Y.encodeSyncStep2(adoc), Y.encodePermissionDenied('no'), Y.encodeQueryAwareness()];
room.tick();
room.detach(1);
room.destroy();
aw.destroy();

// History: snapshots, old versions, diffs, authorship; containers.
const hdoc = new Y.Doc({ gc: false });
const snap: Y.Snapshot = Y.snapshot(hdoc);
const snapBytes: Uint8Array = Y.encodeSnapshot(snap);
const same: boolean = Y.equalSnapshots(Y.decodeSnapshot(snapBytes), Y.emptySnapshot);
const contained: boolean = Y.snapshotContainsUpdate(snap, Y.encodeStateAsUpdate(hdoc));
const oldDoc: Y.Doc = Y.createDocFromSnapshot(hdoc, snap);
Y.createDocFromSnapshot(hdoc, snap, new Y.Doc());
Y.restoreSnapshot(hdoc, snap, 'restore');
const tdiff: Y.TextDiffOp[] = hdoc.getText('t').diff(snap, null);
const mdiff: Y.MapDiffEntry[] = hdoc.getMap('m').diff(snap);
const runs: Y.AuthorRun[] = hdoc.getText('t').authorship();
const saved: Uint8Array = Y.saveContainer(hdoc, { guid: 'g', metadata: { k: 'v' } });
Y.loadContainer(oldDoc, saved);
const cinfo: Y.ContainerInfo = Y.containerInfo(saved);
void [same, contained, tdiff[0]?.client, mdiff[0]?.action, runs[0]?.client, cinfo.stateVector.get(1), cinfo.guid];

// Relative positions and undo.
const rtext = hdoc.getText('t');
const rpos: Y.RelativePosition = Y.createRelativePositionFromTypeIndex(rtext, 0, -1);
const apos: Y.AbsolutePosition | null = Y.createAbsolutePositionFromRelativePosition(
  Y.decodeRelativePosition(Y.encodeRelativePosition(rpos)), hdoc);
const rjson = Y.relativePositionToJSON(Y.createRelativePositionFromJSON(Y.relativePositionToJSON(rpos)));
const um = new Y.UndoManager(rtext, { captureTimeout: 300, trackedOrigins: new Set([null, 'me']) });
um.on('stack-item-added', (e: Y.StackItemEvent) => e.stackItem.meta.set('cursor', rpos));
um.on('stack-item-popped', (e) => void e.stackItem.meta.get('cursor'));
const popped: Y.StackItem | null = um.undo();
void [apos?.index, rjson, popped, um.redo(), um.canUndo(), um.canRedo(), rpos.assoc, Y.compareRelativePositions(rpos, null)];
um.stopCapturing();
um.clear();
um.destroy();
