"""The image itself: its configuration (exec-form ENTRYPOINT, HEALTHCHECK,
non-root user, labels), its file system (drop-in symlinks, group-0 writable
dirs, a static zkpod; for ZK_SOURCE=maven the upstream layout, the jlink
runtime of docker/jre-modules.txt, and no shell or package manager at all),
and, in one standalone container with every shell masked, the HEALTHCHECK and
the drop-in names at work.

Needs root, podman and the built image (scripts/build-image.sh); skipped
without them (see conftest.py).
"""

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.containers.podman_pod import sh, wait_for
from tests.containers.podspec import MASK_SHELLS, pod_address
from tests.containers.settings import NET, PREFIX, UID
from tests.lib import messages
from tests.lib.hosts import no_dns_resolv_conf

DROP_INS = ("start-zookeeper", "start.sh", "zookeeper-ready", "ready_live.sh", "metrics.sh")
REPO = Path(__file__).resolve().parents[2]


def jre_modules():
    """The root modules docker/jre-modules.txt asks jlink for."""
    text = (REPO / "docker/jre-modules.txt").read_text()
    return {ln.split("#")[0].strip() for ln in text.splitlines()} - {""}


def has_interpreter(elf):
    """Whether a 64-bit little-endian ELF image asks for a dynamic loader
    (a PT_INTERP program header); a static or static-pie binary does not."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1, "not a 64-bit LE ELF file"
    phoff = int.from_bytes(elf[0x20:0x28], "little")
    phentsize = int.from_bytes(elf[0x36:0x38], "little")
    phnum = int.from_bytes(elf[0x38:0x3A], "little")
    types = [int.from_bytes(elf[phoff + i * phentsize:phoff + i * phentsize + 4], "little") for i in range(phnum)]
    return 3 in types  # PT_INTERP


def test_interpreter_check_tells_static_from_dynamic(podman):
    assert has_interpreter(Path(shutil.which("podman")).resolve().read_bytes())


@pytest.fixture(scope="module")
def config(image):
    data = json.loads(sh(["podman", "image", "inspect", image]).stdout)[0]
    # podman lists the Docker-format HEALTHCHECK beside the OCI config.
    return dict(data["Config"], Healthcheck=data["Healthcheck"])


@pytest.fixture(scope="module")
def source(config):
    """ZK_SOURCE the image was built with (maven or debian)."""
    return config["Labels"]["io.zkpod.zookeeper-source"]


@pytest.fixture(scope="module")
def rootfs(image):
    """The image's file system, mounted read-only on the host."""
    path = Path(sh(["podman", "image", "mount", image]).stdout.strip())
    yield path
    sh(["podman", "image", "unmount", image], check=False)


def test_entrypoint_healthcheck_user_labels(config):
    assert config["Entrypoint"] == ["/usr/local/bin/zkpod", "start"]
    assert config["Healthcheck"]["Test"] == ["CMD", "/usr/local/bin/zkpod", "probe", "ready"]
    assert config["User"] == "1000"
    labels = config["Labels"]
    for key in ("title", "description", "version", "licenses"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.base.name"]


def test_file_system(rootfs, source):
    zkpod = rootfs / "usr/local/bin/zkpod"
    assert zkpod.stat().st_mode & 0o111
    assert not has_interpreter(zkpod.read_bytes()), "zkpod is dynamically linked"
    for name in DROP_INS:
        link = rootfs / "usr/local/bin" / name
        assert link.is_symlink() and os.readlink(link) == "zkpod", name
    # Writable by any uid in group 0 (OpenShift), owned by the default user.
    for d in ("var/lib/zookeeper", "var/lib/zookeeper/data", "var/lib/zookeeper/data/log", "opt/zookeeper/conf"):
        st = (rootfs / d).stat()
        assert stat.S_ISDIR(st.st_mode) and st.st_gid == 0 and st.st_uid == 1000, d
        assert st.st_mode & 0o070 == 0o070, f"{d} is {oct(st.st_mode)}"
    assert not (rootfs / "usr/bin/nc").exists()
    # The Helm chart's `helm test` program (there is no shell to run a script).
    assert (rootfs / "usr/local/share/zkpod/ensemble-check.jar").is_file()
    if source == "debian":
        assert (rootfs / "usr/share/java/zookeeper.jar").exists()
        return
    assert source == "maven", source
    # The upstream tarball's layout, as scripts/zk-dist.sh resolved it.
    dist = dict(ln.split("=", 1) for ln in (rootfs / "opt/zookeeper/zk-dist.txt").read_text().splitlines()
                if "=" in ln and not ln.startswith("jar="))
    version = dist["version"]
    lib = rootfs / "opt/zookeeper/lib"
    assert (lib / f"zookeeper-{version}.jar").is_file()
    assert (lib / f"zookeeper-jute-{version}.jar").is_file()
    assert dist["prometheus"] == "included", dist
    assert (lib / f"zookeeper-prometheus-metrics-{version}.jar").is_file()
    # The jlink runtime holds the modules of docker/jre-modules.txt (and what
    # they require), and java.desktop's native libraries were left out.
    release = (rootfs / "opt/java/release").read_text()
    modules = set(next(ln for ln in release.splitlines() if ln.startswith("MODULES=")).split("=", 1)[1].strip('"').split())
    assert jre_modules() <= modules, jre_modules() - modules
    assert "jdk.compiler" not in modules and "java.scripting" not in modules, modules
    assert not list((rootfs / "opt/java/lib").glob("libawt*")), "java.desktop's native libraries are in the runtime"
    # Nothing but the runtime, ZooKeeper and zkpod: no shell, no package manager.
    for gone in ("usr/bin/sh", "usr/bin/dash", "usr/bin/bash", "usr/bin/apt-get", "usr/bin/dpkg",
                 "var/lib/dpkg", "var/lib/apt", "var/cache/apt", "usr/share/doc"):
        assert not (rootfs / gone).exists(), f"/{gone} is in the image"
    assert os.readlink(rootfs / "bin") == "usr/bin" and os.readlink(rootfs / "lib64") == "usr/lib64"
    assert (rootfs / "etc/nsswitch.conf").read_text().splitlines()[2] == "hosts: files dns"


def test_healthcheck_and_drop_in_names_without_a_shell(image, source):
    # tmpfs data dir without podman's copy-up (which loses the image's modes):
    # zkpod creates data/ and data/log itself.
    name = f"{PREFIX}-standalone"
    addr = pod_address(NET, 9)
    sh(["podman", "rm", "--force", "--time", "0", name], check=False)
    sh(["podman", "run", "--detach", "--name", name, "--label", f"zkpod-e2e={PREFIX}",
        # --add-host: the JVM resolves its own hostname; without a hosts entry
        # that lookup would go to the machine's DNS server, off loopback.
        "--hostname", "zk-0", "--add-host", f"zk-0:{addr}", "--network", "host", "--user", f"{UID}:0", "--read-only",
        "-v", f"{no_dns_resolv_conf()}:/etc/resolv.conf:ro",
        "--cap-drop=ALL", "--security-opt", "no-new-privileges",
        "--tmpfs", "/opt/zookeeper/conf", "--tmpfs", "/tmp", "--tmpfs", "/var/lib/zookeeper:notmpcopyup,mode=1777",
        *MASK_SHELLS, "-e", f"ZOO_CLIENT_ADDRESS={addr}", image, "--servers=1", "--heap=128M"])
    try:
        # A shell really is unusable in this container: masked in the Debian
        # image (126: the runtime found /bin/sh but could not execute it), and
        # absent from the Maven image (127). An unrelated podman failure would
        # exit 125 or say something else.
        r = subprocess.run(["podman", "exec", name, "/bin/sh", "-c", "true"], capture_output=True, text=True)
        if source == "debian":
            assert r.returncode == 126, r
            assert 'exec: "/bin/sh": permission denied' in r.stderr, r.stderr
        else:
            assert r.returncode == 127, r
            assert 'stat /bin/sh: no such file or directory' in r.stderr, r.stderr
        # The image's HEALTHCHECK (what `docker ps` shows), run on demand.
        wait_for("the HEALTHCHECK to pass", lambda: subprocess.run(
            ["podman", "healthcheck", "run", name], capture_output=True).returncode == 0, 60, interval=1)
        # The tutorial's script names, through the symlinks; the port and
        # address come from the zoo.cfg zkpod wrote.
        assert sh(["podman", "exec", name, "zookeeper-ready"], check=False).returncode == 0
        assert sh(["podman", "exec", name, "ready_live.sh", "2181"], check=False).returncode == 0
        assert "zk_server_state\tstandalone" in sh(["podman", "exec", name, "metrics.sh", "2181"]).stdout
        r = sh(["podman", "exec", name, "zookeeper-ready", "2999"], check=False)
        assert r.returncode == 1, r
        assert f"zkpod: {messages.refused(f'{addr}:2999')}" in r.stderr, r.stderr
    finally:
        sh(["podman", "rm", "--force", "--time", "0", name], check=False)


def test_binary_runs_from_scratch(tmp_path, rootful_podman):
    """The README's claim: zkpod needs nothing from the image but itself
    (static, no NSS modules for what it does): an image holding only the
    binary runs it, and its probe gives its own verdict there."""
    repo = Path(__file__).resolve().parents[2]
    binary = repo / "target/x86_64-unknown-linux-gnu/release/zkpod"
    shutil.copy(binary, tmp_path / "zkpod")
    (tmp_path / "Containerfile").write_text('FROM scratch\nCOPY zkpod /zkpod\nENTRYPOINT ["/zkpod"]\n')
    tag = f"localhost/{PREFIX}-scratch:test"
    sh(["podman", "build", "-q", "-t", tag, str(tmp_path)])
    try:
        r = sh(["podman", "run", "--rm", "--network", "none", tag, "--version"])
        assert r.stdout.strip() == "zkpod 0.1.0", r
        r = sh(["podman", "run", "--rm", "--network", "none", tag, "probe", "live", "--port", "1"], check=False)
        assert r.returncode == 1, r
        assert r.stderr.startswith("zkpod: 127.0.0.1:1 refused the connection"), r.stderr
    finally:
        sh(["podman", "rmi", "-f", tag], check=False)
