#!/bin/sh
# PID 1 of the devmem-lab guest (busybox initramfs).
# Brings up /proc, /sys, /dev, the network (QEMU user networking: 10.0.2.15,
# gateway 10.0.2.2) and dropbear on port 22, then idles. Everything it says
# goes to the serial console prefixed "devmem-lab-init:", which the host
# watches for "ready". virtio_mem is NOT loaded here: loading it is a
# scenario step. Nothing here reads host input but the per-run cpio
# (/etc/devmem-lab/run-id, /root/.ssh/authorized_keys).
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /run /tmp /var/log
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

log() { echo "devmem-lab-init: $*" > /dev/console; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
# x86/pat_memtype_list: the PAT reservations an mmap of /dev/mem can conflict with.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp

log "kernel $(uname -r) run $(cat /etc/devmem-lab/run-id 2>/dev/null)"

# virtio_pci is built in on Debian 6.12: /sys/module/<name> then exists
# without a module file, and busybox modprobe would fail.
for m in virtio_pci virtio_net; do
  [ -d "/sys/module/$m" ] || modprobe "$m" || log "modprobe $m failed"
done

# The CRNG's seed (the lab adds a virtio-rng device): dropbear's first
# getrandom() blocks until the CRNG is ready. Kernels built without it
# just take longer to answer SSH.
[ -d /sys/module/virtio_rng ] || modprobe virtio_rng 2>/dev/null || true

ip link set lo up
# Without eth0 the host can never reach the guest: say so, so the lab stops
# waiting for SSH (e.g. lockdown refusing to load virtio_net's modules).
ip link set eth0 up || log "fatal: no network device (virtio_net did not load: $(dmesg | grep -i -m1 -e lockdown -e virtio_net))"
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

chmod 700 /root /root/.ssh
chmod 600 /root/.ssh/authorized_keys
# -s: no passwords; -r: the host key pinned by the host at image build.
dropbear -r /etc/dropbear/hostkey -s -p 22 -P /run/dropbear.pid || log "dropbear failed"

log "ready"
while :; do sleep 3600; done
