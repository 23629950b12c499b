#!/bin/sh
# Builds the root file system of the zkpod image in the build stage of
# docker/Dockerfile, after the Dockerfile has installed the packages for
# ZK_SOURCE:
#
#   rootfs.sh assemble ROOTFS  assemble the image's / in ROOTFS
#   rootfs.sh jre OUT          only the Java runtime (scripts/jre.sh)
#
# ZK_SOURCE=maven: ROOTFS gets
#   - /opt/zookeeper: ZK_VERSION resolved by scripts/zk-dist.sh (Maven);
#   - /opt/java: a jlink runtime with the modules of jre-modules.txt (plus
#     JRE_EXTRA_MODULES), without man pages, headers, debug info (jlink strips
#     with objcopy: binutils), and without java.desktop's native
#     graphics/font/sound libraries;
#   - the C libraries that runtime links (from ldd: glibc, libz, libstdc++,
#     libgcc_s), in Debian's merged-/usr layout; a missing one fails the build;
#   - the C.UTF-8 locale (LANG=C.UTF-8 in the image);
#   - /etc/passwd and /etc/group (uid 1000 "zkpod", gid 0), /etc/nsswitch.conf
#     (hosts: files before dns, so the kubelet's /etc/hosts is read first);
#   - with SHELL_TOOLS=busybox (the default), /usr/bin/busybox (Debian's
#     busybox-static, statically linked) and a link to it for each applet of
#     shell-tools.txt; with SHELL_TOOLS=none, no shell at all;
#   and nothing else: no package manager.
# ZK_SOURCE=debian: ROOTFS gets this Debian system (usr, etc, var, opt, ...)
# with the packages in ZK_DEBIAN_PACKAGES, apt's lists and caches removed,
# and the user zkpod (uid 1000, gid 0).
# Both: /tmp, and the directories zkpod and ZooKeeper write, owned 1000:0 and
# group-writable (OpenShift's arbitrary uid with gid 0).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${ZK_SOURCE:-maven}
die() { echo "rootfs.sh: $*" >&2; exit 1; }

# The directories zkpod and ZooKeeper write: 1000:0, group-writable.
writable_dirs() {
    root=$1
    mkdir -p "$root/tmp" "$root/var/lib/zookeeper/data/log" "$root/opt/zookeeper/conf"
    chmod 1777 "$root/tmp"
    chown -R 1000:0 "$root/var/lib/zookeeper" "$root/opt/zookeeper/conf"
    chmod -R g=u "$root/var/lib/zookeeper" "$root/opt/zookeeper/conf"
    chmod 0775 "$root/var/lib/zookeeper" "$root/var/lib/zookeeper/data" \
        "$root/var/lib/zookeeper/data/log" "$root/opt/zookeeper/conf"
}

# The jlink runtime in OUT (also what scripts/jre.sh builds on a host).
jre() {
    out=$1
    modules=$(sed -e 's/#.*//' "$here/jre-modules.txt" | tr -s ' \t\n' ',' | sed -e 's/^,//' -e 's/,$//')
    if [ -n "${JRE_EXTRA_MODULES:-}" ]; then
        modules="$modules,$JRE_EXTRA_MODULES"
    fi
    echo "rootfs.sh: jlink --add-modules $modules"
    jlink --add-modules "$modules" \
        --strip-debug --no-man-pages --no-header-files --compress=2 \
        --exclude-files='glob:/java.desktop/lib/**' \
        --output "$out"
}

assemble_maven() {
    root=$1
    ZK_DIST_PROMETHEUS=${ZK_PROMETHEUS:-required} /src/scripts/zk-dist.sh "${ZK_VERSION:?}" "$root/opt/zookeeper"

    jre "$root/opt/java"

    # Merged /usr, as Debian: /lib, /lib64, /bin, /sbin are links into /usr.
    mkdir -p "$root/usr/lib" "$root/usr/lib64" "$root/usr/bin" "$root/usr/sbin"
    for d in lib lib64 bin sbin; do ln -s "usr/$d" "$root/$d"; done
    # The C libraries every ELF file of the runtime links (the runtime's own
    # libraries, which the launcher finds by itself, on the search path).
    deps=$(mktemp)
    find "$root/opt/java" -type f | while read -r f; do
        if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            LD_LIBRARY_PATH="$root/opt/java/lib:$root/opt/java/lib/server" ldd "$f" | sed "s|^|$f: |"
        fi
    done >"$deps"
    if grep 'not found' "$deps" >&2; then
        die "the Java runtime links libraries that are not installed (above)"
    fi
    for lib in $(awk '$3 == "=>" && $4 ~ /^\// { print $4 } $2 ~ /^\// { print $2 }' "$deps" | sort -u); do
        case "$lib" in
            "$root"/*) continue ;;
            /usr/*) dest=$root$lib ;;
            *) dest=$root/usr$lib ;;
        esac
        mkdir -p "$(dirname "$dest")"
        cp -L "$lib" "$dest"
    done
    rm -f "$deps"
    # The C.UTF-8 locale (Debian's glibc reads it from files): without it
    # Java 17 falls back to ASCII for file names and output.
    mkdir -p "$root/usr/lib/locale"
    cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"

    mkdir -p "$root/etc"
    printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' \
        'zkpod:x:1000:0:ZooKeeper (zkpod):/var/lib/zookeeper:/usr/sbin/nologin' >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' >"$root/etc/group"
    printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$root/etc/nsswitch.conf"
    shell_tools "$root"
    writable_dirs "$root"
    echo "rootfs.sh: $(du -sh "$root/opt/java" | cut -f1) Java runtime, $(du -sh "$root/usr/lib" | cut -f1) C libraries, $(du -sh "$root/opt/zookeeper" | cut -f1) ZooKeeper $ZK_VERSION, shell tools: ${SHELL_TOOLS:-busybox}"
}

# The shell tools (SHELL_TOOLS=busybox): busybox-static's one binary and a
# link per applet listed in shell-tools.txt. A listed applet that this
# busybox lacks fails the build.
shell_tools() {
    root=$1
    case "${SHELL_TOOLS:-busybox}" in
        none) return 0 ;;
        busybox) ;;
        *) die "SHELL_TOOLS must be busybox or none, not '$SHELL_TOOLS'; fix: --build-arg SHELL_TOOLS=busybox (the default: the applets of docker/shell-tools.txt) or none (no shell)" ;;
    esac
    bb=/bin/busybox
    [ -x "$bb" ] || die "$bb is missing: the shell tools come from Debian's busybox-static package (installed in the build stage)"
    # FROM scratch has no C library for a dynamically linked one.
    if ldd "$bb" >/dev/null 2>&1; then
        die "$bb is dynamically linked (Debian's busybox package?); the image needs busybox-static's"
    fi
    install -m 0755 "$bb" "$root/usr/bin/busybox"
    have=$("$bb" --list)
    for applet in $(sed -e 's/#.*//' "$here/shell-tools.txt"); do
        printf '%s\n' "$have" | grep -qx "$applet" || die "busybox has no applet '$applet' (docker/shell-tools.txt)"
        ln -s busybox "$root/usr/bin/$applet"
    done
    echo "rootfs.sh: busybox $("$bb" | head -n 1 | cut -d' ' -f2) with $(sed -e 's/#.*//' "$here/shell-tools.txt" | tr -s ' \n' ' ')"
}

assemble_debian() {
    root=$1
    if [ "${SHELL_TOOLS:-busybox}" != busybox ]; then
        die "SHELL_TOOLS=$SHELL_TOOLS needs ZK_SOURCE=maven: the debian variant is a Debian root with Debian's own shell and tools; fix: drop the build arg, or build ZK_SOURCE=maven (the default) for an image without a shell"
    fi
    useradd --uid 1000 --gid 0 --no-create-home --home-dir /var/lib/zookeeper \
        --shell /usr/sbin/nologin --comment "ZooKeeper (zkpod)" zkpod
    mkdir -p "$root"
    # This system, minus the build's own files and the kernel's mounts.
    for d in usr etc var opt root home srv; do
        [ -e "/$d" ] && cp -a "/$d" "$root/"
    done
    for d in bin sbin lib lib32 lib64 libx32; do
        if [ -L "/$d" ]; then cp -a "/$d" "$root/"; fi
    done
    mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/mnt" "$root/media"
    rm -rf "$root/var/cache/zkpod"
    writable_dirs "$root"
}

case "${1:-}" in
    jre) jre "${2:?usage: rootfs.sh jre OUT}" ;;
    assemble)
        root=${2:?usage: rootfs.sh assemble ROOTFS}
        case "$src" in
            maven) assemble_maven "$root" ;;
            debian) assemble_debian "$root" ;;
            *) die "ZK_SOURCE must be maven or debian, not '$src'" ;;
        esac ;;
    *) die "usage: rootfs.sh assemble ROOTFS | jre OUT" ;;
esac
