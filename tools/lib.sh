# Shared helpers for the shell tools. Sourced, not executed.
# shellcheck shell=bash

: "${top:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BUILD=${BUILD:-$top/build}
KERNEL_PIN=6.12.117-1~deb12u1
KOBJ=${KOBJ:-$BUILD/obj}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# A usage error: bad option or argument. Exit status 2, like most tools.
bad_usage() { printf 'error: %s\n' "$*" >&2; exit 2; }

# Kernel builds: KCC is gcc through ccache when it is installed; fixed
# build stamps so that rebuilds of unchanged objects stay cache hits.
kbuild_env() {
	KCC=gcc
	command -v ccache >/dev/null && KCC="ccache gcc"
	export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2024-01-01}"
	export KBUILD_BUILD_USER=pvcpu KBUILD_BUILD_HOST=pvcpu
}
