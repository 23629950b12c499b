//! Issue 8, case by case, against the binary: every bad input gets its one
//! line (asserted), its exit code, and a volume and conf dir unchanged byte
//! for byte (content, mode, owner). Tests named `issue_8_*` pin a case of
//! the issue; `attacker_*` are ours, from an attacker who controls one
//! flag, one environment variable or one file on the volume. The probes'
//! cases (zoo.cfg, the bytes on the wire) are in probe_fake.rs.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{assert_fails, assert_lines, is_root, needs_root, stderr, tree, Pod};

const ENSEMBLE: [&str; 2] = ["--hostname=zk-0", "--servers=3"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = ENSEMBLE.to_vec();
    a.extend_from_slice(extra);
    a
}

// ---- 1. duplicate server ids ----------------------------------------------

#[test]
fn issue_8_an_id_offset_that_wraps_is_refused() {
    let pod = Pod::new();
    pod.refuses(
        &args(&["--id-offset=4294967295"]),
        4,
        &["--id-offset (ZOO_ID_OFFSET) 4294967295 with --servers 3 gives ids up to 4294967297, past 4294967295", "two pods would write the same myid", "Fix: lower --id-offset"],
    );
    let mut c = pod.cmd(&["--hostname=zk-2", "--servers=3"]);
    c.env("ZOO_ID_OFFSET", "4294967295");
    pod.refuses_cmd(c, 4, &["gives ids up to 4294967297"]);
}

// ---- 2. config injection through line breaks --------------------------------

#[test]
fn issue_8_no_flag_or_variable_can_inject_a_zoo_cfg_line() {
    let pod = Pod::new();
    fs::write(pod.p("hosts"), "127.0.0.1 localhost\n").unwrap();
    let evil = "zk-hs\nserver.9=evil:1:2\ndataDir=/etc/x\n#";
    let dir = format!("{}\ndataDir=/etc/x", pod.data().display());
    for (flag, env, needle) in [
        ("--domain", "ZOO_DOMAIN", "--domain (ZOO_DOMAIN) 'zk-hs\\nserver.9=evil:1:2\\ndataDir=/etc/x\\n#' has a label that holds a line break"),
        ("--service", "ZOO_SERVICE", "--service (ZOO_SERVICE) 'zk-hs\\nserver.9=evil:1:2"),
        ("--cluster-domain", "ZOO_CLUSTER_DOMAIN", "--cluster-domain (ZOO_CLUSTER_DOMAIN) 'zk-hs\\nserver.9"),
        ("--namespace", "POD_NAMESPACE", "--namespace (POD_NAMESPACE) 'zk-hs\\nserver.9"),
    ] {
        // The domain is composed from --service and POD_NAMESPACE unless
        // --domain is given; the flag under test replaces its good value.
        let base: Vec<String> = ["--service=zk-hs", "--namespace=default"]
            .iter()
            .filter(|x| !x.starts_with(&format!("{flag}=")))
            .map(|x| x.to_string())
            .chain(ENSEMBLE.iter().map(|x| x.to_string()))
            .collect();
        let mut with_flag = base.clone();
        with_flag.push(format!("{flag}={evil}"));
        pod.refuses(&with_flag.iter().map(String::as_str).collect::<Vec<_>>(), 4, &[needle]);
        let mut c = pod.cmd(&base.iter().map(String::as_str).collect::<Vec<_>>());
        c.env(env, evil);
        pod.refuses_cmd(c, 4, &[needle]);
    }
    for flag in ["--data_dir", "--data_log_dir"] {
        pod.refuses(
            &args(&["--domain=zk-hs.default.svc.cluster.local", &format!("{flag}={dir}")]),
            4,
            &[&format!("{flag} ("), "holds a line break; a directory path may hold only letters, digits and / . _ - + @ ~"],
        );
    }
}

#[test]
fn issue_8_a_line_break_cannot_forge_a_zkpod_log_line() {
    let pod = Pod::new();
    for (a, code, needle) in [
        ("--hostname=zk-0\nzkpod: INFO: forged", 3, "hostname 'zk-0\\nzkpod: INFO: forged' holds the control character U+000A"),
        ("--client_address=127.0.0.1\nzkpod: INFO: forged", 4, "--client_address (ZOO_CLIENT_ADDRESS) '127.0.0.1\\nzkpod: INFO: forged' is neither an IP address nor a DNS name"),
        ("--4lw-whitelist=srvr,ab\nzkpod:", 4, "--4lw-whitelist (ZOO_4LW_COMMANDS_WHITELIST) entry 'ab\\nzkpod:' is not a four-letter word"),
        ("--user=zk\nforged", if is_root() { 4 } else { 0 }, "--user zk\\nforged has no entry in /etc/passwd"),
    ] {
        let mut full = vec![a];
        if !a.starts_with("--hostname") {
            full.push("--hostname=zk-0");
        }
        if code == 0 {
            continue; // --user only matters as root
        }
        let line = pod.refuses(&full, code, &[needle]);
        assert!(!line.contains('\n'));
    }
}

// ---- 3. flag-owned keys through Properties escapes --------------------------

#[test]
fn issue_8_flag_owned_keys_are_refused_after_unescaping() {
    let pod = Pod::new();
    for (set, needle) in [
        ("data\\Dir=/etc/evil", "--set 'data\\Dir=/etc/evil' sets dataDir, a key that zkpod derives from --data_dir (ZOO_DATA_DIR)"),
        ("server\\u002e9=evil:1:2", "sets server.9, which belongs to the server list"),
        ("dataDir:/etc/evil=x", "--set 'dataDir:/etc/evil=x' sets dataDir, a key that zkpod derives from --data_dir"),
        ("snapCount=1\\", "--set entry 'snapCount=1\\' ends with a backslash: in zoo.cfg a line ending in a backslash continues on the next one"),
        ("#dataDir=/etc/evil", "starts with '#' or '!': ZooKeeper reads such a line as a comment"),
        ("a=\\u00zz", "has a malformed \\uXXXX escape"),
    ] {
        pod.refuses(&args(&[&format!("--set={set}")]), 4, &[needle]);
    }
    let mut c = pod.cmd(&ENSEMBLE);
    c.env("ZOO_CFG_EXTRA", "snapCount=5 data\\Dir=/etc/evil");
    pod.refuses_cmd(c, 4, &["ZOO_CFG_EXTRA 'data\\Dir=/etc/evil' sets dataDir"]);
}

#[test]
fn issue_8_the_fix_for_a_flag_owned_key_is_a_command_that_works() {
    let pod = Pod::new();
    let line = pod.refuses(
        &args(&["--set=admin.enableServer=true"]),
        4,
        &["Fix: pass --admin-server instead (it takes no value)"],
    );
    assert!(line.contains(
        "sets admin.enableServer, a key that zkpod derives from --admin-server (ZOO_ADMIN_SERVER)"
    ));
    // The fix as given: it starts.
    let o = pod
        .cmd(&args(&["--admin-server", "--dry-run"]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("admin.enableServer=true\n"));
}

// ---- 4. a data dir that is / or a system directory -------------------------

#[test]
fn issue_8_system_directories_are_never_data_dirs() {
    let pod = Pod::new();
    // --dry-run: even a wrong plan could change nothing here.
    for (dir, why) in [
        ("/", "is the system directory /"),
        ("/etc", "is the system directory /etc"),
        ("/usr", "is the system directory /usr"),
        ("/usr/lib/zk", "is inside the system directory /usr"),
        ("/var/lib", "is the system directory /var/lib"),
    ] {
        for flag in ["--data_dir", "--data_log_dir"] {
            let a = format!("{flag}={dir}");
            let o = pod
                .cmd(&["--hostname=zk-0", &a, "--dry-run"])
                .output()
                .unwrap();
            assert_fails(
                &o,
                4,
                &[
                    &format!("{flag} ("),
                    why,
                    "a ZooKeeper server needs a dedicated directory",
                    "Fix: pass a directory of its own",
                ],
            );
            assert!(o.stdout.is_empty(), "{dir}: the dry run printed a plan");
        }
    }
    // Through a symlink.
    fs::create_dir_all(pod.p("vol")).unwrap();
    symlink("/etc", pod.data()).unwrap();
    let o = pod.cmd(&["--hostname=zk-0", "--dry-run"]).output().unwrap();
    assert_fails(
        &o,
        4,
        &["leads through a symlink to /etc, which is the system directory /etc"],
    );
    fs::remove_file(pod.data()).unwrap();
    // --conf_dir too, and a conf dir a classpath cannot carry.
    for (dir, needle) in [
        (
            "/etc",
            "--conf_dir (ZOO_CONF_DIR) /etc is the system directory /etc",
        ),
        ("/tmp/a:b", "holds ':'"),
    ] {
        let a = format!("--conf_dir={dir}");
        let o = pod
            .cmd(&["--hostname=zk-0", &a, "--dry-run"])
            .output()
            .unwrap();
        assert_fails(&o, 4, &[needle]);
    }
}

#[test]
fn issue_8_root_chowns_recursively_only_what_is_zookeepers() {
    if !needs_root("issue_8_root_chowns_recursively_only_what_is_zookeepers") {
        return;
    }
    let pod = Pod::new();
    pod.old_volume(Some("1\n"));
    // Not ZooKeeper's: a home directory's files and a secret.
    fs::write(pod.data().join(".bashrc"), b"alias x=y\n").unwrap();
    fs::write(pod.data().join("secret.key"), b"KEY").unwrap();
    fs::set_permissions(
        pod.data().join("secret.key"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let line = pod.refuses(
        &["--hostname=zk-0"],
        6,
        &[
            "which is not ZooKeeper's, and it is not yet owned by the ZooKeeper user 4242:4242",
            "Fix: point --data_dir at a dedicated directory",
        ],
    );
    assert!(line.contains("--data_dir (ZOO_DATA_DIR)"), "{line}");
    assert_eq!(
        fs::metadata(pod.data().join("secret.key")).unwrap().uid(),
        0
    );
    // Only ZooKeeper's files: chowned, once.
    fs::remove_file(pod.data().join(".bashrc")).unwrap();
    fs::remove_file(pod.data().join("secret.key")).unwrap();
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for p in [
        pod.data(),
        pod.data().join("version-2/snapshot.100000000"),
        pod.data().join(".zkpod.lock"),
    ] {
        assert_eq!(fs::metadata(&p).unwrap().uid(), 4242, "{}", p.display());
    }
}

// ---- 5. shell injection into java.env ---------------------------------------

#[test]
fn issue_8_java_env_is_quoted_and_sourcing_it_runs_nothing() {
    let pod = Pod::new();
    let pwn = pod.p("PWN");
    let flags = format!(
        "-Dx=$(id>{0}) -Dy=`id>{0}` -Dz=';id>{0};' -Dw=\"$(id>{0})\"",
        pwn.display()
    );
    let o = pod
        .cmd(&["--hostname=zk-0", &format!("--jvm-flags={flags}")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Source it as zkEnv.sh does, with a real shell.
    let env = pod.p("conf/java.env");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            ". '{}' && printf '%s' \"$SERVER_JVMFLAGS\"",
            env.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!pwn.exists(), "sourcing java.env ran a command");
    let got = String::from_utf8(out.stdout).unwrap();
    assert!(got.ends_with(&flags), "{got}");
    // And java got the flags as arguments, unchanged (no shell between).
    assert!(pod
        .recorded()
        .contains(&format!("-Dx=$(id>{})", pwn.display())));
}

#[test]
fn issue_8_jvm_flags_cannot_replace_what_zkpod_sets() {
    let pod = Pod::new();
    for (flags, needle) in [
        ("-Djava.security.properties=/etc/passwd", "zkpod sets -Djava.security.properties itself; a second one would replace its own. Fix: remove it and use --dns-ttl and --dns-negative-ttl"),
        ("-Dlog4j.configuration=file:/tmp/x", "zkpod sets -Dlog4j.configuration itself"),
        ("@/etc/shadow", "'@/etc/shadow', which is not a JVM option"),
        ("-jar /tmp/x.jar", "it would change what java runs"),
    ] {
        pod.refuses(&["--hostname=zk-0", &format!("--jvm-flags={flags}")], 4, &["--jvm-flags (JVMFLAGS) contains", needle]);
    }
    let mut c = pod.cmd(&["--hostname=zk-0"]);
    c.env("JVMFLAGS", "-Djava.security.properties==/etc/passwd");
    pod.refuses_cmd(
        c,
        4,
        &["--jvm-flags (JVMFLAGS) contains -Djava.security.properties==/etc/passwd"],
    );
}

#[test]
fn attacker_the_jvm_option_variables_cannot_override_the_heap() {
    let pod = Pod::new();
    let mut c = pod.cmd(&["--hostname=zk-0"]);
    c.env("_JAVA_OPTIONS", "-Xmx8g");
    pod.refuses_cmd(c, 4, &["the environment variable _JAVA_OPTIONS contains -Xmx8g: the JVM applies _JAVA_OPTIONS after zkpod's command line, so it would win"]);
    let o = pod
        .cmd(&["--hostname=zk-0", "--dry-run"])
        .env("JAVA_TOOL_OPTIONS", "-Xmx8g -Dfoo=1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("zkpod: WARN: the environment variable JAVA_TOOL_OPTIONS contains -Xmx8g: zkpod's own setting on the command line wins, so this one is ignored"), "{}", stderr(&o));
}

// ---- the others: myid ---------------------------------------------------------

#[test]
fn issue_8_myid_zookeeper_cannot_read_is_refused() {
    for (content, needle) in [
        (&b" 2 "[..], "holds ' 2 ', which is not a server id (white space around the id, which ZooKeeper cannot read)"),
        (&b"2\nextra\n"[..], "holds '2\\nextra', which is not a server id (it holds more than one line)"),
        (&b"0\n"[..], "(ids start at 1)"),
    ] {
        let pod = Pod::new();
        pod.old_volume(None);
        fs::write(pod.data().join("myid"), content).unwrap();
        pod.refuses(&ENSEMBLE, 5, &[needle]);
    }
}

#[test]
fn issue_8_a_huge_myid_or_a_fifo_is_refused_at_once() {
    let pod = Pod::new();
    pod.old_volume(None);
    // 1 GiB, sparse: never read.
    let f = fs::File::create(pod.data().join("myid")).unwrap();
    f.set_len(1 << 30).unwrap();
    let t = Instant::now();
    let o = pod.cmd(&ENSEMBLE).output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_fails(
        &o,
        5,
        &["myid is larger than 64 bytes (a myid holds a few digits)"],
    );
    pod.refuses(&ENSEMBLE, 5, &["myid is larger than 64 bytes"]);
    fs::remove_file(pod.data().join("myid")).unwrap();
    nix::unistd::mkfifo(
        &pod.data().join("myid"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    let t = Instant::now();
    pod.refuses(&ENSEMBLE, 5, &["myid is a FIFO, not a regular file: zkpod cannot tell which server this volume belongs to and does not read it", "--accept-new-id"]);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "a FIFO hung the start"
    );
    // --accept-new-id sets the FIFO aside (never opened) and writes myid.
    let o = pod.cmd(&args(&["--accept-new-id"])).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(pod.data().join("myid")).unwrap(), b"1\n");
}

#[test]
fn issue_8_a_myid_symlinked_to_a_secret_is_not_read_or_quoted() {
    let pod = Pod::new();
    pod.old_volume(None);
    let secret = pod.p("secret");
    fs::write(&secret, b"root:$6$verysecret$hash:19000:0:99999:7:::\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    for target in [secret.clone(), "/etc/shadow".into()] {
        let _ = fs::remove_file(pod.data().join("myid"));
        symlink(&target, pod.data().join("myid")).unwrap();
        let line = pod.refuses(
            &ENSEMBLE,
            5,
            &[
                "myid is a symlink to",
                "outside the data dir",
                "zkpod does not read it",
            ],
        );
        assert!(
            !line.contains("root:") && !line.contains("secret$"),
            "{line}"
        );
    }
    // With --accept-new-id the link is set aside (its target untouched).
    let o = pod.cmd(&args(&["--accept-new-id"])).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(pod.data().join("myid")).unwrap(), b"1\n");
    // As root the volume was handed to 4242 through descriptors: the links
    // were chowned, never their targets.
    let shadow = fs::metadata("/etc/shadow").unwrap();
    assert_eq!((shadow.uid(), shadow.mode() & 0o777), (0, 0o640));
    assert_eq!(
        fs::metadata(&secret).unwrap().uid(),
        if is_root() {
            0
        } else {
            nix::unistd::geteuid().as_raw()
        }
    );
    let aside: Vec<_> = fs::read_dir(pod.data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("myid.bak-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        fs::read_link(&aside[0]).unwrap(),
        std::path::Path::new("/etc/shadow")
    );
}

#[test]
fn issue_8_os_errors_on_myid_say_what_they_mean() {
    let pod = Pod::new();
    pod.old_volume(None);
    fs::create_dir(pod.data().join("myid")).unwrap();
    pod.refuses(&ENSEMBLE, 5, &["myid is a directory, not a regular file"]);
    fs::remove_dir(pod.data().join("myid")).unwrap();
    symlink("myid", pod.data().join("myid")).unwrap();
    pod.refuses(
        &ENSEMBLE,
        5,
        &["myid is a symlink that leads nowhere, or into a loop"],
    );
}

#[test]
fn issue_8_two_accept_new_id_starts_in_one_second_keep_both_backups() {
    let pod = Pod::new();
    pod.old_volume(Some("7\n"));
    for host in ["--hostname=zk-0", "--hostname=zk-1", "--hostname=zk-2"] {
        let o = pod
            .cmd(&[host, "--servers=3", "--accept-new-id"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let mut kept: Vec<String> = fs::read_dir(pod.data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("myid.bak-")
        })
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    kept.sort();
    // The original id is among them: nothing was overwritten.
    assert_eq!(kept, ["1\n", "2\n", "7\n"]);
    assert_eq!(fs::read_to_string(pod.data().join("myid")).unwrap(), "3\n");
}

// ---- the others: dirs, paths, and all or nothing -------------------------------

#[test]
fn issue_8_a_non_utf8_data_dir_is_refused_and_nothing_is_created() {
    let pod = Pod::new();
    let mut dir = pod.p("vol").into_os_string();
    dir.push(std::ffi::OsStr::from_bytes(b"/caf\xe9"));
    let mut c = pod.cmd(&["--hostname=zk-0"]);
    c.arg(format!("--data_dir={}", pod.data().display()));
    let mut a = std::ffi::OsString::from("--data_dir=");
    a.push(&dir);
    c.arg(a);
    pod.refuses_cmd(c, 4, &["holds the byte 0xe9 (not ASCII)", "/caf\\xe9"]);
    assert!(!std::path::Path::new(&dir).exists());
}

#[test]
fn issue_8_a_100kb_path_is_refused_with_its_length() {
    let pod = Pod::new();
    let long = format!("--data_dir=/{}", "a/".repeat(50_000));
    pod.refuses(
        &["--hostname=zk-0", &long],
        4,
        &["is 100001 bytes long (a path has at most 4095)"],
    );
}

#[test]
fn issue_8_a_data_dir_that_is_a_file_is_not_a_mount_problem() {
    let pod = Pod::new();
    fs::create_dir_all(pod.p("vol")).unwrap();
    fs::write(pod.data(), b"").unwrap();
    let line = pod.refuses(
        &["--hostname=zk-0"],
        4,
        &[
            "--data_dir (ZOO_DATA_DIR)",
            "data is a file, not a directory",
        ],
    );
    assert!(!line.contains("read-write"), "{line}");
}

#[test]
fn issue_8_a_conf_file_that_is_a_directory_changes_nothing() {
    let pod = Pod::new();
    pod.old_volume(None);
    fs::create_dir_all(pod.p("conf/zoo.cfg")).unwrap();
    pod.refuses(&["--hostname=zk-0"], 8, &["conf/zoo.cfg is a directory, not a file: zkpod writes that file on every start and cannot replace it; nothing was changed"]);
    assert!(
        !pod.data().join("myid").exists(),
        "myid written before the refusal"
    );
}

#[test]
fn issue_8_a_full_disk_or_no_inodes_changes_nothing() {
    if !needs_root("issue_8_a_full_disk_or_no_inodes_changes_nothing") {
        return;
    }
    for (opts, fill, needle) in [
        (
            "size=64k",
            "dd if=/dev/zero of=$D/fill bs=4k count=64 2>/dev/null || true",
            "no space is left on its device",
        ),
        (
            "nr_inodes=8",
            "for i in 1 2 3 4 5 6 7 8; do touch $D/f$i 2>/dev/null || true; done",
            "no free inodes are left on its filesystem",
        ),
    ] {
        // A fresh volume: myid would be written, after the conf files.
        let pod = Pod::new();
        fs::create_dir_all(pod.data()).unwrap();
        fs::create_dir_all(pod.p("vol/log")).unwrap();
        fs::create_dir_all(pod.p("conf")).unwrap();
        let before = tree(&pod.p("vol"));
        // The conf dir on a small tmpfs of its own, filled up first: zkpod
        // stages the conf files before it touches the volume.
        let script = format!(
            "set -e; D={conf}; mount -t tmpfs -o {opts},mode=0777 tmpfs $D; echo '# old' > $D/zoo.cfg; {fill}; cp -a $D/zoo.cfg $D/../zoo.cfg.before; exec \"$@\"",
            conf = pod.p("conf").display()
        );
        let mut c = Command::new("unshare");
        // --net: the inner start's pre_exec does not carry over (util::without_network).
        c.args([
            "--net",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ]);
        let inner = pod.cmd(&["--hostname=zk-0", "--servers=3"]);
        c.arg(inner.get_program());
        c.args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let o = c.output().unwrap();
        assert_fails(&o, 8, &[needle, "nothing was half-written"]);
        assert_eq!(tree(&pod.p("vol")), before, "the volume changed ({opts})");
        assert!(!pod.data().join("myid").exists());
        assert_eq!(pod.recorded(), "");
    }
}

#[test]
fn attacker_a_symlinked_conf_file_is_replaced_never_followed() {
    let pod = Pod::new();
    let victim = pod.p("victim");
    fs::write(&victim, b"precious\n").unwrap();
    fs::create_dir_all(pod.p("conf")).unwrap();
    symlink(&victim, pod.p("conf/zoo.cfg")).unwrap();
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(&victim).unwrap(), b"precious\n");
    // Replaced: by the file itself (a static server list), or by zkpod's
    // own link to the zoo.cfg on the volume (dynamic membership).
    let conf = pod.p("conf/zoo.cfg");
    let meta = fs::symlink_metadata(&conf).unwrap();
    assert!(
        meta.is_file() || fs::read_link(&conf).unwrap() == pod.data().join("zoo.cfg"),
        "{:?}",
        fs::read_link(&conf)
    );
}

#[test]
fn attacker_a_planted_lock_file_is_not_followed() {
    let pod = Pod::new();
    pod.old_volume(Some("1\n"));
    let victim = pod.p("victim");
    fs::write(&victim, b"precious\n").unwrap();
    symlink(&victim, pod.data().join(".zkpod.lock")).unwrap();
    if is_root() {
        // Already the ZooKeeper user's, so that no chown is planned (a
        // planted symlink is not ZooKeeper's: that refusal is exit 6).
        let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
        assert_fails(&o, 6, &[".zkpod.lock, which is not ZooKeeper's"]);
        for p in [pod.p("vol"), pod.data(), pod.p("vol/log")] {
            std::os::unix::fs::lchown(&p, Some(4242), Some(4242)).unwrap();
        }
    }
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_fails(
        &o,
        8,
        &[
            "cannot open the lock file",
            ".zkpod.lock: it is a symlink loop (or a symlink where none may be)",
            "Fix: replace the symlink",
        ],
    );
    assert_eq!(fs::read(&victim).unwrap(), b"precious\n");
    assert_eq!(fs::read(pod.data().join("myid")).unwrap(), b"1\n");
    assert_eq!(pod.recorded(), "");
}

// ---- the others: one volume, one server -----------------------------------------

#[test]
fn issue_8_a_second_server_on_a_volume_is_refused() {
    let pod = Pod::new();
    pod.slow_java(3.0);
    let mut first = pod
        .cmd(&["--hostname=zk-0"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first one execs java (it holds the lock from then on).
    let t = Instant::now();
    while !pod.data().join("myid").exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    let line = assert_fails(
        &o,
        5,
        &[
            "another process holds the lock",
            ".zkpod.lock: a server started by zkpod runs on this volume",
            "nothing was written",
            "ReadWriteOncePod",
        ],
    );
    assert!(line.contains(&pod.data().display().to_string()));
    assert!(first.wait().unwrap().success());
    // Once the first is gone, the volume is free again.
    pod.slow_java(0.0);
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn issue_8_two_pods_starting_at_the_same_instant_never_both_win() {
    // 20 rounds of zk-0 and zk-2 started together on one empty volume.
    for round in 0..20 {
        let pod = Pod::new();
        pod.slow_java(0.4);
        let a = pod
            .cmd(&["--hostname=zk-0", "--servers=3"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = pod
            .cmd(&["--hostname=zk-2", "--servers=3"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [oa.status.code(), ob.status.code()];
        let winners = codes.iter().filter(|c| **c == Some(0)).count();
        assert_eq!(
            winners,
            1,
            "round {round}: exit codes {codes:?}\n{}\n{}",
            stderr(&oa),
            stderr(&ob)
        );
        let loser = if codes[0] == Some(0) { &ob } else { &oa };
        assert_fails(loser, 5, &[]);
        assert_lines(&stderr(loser));
        let l = stderr(loser);
        assert!(
            l.contains("another process holds the lock")
                || l.contains("changed while zkpod was starting")
                || l.contains("says this volume belongs to server"),
            "round {round}: {l}"
        );
        // The volume belongs to the winner alone.
        let want = if codes[0] == Some(0) { "1\n" } else { "3\n" };
        assert_eq!(
            fs::read_to_string(pod.data().join("myid")).unwrap(),
            want,
            "round {round}"
        );
        assert_eq!(
            pod.recorded().lines().count(),
            1,
            "round {round}: java ran twice"
        );
    }
}

// ---- the others: messages that said the wrong thing -----------------------------

#[test]
fn issue_8_a_latin1_comment_in_the_hosts_file_hides_nothing() {
    let pod = Pod::new();
    let mut hosts = b"# caf\xe9 \xff\n127.0.0.1 localhost\n".to_vec();
    hosts.extend_from_slice(b"127.0.0.10 zk-0.zk-hs.default.svc.cluster.local zk-0\n");
    fs::write(pod.p("hosts"), hosts).unwrap();
    let o = pod.cmd(&args(&["--dry-run"])).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("# domain zk-hs.default.svc.cluster.local (from "),
        "{out}"
    );
}

#[test]
fn issue_8_at_most_255_servers_not_at_least_256() {
    let pod = Pod::new();
    let line = pod.refuses(&["--hostname=zk-300", "--servers=255"], 3, &["so ordinal 300 cannot be one: scale the StatefulSet to at most 255 replicas (zk-0..zk-254)"]);
    assert!(!line.contains("at least 301"), "{line}");
}

#[test]
fn issue_8_non_utf8_environment_values_name_their_variable() {
    let pod = Pod::new();
    for var in ["ZOO_DOMAIN", "POD_NAMESPACE", "ZOO_HOSTNAME"] {
        let mut c = pod.cmd(&["--hostname=zk-0"]);
        if var == "ZOO_HOSTNAME" {
            c = pod.cmd(&[]);
        }
        c.env(var, std::ffi::OsStr::from_bytes(b"zk-\xff"));
        let line = pod.refuses_cmd(
            c,
            2,
            &[&format!(
                "the environment variable {var} holds 'zk-\\xff', which is not valid UTF-8"
            )],
        );
        assert!(line.contains("Fix: write the value in UTF-8"), "{line}");
    }
}

// ---- the others: values accepted without a word --------------------------------

#[test]
fn issue_8_values_out_of_their_domain() {
    let pod = Pod::new();
    pod.refuses(
        &["--hostname=zk-0", "--heap=99999999999G"],
        2,
        &["'99999999999G' is larger than 1T"],
    );
    for (d, why) in [
        ("a..b", "has an empty label"),
        ("zk hs", "holds a space"),
        ("a:1:2", "holds ':'"),
    ] {
        let mut c = pod.cmd(&ENSEMBLE);
        fs::write(pod.p("hosts"), "127.0.0.1 localhost\n").unwrap();
        c.arg(format!("--domain={d}"));
        pod.refuses_cmd(c, 4, &["--domain (ZOO_DOMAIN)", why]);
    }
    fs::write(
        pod.p("hosts"),
        b"127.0.0.10 zk-0.zk-hs\0x.default.svc zk-0\n",
    )
    .unwrap();
    pod.refuses(&ENSEMBLE, 3, &["names the domain 'zk-hs\\u{0}x.default.svc', which has a label that holds the character U+0000"]);
    pod.refuses(
        &["--hostname=zk-0", "--set=secureClientPort=2181"],
        4,
        &["--client_port and --set secureClientPort are both 2181"],
    );
}

#[test]
fn issue_8_two_hosts_lines_for_the_pod_get_a_word() {
    let pod = Pod::new();
    fs::write(
        pod.p("hosts"),
        "127.0.0.10 zk-0.zk-hs.default.svc.cluster.local zk-0\n127.0.0.10 zk-0.other.example\n",
    )
    .unwrap();
    let o = pod.cmd(&args(&["--dry-run"])).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("names pod zk-0 twice, with the domains zk-hs.default.svc.cluster.local and other.example: zkpod uses the first, as hostname -d does"), "{}", stderr(&o));
}

// ---- PID 1: a shell above zkpod (issue 11's finding) --------------------------------

fn fake_proc(pod: &Pod, pid: u32, ppid: u32, comm: &str, exe: &str) -> String {
    let root = pod.p(&format!("proc-{comm}-{pid}"));
    fs::create_dir_all(root.join("self")).unwrap();
    fs::create_dir_all(root.join("1")).unwrap();
    fs::write(
        root.join("self/status"),
        format!("Name:\tzkpod\nPid:\t{pid}\nPPid:\t{ppid}\nCapEff:\t000001ffffffffff\n"),
    )
    .unwrap();
    fs::write(root.join("1/comm"), format!("{comm}\n")).unwrap();
    symlink(exe, root.join("1/exe")).unwrap();
    format!("--proc-root={}", root.display())
}

#[test]
fn pid1_a_shell_above_zkpod_gets_one_line() {
    let pod = Pod::new();
    let link = pod.p("start.sh");
    symlink(crate::util::zkpod(), &link).unwrap();
    let mut c = Command::new(&link);
    pod.pod_args(&mut c);
    c.args([
        "--hostname=zk-0",
        "--dry-run",
        &fake_proc(&pod, 7, 1, "sh", "/usr/bin/dash"),
    ]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let warns: Vec<&str> = err.lines().filter(|l| l.contains("PID 1")).collect();
    assert_eq!(warns, ["zkpod: WARN: PID 1 is the shell sh (/usr/bin/dash) that started zkpod, not zkpod itself: SIGTERM from the kubelet (or podman stop) reaches only the shell, which does not pass it on: ZooKeeper gets no clean shutdown and is killed when the grace period ends. Fix: write `exec start.sh ...` inside sh -c, or use the exec form (command: [\"start.sh\", ...]) so that the JVM becomes PID 1"]);
    // zkpod as PID 1, or a parent that is not PID 1, or an init that
    // forwards signals: no word.
    for fake in [
        fake_proc(&pod, 1, 0, "zkpod", "/usr/local/bin/zkpod"),
        fake_proc(&pod, 9, 4, "bash", "/bin/bash"),
        fake_proc(&pod, 8, 1, "tini", "/usr/bin/tini"),
    ] {
        let o = pod
            .cmd(&["--hostname=zk-0", "--dry-run", &fake])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!stderr(&o).contains("PID 1"), "{fake}: {}", stderr(&o));
    }
}

#[test]
fn attacker_a_hosts_file_that_is_a_fifo_or_a_device_cannot_hang_the_start() {
    let pod = Pod::new();
    fs::remove_file(pod.p("hosts")).unwrap();
    nix::unistd::mkfifo(
        &pod.p("hosts"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    let t = Instant::now();
    pod.refuses(
        &ENSEMBLE,
        3,
        &[
            "cannot find the DNS domain of pod zk-0:",
            "hosts is a FIFO, not a regular file and neither --domain nor --service",
        ],
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "a FIFO hung the start"
    );
    pod.refuses(
        &args(&["--hosts-file=/dev/zero"]),
        3,
        &["/dev/zero is a character device, not a regular file"],
    );
    // The flag still works as the fallback.
    let o = pod
        .cmd(&args(&[
            "--domain=zk-hs.default.svc.cluster.local",
            "--dry-run",
        ]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout)
        .contains("# domain zk-hs.default.svc.cluster.local (from --domain)"));
}

#[test]
fn attacker_set_cannot_replace_the_membership() {
    let pod = Pod::new();
    pod.refuses(
        &args(&["--set=dynamicConfigFile=/tmp/evil.cfg.dynamic"]),
        4,
        &["'dynamicConfigFile=/tmp/evil.cfg.dynamic' sets a key of zkpod's dynamic membership (dynamicConfigFile)"],
    );
    pod.refuses(
        &args(&["--id-offset=300", "--set=extendedTypesEnabled=true"]),
        4,
        &["--set extendedTypesEnabled=true with server id 300: ZooKeeper refuses to start"],
    );
}
