#!/usr/bin/env bash
# build-deb.sh TREE ARCH VERSION OUT: nfprom_VERSION_DEBARCH.deb from a release tree (scripts/release.sh)
# with dpkg-deb. The tree goes to /usr/lib/nfprom as it is; the unit, the sysusers.d entry, the defaults
# file and the man page go where Debian expects them. Run from the repository root.
set -euo pipefail
tree=$1 arch=$2 version=$3 out=$4
case "$arch" in
  x64) debarch=amd64 ;;
  arm64) debarch=arm64 ;;
  *) echo "build-deb.sh: unknown arch $arch" >&2; exit 2 ;;
esac
here=packaging/debian
pkg=$(mktemp -d /tmp/nfprom-deb-XXXXXX)
trap 'rm -rf "$pkg"' EXIT

install -d "$pkg/DEBIAN" "$pkg/usr/lib/nfprom" "$pkg/usr/bin" "$pkg/lib/systemd/system" \
  "$pkg/usr/lib/sysusers.d" "$pkg/etc/default" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/nfprom" \
  "$pkg/usr/share/lintian/overrides"
cp -r "$tree/bin" "$tree/runtime" "$tree/app" "$pkg/usr/lib/nfprom/"
# Licences go to the doc directory (the copyright file names them).
mv "$pkg/usr/lib/nfprom/runtime/LICENSE" "$pkg/usr/share/doc/nfprom/node-LICENSE"
rm "$pkg/usr/lib/nfprom/app/LICENSE"
ln -s ../lib/nfprom/bin/nfprom "$pkg/usr/bin/nfprom"
# The unit as in init/, with the package's paths.
sed -e 's|/usr/local/bin/nfprom|/usr/bin/nfprom|' -e 's|^Documentation=.*|Documentation=man:nfprom(1)|' \
  init/systemd/nfprom.service >"$pkg/lib/systemd/system/nfprom.service"
install -m 0644 init/sysusers.d/nfprom.conf "$pkg/usr/lib/sysusers.d/nfprom.conf"
# The package's web user is its own (sysusers.d), not nobody.
cat init/default/nfprom \
  >"$pkg/etc/default/nfprom"
grep -q '^NFPROM_ARGS=.*--web.user nfprom' "$pkg/etc/default/nfprom"
gzip -9n <docs/nfprom.1 >"$pkg/usr/share/man/man1/nfprom.1.gz"
install -m 0644 "$here/copyright" "$pkg/usr/share/doc/nfprom/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -u -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")/" \
  "$here/changelog" | gzip -9n >"$pkg/usr/share/doc/nfprom/changelog.gz"
install -m 0644 "$here/lintian-overrides" "$pkg/usr/share/lintian/overrides/nfprom"

for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$pkg/DEBIAN/$script"; done
echo /etc/default/nfprom >"$pkg/DEBIAN/conffiles"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$debarch/" \
  -e "s/@SIZE@/$(du -sk --apparent-size "$pkg/usr" "$pkg/lib" "$pkg/etc" | awk '{s += $1} END {print s}')/" \
  "$here/control" >"$pkg/DEBIAN/control"
(cd "$pkg" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod -R u=rwX,go=rX "$pkg"
find "$pkg" -depth -newermt "@${SOURCE_DATE_EPOCH:-0}" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} + 2>/dev/null || true
dpkg-deb --root-owner-group -Zgzip "-z${RELEASE_GZIP_LEVEL:-9}" --build "$pkg" "$out/nfprom_${version}_$debarch.deb" >/dev/null
echo "release: $out/nfprom_${version}_$debarch.deb"
