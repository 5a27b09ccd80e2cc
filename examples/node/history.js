'use strict';
// An editor's history with codesync: versions, a review diff, undo that keeps
// a collaborator's edits, a cursor that follows them, and a saved container.
// Exits non-zero unless every step gives the expected text.
//
//   (cd bindings/node && npm install)
//   node examples/node/history.js
const Y = require('../../bindings/node');

const me = new Y.Doc({ clientID: 1, gc: false }); // gc: false keeps what old versions need
const peer = new Y.Doc({ clientID: 2 });
me.on('update', (u, origin) => origin !== 'remote' && Y.applyUpdate(peer, u, 'remote'));
peer.on('update', (u, origin) => origin !== 'remote' && Y.applyUpdate(me, u, 'remote'));

const text = me.getText('doc');
const undo = new Y.UndoManager(text, { captureTimeout: 0 }); // records plain local edits only
text.insert(0, 'Hello world');
const v1 = Y.snapshot(me);
const cursor = Y.createRelativePositionFromTypeIndex(text, 6); // before "world"

peer.getText('doc').insert(0, '> '); // the collaborator prefixes a quote mark
me.transact(() => {
  text.delete(8, 5);
  text.insert(8, 'there');
});
let ok = text.toString() === '> Hello there' && Y.createAbsolutePositionFromRelativePosition(cursor, me).index === 8;

const review = text.diff(v1); // what changed since v1, and who inserted it
ok &&= review.some((op) => op.insert === '> ' && op.client === 2);
ok &&= review.some((op) => op.text === 'world' && op.client === 1);
ok &&= text.authorship().map((run) => run.client).join() === '2,1';

undo.undo(); // my replacement goes; the peer's "> " stays
ok &&= text.toString() === '> Hello world' && peer.getText('doc').toString() === '> Hello world';
ok &&= Y.createDocFromSnapshot(me, v1).getText('doc').toString() === 'Hello world';

const saved = Y.saveContainer(me, { guid: 'notes', metadata: { title: 'demo' } });
const loaded = new Y.Doc();
Y.loadContainer(loaded, saved);
ok &&= loaded.getText('doc').toString() === '> Hello world' && Y.containerInfo(saved).metadata.title === 'demo';
console.log(text.toString());
console.log(review);
undo.destroy();
process.exit(ok ? 0 : 1);
