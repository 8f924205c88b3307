#!/usr/bin/env bash
# image-rootfs.sh DEST - stages the root file system of lockstep's container
# image (packaging/Containerfile) in DEST: `make install` under /usr, every
# shared library the binary loads (as ldd resolves them on this build host),
# the dynamic loader, and the few files a process expects (/etc/passwd,
# mount points for /proc, /sys and the bpffs). The image is built FROM
# scratch on purpose: the agent needs no shell, package manager or libc
# other than the one it was linked against, and a build host without a
# registry (or an air-gapped fleet) can still produce it. Run by `make image`.
set -euo pipefail
DEST=${1:?usage: image-rootfs.sh DEST}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$DEST"
mkdir -p "$DEST"
make -C "$ROOT" --no-print-directory install DESTDIR="$DEST" PREFIX=/usr >/dev/null
BIN=$DEST/usr/bin/lockstep
# ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the
# loader; copy each to the same path inside the image
ldd "$BIN" | awk '/=> \// {print $3} /^[[:space:]]*\// {print $1}' | sort -u | while read -r lib; do
	mkdir -p "$DEST$(dirname "$lib")"
	cp -L "$lib" "$DEST$lib"
done
mkdir -p "$DEST"/{proc,sys/fs/bpf,tmp,run/lockstep,var/log/lockstep,etc}
chmod 1777 "$DEST/tmp"
printf 'root:x:0:0:root:/:/usr/bin/lockstep\nnobody:x:65534:65534:nobody:/:/usr/bin/lockstep\n' \
	>"$DEST/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$DEST/etc/group"
# the unit and the defaults file are for systemd hosts, not the image
rm -rf "$DEST/usr/lib/systemd" "$DEST/etc/default"
# the image's configuration: the installed example, with the log on stdout
# (the container runtime keeps it) and metrics on every address of the pod
sed -e 's|^log: .*|# log: stdout (the container runtime collects it)|' \
	-e 's|^metrics: .*|metrics: 0.0.0.0:9464|' \
	"$DEST/etc/lockstep/lockstep.yaml" >"$DEST/etc/lockstep/lockstep.yaml.new"
mv "$DEST/etc/lockstep/lockstep.yaml.new" "$DEST/etc/lockstep/lockstep.yaml"
# run inside the staged tree: fails here, not in the image, if a library is missing
chroot "$DEST" /usr/bin/lockstep --version >/dev/null
