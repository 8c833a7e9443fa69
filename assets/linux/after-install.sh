#!/bin/sh
# deb/rpm after-install of Macula Companion (electron-builder.yml: deb/rpm afterInstall). Does what electron-builder's
# own script does (the /usr/bin link, the sandbox helper's setuid bit), then installs the elevated writer at its fixed
# root-owned path and its polkit action, so the app elevates nothing a user can modify (docs/flashing.md).
set -e
app='/opt/Macula Companion'
ln -sf "$app/macula-companion" /usr/bin/macula-companion
if [ -f "$app/chrome-sandbox" ]; then chmod 4755 "$app/chrome-sandbox"; fi
install -d -o root -g root -m 0755 /usr/lib/macula-companion
install -o root -g root -m 0755 "$app/resources/assets/linux/macula-writer" /usr/lib/macula-companion/macula-writer
install -d -o root -g root -m 0755 /usr/share/polkit-1/actions
install -o root -g root -m 0644 "$app/resources/assets/linux/io.macula.companion.write.policy" /usr/share/polkit-1/actions/io.macula.companion.write.policy
