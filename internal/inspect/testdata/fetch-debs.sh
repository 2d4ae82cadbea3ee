#!/bin/sh
# Fetches the Debian packages whose real programs TestCorpus puts into its
# cases when IOTSEC_DEB_CACHE names a directory holding them. The test
# itself never goes to the network: run this once, then
#   IOTSEC_DEB_CACHE=$HOME/.cache/iotsec-debs go test ./internal/inspect -run TestCorpus -v
set -eu
dir=${IOTSEC_DEB_CACHE:-$HOME/.cache/iotsec-debs}
mkdir -p "$dir"
cd "$dir"
apt-get download dropbear-bin busybox
ls -l "$dir"
