//! Probe tests against fake four-letter-word servers (issue 3).
//!
//! A real ZooKeeper will not, on demand, accept and never answer, answer half
//! and stall, close at once, or answer garbage; these fakes do (std
//! `TcpListener` on 127.0.0.1, ephemeral ports, one thread per connection).
//! Every failing case asserts the exit code, the stderr line and that the
//! probe returned within its deadline plus a margin. The real-server tests
//! are in tests/namespaces/.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::util::{closed_port, dropin, fake, run, run_prog, table, zkpod, Act, Run};

/// The deadline the failing cases give the probe, and the margin allowed
/// on top of it (process start, a loaded 2-core machine).
const TIMEOUT_MS: u64 = 500;
const MARGIN_MS: u64 = 400;

const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests\n";

/// Debian ZooKeeper 3.8.0's replies, captured from a real server.
const SRVR_LEADER: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.5/3\nReceived: 120\nSent: 119\nConnections: 4\nOutstanding: 0\nZxid: 0x200000007\nMode: leader\nNode count: 12\nProposal sizes last/min/max: 48/36/90\n";
const SRVR_FOLLOWER: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: follower\nNode count: 5\n";
const MNTR_LEADER: &str = "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nzk_server_state\tleader\nzk_peer_state\tleading - broadcast\nzk_ephemerals_count\t2\nzk_num_alive_connections\t4\nzk_avg_latency\t0.5\nzk_znode_count\t12\nzk_packets_sent\t119\nzk_packets_received\t120\nzk_synced_followers\t2\nzk_learners\t2\nzk_watch_count\t3\n";

fn whitelist_reply(word: &str) -> Vec<u8> {
    format!("{word} is not executed because it is not in the whitelist.\n").into_bytes()
}

/// `zkpod probe <kind> --port P --timeout 500ms [extra]`.
fn probe(kind: &str, port: u16, extra: &[&str]) -> Run {
    let port = port.to_string();
    let timeout = format!("{TIMEOUT_MS}ms");
    let mut args = vec!["probe", kind, "--port", &port, "--timeout", &timeout];
    args.extend_from_slice(extra);
    run(&args)
}

/// Asserts exit 1, the one stderr line, and that it came within the deadline.
fn assert_unhealthy(r: &Run, expected_line: &str) {
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert_eq!(r.stderr, format!("zkpod: {expected_line}\n"));
    assert_within_deadline(r);
}

fn assert_within_deadline(r: &Run) {
    assert!(
        r.elapsed < Duration::from_millis(TIMEOUT_MS + MARGIN_MS),
        "took {:?}, deadline {TIMEOUT_MS}ms + {MARGIN_MS}ms",
        r.elapsed
    );
}

fn assert_healthy(r: &Run) {
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout, "", "probes print nothing when healthy");
    assert_within_deadline(r);
}

const FIX_STALLED: &str = "the server is stalled (long GC pause, CPU throttling, overload). Fix: check the container log and its CPU/memory limits; under load, raise --timeout (below timeoutSeconds) and failureThreshold rather than let liveness restart a busy server";

fn whitelist_line(port: u16, words: &str) -> String {
    format!("127.0.0.1:{port} refuses {words}: not in 4lw.commands.whitelist, so zkpod cannot ask. Fix: add `4lw.commands.whitelist=srvr,ruok,mntr,conf` to zoo.cfg (zkpod start writes it) and restart the server")
}

#[test]
fn live_imok_is_healthy() {
    let f = table(&[("ruok", b"imok")]);
    assert_healthy(&probe("live", f.port, &[]));
    assert_healthy(&probe("startup", f.port, &[]));
    assert_eq!(*f.words.lock().unwrap(), ["ruok", "ruok"]);
}

#[test]
fn accepts_and_never_answers() {
    let f = fake(0, |_| Act::Stall(Vec::new()));
    let r = probe("live", f.port, &[]);
    assert_unhealthy(
        &r,
        &format!("127.0.0.1:{} accepted the connection but did not finish its reply within 500ms (received nothing): {FIX_STALLED}", f.port),
    );
    // It waited for its deadline, not less.
    assert!(
        r.elapsed >= Duration::from_millis(TIMEOUT_MS - 20),
        "{:?}",
        r.elapsed
    );
    assert_eq!(
        f.conns.load(Ordering::SeqCst),
        1,
        "no retry after a timeout"
    );
}

#[test]
fn refused() {
    let port = closed_port();
    for kind in ["live", "ready", "startup"] {
        let r = probe(kind, port, &[]);
        assert_unhealthy(
            &r,
            &format!("127.0.0.1:{port} refused the connection: no ZooKeeper is listening there (not started yet, or it exited). Fix: check the container log and that --port matches clientPort; if it is still starting, add a startupProbe (zkpod probe startup) instead of a longer liveness delay"),
        );
    }
}

#[test]
fn answers_garbage() {
    let f = fake(0, |_| {
        Act::Reply(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec())
    });
    assert_unhealthy(
        &probe("live", f.port, &[]),
        &format!("127.0.0.1:{} answered ruok with \"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n\" which is not a ZooKeeper reply: another program listens on that port, or a proxy is in between. Fix: point --port at ZooKeeper's clientPort (zoo.cfg) and --host at its clientPortAddress", f.port),
    );
    // Long garbage is cut to 80 characters in the message.
    let g = fake(0, |_| Act::Reply(vec![b'z'; 500]));
    let r = probe("ready", g.port, &[]);
    assert_unhealthy(
        &r,
        &format!("127.0.0.1:{} answered srvr with \"{}...\" which is not a ZooKeeper reply: another program listens on that port, or a proxy is in between. Fix: point --port at ZooKeeper's clientPort (zoo.cfg) and --host at its clientPortAddress", g.port, "z".repeat(80)),
    );
}

#[test]
fn answers_half_then_stalls() {
    let f = fake(0, |w| match w {
        "ruok" => Act::Stall(b"im".to_vec()),
        _ => Act::Stall(b"Zookeeper version: 3.8.0".to_vec()),
    });
    assert_unhealthy(
        &probe("live", f.port, &[]),
        &format!("127.0.0.1:{} accepted the connection but did not finish its reply within 500ms (received only 2 bytes: \"im\"): {FIX_STALLED}", f.port),
    );
    assert_unhealthy(
        &probe("ready", f.port, &[]),
        &format!("127.0.0.1:{} accepted the connection but did not finish its reply within 500ms (received only 24 bytes: \"Zookeeper version: 3.8.0\"): {FIX_STALLED}", f.port),
    );
}

#[test]
fn closes_at_once_with_nothing() {
    let f = fake(usize::MAX, |_| Act::Reply(b"imok".to_vec()));
    assert_unhealthy(
        &probe("live", f.port, &[]),
        &format!("127.0.0.1:{} closed the connection without replying, twice: the server is shutting down or refusing the connection (maxClientCnxns reached from this address?), or it is a TLS port that drops plaintext clients. Fix: check the container log for \"Too many connections\" and raise --max_client_cnxns; during a restart this clears by itself; for zoo.cfg's secureClientPort use --tls auto or on", f.port),
    );
    // The empty reply was retried exactly once.
    assert_eq!(f.conns.load(Ordering::SeqCst), 2);
}

#[test]
fn empty_the_first_time_and_fine_the_second() {
    let f = fake(1, |_| Act::Reply(b"imok".to_vec()));
    assert_healthy(&probe("live", f.port, &[]));
    assert_eq!(f.conns.load(Ordering::SeqCst), 2);
    let g = fake(1, |_| Act::Reply(SRVR_FOLLOWER.into()));
    assert_healthy(&probe("ready", g.port, &[]));
    assert_eq!(g.conns.load(Ordering::SeqCst), 2);
}

#[test]
fn retry_shares_the_one_deadline() {
    // Empty first, then a stall: the retry must not get a fresh 500ms.
    let f = fake(1, |_| Act::Stall(Vec::new()));
    let r = probe("live", f.port, &[]);
    assert_unhealthy(
        &r,
        &format!("127.0.0.1:{} accepted the connection but did not finish its reply within 500ms (received nothing): {FIX_STALLED}", f.port),
    );
    assert_eq!(f.conns.load(Ordering::SeqCst), 2);
}

#[test]
fn ruok_not_whitelisted_falls_back_to_srvr() {
    let ruok = whitelist_reply("ruok");
    // Serving or not, a srvr answer proves the process answers.
    for srvr in [SRVR_LEADER.as_bytes(), NOT_SERVING.as_bytes()] {
        let f = table(&[("ruok", &ruok), ("srvr", srvr)]);
        assert_healthy(&probe("live", f.port, &[]));
        assert_eq!(*f.words.lock().unwrap(), ["ruok", "srvr"]);
        assert_healthy(&probe("ready", f.port, &["--mode", "ruok"]));
    }
}

#[test]
fn neither_ruok_nor_srvr_whitelisted() {
    let f = table(&[
        ("ruok", &whitelist_reply("ruok")),
        ("srvr", &whitelist_reply("srvr")),
    ]);
    assert_unhealthy(
        &probe("live", f.port, &[]),
        &whitelist_line(f.port, "ruok and srvr"),
    );
    assert_unhealthy(
        &probe("ready", f.port, &[]),
        &whitelist_line(f.port, "srvr"),
    );
}

#[test]
fn ready_is_not_ready_while_not_serving() {
    let f = table(&[("ruok", b"imok"), ("srvr", NOT_SERVING.as_bytes())]);
    assert_unhealthy(
        &probe("ready", f.port, &[]),
        &format!("127.0.0.1:{} is not serving requests (\"This ZooKeeper instance is not currently serving requests\"): it has not joined a quorum yet. Fix: make sure a majority of the ensemble is running and resolvable; with podManagementPolicy: OrderedReady use `zkpod probe ready --mode ruok`, since pod 0 cannot join a quorum before pod 1 exists", f.port),
    );
    // ruok passes while not serving: that is why ready defaults to srvr.
    assert_healthy(&probe("live", f.port, &[]));
    assert_healthy(&probe("ready", f.port, &["--mode", "ruok"]));
}

#[test]
fn ready_serving_modes() {
    for mode in ["leader", "follower", "standalone", "observer"] {
        let srvr = SRVR_FOLLOWER.replace("follower", mode);
        let f = table(&[("srvr", srvr.as_bytes())]);
        assert_healthy(&probe("ready", f.port, &[]));
    }
    let ro = SRVR_FOLLOWER.replace("follower", "read-only");
    let f = table(&[("srvr", ro.as_bytes())]);
    assert_unhealthy(
        &probe("ready", f.port, &[]),
        &format!("127.0.0.1:{} is in read-only mode: it lost its quorum and serves reads only. Fix: bring a majority of the ensemble back (check the other pods and the quorum ports 2888/3888)", f.port),
    );
}

#[test]
fn port_and_host_default_from_zoo_cfg() {
    let f = table(&[("ruok", b"imok")]);
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(
        conf.path().join("zoo.cfg"),
        format!(
            "tickTime=2000\nclientPort={}\nclientPortAddress=127.0.0.1\n",
            f.port
        ),
    )
    .unwrap();
    assert_healthy(&run_prog(&zkpod(), &["probe", "live"], conf.path()));
    // --port wins over zoo.cfg.
    let dead = closed_port().to_string();
    let r = run_prog(&zkpod(), &["probe", "live", "--port", &dead], conf.path());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("zkpod: 127.0.0.1:{dead} refused")),
        "{}",
        r.stderr
    );
    // clientPortAddress names the host: the fake listens on 127.0.0.1 only,
    // so 127.0.0.2 at the same port refuses.
    std::fs::write(
        conf.path().join("zoo.cfg"),
        format!("clientPort={}\nclientPortAddress=127.0.0.2\n", f.port),
    )
    .unwrap();
    let r = run_prog(&zkpod(), &["probe", "live"], conf.path());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("zkpod: 127.0.0.2:{} refused", f.port)),
        "{}",
        r.stderr
    );
    // --host wins over clientPortAddress.
    assert_healthy(&run_prog(
        &zkpod(),
        &["probe", "live", "--host", "127.0.0.1"],
        conf.path(),
    ));
}

#[test]
fn bad_timeout_is_a_usage_error() {
    let r = run(&["probe", "live", "--timeout", "soon"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("'soon' is not a duration between 1ms and 1h; write it as 800ms, 2s or 1.5"),
        "{}",
        r.stderr
    );
}

#[test]
fn dropin_ready_scripts() {
    let bin = tempfile::tempdir().unwrap();
    let conf = tempfile::tempdir().unwrap();
    let ok = table(&[("ruok", b"imok")]);
    let refused_ruok = table(&[
        ("ruok", &whitelist_reply("ruok")),
        ("srvr", SRVR_LEADER.as_bytes()),
    ]);
    let neither = table(&[
        ("ruok", &whitelist_reply("ruok")),
        ("srvr", &whitelist_reply("srvr")),
    ]);
    let dead = closed_port();
    for name in ["zookeeper-ready", "ready_live.sh"] {
        let p = dropin(bin.path(), name);
        let r = run_prog(&p, &[&ok.port.to_string()], conf.path());
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{name}");
        let r = run_prog(&p, &[&refused_ruok.port.to_string()], conf.path());
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (0, ""),
            "{name}: srvr fallback"
        );
        let r = run_prog(&p, &[&neither.port.to_string()], conf.path());
        assert_eq!(r.code, 1, "{name}");
        assert_eq!(
            r.stderr,
            format!("zkpod: {}\n", whitelist_line(neither.port, "ruok and srvr"))
        );
        let r = run_prog(&p, &[&dead.to_string()], conf.path());
        assert_eq!(r.code, 1, "{name}");
        assert!(r.stderr.contains("refused the connection"), "{}", r.stderr);
        // The scripts exited 1 on anything wrong, a bad argument included.
        let r = run_prog(&p, &["notaport"], conf.path());
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with("zkpod: invalid value 'notaport' for '[PORT]'"),
            "{name}: {}",
            r.stderr
        );
    }
    // Without PORT, the drop-in reads clientPort from $ZOO_CONF_DIR/zoo.cfg.
    std::fs::write(
        conf.path().join("zoo.cfg"),
        format!("clientPort={}\n", ok.port),
    )
    .unwrap();
    let r = run_prog(&bin.path().join("zookeeper-ready"), &[], conf.path());
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn dropin_ready_script_keeps_its_500ms_deadline() {
    let bin = tempfile::tempdir().unwrap();
    let conf = tempfile::tempdir().unwrap();
    let f = fake(0, |_| Act::Stall(Vec::new()));
    let r = run_prog(
        &dropin(bin.path(), "zookeeper-ready"),
        &[&f.port.to_string()],
        conf.path(),
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did not finish its reply within 500ms"),
        "{}",
        r.stderr
    );
    assert!(
        r.elapsed < Duration::from_millis(500 + MARGIN_MS),
        "{:?}",
        r.elapsed
    );
}

#[test]
fn dropin_metrics_script() {
    let bin = tempfile::tempdir().unwrap();
    let conf = tempfile::tempdir().unwrap();
    let p = dropin(bin.path(), "metrics.sh");
    let f = table(&[("mntr", MNTR_LEADER.as_bytes())]);
    let r = run_prog(&p, &[&f.port.to_string()], conf.path());
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(r.stdout, MNTR_LEADER, "the mntr reply, byte for byte");
    let wl = table(&[("mntr", &whitelist_reply("mntr"))]);
    let r = run_prog(&p, &[&wl.port.to_string()], conf.path());
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!("zkpod: {}\n", whitelist_line(wl.port, "mntr"))
    );
    let port = closed_port();
    let r = run_prog(&p, &[&port.to_string()], conf.path());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("zkpod: 127.0.0.1:{port} refused the connection")),
        "{}",
        r.stderr
    );
}

#[test]
fn status_of_a_leader() {
    let f = table(&[
        ("srvr", SRVR_LEADER.as_bytes()),
        ("mntr", MNTR_LEADER.as_bytes()),
    ]);
    let port = f.port.to_string();
    let r = run(&["status", "--port", &port]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(
        r.stdout,
        format!("server:      127.0.0.1:{port}\nmode:        leader\nzxid:        0x200000007 (epoch 2, counter 7)\nconnections: 4\noutstanding: 0\nfollowers:   2 (2 synced)\nznodes:      12\nlatency:     0/0.5/3 ms (min/avg/max)\nversion:     3.8.0\n")
    );
    let r = run(&["status", "--json", "--port", &port]);
    assert_eq!(r.code, 0);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("status --json is JSON");
    assert_eq!(j["mode"], "leader");
    assert_eq!(j["serving"], true);
    assert_eq!(j["zxid"], "0x200000007");
    assert_eq!(j["connections"], 4);
    assert_eq!(j["followers"], 2);
    assert_eq!(j["version"], "3.8.0");
}

#[test]
fn status_of_a_follower_and_of_a_member_without_quorum() {
    let f = table(&[("srvr", SRVR_FOLLOWER.as_bytes())]);
    let r = run(&["status", "--port", &f.port.to_string()]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("mode:        follower\n"), "{}", r.stdout);
    assert!(r.stdout.contains("followers:   -\n"), "{}", r.stdout);
    assert_eq!(
        *f.words.lock().unwrap(),
        ["srvr"],
        "mntr is only asked of a leader"
    );
    let n = table(&[("srvr", NOT_SERVING.as_bytes())]);
    let r = run(&["status", "--json", "--port", &n.port.to_string()]);
    assert_eq!(r.code, 0);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["serving"], false);
    assert!(j["mode"].is_null());
    let r = run(&["status", "--port", &closed_port().to_string()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("refused the connection"), "{}", r.stderr);
}

#[test]
fn metrics_text_and_prometheus() {
    // The same mntr and Prometheus text as the renderer's golden test.
    let mntr = include_str!("golden/mntr.leader");
    let f = table(&[("mntr", mntr.as_bytes())]);
    let port = f.port.to_string();
    let r = run(&["metrics", "--port", &port]);
    assert_eq!((r.code, r.stdout.as_str()), (0, mntr));
    let r = run(&["metrics", "--format", "prometheus", "--port", &port]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, include_str!("golden/metrics.leader.prom"));
    let n = table(&[("mntr", NOT_SERVING.as_bytes())]);
    let r = run(&["metrics", "--port", &n.port.to_string()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not serving requests"), "{}", r.stderr);
}

#[test]
fn fourlw_prints_the_raw_reply() {
    let conf = "clientPort=2181\ndataDir=/var/lib/zookeeper/data\n";
    let f = table(&[
        ("conf", conf.as_bytes()),
        ("envi", &whitelist_reply("envi")),
    ]);
    let port = f.port.to_string();
    let r = run(&["4lw", "conf", "--port", &port]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, conf, "")
    );
    let r = run(&["4lw", "envi", "--port", &port]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("zkpod: 127.0.0.1:{port} refuses envi: not in 4lw.commands.whitelist, so zkpod cannot ask. Fix: add `4lw.commands.whitelist=srvr,ruok,mntr,conf,envi` to zoo.cfg (zkpod start writes it) and restart the server\n")
    );
    for bad in ["CONF", "con", "confs", "c0nf"] {
        let r = run(&["4lw", bad, "--port", &port]);
        assert_eq!(r.code, 2, "{bad}");
        assert_eq!(
            r.stderr,
            format!("zkpod: \"{bad}\" is not a four-letter word: ZooKeeper's commands are exactly four lowercase ASCII letters. Fix: use one such as srvr, mntr, conf, cons, envi, ruok, stat, isro, wchs\n")
        );
    }
    // A bad word never reaches the server.
    assert_eq!(*f.words.lock().unwrap(), ["conf", "envi"]);
}

// ---- issue 8: what a probe reads, and the bytes on the wire ----------------

/// `zkpod probe live` with `conf` as its conf dir and no flags: it must
/// read zoo.cfg to find the port.
fn probe_with_conf(conf: &std::path::Path) -> Run {
    let timeout = format!("{TIMEOUT_MS}ms");
    run_prog(&zkpod(), &["probe", "live", "--timeout", &timeout], conf)
}

#[test]
fn issue_8_a_fifo_or_huge_zoo_cfg_cannot_hang_or_flood_the_probe() {
    let conf = tempfile::tempdir().unwrap();
    let cfg = conf.path().join("zoo.cfg");
    nix::unistd::mkfifo(&cfg, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let r = probe_with_conf(conf.path());
    assert_unhealthy(
        &r,
        &format!("{} is a FIFO, not a regular file: the probe cannot tell where ZooKeeper takes clients, and will not guess. Fix: point --conf_dir (ZOO_CONF_DIR) at the dir zkpod start writes zoo.cfg to, or pass --port (ZOO_PROBE_PORT) and --host (ZOO_PROBE_HOST)", cfg.display()),
    );
    std::fs::remove_file(&cfg).unwrap();
    // 2 MiB of comments: larger than any zoo.cfg, refused after 1 MiB.
    std::fs::write(&cfg, "# x\n".repeat(1 << 19)).unwrap();
    let r = probe_with_conf(conf.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with(&format!("zkpod: {} is larger than 1 MiB: ", cfg.display())),
        "{}",
        r.stderr
    );
    assert_within_deadline(&r);
}

#[test]
fn issue_8_a_bad_client_port_in_zoo_cfg_is_not_ignored() {
    let conf = tempfile::tempdir().unwrap();
    let cfg = conf.path().join("zoo.cfg");
    for (line, says) in [
        (
            "clientPort=21810x",
            "sets clientPort='21810x', which is not a port from 1 to 65535",
        ),
        (
            "clientPort=0",
            "sets clientPort='0', which is not a port from 1 to 65535",
        ),
        (
            "clientPort=\\u21",
            "line 1 has a malformed \\uXXXX escape (Java's Properties.load refuses the file)",
        ),
        (
            "clientPortAddress=10.0.0.1\\nx",
            "sets clientPortAddress='10.0.0.1\\nx', which is neither an IP address nor a DNS name",
        ),
    ] {
        std::fs::write(&cfg, format!("{line}\n")).unwrap();
        let r = probe_with_conf(conf.path());
        assert_eq!(r.code, 1, "{line}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("zkpod: {} {says}", cfg.display())),
            "{line}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(
                ": the probe cannot tell where ZooKeeper takes clients, and will not guess. Fix: "
            ),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1);
    }
}

#[test]
fn issue_8_port_0_and_a_timeout_below_1ms_are_usage_errors() {
    let r = run(&["probe", "live", "--port", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("invalid value '0' for '--port <PORT>': 0 is not in 1..=65535"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("refused"), "{}", r.stderr);
    for t in ["0.0001", "82e-90", "0.5ms"] {
        let r = run(&["probe", "live", "--timeout", t]);
        assert_eq!(r.code, 2, "{t}: {}", r.stderr);
        assert!(
            r.stderr.contains("is not a duration between 1ms and 1h"),
            "{}",
            r.stderr
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let r = run_prog(&dropin(dir.path(), "zookeeper-ready"), &["0"], dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("0 is not in 1..=65535"), "{}", r.stderr);
}

#[test]
fn issue_8_a_5mb_mode_reply_gives_a_bounded_line() {
    let mut reply = b"Zookeeper version: 3.8.0\nMode: ".to_vec();
    reply.extend(std::iter::repeat(b'x').take(5 << 20));
    reply.push(b'\n');
    let f = fake(0, move |_| Act::Reply(reply.clone()));
    let port = f.port.to_string();
    let r = run(&["probe", "ready", "--port", &port, "--timeout", "3s"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(r.stderr.len() < 600, "a line of {} bytes", r.stderr.len());
    assert!(
        r.stderr
            .contains(&format!("127.0.0.1:{} reports mode \"xxxx", f.port)),
        "{}",
        r.stderr
    );
}

#[test]
fn attacker_control_bytes_on_the_wire_stay_escaped_on_one_line() {
    let f = table(&[
        (
            "ruok",
            b"\x1b[2J\x1b[Hzkpod: INFO: all good\r\nimok\x00\xff",
        ),
        (
            "srvr",
            b"Zookeeper version: 3.8.0\nMode: lead\x1b[31mer\nzkpod: fake\n",
        ),
    ]);
    for kind in ["live", "ready"] {
        let r = probe(kind, f.port, &[]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with("zkpod: 127.0.0.1:"), "{}", r.stderr);
        assert!(
            !r.stderr.trim_end().chars().any(|c| c.is_control()),
            "{:?}",
            r.stderr
        );
    }
}
