# ramhost: one build for everything.
#   make          build the `ramhost` binary and the static `init`
#   make check    install what is missing, build, and run every test (unit, sanitizer, fuzz smoke,
#                 integration, QEMU system tests); prints "N passed, N failed"
#   make demo     install what is missing, build the demo ISO and boot it in QEMU up to the ready line
#   make bench    run the benchmarks under bench/ and print their figures
# Sources are found by folder: every .c in lib/ and in the component folders is part of the library that the
# `ramhost` binary, the unit tests and the fuzz targets link; ramdisk/init/ is also built on its own, static,
# as the boot-time init.

CC       ?= cc
CLANG    ?= clang
BUILD    ?= build
CFLAGS   ?= -O2 -g
PKGS     := libarchive libsquashfs1 libxml-2.0 libcrypto libcurl
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS += -I. -Ilib -Icli
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

COMPONENTS := tardisk image-builder bootloader ramdisk vib pxe-server recovery
LIB_SRC   := $(wildcard lib/*.c) $(foreach d,$(COMPONENTS),$(wildcard $(d)/*.c)) \
             $(filter-out ramdisk/init/main.c,$(wildcard ramdisk/init/*.c))
INIT_SRC  := $(wildcard ramdisk/init/*.c) $(wildcard lib/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

LIB_OBJ      := $(call obj,obj,$(LIB_SRC))
LIB_OBJ_SAN  := $(call obj,asan,$(LIB_SRC))
LIB_OBJ_FUZZ := $(call obj,fuzzobj,$(LIB_SRC))
INIT_OBJ     := $(call obj,initobj,$(INIT_SRC))
UNIT_BIN     := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_BIN_SAN := $(patsubst tests/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRC))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all setup check unit demo bench fuzz clean
all: $(BUILD)/ramhost $(BUILD)/init

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# init runs as PID 1 before any library exists: static, and only lib/ plus its own folder.
$(BUILD)/initobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Os -g $(CPPFLAGS) -DRAMHOST_INIT -MMD -MP -c $< -o $@

$(BUILD)/ramhost: $(BUILD)/obj/cli/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/init: $(INIT_OBJ)
	$(CC) -static -Os -o $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/unit-asan/%: tests/unit/%.c $(LIB_OBJ_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# Fuzz targets: libFuzzer with ASan and UBSan, over the library compiled once by clang.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJ_FUZZ)
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ \
		$(PKG_LIBS) -lpthread

# The UEFI loader (GNU-EFI): bootloader/efi/efi.mk defines EFI_TARGETS ($(BUILD)/ramhost.efi) and its rules.
-include bootloader/efi/efi.mk
all: $(EFI_TARGETS)

unit: $(UNIT_BIN) $(UNIT_BIN_SAN)
fuzz: $(FUZZ_BIN)

setup:
	@bash scripts/setup.sh

# The sub-make runs after setup so that pkg-config sees the libraries setup just installed.
check: setup
	@$(MAKE) --no-print-directory all unit fuzz
	@bash tests/run.sh

demo: setup
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

bench: setup
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
