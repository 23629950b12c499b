//! `zkpod start` as a binary: every bad input gets its message and exit
//! code and leaves the volume byte-for-byte unchanged; the good path execs
//! java (a stand-in here) after writing its files. The real-ZooKeeper
//! ensemble tests are in tests/namespaces/.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;

use crate::util::{assert_fails, is_root, needs_root, stderr, zkpod, Pod};

#[test]
fn regression_seed_000_myid_mismatch_refused_and_volume_untouched() {
    let pod = Pod::new();
    pod.old_volume(Some("2\n"));
    let before = pod.volume();
    let o = pod
        .cmd(&["--hostname=zk-0", "--servers=3"])
        .output()
        .unwrap();
    let myid = pod.data().join("myid");
    assert_fails(
        &o,
        5,
        &[
            &format!("{} says this volume belongs to server 2", myid.display()),
            "this pod (zk-0) is server 1",
            "--accept-new-id",
            "Fix:",
        ],
    );
    assert_eq!(pod.volume(), before, "the volume changed");
    assert!(
        !pod.p("conf/zoo.cfg").exists(),
        "zoo.cfg written despite the refusal"
    );
    assert_eq!(pod.recorded(), "", "java ran");
}

#[test]
fn data_without_myid_refused() {
    let pod = Pod::new();
    pod.old_volume(None);
    let before = pod.volume();
    let o = pod
        .cmd(&["--hostname=zk-0", "--servers=3"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        5,
        &["holds ZooKeeper data", "but no myid", "--accept-new-id"],
    );
    assert_eq!(pod.volume(), before);
}

#[test]
fn garbage_myid_refused() {
    let pod = Pod::new();
    pod.old_volume(Some("two\n"));
    let before = pod.volume();
    let o = pod
        .cmd(&["--hostname=zk-0", "--servers=3"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        5,
        &["holds 'two', which is not a server id (it is not a number)"],
    );
    assert_eq!(pod.volume(), before);
}

#[test]
fn accept_new_id_takes_the_volume_over_and_keeps_a_backup() {
    let pod = Pod::new();
    pod.old_volume(Some("2\n"));
    let o = pod
        .cmd(&["--hostname=zk-0", "--servers=3", "--accept-new-id"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(pod.data().join("myid")).unwrap(), "1\n");
    let backup = fs::read_dir(pod.data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("myid.bak-")
        })
        .expect("backup of the old myid");
    assert_eq!(fs::read_to_string(backup).unwrap(), "2\n");
    assert_eq!(
        fs::read(pod.data().join("version-2/snapshot.100000000")).unwrap(),
        b"snapshot bytes"
    );
}

#[test]
fn hostname_without_ordinal() {
    Pod::new().refuses(
        &["--hostname=zookeeper", "--servers=3"],
        3,
        &["hostname \"zookeeper\" has no StatefulSet ordinal", "Fix:"],
    );
}

#[test]
fn id_outside_the_ensemble() {
    let pod = Pod::new();
    // With a static server list (ZooKeeper 3.4's only way) a pod beyond
    // --servers is refused: the list cannot grow while it runs.
    pod.refuses(
        &["--hostname=zk-3", "--servers=3", "--membership=static"],
        3,
        &[
            "gives server id 4",
            "outside the ensemble",
            "a static server list (ZooKeeper 3.4, or --membership static) cannot grow while it runs",
            "at least 4",
        ],
    );
    // The same through ZOO_MY_ID, the environment variable of --myid.
    let mut c = pod.cmd(&["--hostname=zk-0", "--servers=3", "--membership=static"]);
    let o = c.env("ZOO_MY_ID", "5").output().unwrap();
    assert_fails(
        &o,
        3,
        &["--myid 5 (on pod zk-0) is outside the ensemble (server.1..server.3"],
    );
}

#[test]
fn no_domain_for_an_ensemble() {
    let pod = Pod::new();
    fs::write(pod.p("hosts"), "127.0.0.1 localhost\n").unwrap();
    let hosts = pod.p("hosts").display().to_string();
    pod.refuses(
        &["--hostname=zk-0", "--servers=3"],
        3,
        &[
            &format!("cannot find the DNS domain of pod zk-0: {hosts} has no line"),
            "spec.serviceName",
        ],
    );
}

#[test]
fn java_missing_is_127_and_nothing_is_written() {
    let pod = Pod::new();
    let o = pod
        .cmd(&["--hostname=zk-0", "--java=/nonexistent/bin/java"])
        .output()
        .unwrap();
    assert_fails(&o, 127, &["java not found", "openjdk-17-jre-headless"]);
    assert!(!pod.p("vol").exists() && !pod.p("conf").exists());
    pod.refuses(
        &["--hostname=zk-0", "--java=/nonexistent/bin/java"],
        127,
        &["java not found: looked for --java /nonexistent/bin/java"],
    );
}

#[test]
fn java_not_executable_is_126() {
    let pod = Pod::new();
    fs::set_permissions(pod.p("java"), fs::Permissions::from_mode(0o644)).unwrap();
    pod.refuses(
        &["--hostname=zk-0"],
        126,
        &["is not an executable file", "chmod 755"],
    );
}

#[test]
fn zookeeper_not_found_is_7() {
    Pod::new().refuses(
        &["--hostname=zk-0", "--zk-home=/nonexistent-zk"],
        7,
        &["--zk-home/ZOO_HOME /nonexistent-zk holds no ZooKeeper server jar"],
    );
}

#[test]
fn bad_settings_are_config_errors() {
    let pod = Pod::new();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--set=tickTime=3000"],
            &[
                "--set 'tickTime=3000' sets tickTime, a key that zkpod derives from --tick_time (ZOO_TICK_TIME)",
                "pass --tick_time=3000",
            ],
        ),
        (
            &["--min_session_timeout=50000", "--max_session_timeout=40000"],
            &["is larger than --max_session_timeout=40000", "swap them"],
        ),
        (
            &["--client_port=2888"],
            &["--client_port and --server_port are both 2888"],
        ),
        (&["--jvm-flags=-Xmx4g"], &["contains -Xmx4g", "pass --heap"]),
    ];
    for (args, needles) in cases {
        let mut all = vec!["--hostname=zk-0"];
        all.extend_from_slice(args);
        pod.refuses(&all, 4, needles);
    }
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let pod = Pod::new();
    pod.refuses(
        &["--hostname=zk-0", "--heap=lots"],
        2,
        &["invalid value 'lots' for '--heap <HEAP>': 'lots' is not a heap size"],
    );
    let o = pod
        .cmd(&["--hostname=zk-0"])
        .env(
            "ZOO_SERVERS",
            "server.1=zoo1:2888:3888;2181 server.2=zoo2:2888:3888;2181",
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("official image's ZOO_SERVERS form"),
        "{}",
        stderr(&o)
    );
    // A bad value from the environment names the variable to fix.
    let o = pod
        .cmd(&["--hostname=zk-0"])
        .env("ZOO_CLIENT_PORT", "twenty-one-81")
        .output()
        .unwrap();
    assert_fails(
        &o,
        2,
        &[
            "invalid value 'twenty-one-81'",
            "Fix: correct ZOO_CLIENT_PORT",
        ],
    );
}

#[test]
fn unknown_key_warns_with_the_nearest_known_key() {
    let pod = Pod::new();
    let o = pod
        .cmd(&[
            "--hostname=zk-0",
            "--dry-run",
            "--set=autopurge.purgeInteval=1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("did you mean 'autopurge.purgeInterval'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn warnings_state_problem_consequence_and_fix() {
    let pod = Pod::new();
    let o = pod
        .cmd(&[
            "--hostname=zk-0",
            "--servers=3",
            "--myid=2",
            "--domain=other.example",
            "--snap_retain_count=1",
            "--purge_interval=0",
            "--user=0",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hosts = pod.p("hosts").display().to_string();
    let warnings: Vec<String> = stderr(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("zkpod: WARN: "))
        .map(str::to_string)
        .collect();
    let mut expected = vec![
        "--myid 2 overrides the id 1 that hostname zk-0 gives: server.2 in zoo.cfg names another pod's address, so the ensemble reaches that pod as this server. Fix: drop --myid (ZOO_MY_ID) so that the id comes from the hostname".to_string(),
        format!("--domain other.example differs from the domain in {hosts}, zk-hs.default.svc.cluster.local: zkpod uses the latter, as hostname -d would. Fix: drop --domain (ZOO_DOMAIN), or set it to zk-hs.default.svc.cluster.local"),
        "--snap_retain_count=1 is below 3: ZooKeeper raises it to 3 and keeps three snapshots anyway. Fix: pass --snap_retain_count=3 or more".to_string(),
        "--purge_interval=0 disables purging: old snapshots and transaction logs will fill the volume. Fix: set it to e.g. --purge_interval=12 (hours)".to_string(),
        "no --superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE): `zkpod join` and `zkpod leave` cannot reconfigure the ensemble, so server 2 can start and serve but scaling cannot add or remove voters. Fix: mount a Secret with the superuser password and pass its path, e.g. --superuser-password-file=/etc/zkpod/auth/password".to_string(),
    ];
    // --user only matters when zkpod starts as root.
    if is_root() {
        expected.push("--user 0 is root: ZooKeeper will run with root privileges. Fix: pass the uid of an unprivileged user, e.g. --user 1000:1000".to_string());
    }
    assert_eq!(warnings, expected);
}

#[test]
fn dry_run_prints_everything_and_changes_nothing() {
    let pod = Pod::new();
    let o = pod
        .cmd(&[
            "--hostname=zk-2",
            "--servers=3",
            "--membership=static",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        out.contains(&format!("==> {} <==", pod.p("conf/zoo.cfg").display())),
        "{out}"
    );
    assert!(
        out.contains("server.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888"),
        "{out}"
    );
    assert!(
        out.contains("==> myid (server 3, pod zk-2) <==\n3\n"),
        "{out}"
    );
    assert!(out.contains("java.security <=="), "{out}");
    assert!(
        out.contains("org.apache.zookeeper.server.quorum.QuorumPeerMain"),
        "{out}"
    );
    assert!(!pod.p("vol").exists() && !pod.p("conf").exists());
    assert_eq!(pod.recorded(), "");
}

#[test]
fn start_writes_files_and_execs_java_in_place() {
    let pod = Pod::new();
    let mut child = pod
        .cmd(&["--hostname=zk-1", "--servers=3"])
        .spawn()
        .unwrap();
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    let rec = pod.recorded();
    let fields: Vec<&str> = rec.split_whitespace().collect();
    // The stand-in java has zkpod's PID: zkpod exec'd, it did not fork.
    assert_eq!(fields[0], pid.to_string(), "{rec}");
    assert!(
        rec.contains("org.apache.zookeeper.server.quorum.QuorumPeerMain"),
        "{rec}"
    );
    assert_eq!(rec.matches("-Xmx").count(), 1, "{rec}");
    assert!(
        rec.contains("-Xms128m -Xmx128m -XX:+ExitOnOutOfMemoryError"),
        "{rec}"
    );
    // ZooKeeper's own files stay group-writable (fsGroup / GID 0).
    assert!(rec.contains("UMASK=0007"), "{rec}");
    assert_eq!(fs::read_to_string(pod.data().join("myid")).unwrap(), "2\n");
    let cfg = fs::read_to_string(pod.p("conf/zoo.cfg")).unwrap();
    assert!(cfg.contains("autopurge.purgeInterval=12\n") && !cfg.contains("purgeInteval"));
    for f in ["java.env", "java.security", "log4j.properties"] {
        assert!(pod.p("conf").join(f).exists(), "{f}");
    }
    if is_root() {
        // Dropped to --user, data dirs chowned, HOME set for a passwd-less uid.
        assert_eq!(&fields[1..3], ["4242", "4242"], "{rec}");
        assert!(
            rec.contains(&format!("HOME={}", pod.p("vol").display())),
            "{rec}"
        );
        for d in [pod.data(), pod.p("vol/log"), pod.data().join("myid")] {
            assert_eq!(fs::metadata(&d).unwrap().uid(), 4242, "{}", d.display());
        }
    }
    // Second start on the same volume: myid kept, java exec'd again.
    let o = pod
        .cmd(&["--hostname=zk-1", "--servers=3"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn logback_layout_gets_logback_xml() {
    let pod = Pod::new();
    let lib = pod.p("zk/lib");
    fs::create_dir_all(&lib).unwrap();
    for jar in [
        "zookeeper-3.9.2.jar",
        "zookeeper-jute-3.9.2.jar",
        "logback-classic-1.2.13.jar",
        "logback-core-1.2.13.jar",
        "slf4j-api-1.7.30.jar",
    ] {
        fs::write(lib.join(jar), b"").unwrap();
    }
    let home = format!("--zk-home={}", pod.p("zk").display());
    let o = pod
        .cmd(&["--hostname=zk-0", &home, "--log_level=WARN"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let xml = fs::read_to_string(pod.p("conf/logback.xml")).unwrap();
    assert!(
        xml.contains("<root level=\"${zookeeper.console.threshold:-WARN}\">"),
        "{xml}"
    );
    assert!(!pod.p("conf/log4j.properties").exists());
    assert!(pod.recorded().contains(&format!(
        "-Dlogback.configurationFile={}",
        pod.p("conf/logback.xml").display()
    )));
    assert!(stderr(&o).contains("ZooKeeper 3.9.2"), "{}", stderr(&o));
}

/// An upstream layout of `release` in pod/zk/lib: the server jar, jute,
/// logback, and with `prometheus` the Prometheus provider's jar.
fn upstream_layout(pod: &Pod, release: &str, prometheus: bool) -> String {
    let lib = pod.p("zk/lib");
    fs::create_dir_all(&lib).unwrap();
    let mut jars = vec![
        format!("zookeeper-{release}.jar"),
        format!("zookeeper-jute-{release}.jar"),
        "logback-classic-1.3.15.jar".to_string(),
        "logback-core-1.3.15.jar".to_string(),
        "slf4j-api-2.0.13.jar".to_string(),
        "jetty-server-9.4.57.v20241219.jar".to_string(),
    ];
    if prometheus {
        jars.push(format!("zookeeper-prometheus-metrics-{release}.jar"));
    }
    for jar in jars {
        fs::write(lib.join(jar), b"").unwrap();
    }
    format!("--zk-home={}", pod.p("zk").display())
}

#[test]
fn metrics_port_turns_on_zookeepers_prometheus_endpoint() {
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.9.4", true);
    let o = pod
        .cmd(&[
            "--hostname=zk-0",
            &home,
            "--metrics-port=7000",
            "--metrics-host=10.0.0.7",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = fs::read_to_string(pod.p("conf/zoo.cfg")).unwrap();
    for line in [
        "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
        "metricsProvider.httpPort=7000",
        "metricsProvider.httpHost=10.0.0.7",
        "fips-mode=false",
    ] {
        assert!(cfg.lines().any(|l| l == line), "{line} missing:\n{cfg}");
    }
}

#[test]
fn metrics_flags_the_release_cannot_serve_are_refused() {
    // 3.5 has no Prometheus provider at all.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.5.10", false);
    pod.refuses(
        &["--hostname=zk-0", &home, "--metrics-port=7000"],
        4,
        &[
            "--metrics-port (ZOO_METRICS_PORT) 7000 asks for ZooKeeper's own Prometheus endpoint, which ZooKeeper 3.5.10 does not have (it came in 3.6.0)",
            "Fix: drop --metrics-port and scrape with `zkpod metrics --format prometheus`",
        ],
    );
    // A 3.6+ layout without the provider's jar.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.9.5", false);
    pod.refuses(
        &["--hostname=zk-0", &home, "--metrics-port=7000"],
        7,
        &[
            "needs ZooKeeper's Prometheus provider, but the installation has no zookeeper-prometheus-metrics jar",
            "ZooKeeper would fail to load the provider class and exit at start",
        ],
    );
    // An address for the endpoint before 3.8.1, and one without a port.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.7.2", true);
    pod.refuses(
        &["--hostname=zk-0", &home, "--metrics-port=7000", "--metrics-host=10.0.0.7"],
        4,
        &["ZooKeeper 3.7.2 cannot bind its Prometheus endpoint to one address (it can from 3.8.1)"],
    );
    pod.refuses(
        &["--hostname=zk-0", &home, "--metrics-host=10.0.0.7"],
        4,
        &["--metrics-host (ZOO_METRICS_HOST) 10.0.0.7 is set without --metrics-port"],
    );
    // The environment variable, named as the source.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.5.10", false);
    let mut c = pod.cmd(&["--hostname=zk-0", &home]);
    c.env("ZOO_METRICS_PORT", "7000");
    assert_fails(
        &c.output().unwrap(),
        4,
        &["--metrics-port (ZOO_METRICS_PORT) 7000"],
    );
}

#[test]
fn set_keys_the_release_does_not_read_are_refused() {
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.5.10", false);
    pod.refuses(
        &["--hostname=zk-0", &home, "--set=metricsProvider.exportJvmInfo=false"],
        4,
        &[
            "--set metricsProvider.exportJvmInfo=false: ZooKeeper 3.5.10 does not read metricsProvider.exportJvmInfo (it came in 3.6.0): ZooKeeper would ignore it",
            "Fix: drop the entry (--set or ZOO_CFG_EXTRA), or run ZooKeeper 3.6.0 or newer",
        ],
    );
    // The same key is fine for a release that reads it.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.9.4", false);
    let o = pod
        .cmd(&[
            "--hostname=zk-0",
            &home,
            "--set=metricsProvider.exportJvmInfo=false",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn admin_server_without_jetty_is_refused() {
    // As Debian's libzookeeper-java without libjetty9-java (the image's
    // ZK_SOURCE=debian): a layout without jetty-server.
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.9.4", false);
    fs::remove_file(pod.p("zk/lib/jetty-server-9.4.57.v20241219.jar")).unwrap();
    pod.refuses(
        &["--hostname=zk-0", &home, "--admin-server"],
        7,
        &[
            "--admin-server (ZOO_ADMIN_SERVER) asks for ZooKeeper's AdminServer, but the installation has no jetty, which it runs on",
            "Fix: install jetty (Debian: apt-get install libjetty9-java libservlet-api-java",
        ],
    );
}

#[test]
fn admin_server_listens_on_loopback_without_3_9s_snapshot_and_restore() {
    let pod = Pod::new();
    let home = upstream_layout(&pod, "3.9.4", false);
    let o = pod
        .cmd(&["--hostname=zk-0", &home, "--admin-server"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = fs::read_to_string(pod.p("conf/zoo.cfg")).unwrap();
    for line in [
        "admin.enableServer=true",
        "admin.serverAddress=127.0.0.1",
        "admin.snapshot.enabled=false",
        "admin.restore.enabled=false",
    ] {
        assert!(cfg.lines().any(|l| l == line), "{line} missing:\n{cfg}");
    }
}

#[test]
fn drop_in_name_takes_the_script_flags_and_exits_1_on_failure() {
    let pod = Pod::new();
    let link = pod.p("start-zookeeper");
    std::os::unix::fs::symlink(zkpod(), &link).unwrap();
    let mut c = Command::new(&link);
    pod.pod_args(&mut c);
    c.args([
        "--hostname=zk-0",
        "--servers=3",
        "--tick_time=2000",
        "--log_level=INFO",
        "--dry-run",
    ]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut c = Command::new(&link);
    c.arg("--no_such_flag=1");
    assert_fails(
        &c.output().unwrap(),
        1,
        &["unexpected argument '--no_such_flag' found"],
    );
    // start.sh (seed 001's name) is the same drop-in.
    let sh = pod.p("start.sh");
    std::os::unix::fs::symlink(zkpod(), &sh).unwrap();
    let mut c = Command::new(&sh);
    pod.pod_args(&mut c);
    c.args([
        "--hostname=zk-1",
        "--servers=3",
        "--purge_interval=6",
        "--dry-run",
    ]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("autopurge.purgeInterval=6\n"), "{out}");
    assert!(
        out.contains("==> myid (server 2, pod zk-1) <==\n2\n"),
        "{out}"
    );
    let mut c = Command::new(&link);
    pod.pod_args(&mut c);
    c.args(["--hostname=web", "--servers=3"]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("has no StatefulSet ordinal"));
}

#[test]
fn non_root_unwritable_volume_gets_the_fsgroup_fix() {
    if !needs_root("non_root_unwritable_volume_gets_the_fsgroup_fix") {
        return;
    }
    let pod = Pod::new();
    fs::create_dir_all(pod.data()).unwrap();
    fs::set_permissions(pod.p("vol"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(pod.data(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(pod.p("conf")).unwrap();
    fs::set_permissions(pod.p("conf"), fs::Permissions::from_mode(0o777)).unwrap();
    let before = pod.volume();
    let mut c = pod.as_openshift_uid();
    let o = c.output().unwrap();
    assert_fails(
        &o,
        6,
        &["as uid 1000770000 gid 0", "securityContext.fsGroup"],
    );
    assert_eq!(pod.volume(), before);

    // Group-writable dirs (what fsGroup does): the same uid starts, no chown.
    for d in [pod.p("vol"), pod.data()] {
        fs::set_permissions(&d, fs::Permissions::from_mode(0o775)).unwrap();
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rec = pod.recorded();
    assert!(rec.split_whitespace().nth(1) == Some("1000770000"), "{rec}");
    assert_eq!(
        fs::metadata(pod.data()).unwrap().uid(),
        0,
        "chowned as non-root"
    );
}

#[test]
fn read_only_conf_dir_names_the_emptydir_fix() {
    if !needs_root("read_only_conf_dir_names_the_emptydir_fix") {
        return;
    }
    let pod = Pod::new();
    fs::create_dir_all(pod.p("conf")).unwrap();
    fs::set_permissions(pod.p("conf"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::create_dir_all(pod.p("vol")).unwrap();
    fs::set_permissions(pod.p("vol"), fs::Permissions::from_mode(0o777)).unwrap();
    let mut c = pod.as_openshift_uid();
    assert_fails(
        &c.output().unwrap(),
        6,
        &[
            "conf dir",
            "is not writable",
            "mount an emptyDir at --conf_dir",
        ],
    );
}

#[test]
fn root_without_the_capabilities_to_drop_changes_nothing() {
    if !needs_root("root_without_the_capabilities_to_drop_changes_nothing") {
        return;
    }
    let pod = Pod::new();
    // Root as in a container started with --cap-drop for these: the
    // bounding set removes them from the effective set at exec.
    let mut c = Command::new("setpriv");
    c.args(["--bounding-set=-chown,-setuid,-setgid", "--"])
        .arg(zkpod())
        .arg("start");
    pod.pod_args(&mut c);
    c.arg("--hostname=zk-0");
    assert_fails(
        &c.output().unwrap(),
        6,
        &[
            "running as root without CAP_CHOWN, CAP_SETGID, CAP_SETUID",
            "nothing was changed",
            "runAsUser",
        ],
    );
    assert!(!pod.p("vol").exists() && !pod.p("conf").exists());
}

#[test]
fn symlinked_data_dir_is_chowned_through_the_link() {
    if !needs_root("symlinked_data_dir_is_chowned_through_the_link") {
        return;
    }
    let pod = Pod::new();
    fs::create_dir_all(pod.p("real")).unwrap();
    fs::create_dir_all(pod.p("vol")).unwrap();
    std::os::unix::fs::symlink(pod.p("real"), pod.data()).unwrap();
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::metadata(pod.p("real")).unwrap().uid(), 4242);
    assert_eq!(fs::metadata(pod.p("real/myid")).unwrap().uid(), 4242);
}

#[test]
fn a_non_utf8_environment_variable_is_passed_on() {
    use std::os::unix::ffi::OsStrExt;
    let pod = Pod::new();
    let o = pod
        .cmd(&["--hostname=zk-0"])
        .env("ZKPOD_TEST_LATIN1", std::ffi::OsStr::from_bytes(b"caf\xe9"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(pod.recorded().contains("QuorumPeerMain"));
}

#[test]
fn leading_zero_ordinal_is_not_a_statefulset_pod() {
    let pod = Pod::new();
    let o = pod
        .cmd(&["--hostname=zk-01", "--servers=3"])
        .output()
        .unwrap();
    assert_fails(&o, 3, &["hostname \"zk-01\" has no StatefulSet ordinal"]);
}

#[test]
fn relative_dirs_are_made_absolute() {
    let pod = Pod::new();
    let mut c = Command::new(zkpod());
    c.current_dir(pod.dir.path()).arg("start");
    pod.pod_args(&mut c);
    c.args([
        "--hostname=zk-0",
        "--data_dir=vol/data",
        "--data_log_dir=vol/log",
        "--conf_dir=conf",
    ]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cfg = fs::read_to_string(pod.p("conf/zoo.cfg")).unwrap();
    assert!(
        cfg.contains(&format!("dataDir={}\n", pod.data().display())),
        "{cfg}"
    );
    // Dynamic membership: ZooKeeper runs with the zoo.cfg on the volume,
    // which the conf dir's zoo.cfg links to; both by absolute paths.
    assert!(pod
        .recorded()
        .contains(&pod.data().join("zoo.cfg").display().to_string()));
    assert_eq!(
        fs::read_link(pod.p("conf/zoo.cfg")).unwrap(),
        pod.data().join("zoo.cfg")
    );
    // The conf dir keeps its own mode and, as root, its owner.
    let conf = fs::metadata(pod.p("conf")).unwrap();
    assert_eq!(conf.mode() & 0o777, 0o775);
    if is_root() {
        assert_eq!(conf.uid(), 0, "the conf dir was chowned");
        assert_eq!(fs::metadata(pod.data()).unwrap().uid(), 4242);
    }
}

#[test]
fn zkpod_log_sets_its_own_log_level() {
    let pod = Pod::new();
    let o = pod.cmd(&["--hostname=zk-0"]).output().unwrap();
    assert!(
        stderr(&o).contains("zkpod: INFO: server id 1 of 1"),
        "{}",
        stderr(&o)
    );
    let o = pod
        .cmd(&["--hostname=zk-0"])
        .env("ZKPOD_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("INFO"), "{}", stderr(&o));
}
