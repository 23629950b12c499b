"""The image itself: its configuration (exec-form ENTRYPOINT, HEALTHCHECK,
non-root user, labels), its file system (drop-in symlinks, group-0 writable
dirs, a static zkpod; for ZK_SOURCE=maven the upstream layout, the jlink
runtime of docker/jre-modules.txt, busybox with exactly the applets of
docker/shell-tools.txt and no package manager), the shell tools at work on a
kubelet-style hosts file, in one standalone container with every shell
masked the HEALTHCHECK, the drop-in names and zkCli.sh at work, and the
SHELL_TOOLS=none variant without any shell.

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
from tests.containers.settings import NET, PREFIX, UID, figure
from tests.lib import messages
from tests.lib.hosts import no_dns_resolv_conf

DROP_INS = ("start-zookeeper", "start.sh", "zookeeper-ready", "ready_live.sh", "metrics.sh", "zkCli.sh", "zkCli")
REPO = Path(__file__).resolve().parents[2]


def jre_modules():
    """The root modules docker/jre-modules.txt asks jlink for."""
    text = (REPO / "docker/jre-modules.txt").read_text()
    return {ln.split("#")[0].strip() for ln in text.splitlines()} - {""}


def shell_tools():
    """The applets docker/shell-tools.txt lists, in order."""
    text = (REPO / "docker/shell-tools.txt").read_text()
    return [ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()]


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
    # Nothing but the runtime, ZooKeeper, zkpod and busybox's listed applets:
    # no other shell, no package manager.
    for gone in ("usr/bin/dash", "usr/bin/bash", "usr/bin/apt-get", "usr/bin/dpkg",
                 "var/lib/dpkg", "var/lib/apt", "var/cache/apt", "usr/share/doc"):
        assert not (rootfs / gone).exists(), f"/{gone} is in the image"
    busybox = rootfs / "usr/bin/busybox"
    assert not has_interpreter(busybox.read_bytes()), "busybox is dynamically linked"
    links = sorted(p.name for p in (rootfs / "usr/bin").iterdir() if p.is_symlink() and os.readlink(p) == "busybox")
    assert links == sorted(shell_tools()), links
    assert sorted(p.name for p in (rootfs / "usr/bin").iterdir()) == sorted(["busybox", *shell_tools()])
    assert not list((rootfs / "usr/sbin").iterdir())
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
        # A shell really is unusable in this container: the runtime finds
        # /bin/sh (dash, or a link to busybox) but cannot execute it (126). An
        # unrelated podman failure would exit 125 or say something else.
        r = subprocess.run(["podman", "exec", name, "/bin/sh", "-c", "true"], capture_output=True, text=True)
        assert r.returncode == 126, r
        assert 'exec: "/bin/sh": permission denied' in r.stderr, r.stderr
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
        # zkCli.sh (zkpod cli: ZooKeeperMain on the image's java and jars) on
        # this server's address, found in the zoo.cfg zkpod wrote; quiet
        # (WARN) but for ZooKeeperMain's own lines.
        r = sh(["podman", "exec", name, "zkCli.sh", "create", "/from-zkcli", "in-the-image"], timeout=60)
        assert f"Connecting to {addr}:2181" in r.stdout, r.stdout
        assert "Created /from-zkcli" in r.stdout + r.stderr, r
        assert " INFO " not in r.stdout + r.stderr, r
        r = sh(["podman", "exec", name, "zkCli", "get", "/from-zkcli"], timeout=60)
        assert "in-the-image" in r.stdout.splitlines(), r.stdout
    finally:
        sh(["podman", "rm", "--force", "--time", "0", name], check=False)


def test_shell_tools_serve_the_tutorials_commands(image, source, tmp_path):
    """The shell tools as the tutorial and the seeds use them, with the
    kubelet's hosts file: hostname, hostname -f (the FQDN), cat, id, ls,
    grep, stat; and busybox's sh execs the last command of `sh -c`, so the
    seeds' `sh -c "start.sh ..."` leaves zkpod (then the JVM) as PID 1."""
    if source == "debian":
        pytest.skip("the debian variant's tools are Debian's own (coreutils, dash)")
    from tests.lib.hosts import kubelet_hosts
    hosts = tmp_path / "hosts"
    hosts.write_text(kubelet_hosts("zk-0", "10.244.0.5"))
    script = ("hostname; hostname -f; id; ls /usr/local/bin; stat -c '%u %g %a' /var/lib/zookeeper; "
              "head -n 1 /etc/hosts; tail -n 1 /etc/hosts; env | grep -c '^ZOO_'; sleep 0; "
              "ps -o pid,args | grep -c '^ *1 /bin/sh -c hostname;'; sh -c 'cat /proc/1/cmdline'")
    r = sh(["podman", "run", "--rm", "--network", "none", "--hostname", "zk-0", "--no-hosts",
            "-v", f"{hosts}:/etc/hosts:ro", "--user", f"{UID}:0", "--read-only", "--cap-drop=ALL",
            "--label", f"zkpod-e2e={PREFIX}", "--entrypoint", "/bin/sh", image, "-c", script])
    out = r.stdout.split("\n")
    assert out[:3] == ["zk-0", "zk-0.zk-hs.default.svc.cluster.local", f"uid={UID}({UID}) gid=0(root) groups=0(root)"], out
    assert out[3:11] == sorted(DROP_INS + ("zkpod",)), out
    assert out[11] == "1000 0 775", out
    assert out[12] == "# Kubernetes-managed hosts file.", out
    assert out[13] == "10.244.0.5\tzk-0.zk-hs.default.svc.cluster.local\tzk-0", out
    assert out[14] == "3", out  # ZOO_CONF_DIR, ZOO_DATA_DIR, ZOO_DATA_LOG_DIR from the image
    assert out[15] == "1", out  # ps: the script's shell is PID 1
    # The script's last command, `sh -c 'cat ...'`, was exec'd in place of
    # PID 1, and so was cat in place of that inner shell: no shell is left
    # above the command (Debian's dash would stay, forking it).
    assert out[16].split("\0")[:2] == ["cat", "/proc/1/cmdline"], out


def test_image_without_shell_tools(image, source):
    """SHELL_TOOLS=none: the same image without busybox, so without any
    shell: nothing in /usr/bin, /bin/sh cannot be found (127); zkpod, its
    drop-in names and zkCli.sh are all there."""
    if source == "debian":
        pytest.skip("SHELL_TOOLS=none is a ZK_SOURCE=maven variant")
    tag = f"{image}-noshell"
    env = dict(os.environ, ZKPOD_IMAGE=tag, SHELL_TOOLS="none", SKIP_CARGO="1")
    r = subprocess.run([str(REPO / "scripts/build-image.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    try:
        labels = json.loads(sh(["podman", "image", "inspect", tag]).stdout)[0]["Config"]["Labels"]
        assert labels["io.zkpod.shell-tools"] == "none"
        root = Path(sh(["podman", "image", "mount", tag]).stdout.strip())
        try:
            assert not list((root / "usr/bin").iterdir()), list((root / "usr/bin").iterdir())
            for name in DROP_INS:
                assert os.readlink(root / "usr/local/bin" / name) == "zkpod", name
        finally:
            sh(["podman", "image", "unmount", tag], check=False)
        r = subprocess.run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", tag, "-c", "true"],
                           capture_output=True, text=True)
        assert r.returncode == 127, r
        assert "/bin/sh: no such file or directory" in r.stderr, r.stderr
        size = {t: int(sh(["podman", "image", "inspect", "--format", "{{.Size}}", t]).stdout) for t in (image, tag)}
        figure("image_bytes_with_shell_tools", size[image])
        figure("image_bytes_without_shell_tools", size[tag])
        assert 0 < size[image] - size[tag] < 3_000_000, size
    finally:
        sh(["podman", "rmi", "--force", tag], check=False)


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
