//! yrs (the Rust port of Yjs) on the benchmark workloads; see src/lib.rs.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use codesync_bench_peers::{concurrent_plan, main_for, Peer, Trace, Txn};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

struct Yrs;

// Byte offsets are yrs's fastest unit and equal code points on ASCII traces;
// other traces (none holds astral characters) take UTF-16 offsets.
static ASCII: AtomicBool = AtomicBool::new(false);

fn set_trace(t: &Trace) {
    let ascii = t.end_content.is_ascii() && t.txns.iter().all(|x| x.patches.iter().all(|p| p.ins.is_ascii()));
    ASCII.store(ascii, Ordering::Relaxed);
}

fn new_doc(client: u64) -> Doc {
    let mut opts = Options::with_client_id(yrs::ClientID::new(client));
    opts.offset_kind = if ASCII.load(Ordering::Relaxed) { OffsetKind::Bytes } else { OffsetKind::Utf16 };
    Doc::with_options(opts)
}

fn apply_txn(doc: &Doc, text: &yrs::TextRef, txn: &Txn) {
    let mut tx = doc.transact_mut();
    for p in &txn.patches {
        if p.del > 0 {
            text.remove_range(&mut tx, p.pos as u32, p.del as u32);
        }
        if !p.ins.is_empty() {
            text.insert(&mut tx, p.pos as u32, &p.ins);
        }
    }
}

fn apply_update(doc: &Doc, bytes: &[u8]) {
    let update = Update::decode_v1(bytes).expect("decode update");
    doc.transact_mut().apply_update(update).expect("apply update");
}

/// Subscribes `doc` so every committed transaction's update lands in the returned sink.
fn capture(doc: &Doc, key: &str) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let s = sink.clone();
    doc.observe_update_v1(key.to_string(), move |_, e| s.lock().unwrap().push(e.update.clone())).unwrap();
    sink
}

impl Peer for Yrs {
    type Doc = Doc;
    const NAME: &'static str = "yrs";

    fn local(t: &Trace) -> Doc {
        set_trace(t);
        let doc = new_doc(1);
        let text = doc.get_or_insert_text("text");
        for txn in &t.txns {
            apply_txn(&doc, &text, txn);
        }
        doc
    }

    fn text(d: &Doc) -> String {
        let text = d.get_or_insert_text("text");
        let tx = d.transact();
        text.get_string(&tx)
    }

    fn record_updates(t: &Trace) -> Vec<Vec<u8>> {
        set_trace(t);
        let doc = new_doc(1);
        let text = doc.get_or_insert_text("text");
        let sink = capture(&doc, "bench");
        for txn in &t.txns {
            apply_txn(&doc, &text, txn);
        }
        let v = std::mem::take(&mut *sink.lock().unwrap());
        assert_eq!(v.len(), t.txns.len(), "one update per txn");
        v
    }

    fn record_concurrent(t: &Trace) -> Vec<Vec<u8>> {
        set_trace(t);
        let plan = concurrent_plan(t);
        let docs: Vec<Doc> = (0..t.num_agents).map(|a| new_doc(a as u64 + 1)).collect();
        let sinks: Vec<_> = docs
            .iter()
            .map(|d| {
                d.get_or_insert_text("text");
                capture(d, "bench")
            })
            .collect();
        let mut updates: Vec<Vec<u8>> = Vec::with_capacity(t.txns.len());
        for (i, txn) in t.txns.iter().enumerate() {
            let doc = &docs[txn.agent];
            for &j in &plan[i] {
                if !updates[j].is_empty() {
                    apply_update(doc, &updates[j]);
                }
            }
            sinks[txn.agent].lock().unwrap().clear();
            apply_txn(doc, &doc.get_or_insert_text("text"), txn);
            let mut got = std::mem::take(&mut *sinks[txn.agent].lock().unwrap());
            updates.push(got.pop().unwrap_or_default());
        }
        updates
    }

    fn apply_all(updates: &[Vec<u8>]) -> Doc {
        let doc = new_doc(1000);
        doc.get_or_insert_text("text");
        for u in updates {
            if !u.is_empty() {
                apply_update(&doc, u);
            }
        }
        doc
    }

    fn encode(d: &Doc) -> Vec<u8> {
        d.transact().encode_state_as_update_v1(&StateVector::default())
    }

    fn decode_read(bytes: &[u8]) -> (Doc, String) {
        let doc = new_doc(1000);
        let text = doc.get_or_insert_text("text");
        apply_update(&doc, bytes);
        let s = text.get_string(&doc.transact());
        (doc, s)
    }
}

fn main() {
    main_for::<Yrs>();
}
