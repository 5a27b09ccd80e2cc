//! Shared driver of the native Rust peers (yrs, diamond-types, loro): loads a
//! trace, runs one workload `reps` times, prints one JSON line. The protocol
//! and the workloads are described in bench/README.md.
//!
//!   <peer> <trace.json.gz> <local|remote|concurrent|encode|decode> <reps>

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

// ---- live-heap counter: the document's memory is the delta around building it ----

pub struct CountingAlloc;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

pub fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

// ---- traces ----

pub struct Patch {
    pub pos: usize,
    pub del: usize,
    pub ins: String,
}

pub struct Txn {
    pub patches: Vec<Patch>,
    pub agent: usize,
    pub parents: Vec<usize>,
}

pub struct Trace {
    pub name: String,
    pub concurrent: bool,
    pub num_agents: usize,
    pub txns: Vec<Txn>,
    pub end_content: String,
}

pub fn load_trace(path: &str) -> Result<Trace, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json).map_err(|e| format!("{path}: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| format!("{path}: {e}"))?;
    let base = std::path::Path::new(path).file_name().unwrap().to_string_lossy().to_string();
    let name = base.trim_end_matches(".json.gz").to_string();
    let mut txns = Vec::new();
    for t in v["txns"].as_array().ok_or("no txns")? {
        let mut patches = Vec::new();
        for p in t["patches"].as_array().ok_or("no patches")? {
            patches.push(Patch {
                pos: p[0].as_u64().ok_or("bad pos")? as usize,
                del: p[1].as_u64().ok_or("bad del")? as usize,
                ins: p[2].as_str().ok_or("bad ins")?.to_string(),
            });
        }
        let parents = t["parents"].as_array().map(|a| a.iter().map(|x| x.as_u64().unwrap() as usize).collect());
        txns.push(Txn { patches, agent: t["agent"].as_u64().unwrap_or(0) as usize, parents: parents.unwrap_or_default() });
    }
    Ok(Trace {
        name,
        concurrent: v["kind"].as_str() == Some("concurrent"),
        num_agents: v["numAgents"].as_u64().unwrap_or(1) as usize,
        txns,
        end_content: v["endContent"].as_str().ok_or("no endContent")?.to_string(),
    })
}

/// For a concurrent trace: before txn i, the txns (by index, in trace order)
/// its agent's document lacks. Every agent's txns are totally ordered, so a
/// version is a count of txns per agent.
pub fn concurrent_plan(t: &Trace) -> Vec<Vec<usize>> {
    let n = t.num_agents;
    let mut by_agent: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut seen = vec![vec![0usize; n]; n];
    let mut version: Vec<Vec<usize>> = Vec::with_capacity(t.txns.len());
    let mut plan = Vec::with_capacity(t.txns.len());
    for (i, txn) in t.txns.iter().enumerate() {
        let mut need = vec![0usize; n];
        for &p in &txn.parents {
            for a in 0..n {
                need[a] = need[a].max(version[p][a]);
            }
        }
        let mut missing = Vec::new();
        for a in 0..n {
            for k in seen[txn.agent][a]..need[a] {
                missing.push(by_agent[a][k]);
            }
            seen[txn.agent][a] = seen[txn.agent][a].max(need[a]);
        }
        missing.sort_unstable();
        plan.push(missing);
        need[txn.agent] = by_agent[txn.agent].len() + 1;
        seen[txn.agent][txn.agent] = need[txn.agent];
        version.push(need);
        by_agent[txn.agent].push(i);
    }
    plan
}

// ---- the peer interface and the driver ----

pub trait Peer {
    type Doc;
    const NAME: &'static str;
    /// Every txn as one local transaction into a fresh document.
    fn local(t: &Trace) -> Self::Doc;
    fn text(d: &Self::Doc) -> String;
    /// Untimed: the update emitted per txn by a local replay.
    fn record_updates(t: &Trace) -> Vec<Vec<u8>>;
    /// Untimed: the update per txn of a concurrent trace, one document per agent.
    fn record_concurrent(t: &Trace) -> Vec<Vec<u8>>;
    /// Timed: every update, in order, into a fresh document.
    fn apply_all(updates: &[Vec<u8>]) -> Self::Doc;
    fn encode(d: &Self::Doc) -> Vec<u8>;
    /// Timed: a fresh document from `bytes`, its text read out.
    fn decode_read(bytes: &[u8]) -> (Self::Doc, String);
}

fn cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

fn peak_rss() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as u64 * 1024
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[s.len() / 2]
}

struct Timer {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

/// Runs at least `reps` times; short workloads run more (up to 30 runs or
/// 300 ms in all) so a millisecond median is not one cold run's luck.
fn repetitions(reps: usize, timer: &Timer) -> bool {
    let n = timer.wall.len();
    n < reps || (n < 30 && timer.wall.iter().sum::<f64>() < 300.0)
}

impl Timer {
    fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let (w0, c0) = (Instant::now(), cpu_ms());
        let r = f();
        self.cpu.push(cpu_ms() - c0);
        self.wall.push(w0.elapsed().as_secs_f64() * 1e3);
        r
    }
}

fn fail(peer: &str, trace: &str, workload: &str, msg: &str) -> ! {
    println!(
        "{{\"peer\":{},\"trace\":{},\"workload\":{},\"ok\":false,\"error\":{}}}",
        json_str(peer),
        json_str(trace),
        json_str(workload),
        json_str(msg)
    );
    std::process::exit(if msg.starts_with("n/a") { 0 } else { 1 })
}

pub fn main_for<P: Peer>() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: {} <trace.json.gz> <workload> <reps>", args[0]);
        std::process::exit(2);
    }
    let (path, workload) = (&args[1], args[2].as_str());
    let reps: usize = args[3].parse().unwrap_or(3).max(1);
    let t = load_trace(path).unwrap_or_else(|e| fail(P::NAME, path, workload, &e));
    let mut timer = Timer { wall: Vec::new(), cpu: Vec::new() };
    let extra;
    let check = |text: &str, what: &str| {
        if text != t.end_content {
            fail(P::NAME, &t.name, workload, &format!("{what}: final text differs from endContent"));
        }
    };
    match workload {
        "local" if !t.concurrent => {
            while repetitions(reps, &timer) {
                let d = timer.run(|| P::local(&t));
                check(&P::text(&d), "local");
            }
            let before = live_bytes();
            let d = P::local(&t);
            let doc_bytes = live_bytes() - before;
            let chars = t.end_content.chars().count();
            extra = format!(",\"doc_bytes\":{doc_bytes},\"chars\":{chars}");
            drop(d);
        }
        "remote" | "concurrent" if t.concurrent == (workload == "concurrent") => {
            let updates = if t.concurrent { P::record_concurrent(&t) } else { P::record_updates(&t) };
            while repetitions(reps, &timer) {
                let d = timer.run(|| P::apply_all(&updates));
                check(&P::text(&d), workload);
            }
            let bytes: usize = updates.iter().map(|u| u.len()).sum();
            extra = format!(",\"bytes\":{bytes},\"updates\":{}", updates.len());
        }
        "encode" if !t.concurrent => {
            let d = P::local(&t);
            let mut bytes = 0;
            while repetitions(reps, &timer) {
                bytes = timer.run(|| P::encode(&d)).len();
            }
            extra = format!(",\"bytes\":{bytes}");
        }
        "decode" if !t.concurrent => {
            let bytes = P::encode(&P::local(&t));
            while repetitions(reps, &timer) {
                let (d, s) = timer.run(|| P::decode_read(&bytes));
                check(&s, "decode");
                drop(d);
            }
            extra = format!(",\"bytes\":{}", bytes.len());
        }
        _ => fail(P::NAME, &t.name, workload, "n/a: workload does not apply to this trace"),
    }
    let list = |v: &[f64]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(",");
    println!(
        "{{\"peer\":{},\"trace\":{},\"workload\":{},\"ok\":true,\"runs_ms\":[{}],\"cpu_runs_ms\":[{}],\"median_ms\":{:.4},\"cpu_median_ms\":{:.4},\"peak_rss\":{}{}}}",
        json_str(P::NAME),
        json_str(&t.name),
        json_str(workload),
        list(&timer.wall),
        list(&timer.cpu),
        median(&timer.wall),
        median(&timer.cpu),
        peak_rss(),
        extra
    );
}
