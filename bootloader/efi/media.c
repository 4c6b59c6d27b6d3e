/* media.c: finding the bootbanks on the boot device, reading their files, rewriting boot.cfg (see media.h). */
#include "media.h"

#include "bootcfg_cpio.h"
#include "net.h"
#include "text.h"

#define MAX_PATH16 512

static UINTN node_len(const EFI_DEVICE_PATH *n)
{
	return (UINTN)n->Length[0] | ((UINTN)n->Length[1] << 8);
}

static int node_is_end(const EFI_DEVICE_PATH *n)
{
	return n->Type == END_DEVICE_PATH_TYPE && n->SubType == END_ENTIRE_DEVICE_PATH_SUBTYPE;
}

static const EFI_DEVICE_PATH *node_next(const EFI_DEVICE_PATH *n)
{
	return (const EFI_DEVICE_PATH *)((const UINT8 *)n + node_len(n));
}

/* Offset of the first media node (hard-drive partition or El Torito CD-ROM entry) in dp, and that node, or 0
 * when dp has none (the loader's device is a whole device). A node shorter than its header ends the walk. */
static UINTN media_node_offset(const EFI_DEVICE_PATH *dp, const EFI_DEVICE_PATH **ret_node)
{
	const EFI_DEVICE_PATH *n = dp;

	while (!node_is_end(n) && node_len(n) >= 4) {
		if (n->Type == MEDIA_DEVICE_PATH &&
		    (n->SubType == MEDIA_HARDDRIVE_DP || n->SubType == MEDIA_CDROM_DP)) {
			*ret_node = n;
			return (UINTN)((const UINT8 *)n - (const UINT8 *)dp);
		}
		n = node_next(n);
	}
	return 0;
}

/* A copy of the first len bytes of dp followed by an end node (pool memory, the caller's). */
static EFI_DEVICE_PATH *dp_prefix(const EFI_DEVICE_PATH *dp, UINTN len)
{
	UINT8 *p = AllocatePool(len + 4);

	if (!p)
		return NULL;
	CopyMem(p, (void *)dp, len);
	p[len] = END_DEVICE_PATH_TYPE;
	p[len + 1] = END_ENTIRE_DEVICE_PATH_SUBTYPE;
	p[len + 2] = 4;
	p[len + 3] = 0;
	return (EFI_DEVICE_PATH *)p;
}

/* The path of `name` in bank b: dir "/" [prefix "/"] name ('/' separated; empty components are harmless to the
 * ISO reader). prefix= applies to kernel and modules, not to boot.cfg itself (use_prefix 0). */
static EFI_STATUS bank_path(const struct efi_bank *b, int use_prefix, const char *name, char *out, UINTN cap)
{
	out[0] = '\0';
	ascii_append(out, cap, b->dir);
	ascii_append(out, cap, "/");
	if (use_prefix && b->parsed && b->cfg.prefix[0]) {
		ascii_append(out, cap, b->cfg.prefix);
		ascii_append(out, cap, "/");
	}
	return ascii_append(out, cap, name) + 1 < cap ? EFI_SUCCESS : EFI_BUFFER_TOO_SMALL;
}

/* The same for the firmware's FAT driver: UCS-2, '\' separated, no empty components. */
static EFI_STATUS bank_path16(const struct efi_bank *b, int use_prefix, const char *name, CHAR16 *out, UINTN cap)
{
	char path[MAX_PATH16], clean[MAX_PATH16];
	UINTN i, n = 0;
	EFI_STATUS st = bank_path(b, use_prefix, name, path, sizeof(path));

	if (EFI_ERROR(st))
		return st;
	for (i = 0; path[i]; i++) {
		char c = path[i] == '/' ? '\\' : path[i];

		if (c == '\\' && n && clean[n - 1] == '\\')
			continue;
		clean[n++] = c;
	}
	clean[n] = '\0';
	ascii_to_ucs2(out, cap, clean);
	return EFI_SUCCESS;
}

static EFI_STATUS fat_open(EFI_FILE_HANDLE root, const CHAR16 *path, UINT64 mode, EFI_FILE_HANDLE *ret)
{
	return uefi_call_wrapper(root->Open, 5, root, ret, (CHAR16 *)path, mode,
				 mode & EFI_FILE_MODE_CREATE ? (UINT64)EFI_FILE_ARCHIVE : 0);
}

static EFI_STATUS fat_size(EFI_FILE_HANDLE fh, UINT64 *ret)
{
	EFI_FILE_INFO *info = LibFileInfo(fh);

	if (!info)
		return EFI_DEVICE_ERROR;
	*ret = info->FileSize;
	FreePool(info);
	return EFI_SUCCESS;
}

/* Reads exactly size bytes from the start of fh. */
static EFI_STATUS fat_read_all(EFI_FILE_HANDLE fh, void *buf, UINT64 size)
{
	UINT8 *p = buf;
	EFI_STATUS st;

	while (size) {
		UINTN n = size > (64u << 20) ? (64u << 20) : (UINTN)size;

		st = uefi_call_wrapper(fh->Read, 3, fh, &n, p);
		if (EFI_ERROR(st))
			return st;
		if (n == 0)
			return EFI_END_OF_FILE;
		p += n;
		size -= n;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS file_size(struct efi_bank *b, int use_prefix, const char *name, UINT64 *ret_size)
{
	CHAR16 path[MAX_PATH16];
	char path8[MAX_PATH16];
	EFI_FILE_HANDLE fh;
	EFI_STATUS st;

	if (b->iso || b->net) {
		st = bank_path(b, use_prefix, name, path8, sizeof(path8));
		if (EFI_ERROR(st))
			return st;
		/* network: relative to the server root, without bank_path's leading '/' */
		return b->net ? net_file_size(b->net, path8 + 1, ret_size) : iso_source_size(b->iso, path8, ret_size);
	}
	st = bank_path16(b, use_prefix, name, path, MAX_PATH16);
	if (EFI_ERROR(st))
		return st;
	st = fat_open(b->root, path, EFI_FILE_MODE_READ, &fh);
	if (EFI_ERROR(st))
		return st;
	st = fat_size(fh, ret_size);
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

static EFI_STATUS file_read(struct efi_bank *b, int use_prefix, const char *name, void *buf, UINT64 size)
{
	CHAR16 path[MAX_PATH16];
	char path8[MAX_PATH16];
	EFI_FILE_HANDLE fh;
	EFI_STATUS st;

	if (b->iso || b->net) {
		st = bank_path(b, use_prefix, name, path8, sizeof(path8));
		if (EFI_ERROR(st))
			return st;
		return b->net ? net_file_read(b->net, path8 + 1, buf, size) : iso_source_read(b->iso, path8, buf, size);
	}
	st = bank_path16(b, use_prefix, name, path, MAX_PATH16);
	if (EFI_ERROR(st))
		return st;
	st = fat_open(b->root, path, EFI_FILE_MODE_READ, &fh);
	if (EFI_ERROR(st))
		return st;
	st = fat_read_all(fh, buf, size);
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

EFI_STATUS bank_file_size(struct efi_bank *b, const char *name, UINT64 *ret_size)
{
	return file_size(b, 1, name, ret_size);
}

EFI_STATUS bank_file_read(struct efi_bank *b, const char *name, void *buf, UINT64 size)
{
	return file_read(b, 1, name, buf, size);
}

EFI_STATUS media_reload(struct efi_bank *b)
{
	struct bootcfg_error perr = { 0, 0 };
	UINT64 size = 0;
	EFI_STATUS st;

	b->parsed = 0;
	b->why[0] = '\0';
	st = file_size(b, 0, "boot.cfg", &size);
	if (EFI_ERROR(st)) {
		ascii_copy(b->why, sizeof(b->why), "no boot.cfg");
		return st;
	}
	if (size > MEDIA_BOOTCFG_MAX) {
		ascii_copy(b->why, sizeof(b->why), "boot.cfg is larger than 16384 bytes");
		return EFI_BAD_BUFFER_SIZE;
	}
	st = file_read(b, 0, "boot.cfg", b->text, size);
	if (EFI_ERROR(st)) {
		ascii_copy(b->why, sizeof(b->why), "boot.cfg: read error");
		return st;
	}
	b->text[size] = '\0';
	b->len = (UINTN)size;
	if (bootcfg_parse(b->text, b->len, &b->cfg, &perr) != 0) {
		ascii_copy(b->why, sizeof(b->why), "boot.cfg: line ");
		ascii_append_u64(b->why, sizeof(b->why), perr.line);
		ascii_append(b->why, sizeof(b->why), ": ");
		ascii_append(b->why, sizeof(b->why), perr.what ? perr.what : "unparsable");
		return EFI_VOLUME_CORRUPTED;
	}
	b->parsed = 1;
	return EFI_SUCCESS;
}

/* Overwrites the file at path16 with buf (created when missing), sets its size, flushes. */
static EFI_STATUS fat_write_file(EFI_FILE_HANDLE root, const CHAR16 *path, const void *buf, UINTN len)
{
	EFI_FILE_HANDLE fh;
	EFI_FILE_INFO *info;
	EFI_STATUS st;
	UINTN n = len;

	st = fat_open(root, path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, &fh);
	if (EFI_ERROR(st))
		return st;
	st = uefi_call_wrapper(fh->SetPosition, 2, fh, 0);
	if (!EFI_ERROR(st))
		st = uefi_call_wrapper(fh->Write, 3, fh, &n, (void *)buf);
	if (!EFI_ERROR(st) && n != len)
		st = EFI_VOLUME_FULL;
	if (!EFI_ERROR(st)) {
		info = LibFileInfo(fh);
		if (!info) {
			st = EFI_DEVICE_ERROR;
		} else {
			if (info->FileSize != len) {
				info->FileSize = len;
				st = uefi_call_wrapper(fh->SetInfo, 4, fh, &gEfiFileInfoGuid, info->Size, info);
			}
			FreePool(info);
		}
	}
	if (!EFI_ERROR(st))
		st = uefi_call_wrapper(fh->Flush, 1, fh);
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

EFI_STATUS bank_write_bootcfg(struct efi_bank *b, const char *text, UINTN len)
{
	CHAR16 path[MAX_PATH16];
	UINT8 *cpio = NULL;
	UINTN clen = bootcfg_cpio_len(len);
	EFI_STATUS st;

	if (!b->writable || !b->root)
		return EFI_WRITE_PROTECTED;
	/* boot.cfg and bootcfg.cpio sit at the bank's root, whatever prefix= says. */
	st = bank_path16(b, 0, "boot.cfg", path, MAX_PATH16);
	if (!EFI_ERROR(st))
		st = fat_write_file(b->root, path, text, len);
	if (EFI_ERROR(st))
		return st;
	/* bootcfg.cpio is derived from boot.cfg wherever boot.cfg changes (issue-3 contract), so that the BIOS
	 * path, which passes the file as is, sees the same state. */
	cpio = AllocatePool(clen);
	if (!cpio)
		return EFI_OUT_OF_RESOURCES;
	bootcfg_cpio_write(cpio, text, len);
	st = bank_path16(b, 0, "bootcfg.cpio", path, MAX_PATH16);
	if (!EFI_ERROR(st))
		st = fat_write_file(b->root, path, cpio, clen);
	FreePool(cpio);
	if (EFI_ERROR(st))
		return st;
	return media_reload(b);
}

/* The volume label of a FAT file system, as ASCII ("" when unknown). */
static void volume_label(EFI_FILE_HANDLE root, char *out, UINTN cap)
{
	EFI_FILE_SYSTEM_INFO *info = LibFileSystemInfo(root);

	out[0] = '\0';
	if (!info)
		return;
	ucs2_to_ascii(out, cap, info->VolumeLabel);
	FreePool(info);
}

static int label_is(const char *label, const char *want)
{
	UINTN i;

	for (i = 0; want[i]; i++) {
		char c = label[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != want[i])
			return 0;
	}
	/* FAT labels are space-padded to 11 characters. */
	while (label[i] == ' ')
		i++;
	return label[i] == '\0';
}

static EFI_FILE_HANDLE open_root(EFI_HANDLE h)
{
	EFI_FILE_IO_INTERFACE *fs = NULL;
	EFI_FILE_HANDLE root = NULL;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, h, &gEfiSimpleFileSystemProtocolGuid, (void **)&fs);
	if (EFI_ERROR(st) || !fs)
		return NULL;
	st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root);
	return EFI_ERROR(st) ? NULL : root;
}

/* Looks for FAT volumes labelled RHBANK1 / RHBANK2 among the partitions of the disk whose device path is the
 * first prefix_len bytes of disk_dp. */
static void find_fat_banks(const EFI_DEVICE_PATH *disk_dp, UINTN prefix_len, struct boot_media *m)
{
	EFI_HANDLE *handles = NULL;
	UINTN count = 0, i;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &gEfiSimpleFileSystemProtocolGuid, NULL,
			       &count, &handles);
	if (EFI_ERROR(st))
		return;
	for (i = 0; i < count; i++) {
		EFI_DEVICE_PATH *dp = DevicePathFromHandle(handles[i]);
		const EFI_DEVICE_PATH *node = NULL;
		struct efi_bank *b;
		EFI_FILE_HANDLE root;
		char label[40];
		unsigned n;

		if (!dp || media_node_offset(dp, &node) != prefix_len || node->SubType != MEDIA_HARDDRIVE_DP ||
		    CompareMem(dp, (void *)disk_dp, prefix_len) != 0)
			continue;
		root = open_root(handles[i]);
		if (!root)
			continue;
		volume_label(root, label, sizeof(label));
		n = label_is(label, "RHBANK1") ? 1 : label_is(label, "RHBANK2") ? 2 : 0;
		if (!n || m->bank[n - 1].found) {
			uefi_call_wrapper(root->Close, 1, root);
			continue;
		}
		b = &m->bank[n - 1];
		b->found = 1;
		b->writable = 1;
		b->root = root;
		b->dir[0] = '\0';
		if (((const HARDDRIVE_DEVICE_PATH *)node)->SignatureType == SIGNATURE_TYPE_GUID)
			guid_to_ascii((const EFI_GUID *)((const HARDDRIVE_DEVICE_PATH *)node)->Signature, b->uuid);
	}
	FreePool(handles);
}

static void read_install_cfg(struct boot_media *m);

void media_reset(struct boot_media *m, const char *medium)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		m->bank[i].number = i + 1;
		m->bank[i].found = m->bank[i].parsed = m->bank[i].writable = 0;
		m->bank[i].root = NULL;
		m->bank[i].iso = NULL;
		m->bank[i].net = NULL;
		m->bank[i].uuid[0] = m->bank[i].why[0] = m->bank[i].dir[0] = '\0';
	}
	m->medium = medium;
	m->installopt[0] = '\0';
}

EFI_STATUS media_find(EFI_HANDLE image, struct boot_media *m)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_DEVICE_PATH *dp, *parent;
	const EFI_DEVICE_PATH *node = NULL;
	UINTN off;
	EFI_STATUS st;
	UINT32 bs = 0;
	unsigned i;

	media_reset(m, "disk");
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(st) || !li)
		return EFI_NOT_FOUND;
	dp = DevicePathFromHandle(li->DeviceHandle);
	if (!dp)
		return EFI_NOT_FOUND;
	off = media_node_offset(dp, &node);

	/* 1. A disk image: the banks are FAT partitions of the same disk, found by label. */
	if (off && node->SubType == MEDIA_HARDDRIVE_DP)
		find_fat_banks(dp, off, m);
	if (m->bank[0].found || m->bank[1].found)
		goto read_cfgs;

	/* 2. An ISO (CD, or the hybrid image on a disk): the loader ran from the El Torito / appended ESP image;
	 * the bootbank is /bootbank on the ISO9660 volume of the whole device, the parent of that node. */
	if (off) {
		parent = dp_prefix(dp, off);
		if (parent) {
			st = iso_source_open(parent, &m->bank[0].iso, &bs);
			FreePool(parent);
			if (!EFI_ERROR(st)) {
				m->bank[0].found = 1;
				ascii_copy(m->bank[0].dir, sizeof(m->bank[0].dir), "/bootbank");
				m->medium = bs == 2048 ? "cd" : "disk";
				goto read_cfgs;
			}
		}
	}

	/* 3. A plain FAT volume with the bootbank at its root next to \EFI\BOOT (a hand-made stick). */
	m->bank[0].root = open_root(li->DeviceHandle);
	if (!m->bank[0].root)
		return EFI_NOT_FOUND;
	m->bank[0].found = 1;
	m->bank[0].writable = 1;
	m->bank[0].dir[0] = '\0';
	if (off && node->SubType == MEDIA_HARDDRIVE_DP &&
	    ((const HARDDRIVE_DEVICE_PATH *)node)->SignatureType == SIGNATURE_TYPE_GUID)
		guid_to_ascii((const EFI_GUID *)((const HARDDRIVE_DEVICE_PATH *)node)->Signature, m->bank[0].uuid);

read_cfgs:
	for (i = 0; i < 2; i++)
		if (m->bank[i].found)
			media_reload(&m->bank[i]);
	read_install_cfg(m);
	if (!m->bank[0].parsed && !m->bank[1].parsed && !m->bank[0].found && !m->bank[1].found)
		return EFI_NOT_FOUND;
	return EFI_SUCCESS;
}

int media_install_bank(const struct boot_media *m)
{
	const struct efi_bank *b = &m->bank[0];

	return b->iso && b->parsed && m->installopt[0] ? 1 : 0;
}

/* ISO media: installopt= from BOOTCFG_ISO_INSTALL_CFG into m->installopt. A missing file means no Install entry;
 * a bad one is said and ignored (the ISO still boots). */
static void read_install_cfg(struct boot_media *m)
{
	static char text[MEDIA_BOOTCFG_MAX + 1];
	static struct bootcfg cfg; /* 15 KiB: not on the firmware's stack */
	struct bootcfg_error e = { 0, 0 };
	UINT64 size = 0;

	m->installopt[0] = '\0';
	if (!m->bank[0].iso || EFI_ERROR(iso_source_size(m->bank[0].iso, BOOTCFG_ISO_INSTALL_CFG, &size)))
		return;
	if (size > MEDIA_BOOTCFG_MAX || EFI_ERROR(iso_source_read(m->bank[0].iso, BOOTCFG_ISO_INSTALL_CFG, text, size))) {
		text_say(BOOTCFG_ISO_INSTALL_CFG ": too large or unreadable: no Install to disk entry");
		return;
	}
	if (bootcfg_parse(text, (size_t)size, &cfg, &e) < 0) {
		text_say4(BOOTCFG_ISO_INSTALL_CFG ": ", e.what ? e.what : "cannot parse it", ": no Install to disk entry",
			  "");
		return;
	}
	ascii_copy(m->installopt, sizeof(m->installopt), cfg.installopt);
}
