#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's entry point on a fresh Debian 12, where make, gcc and sudo are missing:
# install make and the build dependencies (apt-get as root; sudo otherwise), then run make.
#   ./make.sh run | ./make.sh check | ./make.sh TARGET... [VAR=value...]
# With the dependencies installed, plain `make TARGET` does the same.
set -eu
cd "$(dirname "$0")"
scripts/deps.sh
exec make "$@"
