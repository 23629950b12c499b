//! Issue 8's guarantees for issue 13's inputs, against the binary: every
//! bad `--tls-dir` (ZOO_TLS_DIR) input of `zkpod start` gets its one line
//! (asserted), its exit code, and a volume and conf dir unchanged byte for
//! byte (content, mode, owner). The certificates are rcgen's (`util::Pki`,
//! for zk-0's FQDN); the real-ZooKeeper TLS cases are in tests/tls/.

use std::fs;
use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use crate::util::{is_root, Pki, Pod};

const ENSEMBLE: [&str; 2] = ["--hostname=zk-0", "--servers=3"];

fn tls_args(dir: &std::path::Path) -> Vec<String> {
    let mut a: Vec<String> = ENSEMBLE.iter().map(|s| s.to_string()).collect();
    a.push(format!("--tls-dir={}", dir.display()));
    a
}

fn refuses_tls(pod: &Pod, dir: &std::path::Path, code: i32, needles: &[&str]) -> String {
    let a = tls_args(dir);
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let t = Instant::now();
    let line = pod.refuses(&a, code, needles);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the start took {:?}",
        t.elapsed()
    );
    line
}

fn mkfifo(p: &std::path::Path) {
    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
}

// ---- the Secret's PEM files: bounded, typed reads ---------------------------

#[test]
fn attacker_a_fifo_as_any_pem_file_fails_fast_and_names_it() {
    for name in ["tls.key", "tls.crt", "ca.crt"] {
        let pki = Pki::new();
        let f = pki.path().join(name);
        fs::remove_file(&f).unwrap();
        mkfifo(&f);
        refuses_tls(
            &Pod::new(),
            pki.path(),
            11,
            &[
                &format!("zkpod: {} is a FIFO, not a regular file: ", f.display()),
                "zkpod start changed nothing",
                "Fix: point --tls-dir (ZOO_TLS_DIR) at the directory where the cert-manager Secret is mounted",
            ],
        );
    }
}

#[test]
fn attacker_a_1_gib_key_is_refused_unread() {
    let pki = Pki::new();
    let f = pki.path().join("tls.key");
    // Sparse: 1 GiB to stat, nothing on disk.
    fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    refuses_tls(
        &Pod::new(),
        pki.path(),
        11,
        &[
            &format!("zkpod: {} is larger than 1 MiB: ", f.display()),
            "PEM files of at most 1 MiB",
        ],
    );
}

#[test]
fn attacker_a_directory_or_a_device_as_a_pem_file_is_refused() {
    let pki = Pki::new();
    let f = pki.path().join("ca.crt");
    fs::remove_file(&f).unwrap();
    fs::create_dir(&f).unwrap();
    refuses_tls(
        &Pod::new(),
        pki.path(),
        11,
        &[&format!(
            "zkpod: {} is a directory, not a regular file: ",
            f.display()
        )],
    );
    let pki = Pki::new();
    let f = pki.path().join("tls.crt");
    fs::remove_file(&f).unwrap();
    symlink("/dev/zero", &f).unwrap();
    refuses_tls(
        &Pod::new(),
        pki.path(),
        11,
        &[&format!(
            "zkpod: {} is a character device, not a regular file: ",
            f.display()
        )],
    );
}

#[test]
fn attacker_a_key_linked_to_a_secret_file_leaks_none_of_it() {
    // /etc/shadow when it can be read (as root), else a 0600 file of ours:
    // either way a readable file that is no PEM and must not be quoted.
    let secret_dir = tempfile::tempdir().unwrap();
    let target = if is_root() && fs::metadata("/etc/shadow").is_ok() {
        std::path::PathBuf::from("/etc/shadow")
    } else {
        let p = secret_dir.path().join("shadow");
        fs::write(&p, "root:$6$SECRETSALT$SECRETHASH:19000:0:99999:7:::\n").unwrap();
        p
    };
    let bytes = fs::read(&target).unwrap();
    let pki = Pki::new();
    let f = pki.path().join("tls.key");
    fs::remove_file(&f).unwrap();
    symlink(&target, &f).unwrap();
    let line = refuses_tls(
        &Pod::new(),
        pki.path(),
        11,
        &[&format!("zkpod: {} holds no private key", f.display())],
    );
    // No run of 6 bytes of the file (a user name and its hash) in the line.
    let text = String::from_utf8_lossy(&bytes);
    for field in text.split([':', '\n']).filter(|f| f.len() >= 6) {
        assert!(!line.contains(field), "{field:?} leaked in {line}");
    }
}

#[test]
fn a_missing_key_says_to_mount_the_secret() {
    let pki = Pki::new();
    let f = pki.path().join("tls.key");
    fs::remove_file(&f).unwrap();
    refuses_tls(
        &Pod::new(),
        pki.path(),
        11,
        &[
            &format!("zkpod: {} does not exist: ", f.display()),
            &format!(
                "Fix: mount the cert-manager Secret so that {} exists",
                f.display()
            ),
        ],
    );
}

/// The kubelet's Secret volume: each file a symlink through `..data` into a
/// timestamped dir (as cert-manager's Secret is mounted).
fn kubelet_layout(pki: &Pki) -> tempfile::TempDir {
    let mount = tempfile::tempdir().unwrap();
    let ts = mount.path().join("..2026_11_28_10_00_00.123456789");
    fs::create_dir(&ts).unwrap();
    for name in ["tls.crt", "tls.key", "ca.crt"] {
        fs::copy(pki.path().join(name), ts.join(name)).unwrap();
        symlink(format!("..data/{name}"), mount.path().join(name)).unwrap();
    }
    symlink(
        "..2026_11_28_10_00_00.123456789",
        mount.path().join("..data"),
    )
    .unwrap();
    mount
}

#[test]
fn the_kubelets_data_symlinks_are_followed() {
    let pki = Pki::new();
    let mount = kubelet_layout(&pki);
    let pod = Pod::new();
    let a = tls_args(mount.path());
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let o = pod.cmd(&a).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!pod.recorded().is_empty(), "java did not run");
    let ks = fs::read_to_string(pod.p("conf/keystore.pem")).unwrap();
    assert!(ks.contains("BEGIN PRIVATE KEY") && ks.contains(pki.cert_pem.trim()));
    assert_eq!(
        fs::read_to_string(pod.p("conf/truststore.pem")).unwrap(),
        pki.ca_pem
    );
}

// ---- the files --tls-dir writes in the conf dir: checked targets ------------

#[test]
fn attacker_a_directory_or_fifo_where_tls_writes_a_file_is_refused_before_any_write() {
    for name in ["keystore.pem", "truststore.pem", "tls.source"] {
        for fifo in [false, true] {
            let pki = Pki::new();
            let pod = Pod::new();
            pod.old_volume(Some("1\n"));
            fs::create_dir_all(pod.p("conf")).unwrap();
            fs::write(pod.p("conf/zoo.cfg"), b"# from an earlier start\n").unwrap();
            let target = pod.p("conf").join(name);
            let what = if fifo {
                mkfifo(&target);
                "a FIFO"
            } else {
                fs::create_dir(&target).unwrap();
                "a directory"
            };
            refuses_tls(
                &pod,
                pki.path(),
                8,
                &[
                    &format!("zkpod: {} is {what}, not a file: ", target.display()),
                    "nothing was changed",
                    &format!("Fix: move {} out of the way", target.display()),
                ],
            );
        }
    }
}

#[test]
fn without_tls_dir_the_tls_file_names_are_not_targets() {
    // A start without --tls-dir writes none of them, so nothing there stops it.
    let pod = Pod::new();
    fs::create_dir_all(pod.p("conf/keystore.pem")).unwrap();
    let o = pod.cmd(&ENSEMBLE).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(pod.p("conf/keystore.pem").is_dir());
}

// ---- --tls-dir (ZOO_TLS_DIR) itself: a clean path ---------------------------

#[test]
fn attacker_a_tls_dir_with_a_line_break_or_control_character_is_refused_in_one_line() {
    let pki = Pki::new();
    let good = pki.path().display().to_string();
    for (bad, shown, what) in [
        (
            format!("{good}\nsource=/etc"),
            format!("'{good}\\nsource=/etc'"),
            "holds a line break",
        ),
        (
            format!("{good}\r"),
            format!("'{good}\\r'"),
            "holds the character U+000D",
        ),
        (
            format!("{good}\u{1b}[2J"),
            format!("'{good}\\u{{1b}}[2J'"),
            "holds the character U+001B",
        ),
        (
            "etc/tls".to_string(),
            "etc/tls".to_string(),
            "is not absolute",
        ),
        (
            format!("{good}/../tls"),
            format!("{good}/../tls"),
            "has a '..' component",
        ),
    ] {
        for via_env in [false, true] {
            let pod = Pod::new();
            let mut c = pod.cmd(&ENSEMBLE);
            if via_env {
                c.env("ZOO_TLS_DIR", &bad);
            } else {
                c.arg(format!("--tls-dir={bad}"));
            }
            let line = pod.refuses_cmd(
                c,
                4,
                &[
                    &format!("zkpod: --tls-dir (ZOO_TLS_DIR) {shown} {what}"),
                    "zkpod records the directory in tls.source",
                    "Fix: mount the cert-manager Secret at an absolute path of letters, digits and / . _ - + @ ~",
                ],
            );
            assert!(!line.contains("source=/etc\n"), "{line}");
        }
    }
}

#[test]
fn a_tls_dir_with_a_trailing_slash_is_recorded_clean() {
    let pki = Pki::new();
    let pod = Pod::new();
    let mut a: Vec<String> = ENSEMBLE.iter().map(|s| s.to_string()).collect();
    a.push(format!("--tls-dir={}//", pki.path().display()));
    let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
    let o = pod.cmd(&a).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let source = fs::read_to_string(pod.p("conf/tls.source")).unwrap();
    assert!(
        source.contains(&format!("\nsource={}\n", pki.path().display())),
        "{source}"
    );
}
