//! Every read of the machine that `zkpod start` makes, in one place: the
//! hostname, the hosts file, /etc/passwd, /proc (capabilities, the parent
//! process and PID 1), the euid, the cgroup memory limit, the ZooKeeper
//! install listing, JAVA_HOME, PATH and the JVM's option variables, the
//! dirs' writability, owners and contents, what is at every file start
//! writes, and the volume (myid and whether ZooKeeper data is there). All
//! through [`Host`], into [`Facts`]: plain data that
//! [`plan`](crate::start::plan) decides from.
//!
//! Every file is read bounded and typed (`sys::file`). Reads that fail are
//! kept as values (`Result`, `None`): what a failed read means, and whether
//! it stops the start, is the plan's decision, in the plan's order. Only
//! making the dirs absolute fails here (no working dir).
//!
//! The cost of gathering does not grow with the volume: whether it holds
//! data is one match in `version-2`. Only when root must hand a dir that is
//! not yet the ZooKeeper user's to that user is the dir walked, to find
//! anything in it that is not ZooKeeper's own (`foreign`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::jvm::{CGROUP_MEMORY_FILES, JAVA_OPTION_VARS};
use crate::start::input::Input;
use crate::start::install::{self, JavaFound, JavaLookup, Listings};
use crate::start::user;
use crate::start::volume::{self, Myid, Volume};
use crate::sys::file::{caps, FileError};
use crate::sys::host::{Host, Kind, Meta, ReadError};
use crate::sys::privs::Ids;

/// The passwd file zkpod reads itself (see `user::passwd_lookup`).
pub const PASSWD: &str = "/etc/passwd";

/// The names of every conf file start may write (the logging config's name
/// depends on the install, which the plan decides; the last two only with
/// dynamic membership).
pub const CONF_FILES: [&str; 10] = [
    "zoo.cfg",
    "java.env",
    "java.security",
    "log4j.properties",
    "logback.xml",
    crate::membership::local::FILE,
    crate::config::superuser::ARGFILE,
    crate::tls::stores::KEYSTORE,
    crate::tls::stores::TRUSTSTORE,
    crate::tls::stores::STATE,
];

/// The names of every file start may write in the data dir (the last three
/// only with dynamic membership; an adopted `zoo.cfg.dynamic.<version>` is
/// written only where none is).
pub const VOLUME_FILES: [&str; 4] = [
    "myid",
    "zoo.cfg",
    crate::start::membership::BOOTSTRAP_FILE,
    crate::start::membership::JOIN_FILE,
];

/// What `zkpod start` found on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `--data_dir`, `--data_log_dir` and `--conf_dir` made absolute:
    /// zoo.cfg must not depend on the JVM's working directory, and the
    /// writability checks must look at the real parent of a relative path.
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub conf_dir: PathBuf,
    /// The data and log dirs with every symlink in their existing part
    /// resolved: where a chown would really land.
    pub resolved: Vec<PathBuf>,
    /// The system hostname; `None` when `--hostname` is given.
    pub hostname: Option<Result<OsString, ReadError>>,
    /// The hosts file's text, lossily decoded (ensembles only).
    pub hosts: Option<Result<String, FileError>>,
    pub install: Listings,
    pub java: JavaFound,
    /// The text of the first cgroup memory limit file that exists.
    pub memory_limit: Option<String>,
    pub euid: u32,
    pub egid: u32,
    /// The data, log and conf dirs, in that order: can this process create
    /// them, or write in them?
    pub dirs: Vec<DirAccess>,
    /// What is on the volume, or why it could not be read.
    pub volume: Result<Volume, VolumeError>,
    /// Owner and mode of the data dir (for a refusal's message).
    pub data_dir_meta: Option<Meta>,
    /// /etc/passwd (empty when unreadable).
    pub passwd: String,
    /// Why /etc/passwd could not be read, when it exists but could not.
    pub passwd_error: Option<FileError>,
    /// As root: the owners (uid, gid) of the data and log dirs.
    pub data_owners: Vec<Option<(u32, u32)>>,
    /// As root, for the data and log dir: when its owner is not the
    /// `--user`, the first entry in it that is not ZooKeeper's own
    /// (`Ok(None)`: only ZooKeeper's files), or why it could not be walked.
    pub foreign: Vec<Option<Result<Option<PathBuf>, String>>>,
    /// /proc/self/status (capabilities, the pid and the parent's).
    pub proc_status: Option<String>,
    /// PID 1, when it is this process's parent and this process is not
    /// PID 1 itself (`sh -c "start.sh ..."`).
    pub pid1: Option<Pid1>,
    /// `$HOME` when set.
    pub home_env: Option<String>,
    /// Whether each home directory the plan may choose is a directory, and
    /// whether this process may write in it: `$HOME` and the passwd homes
    /// of the current and the `--user` uid.
    pub home_dirs: BTreeMap<String, HomeDir>,
    /// What is at each file start writes (the conf files and myid), not
    /// following a final symlink: `None` when nothing is.
    pub targets: Vec<(PathBuf, Option<Kind>)>,
    /// The JVM's own option variables that are set (name, value).
    pub java_option_vars: Vec<(String, String)>,
    /// What the volume holds of ZooKeeper's dynamic configuration.
    pub volume_config: VolumeConfig,
    /// `--superuser-password-file`'s bytes (bounded), when the flag is given.
    pub superuser_password: Option<Result<Vec<u8>, FileError>>,
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

/// A bounded read's bytes, or what the file is instead.
pub type Bytes = Result<Vec<u8>, FileError>;

/// The dynamic configuration on the volume: the zoo.cfg ZooKeeper last ran
/// with (in the data dir, rewritten by ZooKeeper on every committed
/// reconfig), the dynamic config file it points at, and every committed
/// (versioned) dynamic config file ZooKeeper kept next to it. Read bounded
/// and typed, never through a symlink: ZooKeeper writes them as regular
/// files, so anything else is not its.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeConfig {
    /// `<data dir>/zoo.cfg`'s bytes, when present.
    pub zoo_cfg: Option<Result<Vec<u8>, FileError>>,
    /// The file its `dynamicConfigFile` names, as named, and that file's
    /// bytes: read only when it is a `zoo.cfg.dynamic.*` file in the data
    /// dir, where ZooKeeper writes it (`None`: zkpod did not read it).
    pub current: Option<(PathBuf, Option<Bytes>)>,
    /// `zoo.cfg.dynamic.<hex version>` files in the data dir: (name, bytes).
    pub committed: Vec<(String, Result<Vec<u8>, FileError>)>,
}

/// The parent process, when it is PID 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pid1 {
    /// `/proc/1/comm`.
    pub comm: String,
    /// `/proc/1/exe`'s target, when readable.
    pub exe: Option<PathBuf>,
}

/// Why the volume could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeError {
    /// What zkpod did: "read", "list".
    pub action: &'static str,
    pub path: PathBuf,
    pub error: ReadError,
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
    /// Owner, mode and type of `nearest`.
    pub meta: Option<Meta>,
}

/// Reads everything the plan needs.
///
/// Fails only when a relative dir cannot be made absolute.
pub fn gather(input: &Input, host: &dyn Host) -> Result<Facts> {
    let abs = |p: &Path| {
        host.absolute(p)
            .with_context(|| format!("failed to make {} absolute", crate::sys::report::path(p)))
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
    let hosts = Some(
        host.read(&input.hosts_file, caps::HOSTS)
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    );
    let euid = host.euid();
    let root = euid == 0;
    let dirs = [&data_dir, &data_log_dir, &conf_dir]
        .into_iter()
        .map(|dir| dir_access(host, dir))
        .collect();
    let (passwd, passwd_error) = match host.read(Path::new(PASSWD), caps::PASSWD) {
        Ok(b) => (String::from_utf8_lossy(&b).into_owned(), None),
        Err(FileError::Missing) => (String::new(), None),
        Err(e) => (String::new(), Some(e)),
    };
    let home_env = host.env("HOME");
    let target = user::parse_user(&input.user)
        .and_then(|spec| user::resolve_user(&spec, &passwd))
        .ok();
    let data_owners: Vec<Option<(u32, u32)>> = if root {
        [&data_dir, &data_log_dir]
            .iter()
            .map(|d| host.meta(d).map(|m| (m.uid, m.gid)))
            .collect()
    } else {
        Vec::new()
    };
    let foreign = match target {
        Some(ids) if root && ids.uid != 0 => {
            [(&data_dir, &data_log_dir), (&data_log_dir, &data_dir)]
                .iter()
                .zip(&data_owners)
                .map(|((dir, other), owner)| match owner {
                    Some(o) if *o != (ids.uid, ids.gid) => Some(first_foreign(host, dir, other)),
                    _ => None,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let proc_status = text(host, &input.proc_root.join("self/status"), caps::PROC);
    let pid1 = proc_status
        .as_deref()
        .is_some_and(parent_is_pid1)
        .then(|| Pid1 {
            comm: text(host, &input.proc_root.join("1/comm"), caps::PROC)
                .unwrap_or_default()
                .trim_end()
                .to_string(),
            exe: host.read_link(&input.proc_root.join("1/exe")).ok(),
        });
    let mut targets: Vec<(PathBuf, Option<Kind>)> = CONF_FILES
        .iter()
        .map(|f| conf_dir.join(f))
        .chain(VOLUME_FILES.iter().map(|f| data_dir.join(f)))
        .map(|p| {
            let k = host.kind(&p);
            (p, k)
        })
        .collect();
    targets.dedup();
    let java_option_vars = JAVA_OPTION_VARS
        .iter()
        .filter_map(|(name, _)| host.env(name).map(|v| (name.to_string(), v)))
        .collect();

    Ok(Facts {
        hostname,
        hosts,
        install: listings(input.zk_home.as_deref(), host),
        java: find_java(input.java.as_deref(), host),
        memory_limit: CGROUP_MEMORY_FILES
            .iter()
            .find_map(|f| text(host, Path::new(f), caps::CGROUP)),
        euid,
        egid: host.egid(),
        dirs,
        volume: read_volume(host, &data_dir, &data_log_dir),
        data_dir_meta: host.meta(&data_dir),
        data_owners,
        foreign,
        proc_status,
        pid1,
        home_dirs: home_dirs(host, euid, &passwd, home_env.as_deref(), target),
        volume_config: volume_config(host, &data_dir),
        superuser_password: input
            .superuser_password_file
            .as_deref()
            .map(|p| host.read(p, caps::PASSWORD)),
        java_release: java_release(host, input.java.as_deref()),
        pid: std::process::id(),
        self_stat: text(host, &input.proc_root.join("self/stat"), caps::PROC),
        tls: input
            .tls
            .as_ref()
            .map(|t| crate::tls::load(crate::tls::secret_layout(&t.dir))),
        now_secs: crate::sys::clock::now().as_secs(),
        home_env,
        passwd,
        passwd_error,
        resolved: vec![resolve(host, &data_dir), resolve(host, &data_log_dir)],
        targets,
        java_option_vars,
        data_dir,
        data_log_dir,
        conf_dir,
    })
}

/// A file's text, when it can be read (lossily decoded).
fn text(host: &dyn Host, path: &Path, cap: usize) -> Option<String> {
    host.read(path, cap)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Whether /proc/self/status says the parent is PID 1 and this process is
/// not PID 1 itself.
pub fn parent_is_pid1(status: &str) -> bool {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    matches!((field("Pid:"), field("PPid:")), (Some(pid), Some(1)) if pid != 1)
}

/// `path` with the symlinks of its existing part resolved: the canonical
/// form of the closest existing ancestor, plus the rest as given.
fn resolve(host: &dyn Host, path: &Path) -> PathBuf {
    for a in path.ancestors() {
        if let Ok(c) = host.canonical(a) {
            let rest = path.strip_prefix(a).unwrap_or(Path::new(""));
            return if rest.as_os_str().is_empty() {
                c
            } else {
                c.join(rest)
            };
        }
    }
    path.to_path_buf()
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

/// The first entry under `dir` that is not ZooKeeper's own (see
/// `volume::is_own_file`/`is_own_dir`; `other` is the other ZooKeeper dir,
/// a log dir inside the data dir). `Ok(None)` when there is none, or `dir`
/// does not exist.
fn first_foreign(host: &dyn Host, dir: &Path, other: &Path) -> Result<Option<PathBuf>, String> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match host.list_typed(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound && d == dir => return Ok(None),
            Err(e) => {
                return Err(format!(
                    "cannot list {}: {}",
                    crate::sys::report::path(&d),
                    crate::sys::file::io_text(&e)
                ))
            }
        };
        for (name, kind) in entries {
            let path = d.join(&name);
            let n = name.to_string_lossy();
            let own = match kind {
                Kind::Dir => volume::is_own_dir(&n) || path == other,
                // A hard link may name a file outside the volume: chowning
                // it would chown that file.
                Kind::File => volume::is_own_file(&n) && host.links(&path).unwrap_or(1) == 1,
                // What --accept-new-id sets aside (lchown never follows a
                // link, and a FIFO or socket has no contents to chown).
                Kind::Symlink | Kind::Other(_) => {
                    d == dir && (n == "myid" || n.starts_with("myid.bak-"))
                }
            };
            if !own {
                return Ok(Some(path));
            }
            if kind == Kind::Dir {
                stack.push(path);
            }
        }
    }
    Ok(None)
}

pub(crate) fn names(host: &dyn Host, dir: &Path) -> Vec<String> {
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
pub(crate) fn listings(zk_home: Option<&Path>, host: &dyn Host) -> Listings {
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

pub(crate) fn find_java(explicit: Option<&Path>, host: &dyn Host) -> JavaFound {
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

/// myid in the data dir (bounded, typed, never through a symlink that
/// leaves the data dir), and whether ZooKeeper's files are in the
/// `version-2` dirs of the data and log dirs: the first match decides, so
/// this costs the same for an empty volume and for one holding 100,000
/// transaction logs. A dir or myid that is absent is simply absent.
pub fn read_volume(
    host: &dyn Host,
    data_dir: &Path,
    data_log_dir: &Path,
) -> Result<Volume, VolumeError> {
    let myid_path = data_dir.join("myid");
    let failed = |action: &'static str, path: &Path, e: &std::io::Error| VolumeError {
        action,
        path: path.to_path_buf(),
        error: ReadError::from(e),
    };
    let myid = match host.kind(&myid_path) {
        None => Myid::Absent,
        Some(Kind::File) => match host.read_nofollow(&myid_path, caps::MYID) {
            Ok(bytes) => volume::parse_myid(&bytes),
            Err(FileError::Missing) => Myid::Absent,
            Err(FileError::Denied) => {
                return Err(failed(
                    "read",
                    &myid_path,
                    &std::io::Error::from_raw_os_error(nix::libc::EACCES),
                ))
            }
            Err(FileError::TooLarge { cap }) => Myid::Unreadable(format!(
                "is larger than {} (a myid holds a few digits)",
                crate::sys::file::size(cap)
            )),
            Err(e) => Myid::Unreadable(e.to_string()),
        },
        Some(Kind::Symlink) => {
            let within = host
                .canonical(data_dir)
                .ok()
                .zip(host.canonical(&myid_path).ok());
            match within {
                Some((dir, target)) if target.starts_with(&dir) => {
                    match host.read(&target, caps::MYID) {
                        Ok(bytes) => volume::parse_myid(&bytes),
                        Err(FileError::TooLarge { cap }) => Myid::Unreadable(format!(
                            "is larger than {} (a myid holds a few digits)",
                            crate::sys::file::size(cap)
                        )),
                        Err(e) => Myid::Unreadable(e.to_string()),
                    }
                }
                Some((dir, target)) => Myid::Unreadable(format!(
                    "is a symlink to {}, outside the data dir {}: zkpod does not read it",
                    crate::sys::report::path(&target),
                    crate::sys::report::path(&dir)
                )),
                None => {
                    Myid::Unreadable("is a symlink that leads nowhere, or into a loop".to_string())
                }
            }
        }
        Some(k) => Myid::Unreadable(format!("is {}, not a regular file", k.name())),
    };
    let mut data = None;
    for dir in [data_dir.join("version-2"), data_log_dir.join("version-2")] {
        match host.first_entry(&dir, &|n| volume::is_zk_data(&n.to_string_lossy())) {
            Ok(Some(name)) => {
                data = Some(dir.join(name));
                break;
            }
            Ok(None) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(failed("list", &dir, &e)),
        }
    }
    Ok(Volume { myid, data })
}

/// What the data dir holds of ZooKeeper's dynamic configuration, read
/// bounded and typed (regular files only, never through a symlink). Absent
/// files are simply absent; unreadable ones are kept as errors.
pub fn volume_config(host: &dyn Host, data_dir: &Path) -> VolumeConfig {
    use crate::config::{dynamic, keys, zoocfg};
    let read = |p: &Path| -> Option<Result<Vec<u8>, FileError>> {
        match host.read_nofollow(p, caps::ZOO_CFG) {
            Err(FileError::Missing) => None,
            r => Some(r),
        }
    };
    let zoo_cfg = read(&data_dir.join("zoo.cfg"));
    let current = zoo_cfg
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .and_then(|b| zoocfg::parse(b).ok())
        .and_then(|mut m| m.remove(keys::DYNAMIC_CONFIG_FILE.name))
        .map(PathBuf::from)
        .map(|p| {
            let here = p.parent() == Some(data_dir)
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(dynamic::FILE_PREFIX));
            let bytes = here.then(|| read(&p).unwrap_or(Err(FileError::Missing)));
            (p, bytes)
        });
    let mut committed: Vec<(String, Result<Vec<u8>, FileError>)> = names(host, data_dir)
        .into_iter()
        .filter(|n| {
            n.starts_with(dynamic::FILE_PREFIX) && dynamic::version_from_file_name(n).is_some()
        })
        .filter_map(|n| read(&data_dir.join(&n)).map(|t| (n, t)))
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
/// Read bounded; a value that is not a plain version is ignored.
fn java_release(host: &dyn Host, explicit: Option<&Path>) -> Option<String> {
    let java = find_java(explicit, host).path?;
    let real = host.canonical(&java).ok()?;
    let release = real.parent()?.parent()?.join("release");
    let text = text(host, &release, caps::RELEASE)?;
    text.lines()
        .find_map(|l| l.strip_prefix("JAVA_VERSION="))
        .map(|v| v.trim().trim_matches('"').to_string())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
        })
}

/// The homes the plan may pick, checked: `$HOME`, and the passwd homes of
/// this uid and of the `--user` (when it resolves).
fn home_dirs(
    host: &dyn Host,
    euid: u32,
    passwd: &str,
    home_env: Option<&str>,
    target: Option<Ids>,
) -> BTreeMap<String, HomeDir> {
    let passwd_homes = [Some(euid), target.map(|ids| ids.uid)]
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
        assert_eq!((v.myid, v.data), (Myid::Absent, None));
        fs::write(data.join("version-2/unrelated"), b"x").unwrap();
        fs::write(data.join("version-2/snapshot.0"), b"x").unwrap();
        fs::write(data.join("myid"), b"2\n").unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(v.myid, Myid::Id(2));
        assert_eq!(v.data, Some(data.join("version-2/snapshot.0")));
        // A myid that is a directory is not read: what it is, is the fact.
        fs::remove_file(data.join("myid")).unwrap();
        fs::create_dir(data.join("myid")).unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(
            v.myid,
            Myid::Unreadable("is a directory, not a regular file".into())
        );
    }

    #[test]
    fn myid_is_never_read_through_a_symlink_that_leaves_the_data_dir() {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        fs::create_dir_all(&data).unwrap();
        fs::write(d.path().join("secret"), b"root:$6$hash\n").unwrap();
        std::os::unix::fs::symlink(d.path().join("secret"), data.join("myid")).unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        match v.myid {
            Myid::Unreadable(what) => {
                assert!(what.starts_with("is a symlink to "), "{what}");
                assert!(what.contains("outside the data dir"), "{what}");
                assert!(!what.contains("root:"), "{what}");
            }
            other => panic!("{other:?}"),
        }
        // A symlink inside the data dir is read.
        fs::remove_file(data.join("myid")).unwrap();
        fs::write(data.join("myid.real"), b"3\n").unwrap();
        std::os::unix::fs::symlink("myid.real", data.join("myid")).unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(v.myid, Myid::Id(3));
        // A FIFO or a huge file is refused without blocking or reading it.
        fs::remove_file(data.join("myid")).unwrap();
        nix::unistd::mkfifo(
            &data.join("myid"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(
            v.myid,
            Myid::Unreadable("is a FIFO, not a regular file".into())
        );
        fs::remove_file(data.join("myid")).unwrap();
        fs::write(data.join("myid"), vec![b'1'; 65]).unwrap();
        let v = gather(&input(d.path()), &RealHost).unwrap().volume.unwrap();
        assert_eq!(
            v.myid,
            Myid::Unreadable("is larger than 64 bytes (a myid holds a few digits)".into())
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
        // Every file start writes, and what is there now.
        assert_eq!(f.targets.len(), 14);
        assert!(f.targets.iter().all(|(_, k)| k.is_none()));
    }

    #[test]
    fn symlinked_dirs_are_resolved_and_foreign_files_found() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::create_dir_all(real.join("version-2")).unwrap();
        std::os::unix::fs::symlink(&real, d.path().join("data")).unwrap();
        let f = gather(&input(d.path()), &RealHost).unwrap();
        assert_eq!(f.resolved[0], real.canonicalize().unwrap());
        assert_eq!(f.resolved[1], d.path().canonicalize().unwrap().join("log"));
        let other = d.path().join("log");
        assert_eq!(first_foreign(&RealHost, &real, &other), Ok(None));
        fs::write(real.join("version-2/log.1"), b"").unwrap();
        fs::write(real.join("myid"), b"1\n").unwrap();
        assert_eq!(first_foreign(&RealHost, &real, &other), Ok(None));
        fs::write(real.join("passwd"), b"").unwrap();
        assert_eq!(
            first_foreign(&RealHost, &real, &other),
            Ok(Some(real.join("passwd")))
        );
    }

    #[test]
    fn pid1_is_the_parent() {
        assert!(parent_is_pid1("Name:\tzkpod\nPid:\t7\nPPid:\t1\n"));
        assert!(!parent_is_pid1("Pid:\t1\nPPid:\t0\n"));
        assert!(!parent_is_pid1("Pid:\t70\nPPid:\t12\n"));
        assert!(!parent_is_pid1(""));
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
            fn read(&self, p: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
                RealHost.read(p, cap)
            }
            fn read_nofollow(&self, p: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
                RealHost.read_nofollow(p, cap)
            }
            fn list(&self, p: &Path) -> std::io::Result<Vec<OsString>> {
                RealHost.list(p)
            }
            fn list_typed(&self, p: &Path) -> std::io::Result<Vec<(OsString, Kind)>> {
                RealHost.list_typed(p)
            }
            fn first_entry(
                &self,
                p: &Path,
                pred: &dyn Fn(&std::ffi::OsStr) -> bool,
            ) -> std::io::Result<Option<OsString>> {
                RealHost.first_entry(p, pred)
            }
            fn meta(&self, p: &Path) -> Option<Meta> {
                RealHost.meta(p)
            }
            fn kind(&self, p: &Path) -> Option<Kind> {
                RealHost.kind(p)
            }
            fn links(&self, p: &Path) -> Option<u64> {
                RealHost.links(p)
            }
            fn canonical(&self, p: &Path) -> std::io::Result<PathBuf> {
                RealHost.canonical(p)
            }
            fn read_link(&self, p: &Path) -> std::io::Result<PathBuf> {
                RealHost.read_link(p)
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
