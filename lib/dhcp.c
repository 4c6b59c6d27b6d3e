/* dhcp.c: see dhcp.h. Offsets are RFC 2131 figure 1: op 0, htype 1, hlen 2, hops 3, xid 4, secs 8, flags 10,
 * ciaddr 12, yiaddr 16, siaddr 20, giaddr 24, chaddr 28, sname 44, file 108, cookie 236, options 240. */
#include "dhcp.h"

#include <errno.h>
#include <string.h>

#define OFF_SNAME 44
#define OFF_FILE  108

static const uint8_t cookie[4] = { 99, 130, 83, 99 };

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Copies the NUL-terminated (or full) field of n bytes into out[n + 1]. */
static void field_str(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i]; i++)
		out[i] = (char)p[i];
	out[i] = '\0';
}

static int parse_header(const uint8_t *buf, size_t len, struct dhcp_msg *m, struct rh_err *err)
{
	if (len < DHCP_OPTS_OFF)
		return rh_errf(err, -EBADMSG, "dhcp: message of %zu bytes is shorter than the %d-byte header", len,
			       DHCP_OPTS_OFF);
	m->op = buf[0];
	m->htype = buf[1];
	m->hlen = buf[2];
	m->hops = buf[3];
	if (m->op != 1 && m->op != 2)
		return rh_errf(err, -EBADMSG, "dhcp: op %u is neither request (1) nor reply (2)", m->op);
	if (m->hlen > 16)
		return rh_errf(err, -EBADMSG, "dhcp: hardware address length %u is over 16", m->hlen);
	if (memcmp(buf + DHCP_HDR_LEN, cookie, 4))
		return rh_errf(err, -EBADMSG, "dhcp: bad magic cookie %u.%u.%u.%u", buf[236], buf[237], buf[238],
			       buf[239]);
	m->xid = get32(buf + 4);
	m->secs = get16(buf + 8);
	m->flags = get16(buf + 10);
	m->ciaddr = get32(buf + 12);
	m->yiaddr = get32(buf + 16);
	m->siaddr = get32(buf + 20);
	m->giaddr = get32(buf + 24);
	memcpy(m->chaddr, buf + 28, 16);
	return 0;
}

/* Records the options of buf[start..end) in m->opt. Pads are skipped, 255 ends the field, and a field without
 * 255 ends at its end (tolerated: some ROMs fill the rest with pads and stop). */
static int scan_field(const uint8_t *buf, size_t start, size_t end, const char *what, struct dhcp_msg *m,
		      struct rh_err *err)
{
	size_t i = start;

	while (i < end) {
		uint8_t code = buf[i], l;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (end - i < 2 || end - i - 2 < buf[i + 1])
			return rh_errf(err, -EBADMSG, "dhcp: truncated option %u in %s", code, what);
		l = buf[i + 1];
		if (m->opt[code].present)
			return rh_errf(err, -EBADMSG, "dhcp: option %u given twice (split options are not supported)",
				       code);
		m->opt[code].data = buf + i + 2;
		m->opt[code].len = l;
		m->opt[code].present = 1;
		i += 2 + (size_t)l;
	}
	return 0;
}

/* The length rules of the options this codec decodes: exact (min == max) or a range, and even for 93. */
static const struct {
	uint8_t code, min, max, even;
} rules[] = {
	{ DHCP_OPT_OVERLOAD, 1, 1, 0 },     { DHCP_OPT_MSG_TYPE, 1, 1, 0 },     { DHCP_OPT_REQUESTED_IP, 4, 4, 0 },
	{ DHCP_OPT_SERVER_ID, 4, 4, 0 },    { DHCP_OPT_PARAM_LIST, 1, 255, 0 }, { DHCP_OPT_MAX_SIZE, 2, 2, 0 },
	{ DHCP_OPT_VENDOR_CLASS, 1, 255, 0 }, { DHCP_OPT_CLIENT_ID, 2, 255, 0 }, { DHCP_OPT_USER_CLASS, 1, 255, 0 },
	{ DHCP_OPT_RELAY_AGENT, 2, 255, 0 }, { DHCP_OPT_CLIENT_ARCH, 2, 254, 1 }, { DHCP_OPT_CLIENT_NDI, 3, 3, 0 },
	{ DHCP_OPT_CLIENT_UUID, 17, 17, 0 },
};

static int check_lengths(const struct dhcp_msg *m, struct rh_err *err)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct dhcp_opt *o = &m->opt[rules[i].code];

		if (!o->present)
			continue;
		if (rules[i].even && o->len % 2)
			return rh_errf(err, -EBADMSG, "dhcp: option %u length %u is odd", rules[i].code, o->len);
		if (rules[i].min == rules[i].max && o->len != rules[i].min)
			return rh_errf(err, -EBADMSG, "dhcp: option %u length %u is not %u", rules[i].code, o->len,
				       rules[i].min);
		if (o->len < rules[i].min || o->len > rules[i].max)
			return rh_errf(err, -EBADMSG, "dhcp: option %u length %u is outside %u-%u", rules[i].code,
				       o->len, rules[i].min, rules[i].max);
	}
	return 0;
}

/* Option 77 names iPXE: the whole option is "iPXE" (what iPXE sends), or it is a well-formed list of RFC 3004
 * classes (length, bytes) of which one is "iPXE". Anything else is kept raw and is not an error. */
static int user_class_is_ipxe(const uint8_t *d, size_t l)
{
	size_t i = 0;
	int found = 0;

	if (l == 4 && !memcmp(d, "iPXE", 4))
		return 1;
	while (i < l) {
		size_t n = d[i];

		if (n == 0 || n > l - i - 1)
			return 0;
		if (n == 4 && !memcmp(d + i + 1, "iPXE", 4))
			found = 1;
		i += 1 + n;
	}
	return found;
}

static int decode_options(struct dhcp_msg *m, struct rh_err *err)
{
	const struct dhcp_opt *o = m->opt;
	size_t i;
	int rc;

	rc = check_lengths(m, err);
	if (rc < 0)
		return rc;
	if (o[DHCP_OPT_MSG_TYPE].present) {
		m->msg_type = o[DHCP_OPT_MSG_TYPE].data[0];
		if (m->msg_type == 0)
			return rh_errf(err, -EBADMSG, "dhcp: message type 0");
	}
	if (o[DHCP_OPT_REQUESTED_IP].present)
		m->requested_ip = get32(o[DHCP_OPT_REQUESTED_IP].data);
	if (o[DHCP_OPT_SERVER_ID].present)
		m->server_id = get32(o[DHCP_OPT_SERVER_ID].data);
	if (o[DHCP_OPT_MAX_SIZE].present) {
		m->max_size = get16(o[DHCP_OPT_MAX_SIZE].data);
		if (m->max_size < DHCP_MIN_MAX_SIZE)
			m->max_size = DHCP_MIN_MAX_SIZE;
	}
	if (o[DHCP_OPT_CLIENT_ARCH].present) {
		m->n_arch = (uint8_t)(o[DHCP_OPT_CLIENT_ARCH].len / 2);
		for (i = 0; i < m->n_arch; i++)
			m->arch[i] = get16(o[DHCP_OPT_CLIENT_ARCH].data + 2 * i);
	}
	if (o[DHCP_OPT_CLIENT_NDI].present) {
		m->has_ndi = 1;
		m->ndi_type = o[DHCP_OPT_CLIENT_NDI].data[0];
		m->ndi_major = o[DHCP_OPT_CLIENT_NDI].data[1];
		m->ndi_minor = o[DHCP_OPT_CLIENT_NDI].data[2];
	}
	if (o[DHCP_OPT_CLIENT_UUID].present) {
		if (o[DHCP_OPT_CLIENT_UUID].data[0] != 0)
			return rh_errf(err, -EBADMSG, "dhcp: option 97 type %u is not 0",
				       o[DHCP_OPT_CLIENT_UUID].data[0]);
		m->has_uuid = 1;
		memcpy(m->uuid, o[DHCP_OPT_CLIENT_UUID].data + 1, 16);
	}
	if (o[DHCP_OPT_USER_CLASS].present)
		m->user_class_ipxe = (uint8_t)user_class_is_ipxe(o[DHCP_OPT_USER_CLASS].data,
								  o[DHCP_OPT_USER_CLASS].len);
	return 0;
}

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *ret, struct rh_err *err)
{
	struct dhcp_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = parse_header(buf, len, &m, err);
	if (rc < 0)
		return rc;
	rc = scan_field(buf, DHCP_OPTS_OFF, len, "options", &m, err);
	if (rc < 0)
		return rc;
	if (m.opt[DHCP_OPT_OVERLOAD].present) {
		if (m.opt[DHCP_OPT_OVERLOAD].len != 1 || m.opt[DHCP_OPT_OVERLOAD].data[0] < 1 ||
		    m.opt[DHCP_OPT_OVERLOAD].data[0] > 3)
			return rh_errf(err, -EBADMSG, "dhcp: option 52 (overload) is not 1, 2 or 3");
		m.overload = m.opt[DHCP_OPT_OVERLOAD].data[0];
	}
	/* RFC 2131 4.1: the options field first, then file, then sname */
	if (m.overload & 1)
		rc = scan_field(buf, OFF_FILE, DHCP_HDR_LEN, "file", &m, err);
	else
		field_str(m.file, buf + OFF_FILE, 128);
	if (rc < 0)
		return rc;
	if (m.overload & 2)
		rc = scan_field(buf, OFF_SNAME, OFF_FILE, "sname", &m, err);
	else
		field_str(m.sname, buf + OFF_SNAME, 64);
	if (rc < 0)
		return rc;
	rc = decode_options(&m, err);
	if (rc < 0)
		return rc;
	*ret = m;
	return 0;
}

static int vendor_class_starts(const struct dhcp_msg *m, const char *prefix)
{
	const struct dhcp_opt *o = &m->opt[DHCP_OPT_VENDOR_CLASS];
	size_t n = strlen(prefix);

	return o->present && o->len >= n && !memcmp(o->data, prefix, n);
}

int dhcp_is_pxe_client(const struct dhcp_msg *m)
{
	return vendor_class_starts(m, "PXEClient");
}

int dhcp_is_http_client(const struct dhcp_msg *m)
{
	return vendor_class_starts(m, "HTTPClient");
}

int dhcp_is_ipxe(const struct dhcp_msg *m)
{
	return m->user_class_ipxe || m->opt[DHCP_OPT_IPXE].present;
}

int dhcp_arch(const struct dhcp_msg *m)
{
	if (!m->n_arch)
		return -1;
	return m->arch[0];
}

/* IANA "Processor Architecture Types" (RFC 4578 and later registrations). */
static const char *const arch_names[] = {
	"x86 BIOS", "NEC/PC98", "Itanium", "DEC Alpha", "Arc x86", "Intel Lean Client", "x86 UEFI", "x64 UEFI",
	"EFI Xscale", "EFI x86-64 (RFC 4578; IANA: EBC)", "ARM 32-bit UEFI", "ARM 64-bit UEFI",
	"PowerPC Open Firmware", "PowerPC ePAPR", "POWER OPAL v3", "x86 UEFI HTTP", "x64 UEFI HTTP", "EBC HTTP",
	"ARM 32-bit UEFI HTTP", "ARM 64-bit UEFI HTTP", "x86 BIOS HTTP", "ARM 32-bit U-Boot", "ARM 64-bit U-Boot",
	"ARM 32-bit U-Boot HTTP", "ARM 64-bit U-Boot HTTP", "RISC-V 32-bit UEFI", "RISC-V 32-bit UEFI HTTP",
	"RISC-V 64-bit UEFI", "RISC-V 64-bit UEFI HTTP", "RISC-V 128-bit UEFI", "RISC-V 128-bit UEFI HTTP",
	"s390 Basic", "s390 Extended", "MIPS 32-bit UEFI", "MIPS 64-bit UEFI", "Sunway 32-bit UEFI",
	"Sunway 64-bit UEFI", "LoongArch 32-bit UEFI", "LoongArch 32-bit UEFI HTTP", "LoongArch 64-bit UEFI",
	"LoongArch 64-bit UEFI HTTP", "ARM rpiboot",
};

const char *dhcp_arch_name(unsigned arch)
{
	if (arch >= sizeof(arch_names) / sizeof(arch_names[0]))
		return "unknown";
	return arch_names[arch];
}

/* ---- the writer ---- */

void dhcp_writer_init(struct dhcp_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->sub_start = 0;
	w->rc = 0;
}

/* Whether n more bytes may be written; records -ENOBUFS when they do not fit. */
static int room(struct dhcp_writer *w, size_t n)
{
	if (w->rc)
		return 0;
	if (n > w->cap - w->len) {
		w->rc = -ENOBUFS;
		return 0;
	}
	return 1;
}

static void fail(struct dhcp_writer *w, int rc)
{
	if (!w->rc)
		w->rc = rc;
}

void dhcp_write_reply_header(struct dhcp_writer *w, const struct dhcp_msg *req, uint32_t yiaddr, uint32_t siaddr,
			     const char *sname, const char *file)
{
	uint8_t *p;

	if (w->len != 0)
		fail(w, -EINVAL);
	if ((sname && strlen(sname) > 63) || (file && strlen(file) > 127))
		fail(w, -ENAMETOOLONG);
	if (!room(w, DHCP_OPTS_OFF))
		return;
	p = w->buf;
	memset(p, 0, DHCP_OPTS_OFF);
	p[0] = 2;
	p[1] = req->htype;
	p[2] = req->hlen;
	put32(p + 4, req->xid);
	p[10] = (uint8_t)(req->flags >> 8);
	p[11] = (uint8_t)req->flags;
	put32(p + 12, req->ciaddr);
	put32(p + 16, yiaddr);
	put32(p + 20, siaddr);
	put32(p + 24, req->giaddr);
	memcpy(p + 28, req->chaddr, 16);
	if (sname)
		memcpy(p + OFF_SNAME, sname, strlen(sname));
	if (file)
		memcpy(p + OFF_FILE, file, strlen(file));
	memcpy(p + DHCP_HDR_LEN, cookie, 4);
	w->len = DHCP_OPTS_OFF;
}

/* Appends one code-length-value item (an option or a sub-option), when it fits. */
static void put_tlv(struct dhcp_writer *w, uint8_t code, const void *data, size_t len)
{
	if (!room(w, 2 + len))
		return;
	w->buf[w->len] = code;
	w->buf[w->len + 1] = (uint8_t)len;
	if (len)
		memcpy(w->buf + w->len + 2, data, len);
	w->len += 2 + len;
}

void dhcp_write_opt(struct dhcp_writer *w, uint8_t code, const void *data, size_t len)
{
	if (w->len < DHCP_OPTS_OFF || w->sub_start || code == DHCP_OPT_PAD || code == DHCP_OPT_END)
		fail(w, -EINVAL);
	if (len > 255)
		fail(w, -EMSGSIZE);
	put_tlv(w, code, data, len);
}

void dhcp_write_u8(struct dhcp_writer *w, uint8_t code, uint8_t v)
{
	dhcp_write_opt(w, code, &v, 1);
}

void dhcp_write_u32(struct dhcp_writer *w, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	dhcp_write_opt(w, code, b, 4);
}

void dhcp_write_ip(struct dhcp_writer *w, uint8_t code, uint32_t addr)
{
	dhcp_write_u32(w, code, addr);
}

void dhcp_write_ips(struct dhcp_writer *w, uint8_t code, const uint32_t *a, size_t n)
{
	uint8_t b[252];
	size_t i;

	if (n == 0 || n > sizeof(b) / 4) {
		fail(w, -EMSGSIZE);
		return;
	}
	for (i = 0; i < n; i++)
		put32(b + 4 * i, a[i]);
	dhcp_write_opt(w, code, b, 4 * n);
}

void dhcp_write_str(struct dhcp_writer *w, uint8_t code, const char *s)
{
	dhcp_write_opt(w, code, s, strlen(s));
}

void dhcp_write_echo(struct dhcp_writer *w, const struct dhcp_msg *req, uint8_t code)
{
	if (req->opt[code].present)
		dhcp_write_opt(w, code, req->opt[code].data, req->opt[code].len);
}

void dhcp_write_begin(struct dhcp_writer *w, uint8_t code)
{
	if (w->len < DHCP_OPTS_OFF || w->sub_start || code == DHCP_OPT_PAD || code == DHCP_OPT_END)
		fail(w, -EINVAL);
	if (!room(w, 2))
		return;
	w->buf[w->len] = code;
	w->buf[w->len + 1] = 0;
	w->sub_start = w->len + 1;
	w->len += 2;
}

void dhcp_write_sub(struct dhcp_writer *w, uint8_t sub, const void *data, size_t len)
{
	if (!w->sub_start)
		fail(w, -EINVAL);
	if (w->rc)
		return;
	if (w->len - w->sub_start - 1 + 2 + len > 255)
		fail(w, -EMSGSIZE);
	put_tlv(w, sub, data, len);
}

void dhcp_write_end(struct dhcp_writer *w)
{
	if (!w->sub_start)
		fail(w, -EINVAL);
	if (w->rc)
		return;
	w->buf[w->sub_start] = (uint8_t)(w->len - w->sub_start - 1);
	w->sub_start = 0;
}

int dhcp_writer_finish(struct dhcp_writer *w)
{
	if (w->len < DHCP_OPTS_OFF || w->sub_start)
		fail(w, -EINVAL);
	if (!room(w, 1))
		return w->rc;
	w->buf[w->len++] = DHCP_OPT_END;
	if (w->len < DHCP_BOOTP_MIN) {
		if (!room(w, DHCP_BOOTP_MIN - w->len))
			return w->rc;
		memset(w->buf + w->len, 0, DHCP_BOOTP_MIN - w->len);
		w->len = DHCP_BOOTP_MIN;
	}
	if (w->len > 65535)
		return -EMSGSIZE;
	return (int)w->len;
}
