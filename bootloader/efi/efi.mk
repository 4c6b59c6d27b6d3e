# bootloader/efi/efi.mk: the UEFI loader ramhost.efi, built with GNU-EFI (included by the top Makefile).
#
# The loader is bootloader/efi/*.c (the EFI shell: firmware protocols, menu, kernel hand-off) plus the freestanding
# parsers from lib/ (boot.cfg, SHA-256, ISO9660, GPT, bank rules, RSA signature check), compiled a second time here for the firmware:
# position-independent, no red zone, UCS-2 wide strings, MS calling convention for firmware calls. The ELF is
# linked with GNU-EFI's crt0 and linker script and converted to a PE32+ EFI application.

EFI_INC    := /usr/include/efi
EFI_LIBDIR := /usr/lib
EFI_CRT0   := $(EFI_LIBDIR)/crt0-efi-x86_64.o
EFI_LDS    := $(EFI_LIBDIR)/elf_x86_64_efi.lds

# Parsers shared with the host (each is freestanding: no libc, no allocation). Optional ones join when present.
EFI_LIB_SRC := lib/sha256.c lib/bootcfg.c lib/hex.c lib/mac.c lib/netkey.c lib/rsa_verify.c \
               $(wildcard lib/iso9660.c lib/gpt.c lib/bank.c lib/crc32.c)
EFI_SRC     := $(wildcard bootloader/efi/*.c) $(EFI_LIB_SRC)
EFI_OBJ     := $(patsubst %.c,$(BUILD)/efiobj/%.o,$(EFI_SRC))

EFI_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fpic -fshort-wchar -mno-red-zone \
              -fno-stack-protector -fno-strict-aliasing -fno-builtin -maccumulate-outgoing-args \
              -DGNU_EFI_USE_MS_ABI -DRAMHOST_EFI -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Ilib -Ibootloader/efi

EFI_TARGETS := $(BUILD)/ramhost.efi

$(BUILD)/efiobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/efiobj/ramhost.so: $(EFI_OBJ)
	ld -nostdlib -znocombreloc -T $(EFI_LDS) -shared -Bsymbolic -L$(EFI_LIBDIR) $(EFI_CRT0) $^ \
		-o $@ -lefi -lgnuefi

$(BUILD)/ramhost.efi: $(BUILD)/efiobj/ramhost.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .rel.* -j .rela.* \
		-j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@
