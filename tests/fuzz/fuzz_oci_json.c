/* fuzz_oci_json.c: the OCI index, manifest and config parsers and docker save's manifest.json parser never crash
 * or leak on any input; every refusal names the document; what is accepted holds valid digests only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tardisk/oci/oci_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(const struct rh_err *err, const char *what)
{
	if (strncmp(err->msg, what, strlen(what)))
		abort(); /* every refusal names the document */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_index x;
	struct oci_manifest m;
	struct oci_config c;
	struct docker_manifest d;
	struct rh_err err = { 0 };

	if (oci_index_parse(data, size, "index", &x, &err) == 0) {
		for (size_t i = 0; i < x.n; i++)
			if (!oci_digest_valid(x.m[i].digest))
				abort();
		oci_index_free(&x);
	} else {
		refused(&err, "index: ");
	}
	rh_err_clear(&err);
	if (oci_manifest_parse(data, size, "manifest", &m, &err) == 0) {
		if (!oci_digest_valid(m.config.digest))
			abort();
		for (size_t i = 0; i < m.nlayers; i++)
			if (!oci_digest_valid(m.layers[i].digest))
				abort();
		oci_manifest_free(&m);
	} else {
		refused(&err, "manifest: ");
	}
	rh_err_clear(&err);
	if (oci_config_parse(data, size, "config", &c, &err) < 0) {
		refused(&err, "config: ");
	} else {
		for (size_t i = 0; i < c.nlayers; i++)
			if (!oci_digest_valid(c.diff_ids[i]))
				abort();
		oci_config_free(&c);
	}
	rh_err_clear(&err);
	if (docker_manifest_parse(data, size, "manifest.json", &d, &err) == 0)
		docker_manifest_free(&d);
	else
		refused(&err, "manifest.json: ");
	return 0;
}
