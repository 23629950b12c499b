//! Every read of the machine `zkpod cli` makes, through [`Host`]: the
//! installation and java the way `zkpod start` finds them, the conf dir's
//! file names, and the environment zkCli.sh reads. The conf dir and the
//! client address come from the caller (`ZOO_CONF_DIR`, and `cmd::endpoint`
//! as the probes find it).

use std::path::{Path, PathBuf};

use crate::start::facts::{find_java, listings, names};
use crate::sys::host::Host;
use crate::zkcli::{ClientEnv, Facts};

/// The facts for a client of `server` (`host:port`) in a container whose
/// zkpod start wrote `conf_dir`.
pub fn gather(host: &dyn Host, conf_dir: PathBuf, server: String) -> Facts {
    let zk_home = host.env("ZOO_HOME").filter(|h| !h.is_empty());
    let java = host.env("ZOO_JAVA").filter(|j| !j.is_empty());
    Facts {
        install: listings(zk_home.as_deref().map(Path::new), host),
        java: find_java(java.as_deref().map(Path::new), host),
        conf_names: names(host, &conf_dir),
        conf_dir,
        server,
        env: ClientEnv {
            heap: host.env("ZK_CLIENT_HEAP"),
            client_jvm_flags: host.env("CLIENT_JVMFLAGS"),
            jvm_flags: host.env("JVMFLAGS"),
        },
    }
}
