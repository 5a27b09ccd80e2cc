//! loro on the benchmark workloads; see src/lib.rs. Updates are what loro's
//! own local-update observer emits per commit; the encoded state is a snapshot.
use std::sync::{Arc, Mutex};

use codesync_bench_peers::{concurrent_plan, main_for, Peer, Trace, Txn};
use loro::{ExportMode, LoroDoc, Subscription};

struct Loro;

fn new_doc(peer: u64) -> LoroDoc {
    let doc = LoroDoc::new();
    doc.set_peer_id(peer).unwrap();
    doc
}

fn apply_txn(doc: &LoroDoc, txn: &Txn) {
    let text = doc.get_text("text");
    for p in &txn.patches {
        if p.del > 0 {
            text.delete(p.pos, p.del).unwrap(); // positions in code points
        }
        if !p.ins.is_empty() {
            text.insert(p.pos, &p.ins).unwrap();
        }
    }
    doc.commit();
}

fn capture(doc: &LoroDoc) -> (Arc<Mutex<Vec<Vec<u8>>>>, Subscription) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let s = sink.clone();
    let sub = doc.subscribe_local_update(Box::new(move |u| {
        s.lock().unwrap().push(u.clone());
        true
    }));
    (sink, sub)
}

impl Peer for Loro {
    type Doc = LoroDoc;
    const NAME: &'static str = "loro";

    fn local(t: &Trace) -> LoroDoc {
        let doc = new_doc(1);
        for txn in &t.txns {
            apply_txn(&doc, txn);
        }
        doc
    }

    fn text(d: &LoroDoc) -> String {
        d.get_text("text").to_string()
    }

    fn record_updates(t: &Trace) -> Vec<Vec<u8>> {
        let doc = new_doc(1);
        let (sink, _sub) = capture(&doc);
        for txn in &t.txns {
            apply_txn(&doc, txn);
        }
        let v = std::mem::take(&mut *sink.lock().unwrap());
        assert_eq!(v.len(), t.txns.len(), "one update per txn");
        v
    }

    fn record_concurrent(t: &Trace) -> Vec<Vec<u8>> {
        let plan = concurrent_plan(t);
        let docs: Vec<LoroDoc> = (0..t.num_agents).map(|a| new_doc(a as u64 + 1)).collect();
        let caps: Vec<_> = docs.iter().map(capture).collect();
        let mut updates: Vec<Vec<u8>> = Vec::with_capacity(t.txns.len());
        for (i, txn) in t.txns.iter().enumerate() {
            let doc = &docs[txn.agent];
            for &j in &plan[i] {
                if !updates[j].is_empty() {
                    doc.import(&updates[j]).unwrap();
                }
            }
            caps[txn.agent].0.lock().unwrap().clear();
            apply_txn(doc, txn);
            let mut got = std::mem::take(&mut *caps[txn.agent].0.lock().unwrap());
            updates.push(got.pop().unwrap_or_default());
        }
        updates
    }

    fn apply_all(updates: &[Vec<u8>]) -> LoroDoc {
        let doc = new_doc(1000);
        for u in updates {
            if !u.is_empty() {
                doc.import(u).unwrap();
            }
        }
        doc
    }

    fn encode(d: &LoroDoc) -> Vec<u8> {
        d.export(ExportMode::Snapshot).unwrap()
    }

    fn decode_read(bytes: &[u8]) -> (LoroDoc, String) {
        let doc = LoroDoc::new();
        doc.import(bytes).unwrap();
        let s = doc.get_text("text").to_string();
        (doc, s)
    }
}

fn main() {
    main_for::<Loro>();
}
