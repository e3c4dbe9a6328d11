# Paravirt CPUs for overcommitted guests: kernel series, pvsteal module,
# kselftests and tools. One target per user action; "make help" lists them
# from the "## " comments below. See README.md.

SHELL   := /bin/bash
BUILD   ?= $(CURDIR)/build
KSRC    := $(BUILD)/linux
# The test kernels have lockdep and the other debug options ("jl" adds
# JUMP_LABEL and NO_HZ_FULL, see kernel/configs/); bench uses plain.
KFLAVOR ?= debug
KOBJ    := $(BUILD)/obj-$(KFLAVOR)
KMOD    := $(BUILD)/module-$(KFLAVOR)
CPUS    ?= 4
export BUILD

.NOTPARALLEL:
.PHONY: help deps kernel module scx selftests tools hosttests check demo bench bench-apps bench-zero bench-keyflip bench-tick bench-multi sim vm bisect-check size patches \
	deb image image-check clean

help: ## this list
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)/  make \1\t\2/p' Makefile | expand -t 22

deps: ## install the Debian packages the project uses (when missing)
	@scripts/deps

kernel: ## build/linux from linux-source-6.12 + patches/, and the guest kernel
	@scripts/kernel-tree
	@scripts/kernel-build $(KFLAVOR)

module: kernel ## pvsteal.ko for the KFLAVOR kernel (debug, jl, plain), in build/module-KFLAVOR
	@mkdir -p $(KMOD)/kernel
	@rsync -a --delete kernel/pvsteal $(KMOD)/kernel/ && cp Kbuild $(KMOD)/
	@echo "[$$(date +%T)] building pvsteal.ko for the $(KFLAVOR) kernel"
	@$(MAKE) -s -C $(KSRC) O=$(KOBJ) M=$(KMOD) W=1 modules

CFLAGS  ?= -O2 -g
# Warnings fail the project's own builds; a package build (debian/rules)
# sets WERROR= so that a newer compiler's new warning does not fail it.
WERROR  ?= -Werror
CFLAGS  += -Wall -Wextra $(WERROR) -Itools/lib/pvcpu

# libpvcpu: what the tools and the selftests share (tools/lib/pvcpu).
LIBPVCPU := $(BUILD)/lib/libpvcpu.a
LIBPVCPU_SRC := $(wildcard tools/lib/pvcpu/*.c)
$(LIBPVCPU): $(LIBPVCPU_SRC) tools/lib/pvcpu/pvcpu.h
	@mkdir -p $(@D)/obj
	@for f in $(LIBPVCPU_SRC); do gcc $(CFLAGS) -c -o $(@D)/obj/$$(basename $$f .c).o $$f || exit; done
	@rm -f $@ && ar rcs $@ $(@D)/obj/*.o

# The sched_ext schedulers, built as the kernel's tools/sched_ext builds
# them: clang-19, and the in-tree libbpf and bpftool (Debian 12's are too
# old for 6.12's sched_ext headers), against the debug kernel's BTF.
SCX := $(BUILD)/obj-scx/build/bin
SCX_SCHEDS := scx_simple scx_pvsimple
scx: ## the sched_ext schedulers scx_simple and scx_pvsimple, in build/obj-scx/build/bin
	@$(MAKE) -s KFLAVOR=debug kernel
	@echo "[$$(date +%T)] building the sched_ext schedulers: $(SCX_SCHEDS)"
	@mkdir -p $(BUILD)/obj-scx
	@$(MAKE) -s -C $(KSRC)/tools/sched_ext O=$(BUILD)/obj-scx CLANG=clang-19 \
		LLVM_STRIP=llvm-strip-19 VMLINUX_BTF=$(BUILD)/obj-debug/vmlinux $(SCX_SCHEDS)

# The kselftests are built and installed the way a kernel CI does it, from
# the tree that "make kernel" prepared; scripts/kernel-tree copies
# selftests/paravirt and tools/lib/pvcpu into it. The install directory
# also gets what the tests look for next to themselves: the debug kernel's
# pvsteal.ko (built in its tree, as the kernel packages ship it), pvctl and
# the sched_ext schedulers.
KSELFTEST := $(BUILD)/kselftest
selftests: ## build and install the kselftests into build/kselftest
	@scripts/kernel-tree
	@$(MAKE) -s $(BUILD)/tools/pvctl scx
	@echo "[$$(date +%T)] building the paravirt kselftests"
	@CFLAGS=-Werror $(MAKE) -s -C $(KSRC)/tools/testing/selftests TARGETS=paravirt \
		O=$(BUILD)/obj-kselftest KSFT_INSTALL_PATH=$(KSELFTEST) \
		KDIR=$(abspath $(BUILD)/obj-debug) install >/dev/null
	@cp $(BUILD)/obj-debug/drivers/virt/pvsteal/pvsteal.ko $(BUILD)/tools/pvctl \
		$(addprefix $(SCX)/,$(SCX_SCHEDS)) $(KSELFTEST)/paravirt/

# Host unit tests: the policy, compiled exactly as the module compiles it.
HOSTTESTS := $(BUILD)/tests/policy_test $(BUILD)/tests/neighbours_test $(BUILD)/tests/coord_test \
	     $(BUILD)/tests/fake_vcpus
hosttests: $(HOSTTESTS)
$(BUILD)/tests/fake_vcpus: tests/host/fake_vcpus.c
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $< -lpthread
# The policy, the host's coordinator and the host model behind the
# simulator and the host tests.
POLICY_C := kernel/pvsteal/policy.c tools/pvhostd/coord.c tools/pvsim/model.c \
	    tools/pvsim/scenario.c
POLICY := $(POLICY_C) kernel/pvsteal/policy.h tools/pvhostd/coord.h tools/pvsim/model.h \
	  tools/pvsim/scenario.h
$(BUILD)/tests/policy_test $(BUILD)/tests/neighbours_test $(BUILD)/tests/coord_test: \
		$(BUILD)/tests/%: tests/host/%.c \
		tests/host/tap.h $(POLICY)
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $< $(POLICY_C) -lm

TOOLS := $(BUILD)/tools/pvdemo $(BUILD)/tools/pvsim $(BUILD)/tools/pvctl \
	 $(BUILD)/tools/pvrelay $(BUILD)/tools/pvbench $(BUILD)/tools/pvhostd
tools: $(TOOLS) ## pvctl, pvrelay, pvhostd, pvdemo, pvsim and pvbench, in build/tools
# TOOL: its source, and libpvcpu when it uses it.
$(BUILD)/tools/pvctl: tools/pvctl/pvctl.c $(LIBPVCPU)
$(BUILD)/tools/pvrelay: tools/pvrelay/pvrelay.c $(LIBPVCPU)
$(BUILD)/tools/pvdemo: tools/pvdemo/pvdemo.c $(LIBPVCPU)
$(BUILD)/tools/pvbench: tools/bench/pvbench.c $(LIBPVCPU)
$(BUILD)/tools/pvhostd: tools/pvhostd/pvhostd.c tools/pvhostd/coord.c $(LIBPVCPU)
$(BUILD)/tools/pvctl $(BUILD)/tools/pvrelay $(BUILD)/tools/pvdemo $(BUILD)/tools/pvbench \
		$(BUILD)/tools/pvhostd:
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $^ -lpthread
$(BUILD)/tools/pvsim: tools/pvsim/pvsim.c $(POLICY)
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $< $(POLICY_C) -lm

sim: $(BUILD)/tools/pvsim ## the policy simulator: tables, and per-period CSV in build/sim
	@mkdir -p $(BUILD)/sim
	@$(BUILD)/tools/pvsim -o $(BUILD)/sim

# Both test kernels: debug under multi-threaded TCG, jl under single-threaded;
# kernel/sched/ of the plain kernel, without lockdep as users run it, for
# tests/host/irq-windows.sh; and kernel/sched/ of a uniprocessor kernel,
# where every hook of the series is a stub.
check: deps ## build everything, run the host tests and the kselftests in guests
	@$(MAKE) -s KFLAVOR=jl module
	@scripts/kernel-build plain kernel/sched/
	@scripts/kernel-build up kernel/sched/
	@$(MAKE) -s selftests tools hosttests
	@scripts/deb --no-kernel
	@scripts/check

demo: deps kernel module tools ## boot the patched guest, watch tasks leave marked vCPUs
	@scripts/demo

bench: deps ## the overcommit benchmark (BENCHFLAGS='-r 5 -n -s', see tools/bench/bench)
	@$(MAKE) -s KFLAVOR=plain module
	@$(MAKE) -s tools
	@tools/bench/bench $(BENCHFLAGS)

bench-apps: deps ## real applications in the overcommitted guest: PostgreSQL, nginx, Redis, sysbench, fio, a build (BENCHFLAGS='-r 3', see tools/bench/bench -A)
	@$(MAKE) -s KFLAVOR=plain module
	@$(MAKE) -s tools
	@tools/bench/bench -A $(BENCHFLAGS)

bench-zero: deps ## what the series costs with nothing marked: patched against unpatched boots (BENCHFLAGS='-c plainjl -m icount -n 30', see tools/bench/zerocost)
	@scripts/kernel-tree
	@for f in plain plainjl; do scripts/kernel-build $$f bzImage && scripts/kernel-build --base $$f; done
	@tools/bench/zerocost $(BENCHFLAGS)

bench-keyflip: deps ## what a mask write costs when it switches the static key, 4 and 64 vCPUs (see tools/bench/keyflip)
	@$(MAKE) -s KFLAVOR=plainjl module
	@for c in 4 64; do tools/bench/keyflip -c $$c; done

bench-tick: deps ## what a marked CPU's tick costs beside 200 tasks that may not leave (see tools/bench/tickcost)
	@$(MAKE) -s KFLAVOR=plain module
	@tools/bench/tickcost $(BENCHFLAGS)

bench-multi: deps ## three guests on one host: no governor, the steal law, pvhostd's hint (BENCHFLAGS='-r 3', see tools/bench/multi)
	@$(MAKE) -s KFLAVOR=plain module
	@$(MAKE) -s tools
	@tools/bench/multi $(BENCHFLAGS)

# The real-guest path: packages, and a Debian image they are installed in.
deb: deps ## kernel (with pvsteal) + pvcpu-tools + pvhostd packages in build/deb (DEB_CONFIG=cloud, DEB_DBG=1)
	@scripts/deb

image: deps ## a Debian 12 disk image with the packages of "make deb" installed, in build/image
	@scripts/image

image-check: ## boot the image of "make image" and check the packages at work in it
	@scripts/image-check

vm: kernel ## a shell (or CMD='...') in a guest of CPUS vCPUs (4); tools/vm/vm has more
	@tools/vm/vm -c $(CPUS) $(if $(CMD),-- bash -c '$(CMD)')

bisect-check: kernel ## build kernel/sched (and what a patch touches) after each patch
	@scripts/bisect-check

size: ## what the series costs with no CPU marked (bloat-o-meter, jump-label sites); fails past the README's figures
	@$(MAKE) -s KFLAVOR=jl kernel
	@scripts/kernel-size

patches: ## regenerate patches/ from the commits on top of "base" in build/linux
	@scripts/make-patches

clean: ## remove build/
	rm -rf $(BUILD)
