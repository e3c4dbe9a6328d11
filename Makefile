# Paravirt CPUs for overcommitted guests: kernel series, pvsteal module,
# selftests and tools. One target per user action; see README.md.
#
#   make demo     boot the patched guest and show tasks leaving marked vCPUs
#   make check    build everything, run host tests and kselftests in a guest
#   make bench    the overcommit benchmark (BENCHFLAGS='-r 5 -n -s', see tools/bench)

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
.PHONY: help deps kernel module selftests tools hosttests check demo bench sim vm bisect-check size patches clean

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make deps | kernel | module | selftests | tools | sim | vm [CMD='...'] | bisect-check | size | patches | clean"

# Debian packages the project uses, installed when missing.
deps:
	@tools/deps

# build/linux from linux-source-6.12 plus patches/, then the guest kernel.
kernel:
	@tools/kernel-tree
	@tools/kernel-build $(KFLAVOR)

module: kernel
	@mkdir -p $(KMOD)/kernel
	@rsync -a --delete kernel/pvsteal $(KMOD)/kernel/ && cp Kbuild $(KMOD)/
	@echo "[$$(date +%T)] building pvsteal.ko for the $(KFLAVOR) kernel"
	@$(MAKE) -s -C $(KSRC) O=$(KOBJ) M=$(KMOD) W=1 modules

CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Werror -Itools/include

SELFTESTS := $(patsubst selftests/paravirt/%.c,$(BUILD)/selftests/%,$(wildcard selftests/paravirt/*_test.c))
selftests: $(SELFTESTS)
$(BUILD)/selftests/%: selftests/paravirt/%.c tools/include/*.h | $(KSRC)
	@mkdir -p $(@D)
	gcc $(CFLAGS) -I$(KSRC)/tools/testing/selftests -o $@ $< -lpthread
$(KSRC):
	@tools/kernel-tree

# Host unit tests: the policy, compiled exactly as the module compiles it.
HOSTTESTS := $(BUILD)/tests/policy_test $(BUILD)/tests/fake_vcpus
hosttests: $(HOSTTESTS)
$(BUILD)/tests/fake_vcpus: tests/host/fake_vcpus.c
	@mkdir -p $(@D)
	gcc $(CFLAGS) -Wextra -o $@ $< -lpthread
POLICY := kernel/pvsteal/policy.c kernel/pvsteal/policy.h tools/pvsim/model.c tools/pvsim/model.h
$(BUILD)/tests/policy_test: tests/host/policy_test.c tests/host/tap.h $(POLICY)
	@mkdir -p $(@D)
	gcc $(CFLAGS) -Wextra -o $@ tests/host/policy_test.c kernel/pvsteal/policy.c tools/pvsim/model.c -lm

TOOLS := $(BUILD)/tools/pvdemo $(BUILD)/tools/pvsim $(BUILD)/tools/pvctl \
	 $(BUILD)/tools/pvrelay $(BUILD)/tools/pvbench
tools: $(TOOLS)
$(BUILD)/tools/pvctl: tools/pvctl.c
	@mkdir -p $(@D)
	gcc $(CFLAGS) -Wextra -o $@ $<
$(BUILD)/tools/pvrelay: tools/pvrelay.c
	@mkdir -p $(@D)
	gcc $(CFLAGS) -Wextra -o $@ $<
$(BUILD)/tools/pvbench: tools/pvbench.c tools/include/*.h
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $< -lpthread
$(BUILD)/tools/pvsim: tools/pvsim/pvsim.c $(POLICY)
	@mkdir -p $(@D)
	gcc $(CFLAGS) -Wextra -o $@ tools/pvsim/pvsim.c kernel/pvsteal/policy.c tools/pvsim/model.c -lm

# The policy simulator: tables on stdout, per-period CSV in build/sim/.
sim: $(BUILD)/tools/pvsim
	@mkdir -p $(BUILD)/sim
	@$(BUILD)/tools/pvsim -o $(BUILD)/sim
$(BUILD)/tools/pvdemo: tools/pvdemo.c tools/include/*.h
	@mkdir -p $(@D)
	gcc $(CFLAGS) -o $@ $<

# Both test kernels: debug under multi-threaded TCG, jl under single-threaded.
check: deps
	@$(MAKE) -s KFLAVOR=debug module
	@$(MAKE) -s KFLAVOR=jl module
	@$(MAKE) -s selftests tools hosttests
	@tools/check

demo: deps kernel module tools
	@tools/demo

# The overcommit benchmark: plain kernel, real steal, table and plot.
bench: deps
	@$(MAKE) -s KFLAVOR=plain module
	@tools/kernel-build --base plain
	@$(MAKE) -s tools
	@tools/bench $(BENCHFLAGS)

vm: kernel
	@tools/vm -c $(CPUS) $(if $(CMD),-- bash -c '$(CMD)')

# Build kernel/sched (and what else a patch touches) after each patch.
bisect-check: kernel
	@tools/bisect-check

# What the series costs with no CPU marked: bloat-o-meter, jump-label sites.
size:
	@$(MAKE) -s KFLAVOR=jl kernel
	@tools/kernel-size

# Regenerate patches/ from the commits on top of "base" in build/linux.
patches:
	@tools/make-patches

clean:
	rm -rf $(BUILD)
