'use strict';
// Two codesync documents edit the same text and map concurrently and converge.
// Each sends its own updates to the other from its 'update' event, the way a
// network provider would; updates that came from the peer are not sent back.
// Exits non-zero unless both end with the same content.
//
//   (cd bindings/node && npm install)
//   node examples/node/collab.js
const Y = require('../../bindings/node');

function connect(a, b) {
  a.on('update', (update, origin) => {
    if (origin !== 'remote') Y.applyUpdate(b, update, 'remote');
  });
}

const alice = new Y.Doc();
const bob = new Y.Doc();
connect(alice, bob);
connect(bob, alice);

const text = alice.getText('notes');
text.insert(0, 'Hello');
bob.getText('notes').insert(5, ', world 🌍'); // indices are UTF-16 code units, as in yjs

alice.transact(() => {
  // one transaction: one update for bob
  text.format(0, 5, { bold: true });
  alice.getMap('meta').set('title', 'Greeting');
  alice.getMap('meta').set('tags', Y.Array.from(['demo']));
}, 'alice');

bob.getMap('meta').get('tags').push(['node']);
const notes = bob.getText('notes');
notes.delete(notes.length - 3, 3); // drop " 🌍" (the emoji is two units)

console.log(alice.getText('notes').toString());
console.log(JSON.stringify(bob.getText('notes').toDelta()));
console.log(JSON.stringify(alice.toJSON()));
const same = JSON.stringify(alice.toJSON()) === JSON.stringify(bob.toJSON()) &&
  Buffer.compare(Y.encodeStateVector(alice), Y.encodeStateVector(bob)) === 0;
if (!same) {
  console.error('documents diverged');
  process.exit(1);
}
