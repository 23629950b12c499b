//! Helpers shared by the integration tests: the binary under test, a
//! scratch pod for `zkpod start` (dirs, hosts file, a stand-in java), fake
//! four-letter-word servers for the probes, and running zkpod with its
//! output and exit code.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The zkpod binary under test.
pub fn zkpod() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zkpod"))
}

// ---- zkpod start: a scratch pod ---------------------------------------

/// A scratch pod: data, log and conf dirs, a kubelet-style hosts file and a
/// stand-in java that records how it was exec'd.
pub struct Pod {
    pub dir: tempfile::TempDir,
}

impl Pod {
    pub fn new() -> Pod {
        let dir = tempfile::Builder::new()
            .prefix("zkpod-start-")
            .tempdir()
            .unwrap();
        // World-traversable: after dropping root the stand-in runs as 4242.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        // The pods' addresses are loopback addresses no suite serves on
        // (127.0.0.10-12 are the namespace suites'): with dynamic
        // membership a start asks its peers, and must find none here.
        fs::write(
            dir.path().join("hosts"),
            "127.0.0.1 localhost\n127.254.0.10 zk-0.zk-hs.default.svc.cluster.local zk-0\n\
             127.254.0.11 zk-1.zk-hs.default.svc.cluster.local zk-1\n\
             127.254.0.12 zk-2.zk-hs.default.svc.cluster.local zk-2\n",
        )
        .unwrap();
        let java = dir.path().join("java");
        let record = dir.path().join("java.out");
        fs::write(
            &java,
            format!(
                "#!/bin/sh\necho \"$$ $(id -u) $(id -g) UMASK=$(umask) HOME=$HOME $*\" > {}\n",
                record.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
        Pod { dir }
    }

    pub fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn data(&self) -> PathBuf {
        self.p("vol/data")
    }

    /// zkpod start with this pod's dirs plus `extra`, as `argv0` if given.
    pub fn cmd(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(zkpod());
        c.arg("start");
        self.pod_args(&mut c);
        c.args(extra);
        c
    }

    /// This pod's dirs and fixed settings for `zkpod start`, run without a
    /// network (see [`without_network`]).
    pub fn pod_args(&self, c: &mut Command) {
        without_network(c);
        c.arg(format!("--data_dir={}", self.data().display()))
            .arg(format!("--data_log_dir={}", self.p("vol/log").display()))
            .arg(format!("--conf_dir={}", self.p("conf").display()))
            .arg(format!("--hosts-file={}", self.p("hosts").display()))
            .arg(format!("--java={}", self.p("java").display()))
            .arg("--heap=128M")
            .arg("--user=4242:4242");
        for (k, _) in std::env::vars() {
            if k.starts_with("ZOO_") || k == "JVMFLAGS" || k == "POD_NAMESPACE" {
                c.env_remove(k);
            }
        }
    }

    /// zkpod start as an OpenShift-style arbitrary uid with gid 0 and no
    /// passwd entry (needs root to switch).
    pub fn as_openshift_uid(&self) -> Command {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=1000770000", "--regid=0", "--clear-groups", "--"])
            .arg(zkpod())
            .arg("start");
        self.pod_args(&mut c);
        c.arg("--hostname=zk-0");
        c
    }

    /// Every file and dir under the volume with its bytes, mode and owner.
    pub fn volume(&self) -> BTreeMap<PathBuf, Node> {
        tree(&self.p("vol"))
    }

    /// The volume and the conf dir, byte for byte, with modes and owners.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Node> {
        let mut t = tree(&self.p("vol"));
        t.extend(tree(&self.p("conf")));
        t
    }

    /// Replaces the stand-in java with one that sleeps `secs` before it
    /// records how it ran: while it sleeps, it holds what zkpod handed it
    /// (the volume lock).
    pub fn slow_java(&self, secs: f32) {
        let java = self.p("java");
        let record = self.p("java.out");
        fs::write(
            &java,
            format!(
                "#!/bin/sh\nsleep {secs}\necho \"$$ $(id -u) $(id -g) UMASK=$(umask) HOME=$HOME $*\" >> {}\n",
                record.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A volume that server `id` used: myid plus a snapshot and a log.
    pub fn old_volume(&self, myid: Option<&str>) {
        fs::create_dir_all(self.data().join("version-2")).unwrap();
        fs::create_dir_all(self.p("vol/log/version-2")).unwrap();
        fs::write(
            self.data().join("version-2/snapshot.100000000"),
            b"snapshot bytes",
        )
        .unwrap();
        fs::write(self.p("vol/log/version-2/log.100000001"), b"txn log bytes").unwrap();
        if let Some(id) = myid {
            fs::write(self.data().join("myid"), id).unwrap();
        }
    }

    /// Runs `zkpod start` with `args` against a volume that a server 1 has
    /// used and a conf dir from an earlier start, and asserts the refusal:
    /// exit `code`, a `zkpod:` line with every needle, java not run, and the
    /// volume and the conf dir byte-for-byte unchanged (content, mode, owner).
    pub fn refuses(&self, args: &[&str], code: i32, needles: &[&str]) -> String {
        let cmd = self.cmd(args);
        self.refuses_cmd(cmd, code, needles)
    }

    /// As [`Pod::refuses`], for a command built by the test (an environment
    /// variable, another uid).
    pub fn refuses_cmd(&self, mut cmd: Command, code: i32, needles: &[&str]) -> String {
        if !self.p("vol").exists() {
            self.old_volume(Some("1\n"));
        }
        if !self.p("conf").exists() {
            fs::create_dir_all(self.p("conf")).unwrap();
            fs::write(self.p("conf/zoo.cfg"), b"# from an earlier start\n").unwrap();
        }
        let before = self.snapshot();
        let o = cmd.output().unwrap();
        let line = assert_fails(&o, code, needles);
        assert_eq!(
            self.snapshot(),
            before,
            "the volume or conf dir changed for {cmd:?}"
        );
        assert_eq!(self.recorded(), "", "java ran for {cmd:?}");
        line
    }

    pub fn recorded(&self) -> String {
        fs::read_to_string(self.p("java.out")).unwrap_or_default()
    }
}

/// One entry of a tree: what it is, its bytes (a file) or target (a
/// symlink), mode, uid and gid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: &'static str,
    pub bytes: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Everything under `root` (itself included, when it exists), never
/// following a symlink and never opening anything but regular files.
pub fn tree(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = fs::symlink_metadata(&p) else {
            continue;
        };
        let t = m.file_type();
        let (kind, bytes) = if t.is_file() && m.len() > 1 << 20 {
            // A large file: its digest, read in chunks (a sparse 1 GiB myid
            // must not take 1 GiB of memory per snapshot).
            use std::hash::Hasher;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            let mut f = fs::File::open(&p).unwrap();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                h.write(&buf[..n]);
            }
            ("large file", h.finish().to_le_bytes().to_vec())
        } else if t.is_file() {
            ("file", fs::read(&p).unwrap())
        } else if t.is_symlink() {
            (
                "symlink",
                fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            )
        } else if t.is_dir() {
            ("dir", Vec::new())
        } else {
            ("other", Vec::new())
        };
        out.insert(
            p.clone(),
            Node {
                kind,
                bytes,
                mode: m.mode(),
                uid: m.uid(),
                gid: m.gid(),
            },
        );
        if t.is_dir() {
            stack.extend(fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit code and that stderr has a `zkpod: ` line containing each
/// of `needles` and a `Fix:`; that every line of stderr is a `zkpod:` line
/// of at most 2048 characters after the prefix (one bounded line each, no
/// forged or raw second line). Returns the error line.
pub fn assert_fails(o: &Output, code: i32, needles: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_lines(&err);
    let line = err
        .lines()
        .find(|l| {
            l.starts_with("zkpod: ")
                && !l.starts_with("zkpod: INFO")
                && !l.starts_with("zkpod: WARN")
        })
        .unwrap_or_else(|| panic!("no zkpod: error line in {err}"));
    for n in needles {
        assert!(line.contains(n), "missing {n:?} in {line}");
    }
    assert!(line.contains("Fix: "), "no fix in {line}");
    line.to_string()
}

/// Asserts that every line of zkpod's stderr is its own `zkpod: ` line,
/// bounded, with no control character in it.
pub fn assert_lines(err: &str) {
    for l in err.lines() {
        assert!(
            l.starts_with("zkpod: "),
            "a line that is not zkpod's: {l:?} in {err}"
        );
        assert!(
            l.chars().count() <= "zkpod: WARN: ".len() + 2048 + 3,
            "a line of {} characters",
            l.chars().count()
        );
        assert!(
            !l.chars().any(|c| c.is_control()),
            "a control character in {l:?}"
        );
    }
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether a test that needs root can run. Not as root it cannot: it says
/// so and is skipped, unless ZKPOD_TESTS_NO_SKIP=1 (as scripts/test.sh sets)
/// forbids skipping, and then it fails rather than pass unrun.
pub fn needs_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var_os("ZKPOD_TESTS_NO_SKIP").map_or(true, |v| v != "1"),
        "{test} needs root and cannot run here; ZKPOD_TESTS_NO_SKIP=1 forbids skipping it"
    );
    eprintln!("SKIPPED {test}: needs root");
    false
}

// ---- the probes: fake four-letter-word servers --------------------------

/// How long a stalling fake holds its connection: well past any deadline.
pub const STALL: Duration = Duration::from_secs(4);

/// What a fake does with one connection after reading the word.
#[derive(Clone)]
pub enum Act {
    /// Write these bytes and close.
    Reply(Vec<u8>),
    /// Write these bytes (maybe none), then hold the connection open.
    Stall(Vec<u8>),
}

/// A fake server: the words it received and the connections it accepted.
pub struct Fake {
    pub port: u16,
    pub conns: Arc<AtomicUsize>,
    pub words: Arc<Mutex<Vec<String>>>,
}

/// Starts a fake on 127.0.0.1. The first `close_first` connections are
/// closed at once, before reading anything; later ones read the word and get
/// `answer(word)`.
pub fn fake(close_first: usize, answer: impl Fn(&str) -> Act + Send + Sync + 'static) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a fake on 127.0.0.1");
    let port = listener.local_addr().unwrap().port();
    let conns = Arc::new(AtomicUsize::new(0));
    let words = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let (c, w) = (conns.clone(), words.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let n = c.fetch_add(1, Ordering::SeqCst);
            if n < close_first {
                drop(stream);
                continue;
            }
            let (answer, w) = (answer.clone(), w.clone());
            thread::spawn(move || serve(stream, &*answer, &w));
        }
    });
    Fake { port, conns, words }
}

fn serve(mut s: TcpStream, answer: &(dyn Fn(&str) -> Act + Sync), words: &Mutex<Vec<String>>) {
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut word = [0u8; 4];
    if s.read_exact(&mut word).is_err() {
        return;
    }
    let word = String::from_utf8_lossy(&word).into_owned();
    words.lock().unwrap().push(word.clone());
    match answer(&word) {
        Act::Reply(b) => {
            let _ = s.write_all(&b);
        }
        Act::Stall(b) => {
            let _ = s.write_all(&b);
            thread::sleep(STALL);
        }
    }
}

/// A fake that answers each word from a table, and garbage-free silence to
/// words it does not know (so an unexpected word shows up as a timeout).
pub fn table(replies: &[(&str, &[u8])]) -> Fake {
    let map: HashMap<String, Vec<u8>> = replies
        .iter()
        .map(|(w, r)| (w.to_string(), r.to_vec()))
        .collect();
    fake(0, move |w| match map.get(w) {
        Some(r) => Act::Reply(r.clone()),
        None => Act::Stall(Vec::new()),
    })
}

/// Runs `c` in a network namespace of its own, with only a loopback that is
/// down (as root; the binary tests' other runs do not start). `zkpod start`
/// with dynamic membership asks its peers (`zk-1.zk-hs...`) by name: on the
/// host the resolver would send those lookups off the machine. In here every
/// lookup and connection fails at once, which the start reads as peers that
/// are not there, as it does when their names do not resolve.
pub fn without_network(c: &mut Command) {
    use std::os::unix::process::CommandExt;
    if nix::unistd::geteuid().is_root() {
        // SAFETY: unshare(2) is async-signal-safe; nothing else runs
        // between fork and exec.
        unsafe {
            c.pre_exec(|| {
                nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(std::io::Error::from)
            });
        }
    }
}

/// A port with nothing listening: bind an ephemeral port, then close it.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---- running zkpod --------------------------------------------------------

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `program args` with an empty conf dir (so no zoo.cfg on the machine
/// leaks in) and none of the probe's environment variables set.
pub fn run_prog(program: &Path, args: &[&str], conf_dir: &Path) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args).env("ZOO_CONF_DIR", conf_dir);
    for v in [
        "ZOO_PROBE_HOST",
        "ZOO_PROBE_PORT",
        "ZOO_PROBE_TIMEOUT",
        "ZOO_READY_MODE",
        "ZOO_PROBE_TLS",
        "ZOO_PROBE_TLS_SERVER_NAME",
    ] {
        cmd.env_remove(v);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run zkpod");
    let elapsed = start.elapsed();
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
    }
}

pub fn run(args: &[&str]) -> Run {
    let conf = tempfile::tempdir().unwrap();
    run_prog(&zkpod(), args, conf.path())
}

/// A temp dir holding the binary under the drop-in `name` (a symlink, as in
/// the image).
pub fn dropin(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::os::unix::fs::symlink(zkpod(), &p).unwrap();
    p
}

// ---- TLS: a test PKI and a fake TLS four-letter-word server ---------------

/// A CA and a server certificate for `zk-0.zk-hs.default.svc.cluster.local`
/// (and its client use), written in cert-manager's Secret layout to a temp
/// dir, made with rcgen at test time.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub const FQDN: &str = "zk-0.zk-hs.default.svc.cluster.local";

impl Pki {
    pub fn new() -> Pki {
        use rcgen::{
            CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
            PKCS_ECDSA_P256_SHA256,
        };
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "zkpod test CA");
        ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(vec![FQDN.to_string()]).unwrap();
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert_pem = p.signed_by(&key, &issuer).unwrap().pem();
        let key_pem = key.serialize_pem();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("ca.crt"), &ca_pem).unwrap();
        fs::write(dir.path().join("tls.crt"), &cert_pem).unwrap();
        fs::write(dir.path().join("tls.key"), &key_pem).unwrap();
        Pki {
            dir,
            ca_pem,
            cert_pem,
            key_pem,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A conf dir with the zoo.cfg `zkpod start --tls-dir` writes for TLS
    /// clients (secure port `port` on 127.0.0.1) and its key and trust
    /// stores.
    pub fn conf_dir(&self, port: u16) -> tempfile::TempDir {
        let conf = tempfile::tempdir().unwrap();
        let ks = conf.path().join("keystore.pem");
        let ts = conf.path().join("truststore.pem");
        fs::write(&ks, format!("{}{}", self.key_pem, self.cert_pem)).unwrap();
        fs::write(&ts, &self.ca_pem).unwrap();
        fs::write(
            conf.path().join("zoo.cfg"),
            format!(
                "clientPort=1\nclientPortAddress=127.0.0.1\nsecureClientPort={port}\nssl.keyStore.location={}\nssl.keyStore.type=PEM\nssl.trustStore.location={}\nssl.trustStore.type=PEM\n",
                ks.display(),
                ts.display()
            ),
        )
        .unwrap();
        conf
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).unwrap())
            .unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap(),
            )
            .unwrap();
        Arc::new(config)
    }
}

/// What a fake TLS server does with a connection.
#[derive(Clone)]
pub enum TlsAct {
    /// Handshake (requiring a client certificate from the test CA), read
    /// the word, write these bytes, close.
    Reply(Vec<u8>),
    /// Accept, then never answer the ClientHello.
    StallHandshake,
    /// Answer the ClientHello with these plaintext bytes and close.
    Plain(Vec<u8>),
}

/// Starts a fake TLS server on 127.0.0.1; the number of completed
/// handshakes is counted.
pub fn tls_fake(pki: &Pki, act: TlsAct) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let conns = Arc::new(AtomicUsize::new(0));
    let words = Arc::new(Mutex::new(Vec::new()));
    let config = pki.server_config();
    let (c, w) = (conns.clone(), words.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let (config, act, c, w) = (config.clone(), act.clone(), c.clone(), w.clone());
            thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                match act {
                    TlsAct::StallHandshake => thread::sleep(STALL),
                    TlsAct::Plain(b) => {
                        let mut hello = [0u8; 5];
                        let _ = tcp.read_exact(&mut hello);
                        let _ = tcp.write_all(&b);
                    }
                    TlsAct::Reply(b) => {
                        let conn = rustls::ServerConnection::new(config).unwrap();
                        let mut tls = rustls::StreamOwned::new(conn, tcp);
                        let mut word = [0u8; 4];
                        if tls.read_exact(&mut word).is_err() {
                            return;
                        }
                        c.fetch_add(1, Ordering::SeqCst);
                        w.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&word).into_owned());
                        let _ = tls.write_all(&b);
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                }
            });
        }
    });
    Fake { port, conns, words }
}
