//! diamond-types on the benchmark workloads; see src/lib.rs. It has no
//! transactions or update events: a txn's "update" is the oplog encoded from
//! the version before it (encode_from), applied remotely by merge_data_and_ff.
//! Concurrent traces go straight into one oplog with their parents, as
//! diamond-types is built to take them.
use codesync_bench_peers::{main_for, Peer, Trace, Txn};
use diamond_types::list::encoding::{ENCODE_FULL, ENCODE_PATCH};
use diamond_types::list::operation::Operation;
use diamond_types::list::{ListCRDT, OpLog};
use diamond_types::Time;

struct DiamondTypes;

fn ops_of(txn: &Txn) -> Vec<Operation> {
    let mut ops = Vec::with_capacity(txn.patches.len() * 2);
    for p in &txn.patches {
        if p.del > 0 {
            ops.push(Operation::new_delete(p.pos..p.pos + p.del));
        }
        if !p.ins.is_empty() {
            ops.push(Operation::new_insert(p.pos, &p.ins));
        }
    }
    ops
}

fn apply_txn(doc: &mut ListCRDT, agent: u32, txn: &Txn) {
    for p in &txn.patches {
        if p.del > 0 {
            doc.delete(agent, p.pos..p.pos + p.del);
        }
        if !p.ins.is_empty() {
            doc.insert(agent, p.pos, &p.ins);
        }
    }
}

impl Peer for DiamondTypes {
    type Doc = ListCRDT;
    const NAME: &'static str = "diamond-types";

    fn local(t: &Trace) -> ListCRDT {
        let mut doc = ListCRDT::new();
        let agent = doc.get_or_create_agent_id("a");
        for txn in &t.txns {
            apply_txn(&mut doc, agent, txn);
        }
        doc
    }

    fn text(d: &ListCRDT) -> String {
        d.branch.content().to_string()
    }

    fn record_updates(t: &Trace) -> Vec<Vec<u8>> {
        let mut doc = ListCRDT::new();
        let agent = doc.get_or_create_agent_id("a");
        let mut out = Vec::with_capacity(t.txns.len());
        for txn in &t.txns {
            let before = doc.oplog.local_version();
            apply_txn(&mut doc, agent, txn);
            out.push(doc.oplog.encode_from(ENCODE_PATCH, &before));
        }
        out
    }

    fn record_concurrent(t: &Trace) -> Vec<Vec<u8>> {
        let mut oplog = OpLog::new();
        let agents: Vec<_> = (0..t.num_agents).map(|a| oplog.get_or_create_agent_id(&format!("agent{a}"))).collect();
        let mut last: Vec<Time> = Vec::with_capacity(t.txns.len());
        let mut out = Vec::with_capacity(t.txns.len());
        for txn in &t.txns {
            let parents: Vec<Time> = txn.parents.iter().map(|&p| last[p]).collect();
            let ops = ops_of(txn);
            if ops.is_empty() {
                last.push(parents.iter().copied().max().unwrap_or(0));
                out.push(Vec::new());
                continue;
            }
            let before = oplog.local_version();
            last.push(oplog.add_operations_at(agents[txn.agent], &parents, &ops));
            out.push(oplog.encode_from(ENCODE_PATCH, &before));
        }
        out
    }

    fn apply_all(updates: &[Vec<u8>]) -> ListCRDT {
        let mut doc = ListCRDT::new();
        for u in updates {
            if !u.is_empty() {
                doc.merge_data_and_ff(u).unwrap();
            }
        }
        doc
    }

    fn encode(d: &ListCRDT) -> Vec<u8> {
        d.oplog.encode(ENCODE_FULL)
    }

    fn decode_read(bytes: &[u8]) -> (ListCRDT, String) {
        let doc = ListCRDT::load_from(bytes).unwrap();
        let s = doc.branch.content().to_string();
        (doc, s)
    }
}

fn main() {
    main_for::<DiamondTypes>();
}
