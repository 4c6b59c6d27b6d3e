/* linux.c: hand-off to the kernel's EFI stub (see linux.h).
 *
 * The initrd: since Linux 5.8 the stub asks for it through EFI_LOAD_FILE2_PROTOCOL installed on a handle whose
 * device path is a single vendor media node LINUX_EFI_INITRD_MEDIA_GUID. The loader answers with the buffer it
 * built (modules in modules= order, then the boot.cfg cpio). */
#include "linux.h"

#include "clock.h"
#include "text.h"

static EFI_GUID initrd_media_guid = { 0x5568e427, 0x68fc, 0x4f3d, { 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68 } };
static EFI_GUID load_file2_guid = { 0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d } };

struct initrd_dp {
	VENDOR_DEVICE_PATH vendor;
	EFI_DEVICE_PATH end;
} __attribute__((packed));

struct initrd_loader {
	EFI_LOAD_FILE_INTERFACE lf;   /* first: the protocol pointer is the struct pointer */
	const void *data;
	UINTN size;
};

static struct initrd_dp initrd_path = {
	.vendor = { .Header = { MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP,
				{ sizeof(VENDOR_DEVICE_PATH), 0 } } },
	.end = { END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

static struct initrd_loader initrd_loader;

/* LoadFile2: the whole initrd, or its size when the caller's buffer is missing or too small. */
static EFI_STATUS EFIAPI initrd_load_file(EFI_LOAD_FILE_INTERFACE *this, EFI_DEVICE_PATH *path, BOOLEAN boot_policy,
					  UINTN *size, void *buf)
{
	struct initrd_loader *l = (struct initrd_loader *)this;

	(void)path;
	if (!this || !size)
		return EFI_INVALID_PARAMETER;
	if (boot_policy)
		return EFI_UNSUPPORTED;
	if (!buf || *size < l->size) {
		*size = l->size;
		return EFI_BUFFER_TOO_SMALL;
	}
	/* The firmware's CopyMem (rep movs): GNU-EFI's is a byte loop, seconds for 20 MiB under emulation. */
	uefi_call_wrapper(BS->CopyMem, 3, buf, (void *)l->data, l->size);
	*size = l->size;
	return EFI_SUCCESS;
}

/* A memory-mapped device path for the kernel buffer, so that LoadImage (and the Secure Boot verifier) has a path
 * to name the image by. */
struct mem_dp {
	MEMMAP_DEVICE_PATH mem;
	EFI_DEVICE_PATH end;
} __attribute__((packed));

EFI_STATUS linux_start(EFI_HANDLE parent, void *kernel, UINTN ksize, void *initrd, UINTN isize,
		       const char *cmdline, const char **ret_what)
{
	struct mem_dp kpath = {
		.mem = { .Header = { HARDWARE_DEVICE_PATH, HW_MEMMAP_DP, { sizeof(MEMMAP_DEVICE_PATH), 0 } },
			 .MemoryType = EfiLoaderData,
			 .StartingAddress = (EFI_PHYSICAL_ADDRESS)(UINTN)kernel,
			 .EndingAddress = (EFI_PHYSICAL_ADDRESS)(UINTN)kernel + ksize - 1 },
		.end = { END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, { sizeof(EFI_DEVICE_PATH), 0 } },
	};
	EFI_HANDLE initrd_handle = NULL, kh = NULL;
	EFI_LOADED_IMAGE *li = NULL;
	CHAR16 *opts = NULL;
	UINTN n = ascii_len(cmdline) + 1;
	EFI_STATUS st;

	initrd_path.vendor.Guid = initrd_media_guid;
	initrd_loader.lf.LoadFile = initrd_load_file;
	initrd_loader.data = initrd;
	initrd_loader.size = isize;
	*ret_what = "installing the initrd (LoadFile2)";
	st = uefi_call_wrapper(BS->InstallMultipleProtocolInterfaces, 6, &initrd_handle, &gEfiDevicePathProtocolGuid,
			       &initrd_path, &load_file2_guid, &initrd_loader, NULL);
	if (EFI_ERROR(st))
		return st;

	*ret_what = "loading the kernel image (LoadImage; a Secure Boot refusal shows here)";

	st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, parent, (EFI_DEVICE_PATH *)&kpath, kernel, ksize, &kh);
	if (EFI_ERROR(st))
		goto out;
	*ret_what = "setting the kernel command line";
	st = uefi_call_wrapper(BS->HandleProtocol, 3, kh, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(st))
		goto out_unload;
	opts = AllocatePool(n * sizeof(CHAR16));
	if (!opts) {
		st = EFI_OUT_OF_RESOURCES;
		goto out_unload;
	}
	ascii_to_ucs2(opts, n, cmdline);
	li->LoadOptions = opts;
	li->LoadOptionsSize = (UINT32)(n * sizeof(CHAR16));

	{
		char line[80];

		line[0] = '\0';
		/* The loader's share of the boot time: from its start to the kernel's StartImage. */
		ascii_append(line, sizeof(line), "starting the kernel at ");
		ascii_append_u64(line, sizeof(line), clock_ms());
		ascii_append(line, sizeof(line), " ms since the loader started");
		text_say(line);
	}
	*ret_what = "starting the kernel (StartImage)";
	st = uefi_call_wrapper(BS->StartImage, 3, kh, NULL, NULL);
	/* Only reached when the kernel's stub failed before exiting boot services. */
	if (!EFI_ERROR(st))
		st = EFI_LOAD_ERROR;
out_unload:
	uefi_call_wrapper(BS->UnloadImage, 1, kh);
out:
	uefi_call_wrapper(BS->UninstallMultipleProtocolInterfaces, 6, initrd_handle, &gEfiDevicePathProtocolGuid,
			  &initrd_path, &load_file2_guid, &initrd_loader, NULL);
	if (opts)
		FreePool(opts);
	return st;
}
