# SPDX-License-Identifier: GPL-2.0
# The build half of the library: a module's Kbuild includes it after its obj-m lines.
# - The compat layer (compat.rs is the other half): what differs between the kernels these
#   modules build against is chosen here, from the tree being built against, and nowhere
#   else.
# - bindgen, with this tree's flags, for the library's own bindings (bindings.rs, over
#   bindings_helper.h), which every module of obj-m so far is built after (so include this
#   after the obj-m lines), and for a module's own (cmd_kmod_bindgen, with its flags in
#   kmod_bindgen_flags).
#
# The library's folder, as the Kbuild's own paths name it (lib/): the Kbuild must include
# this file as $(src)/<folder>/compat.mk.
kmod_lib := $(patsubst $(src)/%,%,$(dir $(lastword $(MAKEFILE_LIST))))
ifneq ($(filter /%,$(kmod_lib)),)
$(error include compat.mk as $$(src)/<folder>/compat.mk, not $(kmod_lib)compat.mk)
endif
#
# The cfgs of compat.rs, from the tree's version (the top Makefile's VERSION and PATCHLEVEL,
# which a headers-only tree has too):
#   kmod_kernel_fmt   printing goes through `kernel::fmt`, whose `Display` is the kernel's own
#                     (6.18 on); before, through `core::fmt`.
#   kmod_core_cstr    `kernel::str::CStr` is `core::ffi::CStr` (6.19 on); before, the kernel's
#                     own type.
#   kmod_pin_init_crate  pin-init is the `pin_init` crate (6.15 on); before, `kernel::init`.
#   kmod_opaque_try_ffi_init  `Opaque::try_ffi_init` exists (6.13 on; 6.12 has only `ffi_init`).
# and from the tree's headers:
#   kmod_fprobe_fregs  fprobe's handlers are given `struct ftrace_regs` (7.x), not
#                      `struct pt_regs` (6.12) (fprobe.rs); bindgen's C side sees it as
#                      KMOD_FPROBE_FREGS.
#   kmod_x86_pcpu_hot  x86_64 keeps preempt_count and the current task in `struct pcpu_hot`
#                      (6.2 to 6.14), not in per-CPU `__preempt_count` and `current_task`
#                      (context.rs); bindgen's C side sees it as KMOD_X86_PCPU_HOT
#                      (kmod_bindgen_defines).
# and from its configuration:
#   kmod_direct_calls  ftrace calls a module's trampoline directly (direct.rs): x86_64 with
#                      CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS (arm64's trampoline, which
#                      returns through x9, is not written).
kmod_version := $(shell echo $$(($(VERSION) * 1000 + $(PATCHLEVEL))))
kmod_since = $(if $(shell [ $(kmod_version) -ge $(1) ] && echo y),--cfg $(2))
subdir-rustflags-y += $(call kmod_since,6015,kmod_pin_init_crate) \
	$(call kmod_since,6018,kmod_kernel_fmt) \
	$(call kmod_since,6019,kmod_core_cstr) \
	$(call kmod_since,6013,kmod_opaque_try_ffi_init)
kmod_fprobe_fregs := $(shell grep -qs 'struct ftrace_regs \*regs' $(srctree)/include/linux/fprobe.h \
	&& echo y)
subdir-rustflags-y += $(if $(kmod_fprobe_fregs),--cfg kmod_fprobe_fregs)
kmod_x86_pcpu_hot := $(if $(filter x86,$(SRCARCH)),$(shell grep -qs 'struct pcpu_hot' \
	$(srctree)/arch/x86/include/asm/current.h && echo y))
subdir-rustflags-y += $(if $(kmod_x86_pcpu_hot),--cfg kmod_x86_pcpu_hot)
kmod_direct_calls := $(if $(CONFIG_X86_64),$(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS))
subdir-rustflags-y += $(if $(kmod_direct_calls),--cfg kmod_direct_calls)
kmod_bindgen_defines := $(if $(kmod_x86_pcpu_hot),-DKMOD_X86_PCPU_HOT) \
	$(if $(kmod_fprobe_fregs),-DKMOD_FPROBE_FREGS)

# bindgen's C flags and Rust target (kmod_bindgen_c_flags, kmod_bindgen_rust_target),
# with the flags the kernel's own bindings are made with (rust/Makefile). For a GCC-built
# kernel, the flags that libclang does not know are dropped, as rust/Makefile
# does: with its list (bindgen_skip_c_flags) when the tree has rust/Makefile, else (a headers
# tree, as distributions ship) with the list below, that of 7.2's rust/Makefile.
kmod_bindgen_skip_c_flags := $(shell sed -n '/^bindgen_skip_c_flags :=/,/[^\\]$$/{s/^bindgen_skip_c_flags :=//;s/\\$$//;p}' \
	$(srctree)/rust/Makefile 2>/dev/null)
ifeq ($(strip $(kmod_bindgen_skip_c_flags)),)
kmod_bindgen_skip_c_flags := -mno-fp-ret-in-387 -mpreferred-stack-boundary=% -mskip-rax-setup \
	-mgeneral-regs-only -msign-return-address=% -mindirect-branch=thunk-extern \
	-mindirect-branch-register -mfunction-return=thunk-extern -mrecord-mcount -mabi=lp64 \
	-mindirect-branch-cs-prefix -mstack-protector-guard% -mtraceback=no \
	-mno-pointers-to-nested-functions -mno-string -mno-strict-align -mstrict-align \
	-mdirect-extern-access -mexplicit-relocs -mno-check-zero-division -fconserve-stack \
	-falign-jumps=% -falign-loops=% -femit-struct-debug-baseonly -fno-ipa-cp-clone \
	-fno-ipa-sra -fno-partial-inlining -fplugin-arg-arm_ssp_per_task_plugin-% \
	-fno-reorder-blocks -fno-allow-store-data-races -fasan-shadow-offset=% \
	-fzero-call-used-regs=% -fno-stack-clash-protection -fno-inline-functions-called-once \
	-fsanitize=bounds-strict -fstrict-flex-arrays=% -fmin-function-alignment=% \
	-fzero-init-padding-bits=% -mno-fdpic -fdiagnostics-show-context \
	-fdiagnostics-show-context=% --param=% --param asan-% \
	-fno-isolate-erroneous-paths-dereference
endif
kmod_bindgen_target_x86 := x86_64-linux-gnu
kmod_bindgen_target_arm64 := aarch64-linux-gnu
ifdef CONFIG_CC_IS_CLANG
kmod_bindgen_c_flags = $(c_flags)
else
kmod_bindgen_c_flags = $(filter-out $(kmod_bindgen_skip_c_flags), $(c_flags)) \
	-w --target=$(kmod_bindgen_target_$(SRCARCH))
endif

# bindgen's --rust-target: the kernel's own (its minimum Rust version, from rust/Makefile),
# else that of its line (6.x: 1.68, 7.x: 1.85).
kmod_bindgen_rust_target := $(shell sed -n 's/.*--rust-target \([0-9.]*\).*/\1/p' \
	$(srctree)/rust/Makefile 2>/dev/null | head -n 1)
ifeq ($(kmod_bindgen_rust_target),)
kmod_bindgen_rust_target := $(if $(filter 6,$(VERSION)),1.68,1.85)
endif

# bindgen over a header ($<), with the flags the kernel's own bindings are made with
# (rust/Makefile) and the allowlists of kmod_bindgen_flags (a target-specific variable).
quiet_cmd_kmod_bindgen = BINDGEN $@
      cmd_kmod_bindgen = \
	$(BINDGEN) $< --rust-target $(kmod_bindgen_rust_target) --use-core --with-derive-default \
		--ctypes-prefix ffi --no-layout-tests --no-debug '.*' \
		--enable-function-attribute-detection --no-doc-comments --no-prepend-enum-name \
		$(kmod_bindgen_flags) -o $@ -- $(kmod_bindgen_c_flags) $(kmod_bindgen_defines) \
		-fno-builtin -D__BINDGEN__ -DMODULE

# The library's bindings: kernel::bindings has no kprobe, fprobe, ftrace direct or procfs
# API. struct kprobe, struct fprobe and the offsets of enum kmod_layout are always this
# kernel's (fprobe's functions exist with CONFIG_FPROBE only, ftrace's direct calls with
# CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS); the structures that are only read through
# kmod_layout's offsets are opaque. (A module that took only compat and params has none.)
ifneq ($(wildcard $(src)/$(kmod_lib)bindings_helper.h),)
$(obj)/$(kmod_lib)bindings_generated.rs: private kmod_bindgen_flags = \
		--allowlist-type 'kprobe|kretprobe|fprobe|ftrace_ops|proc_ops|kmod_layout' \
		--allowlist-function '(un)?register_k(ret)?probe|kmemleak_not_leak' \
		--allowlist-function 'register_fprobe_syms|unregister_fprobe' \
		--allowlist-function 'ftrace_set_filter_ip|ftrace_free_filter|(un)?register_ftrace_direct' \
		--allowlist-function 'sprint_symbol|synchronize_rcu(_tasks(_rude)?)?' \
		--allowlist-function 'pcpu_alloc_noprof|free_percpu' \
		--allowlist-function 'proc_create_data|proc_remove|irq_work_queue|irq_work_sync' \
		--allowlist-function get_random_u64 \
		--allowlist-var 'init_net|nr_cpu_ids|FPROBE_FL_DISABLED|KPROBE_FLAG_DISABLED' \
		--opaque-type 'pt_regs|kretprobe_instance|kretprobe_holder|rethook|net|file|inode' \
		--opaque-type 'proc_dir_entry|poll_table_struct|vm_area_struct|module|irq_work' \
		--opaque-type 'ftrace_ops|ftrace_regs|fprobe_hlist'
$(obj)/$(kmod_lib)bindings_generated.rs: $(src)/$(kmod_lib)bindings_helper.h FORCE
	$(call if_changed_dep,kmod_bindgen)
targets += $(kmod_lib)bindings_generated.rs
$(addprefix $(obj)/,$(filter %.o,$(obj-m))): $(obj)/$(kmod_lib)bindings_generated.rs
endif
