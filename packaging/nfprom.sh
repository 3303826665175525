#!/bin/sh
# nfprom launcher of the release tarball and the Debian package: the bundled Node.js runtime runs the
# bundled code, so the machine needs no Node.js. Follows symlinks (/usr/bin/nfprom) to find the tree.
root=$(dirname "$(dirname "$(readlink -f "$0")")")
exec "$root/runtime/node" "$root/app/dist/src/cli/main.js" "$@"
