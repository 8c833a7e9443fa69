#!/usr/bin/env bash
# Run by test/helpers/polkit-lab.ts as PID 1 of a private mount + PID namespace (unshare), as root:
#   polkit-lab.sh LAB_DIR COMMAND...
# Covers /run/dbus and /etc/polkit-1/rules.d with tmpfs, installs LAB_DIR/10-macula-ci.rules, binds LAB_DIR/passwd and
# LAB_DIR/group over /etc's, starts a system dbus-daemon and polkitd, runs COMMAND as uid/gid $LAB_UID, stops both
# daemons by pid, and exits with COMMAND's code. The mounts live and die with the namespace.
set -euo pipefail
lab=$1
shift
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
  pids=()
}
trap stop EXIT
mount -t tmpfs -o mode=0755 macula-dbus /run/dbus
mount -t tmpfs -o mode=0755 macula-polkit-rules /etc/polkit-1/rules.d
cp "$lab/10-macula-ci.rules" /etc/polkit-1/rules.d/
# Actions added by the test (PolkitLab.addAction) join the system's in a copy bound over the real directory.
if [ -d "$lab/actions" ]; then
  cp -an /usr/share/polkit-1/actions/. "$lab/actions/"
  mount --bind "$lab/actions" /usr/share/polkit-1/actions
fi
mount --bind "$lab/passwd" /etc/passwd
mount --bind "$lab/group" /etc/group
# Waits up to 20 s for `dbus-send --system … NameHasOwner NAME` to say true, while process $2 lives.
await_name() {
  for _ in $(seq 200); do
    if dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'; then
      return 0
    fi
    if ! kill -0 "$2" 2>/dev/null; then
      wait "$2"
      echo "polkit-lab: $3 exited ($?) before taking $1" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "polkit-lab: $3 did not take $1 within 20 s" >&2
  return 1
}
dbus-daemon --system --nofork --nosyslog &
pids+=($!)
# polkitd gives up at once when the bus is not there yet: it is started only once the bus answers.
await_name org.freedesktop.DBus "${pids[0]}" dbus-daemon || exit 90
/usr/lib/polkit-1/polkitd --no-debug >"$lab/polkitd.log" 2>&1 &
pids+=($!)
await_name org.freedesktop.PolicyKit1 "${pids[1]}" polkitd || exit 90
# Not exec: this shell stops the daemons afterwards (and pkexec refuses to serve a process whose parent is PID 1).
set +e
setpriv --reuid="$LAB_UID" --regid="$LAB_UID" --clear-groups -- "$@"
rc=$?
stop
exit "$rc"
