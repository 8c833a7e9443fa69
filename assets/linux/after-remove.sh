#!/bin/sh
# deb/rpm after-remove of Macula Companion: takes away what after-install.sh put outside the app's directory.
rm -f /usr/bin/macula-companion /usr/lib/macula-companion/macula-writer /usr/share/polkit-1/actions/io.macula.companion.write.policy
rmdir /usr/lib/macula-companion 2>/dev/null || true
