//! `zkpod start` with dynamic membership (issue 9), through the binary:
//! where zoo.cfg and the dynamic config go, what a start with no ensemble
//! to join does, the superuser digest's argument file, and the refusals.
//! No peer answers here (the pods' addresses are unused loopback ones): the
//! decisions against a live ensemble are tested with real ZooKeeper in
//! tests/namespaces/test_membership.py.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::util::{assert_fails, stderr, Pod};

#[test]
fn an_initial_member_with_no_ensemble_bootstraps_with_zoo_cfg_on_the_volume() {
    let pod = Pod::new();
    let o = pod
        .cmd(&["--hostname=zk-1", "--servers=3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let data = pod.data();
    let zoo = fs::read_to_string(data.join("zoo.cfg")).unwrap();
    for line in [
        "standaloneEnabled=false",
        "reconfigEnabled=true",
        &format!(
            "dynamicConfigFile={}",
            data.join("zoo.cfg.dynamic.zkpod-bootstrap").display()
        ),
        "clientPort=2181",
    ] {
        assert!(zoo.lines().any(|l| l == line), "{line} missing in {zoo}");
    }
    assert!(!zoo.contains("server."), "{zoo}");
    let dynamic = fs::read_to_string(data.join("zoo.cfg.dynamic.zkpod-bootstrap")).unwrap();
    assert_eq!(
        dynamic,
        "server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888:participant;2181\n\
         server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;2181\n\
         server.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888:participant;2181\n"
    );
    // The conf dir's zoo.cfg is a link to it: the probes and people find
    // ZooKeeper's config where they always did.
    assert_eq!(
        fs::read_link(pod.p("conf/zoo.cfg")).unwrap(),
        data.join("zoo.cfg")
    );
    let local = fs::read_to_string(pod.p("conf/membership.properties")).unwrap();
    assert!(
        local.contains(
            "server=server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;2181\n"
        ),
        "{local}"
    );
    assert!(
        local.contains("statefulSet=zk\nordinal=1\nidOffset=1\n"),
        "{local}"
    );
    // ZooKeeper is started with the zoo.cfg on the volume.
    let rec = pod.recorded();
    assert!(
        rec.trim_end().ends_with(&format!(
            "QuorumPeerMain {}",
            data.join("zoo.cfg").display()
        )),
        "{rec}"
    );
    let err = stderr(&o);
    assert!(
        err.contains(
            "membership: no ensemble answers; server 2 bootstraps one of 3 initial servers"
        ),
        "{err}"
    );
}

#[test]
fn a_pod_beyond_the_initial_size_with_no_ensemble_waits_and_changes_nothing() {
    let pod = Pod::new();
    fs::write(
        pod.p("hosts"),
        fs::read_to_string(pod.p("hosts")).unwrap()
            + "127.254.0.13 zk-3.zk-hs.default.svc.cluster.local zk-3\n",
    )
    .unwrap();
    pod.old_volume(Some("4\n"));
    pod.refuses(
        &["--hostname=zk-3", "--servers=3", "--peer-wait=1s"],
        9,
        &[
            "zk-3 (server 4) cannot start yet: server 4 is not one of the 3 initial servers (--servers), and no serving ensemble answers to join",
            "nothing was changed",
        ],
    );
}

#[test]
fn membership_keys_are_zkpods_own() {
    let pod = Pod::new();
    for set in ["--set=reconfigEnabled=false", "--set=dynamicConfigFile=/x"] {
        pod.refuses(
            &["--hostname=zk-0", "--servers=3", set],
            4,
            &[
                "sets a key of zkpod's dynamic membership",
                "--membership static",
            ],
        );
    }
}

#[test]
fn dynamic_membership_asked_of_a_pod_without_an_ordinal_is_refused() {
    let pod = Pod::new();
    pod.refuses(
        &["--hostname=web", "--membership=dynamic"],
        4,
        &["--membership dynamic needs a StatefulSet pod name (<name>-<ordinal>)"],
    );
}

#[test]
fn the_superuser_digest_goes_into_a_private_argument_file() {
    let pod = Pod::new();
    let pw = pod.p("password");
    fs::write(&pw, "s3cret-pw\n").unwrap();
    // A Java 17 runtime: its release file is next to bin/java.
    fs::create_dir_all(pod.p("jre/bin")).unwrap();
    fs::rename(pod.p("java"), pod.p("jre/bin/java")).unwrap();
    fs::write(pod.p("jre/release"), "JAVA_VERSION=\"17.0.15\"\n").unwrap();
    let o = pod
        .cmd(&[
            "--hostname=zk-0",
            "--servers=3",
            &format!("--java={}", pod.p("jre/bin/java").display()),
            &format!("--superuser-password-file={}", pw.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let args = pod.p("conf/jvm-secret.args");
    let text = fs::read_to_string(&args).unwrap();
    // base64(sha1("super:s3cret-pw")), as ZooKeeper's DigestAuthenticationProvider computes it.
    assert!(
        text.starts_with("-Dzookeeper.DigestAuthenticationProvider.superDigest=super:"),
        "{text}"
    );
    assert_eq!(
        fs::metadata(&args).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let rec = pod.recorded();
    assert!(rec.contains(&format!("@{}", args.display())), "{rec}");
    assert!(
        !rec.contains("superDigest"),
        "the digest is on the command line: {rec}"
    );
    let env = fs::read_to_string(pod.p("conf/java.env")).unwrap();
    assert!(!env.contains("superDigest"), "{env}");
    let local = fs::read_to_string(pod.p("conf/membership.properties")).unwrap();
    assert!(
        local.contains(&format!("superuserPasswordFile={}\n", pw.display())),
        "{local}"
    );
    assert!(!local.contains("s3cret"), "{local}");
}

#[test]
fn an_unreadable_or_empty_password_file_is_refused() {
    let pod = Pod::new();
    let missing = pod.p("no-such-password");
    pod.refuses(
        &[
            "--hostname=zk-0",
            "--servers=3",
            &format!("--superuser-password-file={}", missing.display()),
        ],
        4,
        &[&format!(
            "--superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE) {} does not exist",
            missing.display()
        )],
    );
    let empty = pod.p("empty-password");
    fs::write(&empty, "\n").unwrap();
    pod.refuses(
        &[
            "--hostname=zk-0",
            "--servers=3",
            &format!("--superuser-password-file={}", empty.display()),
        ],
        4,
        &[&format!(
            "--superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE) {} is empty",
            empty.display()
        )],
    );
}

#[test]
fn a_lone_server_without_a_domain_stays_standalone() {
    let pod = Pod::new();
    fs::write(pod.p("hosts"), "127.0.0.1 localhost\n").unwrap();
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let zoo = fs::read_to_string(pod.p("conf/zoo.cfg")).unwrap();
    assert!(!zoo.contains("reconfigEnabled"), "{zoo}");
    assert!(!pod.data().join("zoo.cfg").exists());
}

#[test]
fn the_drop_in_waits_with_exit_1_like_every_script_failure() {
    // start-zookeeper exits 1 on every failure, as the tutorial's script did.
    let pod = Pod::new();
    let dir = tempfile::tempdir().unwrap();
    let start = crate::util::dropin(dir.path(), "start-zookeeper");
    let mut c = std::process::Command::new(start);
    pod.pod_args(&mut c);
    fs::write(
        pod.p("hosts"),
        fs::read_to_string(pod.p("hosts")).unwrap()
            + "127.254.0.13 zk-3.zk-hs.default.svc.cluster.local zk-3\n",
    )
    .unwrap();
    let o = c
        .args(["--hostname=zk-3", "--servers=3", "--peer-wait=1s"])
        .output()
        .unwrap();
    assert_fails(&o, 1, &["zk-3 (server 4) cannot start yet"]);
}
