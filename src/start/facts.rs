//! Every read of the machine that `zkpod start` makes, in one place: the
//! hostname, the hosts file, /etc/passwd, the capabilities in
//! /proc/self/status, the euid, the cgroup memory limit, the ZooKeeper
//! install listing, JAVA_HOME and PATH, the dirs' writability and owners, and
//! the volume (myid and ZooKeeper's files). All through [`Host`], into
//! [`Facts`]: plain data that [`plan`](crate::start::plan) decides from.
//!
//! Reads that fail are kept as values (`Result`, `None`): what a failed read
//! means, and whether it stops the start, is the plan's decision, in the
//! plan's order. Only making the dirs absolute fails here (no working dir).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::jvm::CGROUP_MEMORY_FILES;
use crate::start::input::Input;
use crate::start::install::{self, JavaFound, JavaLookup, Listings};
use crate::start::user;
use crate::start::volume::{self, Volume};
use crate::sys::host::{Host, Meta, ReadError};

/// The passwd file zkpod reads itself (see `user::passwd_lookup`).
pub const PASSWD: &str = "/etc/passwd";
/// Where the kernel reports this process's capabilities.
pub const PROC_STATUS: &str = "/proc/self/status";

/// What `zkpod start` found on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `--data_dir`, `--data_log_dir` and `--conf_dir` made absolute:
    /// zoo.cfg must not depend on the JVM's working directory, and the
    /// writability checks must look at the real parent of a relative path.
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub conf_dir: PathBuf,
    /// The system hostname; `None` when `--hostname` is given.
    pub hostname: Option<Result<OsString, ReadError>>,
    /// The hosts file's text (ensembles only; `None`: absent or unreadable).
    pub hosts: Option<String>,
    pub install: Listings,
    pub java: JavaFound,
    /// The text of the first cgroup memory limit file that exists.
    pub memory_limit: Option<String>,
    pub euid: u32,
    pub egid: u32,
    /// The data, log and conf dirs, in that order: can this process create
    /// them, or write in them?
    pub dirs: Vec<DirAccess>,
    /// What is on the volume, or why it could not be read (the message
    /// names the file: "failed to read .../myid: ...").
    pub volume: Result<Volume, ReadError>,
    /// Owner and mode of the data dir (for a refusal's message).
    pub data_dir_meta: Option<Meta>,
    /// /etc/passwd (empty when unreadable).
    pub passwd: String,
    /// As root: the owners (uid, gid) of the data and log dirs.
    pub data_owners: Vec<Option<(u32, u32)>>,
    /// As root: /proc/self/status, for the effective capabilities.
    pub proc_status: Option<String>,
    /// `$HOME` when set.
    pub home_env: Option<String>,
    /// Whether each home directory the plan may choose is a directory, and
    /// whether this process may write in it: `$HOME` and the passwd homes
    /// of the current and the `--user` uid.
    pub home_dirs: BTreeMap<String, HomeDir>,
    /// What the volume holds of ZooKeeper's dynamic configuration.
    pub volume_config: VolumeConfig,
    /// `--superuser-password-file`'s bytes, when the flag is given.
    pub superuser_password: Option<Result<Vec<u8>, ReadError>>,
    /// The Java runtime's `release` file (its `JAVA_VERSION`), found next to
    /// the java executable with symlinks resolved.
    pub java_release: Option<String>,
    /// This process: its pid and `/proc/self/stat` (its start time), which
    /// `membership.properties` records for the hooks.
    pub pid: u32,
    pub self_stat: Option<String>,
    /// `--tls-dir`: the Secret's files read (as this process, which is
    /// the runtime user unless zkpod starts as root) and parsed.
    pub tls: Option<Result<crate::tls::check::Material, crate::tls::check::Problem>>,
    /// The wall clock (seconds since the epoch), for certificate validity.
    pub now_secs: u64,
}

/// The dynamic configuration on the volume: the zoo.cfg ZooKeeper last ran
/// with (in the data dir, rewritten by ZooKeeper on every committed
/// reconfig), the dynamic config file it points at, and every committed
/// (versioned) dynamic config file ZooKeeper kept next to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeConfig {
    /// `<data dir>/zoo.cfg`, when present.
    pub zoo_cfg: Option<Result<String, ReadError>>,
    /// The file its `dynamicConfigFile` names, and that file's text.
    pub current: Option<(PathBuf, Result<String, ReadError>)>,
    /// `zoo.cfg.dynamic.<hex version>` files in the data dir: (name, text).
    pub committed: Vec<(String, Result<String, ReadError>)>,
}

/// A candidate home directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HomeDir {
    pub is_dir: bool,
    pub writable: bool,
}

/// Whether a directory zkpod needs can be created or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirAccess {
    pub dir: PathBuf,
    /// The dir itself, or the closest existing parent it would be made in.
    pub nearest: PathBuf,
    /// Whether this process may create entries in `nearest`.
    pub writable: bool,
    /// Owner and mode of `nearest`.
    pub meta: Option<Meta>,
}

/// Reads everything the plan needs.
///
/// Fails only when a relative dir cannot be made absolute.
pub fn gather(input: &Input, host: &dyn Host) -> Result<Facts> {
    let abs = |p: &Path| {
        host.absolute(p)
            .with_context(|| format!("failed to make {} absolute", p.display()))
    };
    let data_dir = abs(&input.settings.data_dir)?;
    let data_log_dir = abs(&input.settings.data_log_dir)?;
    let conf_dir = abs(&input.conf_dir)?;

    let hostname = input
        .hostname
        .is_none()
        .then(|| host.hostname().map_err(ReadError::from));
    // Read for an ensemble, and for a lone pod too: dynamic membership
    // needs the pod's FQDN for its server line.
    let hosts = host
        .read(&input.hosts_file)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let euid = host.euid();
    let root = euid == 0;
    let dirs = [&data_dir, &data_log_dir, &conf_dir]
        .into_iter()
        .map(|dir| dir_access(host, dir))
        .collect();
    let passwd = text(host, Path::new(PASSWD)).unwrap_or_default();
    let home_env = host.env("HOME");

    Ok(Facts {
        hostname,
        hosts,
        install: listings(input.zk_home.as_deref(), host),
        java: find_java(input.java.as_deref(), host),
        memory_limit: CGROUP_MEMORY_FILES
            .iter()
            .find_map(|f| text(host, Path::new(f))),
        euid,
        egid: host.egid(),
        dirs,
        volume: read_volume(host, &data_dir, &data_log_dir),
        data_dir_meta: host.meta(&data_dir),
        data_owners: if root {
            [&data_dir, &data_log_dir]
                .iter()
                .map(|d| host.meta(d).map(|m| (m.uid, m.gid)))
                .collect()
        } else {
            Vec::new()
        },
        proc_status: root.then(|| text(host, Path::new(PROC_STATUS))).flatten(),
        home_dirs: home_dirs(host, input, euid, &passwd, home_env.as_deref()),
        volume_config: volume_config(host, &data_dir),
        superuser_password: input
            .superuser_password_file
            .as_deref()
            .map(|p| host.read(p).map_err(ReadError::from)),
        java_release: java_release(host, input.java.as_deref()),
        pid: std::process::id(),
        self_stat: text(host, Path::new("/proc/self/stat")),
        tls: input
            .tls
            .as_ref()
            .map(|t| crate::tls::load(crate::tls::secret_layout(&t.dir))),
        now_secs: crate::sys::clock::now().as_secs(),
        home_env,
        passwd,
        data_dir,
        data_log_dir,
        conf_dir,
    })
}

/// A file's text, when it can be read and is UTF-8.
fn text(host: &dyn Host, path: &Path) -> Option<String> {
    host.read(path).ok().and_then(|b| String::from_utf8(b).ok())
}

fn dir_access(host: &dyn Host, dir: &Path) -> DirAccess {
    let nearest = dir
        .ancestors()
        .find(|p| host.meta(p).is_some())
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    DirAccess {
        dir: dir.to_path_buf(),
        writable: host.writable(&nearest),
        meta: host.meta(&nearest),
        nearest,
    }
}

fn names(host: &dyn Host, dir: &Path) -> Vec<String> {
    host.list(dir)
        .map(|v| {
            v.into_iter()
                .map(|n| {
                    n.into_string()
                        .unwrap_or_else(|n| n.to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The install search: `--zk-home` alone, else the default homes up to the
/// first that holds a server jar, else Debian's jar dir too.
fn listings(zk_home: Option<&Path>, host: &dyn Host) -> Listings {
    let listing = |home: &Path| {
        (
            home.to_path_buf(),
            names(host, home),
            names(host, &home.join("lib")),
        )
    };
    if let Some(home) = zk_home {
        return Listings {
            explicit: Some(home.to_path_buf()),
            homes: vec![listing(home)],
            debian: None,
        };
    }
    let mut homes = Vec::new();
    for home in install::DEFAULT_HOMES.iter().map(Path::new) {
        let l = listing(home);
        let found = install::has_server_jar(&l.1, &l.2);
        homes.push(l);
        if found {
            return Listings {
                explicit: None,
                homes,
                debian: None,
            };
        }
    }
    Listings {
        explicit: None,
        homes,
        debian: Some(names(host, Path::new(install::DEBIAN_JAVA_DIR))),
    }
}

fn find_java(explicit: Option<&Path>, host: &dyn Host) -> JavaFound {
    let java_home = host.env("JAVA_HOME");
    let path_env = host.env("PATH");
    let exists = |p: &Path| host.meta(p).is_some();
    let path = match install::java_lookup(explicit, java_home.as_deref()) {
        JavaLookup::At(p) => Some(p).filter(|p| exists(p)),
        JavaLookup::OnPath(name) => install::search_dirs(path_env.as_deref())
            .map(|d| Path::new(d).join(&name))
            .find(|p| exists(p)),
    };
    JavaFound {
        explicit: explicit.map(Path::to_path_buf),
        executable: path.as_deref().is_some_and(|p| host.executable(p)),
        java_home,
        path_env,
        path,
    }
}

/// myid in the data dir, and ZooKeeper's files in the `version-2` dirs of
/// the data and log dirs. A dir or myid that is absent is simply absent.
fn read_volume(host: &dyn Host, data_dir: &Path, data_log_dir: &Path) -> Result<Volume, ReadError> {
    let myid_path = data_dir.join("myid");
    let failed = |what: &str, path: &Path, e: std::io::Error| ReadError {
        kind: e.kind(),
        message: format!("failed to {what} {}: {e}", path.display()),
    };
    let (myid, myid_bytes) = match host.read(&myid_path) {
        Ok(bytes) => (volume::parse_myid(&String::from_utf8_lossy(&bytes)), bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => (volume::Myid::Absent, Vec::new()),
        Err(e) => return Err(failed("read", &myid_path, e)),
    };
    let mut data = Vec::new();
    for dir in [data_dir.join("version-2"), data_log_dir.join("version-2")] {
        match host.list(&dir) {
            Ok(entries) => data.extend(
                entries
                    .iter()
                    .filter(|n| volume::is_zk_data(&n.to_string_lossy()))
                    .map(|n| dir.join(n)),
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(failed("list", &dir, e)),
        }
    }
    // The data and log dirs may be one dir.
    data.sort();
    data.dedup();
    Ok(Volume {
        myid,
        myid_bytes,
        data,
    })
}

/// What the data dir holds of ZooKeeper's dynamic configuration. Absent
/// files are simply absent; unreadable ones are kept as errors.
fn volume_config(host: &dyn Host, data_dir: &Path) -> VolumeConfig {
    use crate::config::{dynamic, keys, zoocfg};
    let text = |p: &Path| -> Option<Result<String, ReadError>> {
        match host.read(p) {
            Ok(b) => Some(Ok(String::from_utf8_lossy(&b).into_owned())),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => Some(Err(ReadError {
                kind: e.kind(),
                message: format!("failed to read {}: {e}", p.display()),
            })),
        }
    };
    let zoo_cfg = text(&data_dir.join("zoo.cfg"));
    let current = zoo_cfg
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .and_then(|t| zoocfg::parse(t).remove(keys::DYNAMIC_CONFIG_FILE.name))
        .map(PathBuf::from)
        .map(|p| {
            let t = text(&p).unwrap_or_else(|| {
                Err(ReadError {
                    kind: ErrorKind::NotFound,
                    message: format!("{} does not exist", p.display()),
                })
            });
            (p, t)
        });
    let mut committed: Vec<(String, Result<String, ReadError>)> = names(host, data_dir)
        .into_iter()
        .filter(|n| {
            n.starts_with(dynamic::FILE_PREFIX) && dynamic::version_from_file_name(n).is_some()
        })
        .filter_map(|n| text(&data_dir.join(&n)).map(|t| (n, t)))
        .collect();
    committed.sort_by(|a, b| a.0.cmp(&b.0));
    VolumeConfig {
        zoo_cfg,
        current,
        committed,
    }
}

/// `JAVA_VERSION` of the runtime `java` belongs to: its `release` file is in
/// the runtime's root, two levels above the (symlink-resolved) executable.
fn java_release(host: &dyn Host, explicit: Option<&Path>) -> Option<String> {
    let java = find_java(explicit, host).path?;
    let real = host.canonical(&java).ok()?;
    let release = real.parent()?.parent()?.join("release");
    let text = host.read(&release).ok()?;
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|l| l.strip_prefix("JAVA_VERSION="))
        .map(|v| v.trim().trim_matches('"').to_string())
}

/// The homes the plan may pick, checked: `$HOME`, and the passwd homes of
/// this uid and of the `--user` (when it resolves).
fn home_dirs(
    host: &dyn Host,
    input: &Input,
    euid: u32,
    passwd: &str,
    home_env: Option<&str>,
) -> BTreeMap<String, HomeDir> {
    let target = user::parse_user(&input.user)
        .and_then(|spec| user::resolve_user(&spec, passwd))
        .ok()
        .map(|ids| ids.uid);
    let passwd_homes = [Some(euid), target]
        .into_iter()
        .flatten()
        .filter_map(|uid| user::passwd_lookup(passwd, None, Some(uid)))
        .map(|e| e.home);
    home_env
        .map(str::to_string)
        .into_iter()
        .chain(passwd_homes)
        .map(|h| {
            let is_dir = host.meta(Path::new(&h)).is_some_and(|m| m.is_dir);
            let writable = is_dir && host.writable(Path::new(&h));
            (h, HomeDir { is_dir, writable })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::host::RealHost;
    use std::fs;

    fn input(dir: &Path) -> Input {
        crate::start::plan::tests::input_in(dir)
    }

    #[test]
    fn the_volume_on_disk() {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        fs::create_dir_all(data.join("version-2")).unwrap();
        let f = gather(&input(d.path()), &RealHost).unwrap();
        let v = f.volume.unwrap();
        assert_eq!((v.myid, v.data.len()), (volume::Myid::Absent, 0));
        fs::write(data.join("version-2/snapshot.0"), b"x").unwrap();
        fs::write(data.join("version-2/unrelated"), b"x").unwrap();
        fs::write(data.join("myid"), b"2\n").unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(v.myid, volume::Myid::Id(2));
        assert_eq!(v.myid_bytes, b"2\n");
        assert_eq!(v.data, vec![data.join("version-2/snapshot.0")]);
        // A myid that is a directory cannot be read: the message names it.
        fs::remove_file(data.join("myid")).unwrap();
        fs::create_dir(data.join("myid")).unwrap();
        let e = gather(&input(d.path()), &RealHost)
            .unwrap()
            .volume
            .unwrap_err();
        assert!(
            e.message
                .starts_with(&format!("failed to read {}: ", data.join("myid").display())),
            "{e}"
        );
    }

    #[test]
    fn dirs_not_yet_made_are_checked_at_their_nearest_parent() {
        let d = tempfile::tempdir().unwrap();
        let f = gather(&input(d.path()), &RealHost).unwrap();
        assert_eq!(f.dirs.len(), 3);
        for a in &f.dirs {
            assert_eq!(a.nearest, d.path(), "{}", a.dir.display());
            assert!(a.writable);
        }
        assert_eq!(f.dirs[0].dir, d.path().join("data"));
    }

    #[test]
    fn java_is_looked_up_on_path() {
        let d = tempfile::tempdir().unwrap();
        let bin = d.path().join("bin");
        fs::create_dir(&bin).unwrap();
        fs::write(bin.join("java"), b"").unwrap();
        struct PathHost<'a>(&'a Path);
        impl Host for PathHost<'_> {
            fn hostname(&self) -> std::io::Result<OsString> {
                Ok("zk-0".into())
            }
            fn env(&self, name: &str) -> Option<String> {
                (name == "PATH").then(|| format!("/nonexistent:{}", self.0.display()))
            }
            fn euid(&self) -> u32 {
                RealHost.euid()
            }
            fn egid(&self) -> u32 {
                RealHost.egid()
            }
            fn absolute(&self, p: &Path) -> std::io::Result<PathBuf> {
                RealHost.absolute(p)
            }
            fn read(&self, p: &Path) -> std::io::Result<Vec<u8>> {
                RealHost.read(p)
            }
            fn list(&self, p: &Path) -> std::io::Result<Vec<OsString>> {
                RealHost.list(p)
            }
            fn meta(&self, p: &Path) -> Option<Meta> {
                RealHost.meta(p)
            }
            fn writable(&self, p: &Path) -> bool {
                RealHost.writable(p)
            }
            fn executable(&self, p: &Path) -> bool {
                RealHost.executable(p)
            }
        }
        let mut i = input(d.path());
        i.java = None;
        let j = gather(&i, &PathHost(&bin)).unwrap().java;
        assert_eq!(j.path, Some(bin.join("java")));
        assert!(!j.executable, "mode 0644 is not executable");
        assert_eq!(
            j.path_env.as_deref(),
            Some(format!("/nonexistent:{}", bin.display()).as_str())
        );
    }
}
