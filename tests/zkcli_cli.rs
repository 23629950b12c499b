//! `zkpod cli` and the `zkCli.sh` / `zkCli` drop-ins: the java command line
//! they exec (recorded by a stand-in java), and their failures.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{assert_fails, stderr, zkpod};

/// A container's file system in small: ZooKeeper 3.9's lib/ (empty jars),
/// the conf dir zkpod start wrote, and a java that records its argv.
struct Image {
    dir: tempfile::TempDir,
}

impl Image {
    fn new() -> Image {
        let dir = tempfile::Builder::new()
            .prefix("zkpod-zkcli-")
            .tempdir()
            .unwrap();
        let img = Image { dir };
        let lib = img.p("zk/lib");
        fs::create_dir_all(&lib).unwrap();
        for jar in [
            "zookeeper-3.9.4.jar",
            "zookeeper-jute-3.9.4.jar",
            "slf4j-api-2.0.13.jar",
            "logback-classic-1.3.15.jar",
            "logback-core-1.3.15.jar",
        ] {
            fs::write(lib.join(jar), b"").unwrap();
        }
        fs::create_dir_all(img.p("conf")).unwrap();
        fs::write(
            img.p("conf/zoo.cfg"),
            "clientPort=2181\nclientPortAddress=10.244.0.9\n",
        )
        .unwrap();
        fs::write(img.p("conf/logback.xml"), "<configuration/>\n").unwrap();
        fs::create_dir_all(img.p("jre/bin")).unwrap();
        let java = img.p("jre/bin/java");
        fs::write(
            &java,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}\nexit 3\n",
                img.p("argv").display()
            ),
        )
        .unwrap();
        fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
        img
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `program args...` with the image's environment (as the Dockerfile's
    /// ENV and the manifest's set it), nothing else of the test's.
    fn run(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.p("jre/bin").display()),
            )
            .env("ZOO_HOME", self.p("zk"))
            .env("ZOO_CONF_DIR", self.p("conf"));
        c
    }

    fn link(&self, name: &str) -> PathBuf {
        let link = self.p(name);
        std::os::unix::fs::symlink(zkpod(), &link).unwrap();
        link
    }

    fn argv(&self) -> Vec<String> {
        fs::read_to_string(self.p("argv"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn zkcli_sh_execs_zookeepermain_on_this_pods_address() {
    let img = Image::new();
    let zkcli = img.link("zkCli.sh");
    let o = img
        .run(&zkcli, &["create", "/hello", "world"])
        .output()
        .unwrap();
    // The stand-in java's exit code: zkpod exec'd it (nothing of zkpod stays).
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let conf = img.p("conf");
    let lib = img.p("zk/lib");
    let cp = [
        conf.display().to_string(),
        lib.join("logback-classic-1.3.15.jar").display().to_string(),
        lib.join("logback-core-1.3.15.jar").display().to_string(),
        lib.join("slf4j-api-2.0.13.jar").display().to_string(),
        lib.join("zookeeper-3.9.4.jar").display().to_string(),
        lib.join("zookeeper-jute-3.9.4.jar").display().to_string(),
    ]
    .join(":");
    assert_eq!(
        img.argv(),
        [
            "-Xmx64m".to_string(),
            format!("-Dlogback.configurationFile={}/logback.xml", conf.display()),
            "-Dzookeeper.console.threshold=WARN".to_string(),
            "-cp".to_string(),
            cp,
            "org.apache.zookeeper.ZooKeeperMain".to_string(),
            "-server".to_string(),
            "10.244.0.9:2181".to_string(),
            "create".to_string(),
            "/hello".to_string(),
            "world".to_string(),
        ]
    );
}

#[test]
fn zkpod_cli_passes_every_argument_through() {
    let img = Image::new();
    let args = ["--", "-server", "zk-1.zk-hs:2181", "get", "--", "-x", "a b"];
    let mut c = img.run(&zkpod(), &["cli"]);
    c.args(args)
        .env("ZK_CLIENT_HEAP", "128")
        .env("CLIENT_JVMFLAGS", "-Dzookeeper.sasl.client=false")
        .env("JVMFLAGS", "-Dx=1");
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let argv = img.argv();
    assert_eq!(argv[0], "-Xmx128m");
    assert_eq!(argv[3..5], ["-Dzookeeper.sasl.client=false", "-Dx=1"]);
    let main = argv
        .iter()
        .position(|a| a == "org.apache.zookeeper.ZooKeeperMain")
        .unwrap();
    assert_eq!(argv[main + 1..], args);
}

#[test]
fn the_membership_record_names_the_address_once_zoo_cfg_does_not() {
    // With dynamic membership ZooKeeper drops clientPortAddress from
    // zoo.cfg; membership.properties (zkpod start's record) still names it,
    // and the probes ask there too.
    let img = Image::new();
    fs::write(img.p("conf/zoo.cfg"), "dynamicConfigFile=/x\n").unwrap();
    let zkcli = img.link("zkCli");
    let server = |img: &Image| {
        let o = img.run(&zkcli, &["ls", "/"]).output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let argv = img.argv();
        let s = argv.iter().position(|a| a == "-server").unwrap();
        argv[s + 1].clone()
    };
    // Without either, ZooKeeperMain's usual default: this pod on 2181.
    assert_eq!(server(&img), "127.0.0.1:2181");
    fs::write(
        img.p("conf/membership.properties"),
        "pid=1\nstarted=1\nmembership=dynamic\n\
         server=server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\n\
         zooCfg=/var/lib/zookeeper/data/zoo.cfg\nclientHost=10.244.0.12\nclientPort=2182\n\
         statefulSet=zk\nordinal=1\nidOffset=1\n",
    )
    .unwrap();
    assert_eq!(server(&img), "10.244.0.12:2182");
}

#[test]
fn no_logging_config_warns_once() {
    let img = Image::new();
    fs::remove_file(img.p("conf/logback.xml")).unwrap();
    let o = img.run(&zkpod(), &["cli", "ls", "/"]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "zkpod: WARN: no logback.xml in {} (zkpod start writes it there)",
            img.p("conf").display()
        )),
        "{err}"
    );
    assert!(err.contains("Fix: run it in a container that zkpod start started"));
}

#[test]
fn no_java_is_127_not_executable_is_126() {
    let img = Image::new();
    fs::remove_file(img.p("jre/bin/java")).unwrap();
    let zkcli = img.link("zkCli.sh");
    for program in [zkcli.as_path(), zkpod().as_path()] {
        let args: &[&str] = if program == zkpod() {
            &["cli", "ls", "/"]
        } else {
            &["ls", "/"]
        };
        let path = img.p("jre/bin").display().to_string();
        let mut c = img.run(program, args);
        c.env("PATH", &path);
        assert_fails(
            &c.output().unwrap(),
            127,
            &[&format!("java not found: looked for java on PATH ({path})")],
        );
    }
    fs::write(img.p("jre/bin/java"), "not a program").unwrap();
    assert_fails(
        &img.run(&zkpod(), &["cli"]).output().unwrap(),
        126,
        &["is not an executable file"],
    );
}

#[test]
fn no_zookeeper_jars_is_7_and_1_for_the_drop_in() {
    let img = Image::new();
    fs::remove_dir_all(img.p("zk/lib")).unwrap();
    let want = ["holds no ZooKeeper server jar"];
    assert_fails(
        &img.run(&zkpod(), &["cli", "ls", "/"]).output().unwrap(),
        7,
        &want,
    );
    // Drop-in names exit 1 on every failure but 126/127, as the scripts did.
    let zkcli = img.link("zkCli.sh");
    assert_fails(&img.run(&zkcli, &["ls", "/"]).output().unwrap(), 1, &want);
}

#[test]
fn a_bad_client_heap_is_4() {
    let img = Image::new();
    let mut c = img.run(&zkpod(), &["cli", "ls", "/"]);
    c.env("ZK_CLIENT_HEAP", "1g");
    assert_fails(
        &c.output().unwrap(),
        4,
        &["ZK_CLIENT_HEAP=1g is not a heap size in MiB between 16 and 65536"],
    );
}
