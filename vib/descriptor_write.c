/* descriptor_write.c: struct vib_desc written as descriptor.xml (docs/vib.md), the inverse of vib_desc_parse().
 *
 * The output is canonical: fixed element order, two-space indentation, every flag written, texts escaped so
 * that the parser gives back exactly the same bytes (carriage returns and tabs as character references, since
 * XML would normalise them). Writing the same struct twice gives the same bytes, which is what the signature
 * covers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor.h"
#include "sha256.h"

/* Writes s escaped for element content or an attribute value. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void put_el(FILE *f, const char *indent, const char *el, const char *text)
{
	fprintf(f, "%s<%s>", indent, el);
	put_escaped(f, text);
	fprintf(f, "</%s>\n", el);
}

static void put_rels(FILE *f, const char *list, const char *child, const struct vib_rel *r, size_t n, bool provide)
{
	if (!n)
		return;
	fprintf(f, "    <%s>\n", list);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "      <%s name=\"", child);
		put_escaped(f, r[i].name);
		fputc('"', f);
		if (r[i].op != VIB_OP_ANY) {
			if (!provide) {
				fputs(" relation=\"", f);
				put_escaped(f, vib_op_str(r[i].op));
				fputc('"', f);
			}
			fputs(" version=\"", f);
			put_escaped(f, r[i].version);
			fputc('"', f);
		}
		fputs("/>\n", f);
	}
	fprintf(f, "    </%s>\n", list);
}

/* Text fields the parser trims and bounds: refuse what would not read back the same. */
static int check_text(const char *field, const char *s, struct rh_err *err)
{
	size_t n = strlen(s);

	if (n && (strchr(" \t\n\r", s[0]) || strchr(" \t\n\r", s[n - 1])))
		return rh_errf(err, -EINVAL, "descriptor: <%s> starts or ends with white space", field);
	return 0;
}

/* <payloads>, each with its checksum and, when it has one, its boot-module checksum. */
static void put_payloads(FILE *f, const struct vib_desc *d)
{
	char hex[SHA256_HEX_LEN + 1];

	if (!d->npayloads)
		return;
	fputs("  <payloads>\n", f);
	for (size_t i = 0; i < d->npayloads; i++) {
		const struct vib_payload *p = &d->payloads[i];

		sha256_to_hex(p->sha256, hex);
		fputs("    <payload name=\"", f);
		put_escaped(f, p->name);
		fputs("\" type=\"", f);
		put_escaped(f, p->type[0] ? p->type : "tdk");
		fprintf(f, "\" size=\"%llu\">\n", (unsigned long long)p->size);
		fprintf(f, "      <checksum checksum-type=\"sha-256\">%s</checksum>\n", hex);
		if (p->has_module_sha256) {
			sha256_to_hex(p->module_sha256, hex);
			fprintf(f, "      <checksum checksum-type=\"sha-256\" verify-process=\"%s\">%s</checksum>\n",
				VIB_VERIFY_BOOT_MODULE, hex);
		}
		fputs("    </payload>\n", f);
	}
	fputs("  </payloads>\n", f);
}

int vib_desc_write(const struct vib_desc *d, char **ret_buf, size_t *ret_len, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!vib_name_valid(d->name) || !vib_version_valid(d->version) || !d->vendor[0])
		return rh_errf(err, -EINVAL, "descriptor: a valid name and version and a vendor are required (name "
			       "\"%s\", version \"%s\")", d->name, d->version);
	for (size_t i = 0; i < d->npayloads; i++)
		if (!vib_name_valid(d->payloads[i].name))
			return rh_errf(err, -EINVAL, "descriptor: payload name \"%s\" is not a valid name", d->payloads[i].name);
	if ((r = check_text("vendor", d->vendor, err)) < 0 || (r = check_text("summary", d->summary, err)) < 0 ||
	    (r = check_text("description", d->description ? d->description : "", err)) < 0)
		return r;
	f = open_memstream(&buf, &len);
	if (!f)
		return rh_errf(err, -ENOMEM, "descriptor: out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vib version=\"1.0\">\n", f);
	put_el(f, "  ", "name", d->name);
	put_el(f, "  ", "version", d->version);
	put_el(f, "  ", "vendor", d->vendor);
	put_el(f, "  ", "summary", d->summary);
	put_el(f, "  ", "description", d->description ? d->description : "");
	put_el(f, "  ", "release-date", d->release_date);
	put_el(f, "  ", "acceptance-level", vib_level_str(d->level));
	if (d->ndepends || d->nconflicts || d->nreplaces || d->nprovides) {
		fputs("  <relationships>\n", f);
		put_rels(f, "depends", "constraint", d->depends, d->ndepends, false);
		put_rels(f, "conflicts", "constraint", d->conflicts, d->nconflicts, false);
		put_rels(f, "replaces", "constraint", d->replaces, d->nreplaces, false);
		put_rels(f, "provides", "provide", d->provides, d->nprovides, true);
		fputs("  </relationships>\n", f);
	}
	fputs("  <flags>\n", f);
	put_el(f, "    ", "live-install-allowed", d->live_install_allowed ? "true" : "false");
	put_el(f, "    ", "live-remove-allowed", d->live_remove_allowed ? "true" : "false");
	put_el(f, "    ", "stateless-ready", d->stateless_ready ? "true" : "false");
	fputs("  </flags>\n", f);
	if (d->nsticky) {
		fputs("  <sticky-files>\n", f);
		for (size_t i = 0; i < d->nsticky; i++)
			put_el(f, "    ", "file", d->sticky[i]);
		fputs("  </sticky-files>\n", f);
	}
	put_payloads(f, d);
	fputs("</vib>\n", f);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return rh_errf(err, -ENOMEM, "descriptor: out of memory");
	}
	if (len > VIB_DESC_MAX) {
		free(buf);
		return rh_errf(err, -E2BIG, "descriptor: %zu bytes, more than the limit of %u", len, VIB_DESC_MAX);
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}
