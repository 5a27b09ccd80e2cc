'use strict';
// A y-websocket-style server room with two clients: document sync and presence.
// The Room is the server's logic without I/O: here the "network" is a loop that
// hands each queued frame to the client it is addressed to, and each client's
// replies back to the room. A real server does the same with its sockets.
// Exits non-zero unless both clients end with the same text and see each
// other's presence.
//
//   (cd bindings/node && npm install)
//   node examples/node/presence_room.js
const Y = require('../../bindings/node');

class Client {
  constructor(room, connId, name) {
    this.room = room;
    this.connId = connId;
    this.doc = new Y.Doc();
    this.awareness = new Y.Awareness(this.doc);
    this.awareness.setLocalState({ user: name, cursor: 0 });
    // Local edits and presence changes go to the server as they happen.
    this.doc.on('update', (update, origin) => {
      if (origin !== 'server') room.receive(connId, Y.encodeSyncUpdate(update));
    });
    this.awareness.on('update', ({ added, updated, removed }, origin) => {
      if (origin === 'local') room.receive(connId, Y.encodeAwarenessMessage(this.awareness, [...added, ...updated, ...removed]));
    });
    room.attach(connId);
    room.receive(connId, Y.encodeSyncStep1(this.doc));
    room.receive(connId, Y.encodeAwarenessMessage(this.awareness));
  }

  deliver(frame) {
    const { reply } = Y.receiveMessage(this.doc, frame, { awareness: this.awareness, origin: 'server' });
    if (reply) this.room.receive(this.connId, reply);
  }
}

const room = new Y.Room();
room.doc.getText('notes').insert(0, 'Agenda'); // e.g. loaded from storage
const clients = new Map([[1, new Client(room, 1, 'alice')], [2, new Client(room, 2, 'bob')]]);
const network = () => {
  for (const { connId, frame } of room.messages()) clients.get(connId).deliver(frame);
};

network();
clients.get(1).doc.getText('notes').insert(6, ': sync');
clients.get(2).doc.getText('notes').insert(0, '# ');
clients.get(2).awareness.setLocalStateField('cursor', 2);
network();

for (const c of clients.values()) {
  console.log(c.connId, c.doc.getText('notes').toString(), JSON.stringify([...c.awareness.getStates()]));
}
const texts = new Set([...clients.values()].map((c) => c.doc.getText('notes').toString()));
texts.add(room.doc.getText('notes').toString());
const users = [...clients.values()].map((c) => [...c.awareness.getStates().values()].map((s) => s.user).sort().join());
for (const c of clients.values()) c.awareness.destroy();
room.destroy();
if (texts.size !== 1 || users.some((u) => u !== 'alice,bob')) {
  console.error('clients diverged');
  process.exit(1);
}
