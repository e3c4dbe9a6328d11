# Shared helpers for the shell tools. Sourced, not executed.
# shellcheck shell=bash

: "${top:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BUILD=${BUILD:-$top/build}
KERNEL_PIN=6.12.117-1~deb12u1
KOBJ=${KOBJ:-$BUILD/obj}
# The commit scripts/kernel-tree makes from kernel/pvsteal/ on top of the series.
PVSTEAL_SUBJECT="virt: Add pvsteal, a steal-time governor of the paravirt CPU mask"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# A usage error: bad option or argument. Exit status 2, like most tools.
bad_usage() { printf 'error: %s\n' "$*" >&2; exit 2; }

# Kernel builds: KCC is gcc through ccache when it is installed, with
# keys that do not depend on where the checkout is; fixed build stamps
# so that rebuilds of unchanged objects stay cache hits.
kbuild_env() {
	KCC=gcc
	command -v ccache >/dev/null && KCC="ccache gcc"
	# Debug info records the build directory, so ccache hashes it unless
	# told not to: without these a clone at another path (a CI checkout)
	# would miss the cache for every object of a -g kernel.
	export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=1
	export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2024-01-01}"
	export KBUILD_BUILD_USER=pvcpu KBUILD_BUILD_HOST=pvcpu
}

# Build the base tree (Debian's source without the series, a worktree of
# build/linux at "base" in build/base-src) with the configuration of the
# FLAVOR kernel, into build/obj-base-FLAVOR. TARGET: vmlinux, bzImage...
build_base_kernel() { # build_base_kernel FLAVOR TARGET
	local flavor=$1 target=$2 tree=$BUILD/linux wt=$BUILD/base-src obj=$BUILD/obj-base-$1
	[ -f "$BUILD/obj-$flavor/.config" ] || die "no $flavor kernel: run 'make kernel KFLAVOR=$flavor' first"
	git -C "$tree" worktree prune
	[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" base
	mkdir -p "$obj"
	# The same configuration; olddefconfig drops PARAVIRT_CPUS, unknown to base.
	cmp -s "$BUILD/obj-$flavor/.config" "$obj/.config.series" ||
		cp "$BUILD/obj-$flavor/.config" "$obj/.config"
	cp "$BUILD/obj-$flavor/.config" "$obj/.config.series"
	kbuild_env
	make -s -C "$wt" O="$obj" CC="$KCC" olddefconfig >/dev/null
	log "building the base kernel (no series) with the $flavor configuration in $obj"
	make -s -C "$wt" O="$obj" CC="$KCC" -j"$(nproc)" "$target"
	log "base kernel built"
}
