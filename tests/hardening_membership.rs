//! Issue 8's promises for the inputs issue 9 added, against the binary: the
//! superuser password file, the dynamic configuration on the volume
//! (`<data dir>/zoo.cfg`, `zoo.cfg.dynamic.*`), the start's record
//! `membership.properties`, and `zkpod join`/`leave` beside a server that
//! holds the volume lock. Every refusal is one line (asserted), its exit
//! code, and a volume and conf dir unchanged byte for byte; nothing hangs
//! on a FIFO; no message quotes a secret.

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::util::{assert_fails, stderr, tree, zkpod, Pod};

const ENSEMBLE: [&str; 2] = ["--hostname=zk-0", "--servers=3"];

const SERVER_1: &str = "server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888:participant;2181";

fn fifo(p: &Path) {
    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
}

fn with_password(pw: &Path) -> Vec<String> {
    let mut a: Vec<String> = ENSEMBLE.iter().map(|s| s.to_string()).collect();
    a.push(format!("--superuser-password-file={}", pw.display()));
    a
}

/// Runs the start with a password file and asserts the refusal (exit 4),
/// within 5 seconds (a FIFO must not block it).
fn refuses_password(pod: &Pod, pw: &Path, needles: &[&str]) -> String {
    let a = with_password(pw);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let t = Instant::now();
    let line = pod.refuses(&a, 4, needles);
    assert!(t.elapsed() < Duration::from_secs(5), "the start hung");
    line
}

#[test]
fn attacker_a_password_file_that_is_a_fifo_is_refused_without_blocking() {
    let pod = Pod::new();
    let pw = pod.p("password");
    fifo(&pw);
    refuses_password(
        &pod,
        &pw,
        &[&format!(
            "--superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE) {} is a FIFO, not a regular file",
            pw.display()
        )],
    );
}

#[test]
fn attacker_a_huge_password_file_is_refused_unread() {
    let pod = Pod::new();
    let pw = pod.p("password");
    fs::write(&pw, vec![b'a'; 5000]).unwrap();
    refuses_password(
        &pod,
        &pw,
        &[&format!("{} is larger than 4 KiB", pw.display())],
    );
    let dir = pod.p("password.d");
    fs::create_dir(&dir).unwrap();
    refuses_password(
        &pod,
        &dir,
        &[&format!(
            "{} is a directory, not a regular file",
            dir.display()
        )],
    );
}

#[test]
fn attacker_a_password_file_linked_to_a_secret_never_shows_the_secret() {
    let pod = Pod::new();
    let secret = pod.p("shadow");
    fs::write(
        &secret,
        "root:$6$s3cr3tHash$abcdef:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    )
    .unwrap();
    let pw = pod.p("password");
    symlink(&secret, &pw).unwrap();
    let line = refuses_password(
        &pod,
        &pw,
        &[
            "holds a control character (a line break inside the password?)",
            "put the password alone in the file",
        ],
    );
    assert!(
        !line.contains("s3cr3t") && !line.contains("root:"),
        "{line}"
    );
}

#[test]
fn a_password_file_behind_a_secret_mounts_links_is_read() {
    // Kubernetes mounts a Secret's keys as symlinks (password ->
    // ..data/password): they are followed; only what is read is checked.
    let pod = Pod::new();
    fs::create_dir_all(pod.p("auth/..2026_11_28")).unwrap();
    fs::write(pod.p("auth/..2026_11_28/password"), "s3cret\n").unwrap();
    symlink("..2026_11_28", pod.p("auth/..data")).unwrap();
    symlink("..data/password", pod.p("auth/password")).unwrap();
    let a = with_password(&pod.p("auth/password"));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = pod.cmd(&a).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret"));
}

/// A volume that server 1 has used with dynamic membership: data, myid,
/// the zoo.cfg ZooKeeper rewrote, and its dynamic config file.
fn dynamic_volume(pod: &Pod, zoo_cfg: Option<&str>, dynamic: Option<&[u8]>) {
    pod.old_volume(Some("1\n"));
    let data = pod.data();
    let file = data.join("zoo.cfg.dynamic.100000000");
    let cfg = match zoo_cfg {
        Some(c) => c.to_string(),
        None => format!(
            "tickTime=2000\ndataDir={}\nreconfigEnabled=true\nstandaloneEnabled=false\ndynamicConfigFile={}\n",
            data.display(),
            file.display()
        ),
    };
    fs::write(data.join("zoo.cfg"), cfg).unwrap();
    if let Some(d) = dynamic {
        fs::write(&file, d).unwrap();
    }
}

fn refuses_volume(pod: &Pod, needles: &[&str]) -> String {
    let t = Instant::now();
    let line = pod.refuses(&ENSEMBLE, 5, needles);
    assert!(t.elapsed() < Duration::from_secs(5), "the start hung");
    line
}

fn dynamic_file(pod: &Pod) -> PathBuf {
    pod.data().join("zoo.cfg.dynamic.100000000")
}

#[test]
fn attacker_lines_injected_into_the_volumes_dynamic_config_are_refused() {
    // A key a dynamic config never holds: ZooKeeper would read dataDir
    // from it (it parses the file as Properties).
    let pod = Pod::new();
    dynamic_volume(
        &pod,
        None,
        Some(format!("{SERVER_1}\ndataDir=/etc/evil\n").as_bytes()),
    );
    refuses_volume(
        &pod,
        &[
            &format!(
                "{} on the data volume is not a configuration ZooKeeper wrote: unexpected key 'dataDir' in a dynamic config",
                dynamic_file(&pod).display()
            ),
            "nothing was changed",
        ],
    );

    // A trailing backslash joins the next line to server.1's value.
    let pod = Pod::new();
    dynamic_volume(
        &pod,
        None,
        Some(format!("{SERVER_1}\\\nserver.9=evil:1:2\n").as_bytes()),
    );
    refuses_volume(
        &pod,
        &["is not a configuration ZooKeeper wrote: server.1: client address"],
    );

    // An escape that makes a line break inside a host name.
    let pod = Pod::new();
    dynamic_volume(
        &pod,
        None,
        Some(b"server.1=zk-0\\u000adataDir=/x:2888:3888:participant;2181\n"),
    );
    let line = refuses_volume(&pod, &["server.1: host 'zk-0\\ndataDir=/x'"]);
    assert!(!line.contains('\n'));

    // A server line that is not one (a shell word for a host).
    let pod = Pod::new();
    dynamic_volume(
        &pod,
        None,
        Some(b"server.1=$(id):2888:3888:participant;2181\n"),
    );
    refuses_volume(&pod, &["is not a host name or address"]);
}

#[test]
fn attacker_a_huge_or_fifo_dynamic_config_is_refused_unread() {
    let pod = Pod::new();
    dynamic_volume(&pod, None, Some(&vec![b'#'; (1 << 20) + 1]));
    refuses_volume(
        &pod,
        &[&format!(
            "{} on the data volume is larger than 1 MiB",
            dynamic_file(&pod).display()
        )],
    );

    let pod = Pod::new();
    dynamic_volume(&pod, None, None);
    fifo(&dynamic_file(&pod));
    refuses_volume(
        &pod,
        &[&format!(
            "{} on the data volume is a FIFO, not a regular file",
            dynamic_file(&pod).display()
        )],
    );

    // The volume's zoo.cfg itself.
    let pod = Pod::new();
    dynamic_volume(&pod, None, Some(format!("{SERVER_1}\n").as_bytes()));
    let cfg = pod.data().join("zoo.cfg");
    fs::remove_file(&cfg).unwrap();
    fifo(&cfg);
    // zkpod replaces it on this start: refused as a target (exit 8), before
    // it is read as the committed configuration's pointer.
    let t = Instant::now();
    pod.refuses(
        &ENSEMBLE,
        8,
        &[&format!("{} is a FIFO, not a file", cfg.display())],
    );
    assert!(t.elapsed() < Duration::from_secs(5), "the start hung");

    // An older committed file ZooKeeper kept beside the current one.
    let pod = Pod::new();
    dynamic_volume(&pod, None, Some(format!("{SERVER_1}\n").as_bytes()));
    let old = pod.data().join("zoo.cfg.dynamic.ff");
    fifo(&old);
    refuses_volume(
        &pod,
        &[&format!("{} on the data volume is a FIFO", old.display())],
    );
}

#[test]
fn attacker_a_dynamic_config_linked_to_a_secret_is_not_read() {
    let pod = Pod::new();
    let secret = pod.p("shadow");
    fs::write(&secret, "server.1=s3cr3t:1:2\n").unwrap();
    dynamic_volume(&pod, None, None);
    symlink(&secret, dynamic_file(&pod)).unwrap();
    let line = refuses_volume(
        &pod,
        &["is a symlink loop (or a symlink where none may be)"],
    );
    assert!(!line.contains("s3cr3t"), "{line}");

    // zoo.cfg naming a file outside the data dir: not read at all.
    let pod = Pod::new();
    dynamic_volume(&pod, Some("dynamicConfigFile=/etc/shadow\n"), None);
    refuses_volume(
        &pod,
        &[
            &format!(
                "{} names dynamicConfigFile=/etc/shadow, which is not a zoo.cfg.dynamic.* file next to it",
                pod.data().join("zoo.cfg").display()
            ),
            "so that this server asks the ensemble for its committed configuration",
        ],
    );

    // A malformed escape: ZooKeeper's Properties.load refuses the file.
    let pod = Pod::new();
    dynamic_volume(&pod, Some("dynamicConfigFile=\\uZZZZ\n"), None);
    refuses_volume(&pod, &["malformed \\uXXXX escape"]);
}

// ---- zkpod join and leave beside a server holding the volume lock ---------

/// The start time (field 22) of this test process, as the hooks compare it.
fn own_start_time() -> u64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// Writes the record a start leaves for this (the test's) process, with a
/// client address nothing serves on.
fn record(pod: &Pod, password: Option<&Path>) {
    let mut text = format!(
        "pid={}\nstarted={}\nmembership=dynamic\nserver={SERVER_1}\nzooCfg={}\nclientHost=127.254.0.10\nclientPort=2181\nstatefulSet=zk\nordinal=0\nidOffset=1\n",
        std::process::id(),
        own_start_time(),
        pod.data().join("zoo.cfg").display()
    );
    if let Some(p) = password {
        text.push_str(&format!("superuserPasswordFile={}\n", p.display()));
    }
    fs::create_dir_all(pod.p("conf")).unwrap();
    fs::write(pod.p("conf/membership.properties"), text).unwrap();
}

/// Holds `<data dir>/.zkpod.lock` as the JVM does after the exec.
fn hold_lock(pod: &Pod) -> fs::File {
    fs::create_dir_all(pod.data()).unwrap();
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(pod.data().join(".zkpod.lock"))
        .unwrap();
    // SAFETY: flock only reads the descriptor, which `f` keeps open.
    let rc = unsafe { nix::libc::flock(f.as_raw_fd(), nix::libc::LOCK_EX | nix::libc::LOCK_NB) };
    assert_eq!(rc, 0);
    f
}

fn still_locked(pod: &Pod) -> bool {
    let f = fs::File::open(pod.data().join(".zkpod.lock")).unwrap();
    // SAFETY: as above.
    let rc = unsafe { nix::libc::flock(f.as_raw_fd(), nix::libc::LOCK_EX | nix::libc::LOCK_NB) };
    rc != 0
}

fn hook(pod: &Pod, args: &[&str]) -> (Output, Duration) {
    let mut c = Command::new(zkpod());
    c.args(args)
        .arg(format!("--conf_dir={}", pod.p("conf").display()))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ZKPOD_KUBE_API")
        .env_remove("ZOO_CONF_DIR");
    let t = Instant::now();
    let o = c.output().unwrap();
    (o, t.elapsed())
}

#[test]
fn join_and_leave_neither_wait_for_nor_break_the_volume_lock() {
    let pod = Pod::new();
    // Server 1 started as a joiner (an observer): its join waits for it to
    // serve. (A server that started as a voter has nothing to join.)
    let joiner = format!(
        "{}\nserver.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;2181\n",
        SERVER_1.replace(":participant;", ":observer;")
    );
    dynamic_volume(&pod, None, Some(joiner.as_bytes()));
    let _held = hold_lock(&pod);
    record(&pod, None);
    let before = tree(&pod.p("vol"));

    // join: past the record, waiting for the server (nothing serves), then
    // its own deadline: never the lock's.
    let (o, took) = hook(&pod, &["join", "--timeout=2s"]);
    assert_fails(&o, 10, &["server 1 at 127.254.0.10:2181 is not serving"]);
    assert!(took < Duration::from_secs(6), "join took {took:?}");
    // leave without a StatefulSet to ask: a restart, nothing to do.
    let (o, took) = hook(&pod, &["leave", "--timeout=2s"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot tell a scale-down from a restart"));
    assert!(took < Duration::from_secs(3), "leave took {took:?}");
    // leave --force: asks the server until its deadline.
    let (o, took) = hook(&pod, &["leave", "--force", "--timeout=2s"]);
    assert_eq!(o.status.code(), Some(10), "{}", stderr(&o));
    assert!(took < Duration::from_secs(6), "leave took {took:?}");

    assert!(still_locked(&pod), "a hook released the server's lock");
    assert_eq!(tree(&pod.p("vol")), before, "a hook changed the volume");
}

#[test]
fn attacker_a_fifo_for_the_hooks_record_or_password_fails_fast() {
    let pod = Pod::new();
    fs::create_dir_all(pod.p("conf")).unwrap();
    let rec = pod.p("conf/membership.properties");
    fifo(&rec);
    let (o, took) = hook(&pod, &["join", "--timeout=30s"]);
    assert_fails(
        &o,
        10,
        &[&format!("{} is a FIFO, not a regular file", rec.display())],
    );
    assert!(took < Duration::from_secs(5), "join took {took:?}");
    let (o, _) = hook(&pod, &["leave", "--timeout=30s"]);
    assert_fails(&o, 10, &["is a FIFO, not a regular file"]);

    // The record is fine; the password file it names is a FIFO.
    let pod = Pod::new();
    let pw = pod.p("password");
    fifo(&pw);
    record(&pod, Some(&pw));
    let (o, took) = hook(&pod, &["leave", "--force", "--timeout=30s"]);
    assert_fails(
        &o,
        10,
        &[&format!(
            "--superuser-password-file {} is a FIFO, not a regular file",
            pw.display()
        )],
    );
    assert!(took < Duration::from_secs(5), "leave took {took:?}");
}

#[test]
fn attacker_a_directory_where_membership_writes_a_file_is_refused_before_any_write() {
    for rel in [
        "vol/data/zoo.cfg.dynamic.zkpod-bootstrap",
        "vol/data/zoo.cfg.dynamic.zkpod-join",
        "vol/data/zoo.cfg",
        "conf/membership.properties",
    ] {
        let pod = Pod::new();
        pod.old_volume(Some("1\n"));
        fs::create_dir_all(pod.p("conf")).unwrap();
        fs::write(pod.p("conf/zoo.cfg"), b"# from an earlier start\n").unwrap();
        fs::create_dir_all(pod.p(rel)).unwrap();
        pod.refuses(
            &ENSEMBLE,
            8,
            &[
                &format!("{} is a directory, not a file", pod.p(rel).display()),
                "nothing was changed",
            ],
        );
    }
}
