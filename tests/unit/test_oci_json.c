/* test_oci_json.c: tardisk/oci/oci_json.c. OCI index, manifest and config documents and docker save's
 * manifest.json parsed (every field read), and refused when malformed or hostile: not JSON, duplicate keys,
 * wrong schemaVersion, a bad or non-sha256 digest, a negative size, a string over its field, a list over the
 * limit, a document over 4 MiB. Table-driven: one row per document and its expected error. */
#include <errno.h>
#include <stdlib.h>

#include "tardisk/oci/oci_json.h"
#include "unit.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_index(void)
{
	const char doc[] = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
			   "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":7,"
			   "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
			   "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\",\"x\":\"y\"}},"
			   "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":9,"
			   "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}],\"future\":[1]}";
	struct oci_index x;
	struct rh_err err = { 0 };

	CHECK(oci_index_parse(doc, strlen(doc), "index.json", &x, &err) == 0);
	CHECK(x.n == 2 && x.m[0].size == 7 && !strcmp(x.m[0].digest, D1) && !strcmp(x.m[0].arch, "amd64") &&
	      !strcmp(x.m[0].ref_name, "v1") && !x.m[0].variant[0]);
	CHECK(x.n == 2 && !strcmp(x.m[1].arch, "arm64") && !strcmp(x.m[1].variant, "v8") && !x.m[1].ref_name[0]);
	oci_index_free(&x);
}

static void test_manifest_config_docker(void)
{
	const char man[] = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
			   "\"digest\":\"" D1 "\",\"size\":100},\"layers\":[{\"mediaType\":"
			   "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":5}]}";
	const char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
			   "\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
	const char dock[] = "[{\"Config\":\"abc.json\",\"RepoTags\":[\"demo:1\",\"demo:latest\"],\"Layers\":[\"a/layer.tar\","
			    "\"b/layer.tar\"]},{\"Config\":\"def.json\",\"RepoTags\":null,\"Layers\":[]}]";
	struct oci_manifest m;
	struct oci_config c;
	struct docker_manifest d;
	struct rh_err err = { 0 };
	const char *comp = NULL;

	CHECK(oci_manifest_parse(man, strlen(man), "manifest", &m, &err) == 0);
	CHECK(m.nlayers == 1 && m.layers[0].size == 5 && m.config.size == 100);
	CHECK(m.nlayers == 1 && oci_media_kind(m.layers[0].media_type, &comp) == OCI_KIND_LAYER && comp &&
	      !strcmp(comp, "gzip"));
	CHECK(oci_media_kind(m.config.media_type, NULL) == OCI_KIND_CONFIG);
	CHECK(oci_media_kind("application/vnd.oci.image.layer.v1.tar", &comp) == OCI_KIND_LAYER && !comp[0]);
	CHECK(oci_media_kind("application/vnd.oci.image.layer.v1.tar+lz4", NULL) == OCI_KIND_OTHER);
	oci_manifest_free(&m);
	CHECK(oci_config_parse(cfg, strlen(cfg), "config", &c, &err) == 0);
	CHECK(!strcmp(c.arch, "amd64") && !strcmp(c.os, "linux") && c.nlayers == 2 && !strcmp(c.diff_ids[1], D2));
	oci_config_free(&c);
	CHECK(docker_manifest_parse(dock, strlen(dock), "manifest.json", &d, &err) == 0);
	CHECK(d.n == 2 && d.v[0].ntags == 2 && !strcmp(d.v[0].tags[1], "demo:latest") && d.v[0].nlayers == 2 &&
	      !strcmp(d.v[0].layers[1], "b/layer.tar") && !strcmp(d.v[1].config, "def.json") && !d.v[1].ntags);
	docker_manifest_free(&d);
	CHECK(oci_digest_valid(D1) && !oci_digest_valid("sha512:11") && !oci_digest_valid(D1 "1") &&
	      !oci_digest_valid("sha256:111111111111111111111111111111111111111111111111111111111111111A"));
}

#define IDX(m) "{\"schemaVersion\":2,\"manifests\":[" m "]}"
#define ENT(d, extra) "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" d "\",\"size\":1" extra "}"

static const struct {
	const char *what, *doc;
	int rc;
	const char *msg;
} bad_index[] = {
	{ "not JSON", "{\"schemaVersion\":2,", -EBADMSG, "not valid JSON" },
	{ "an array", "[]", -EBADMSG, "not a JSON object" },
	{ "duplicate key", "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", -EBADMSG, "duplicate" },
	{ "schema 1", "{\"schemaVersion\":1,\"manifests\":[]}", -EBADMSG, "schemaVersion is not 2" },
	{ "no manifests", "{\"schemaVersion\":2}", -EBADMSG, "manifests is missing" },
	{ "manifests not a list", "{\"schemaVersion\":2,\"manifests\":{}}", -EBADMSG, "manifests is not an array" },
	{ "sha512", IDX(ENT("sha512:00", "")), -EBADMSG, "is not sha256: and 64 lowercase hex digits" },
	{ "uppercase hex", IDX(ENT("sha256:111111111111111111111111111111111111111111111111111111111111111A", "")),
	  -EBADMSG, "manifests[0].digest" },
	{ "no digest", IDX("{\"mediaType\":\"x\",\"size\":1}"), -EBADMSG, "manifests[0].digest is missing" },
	{ "no media type", IDX("{\"digest\":\"" D1 "\",\"size\":1}"), -EBADMSG, "manifests[0].mediaType is missing" },
	{ "negative size", IDX("{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":-1}"), -EBADMSG,
	  "manifests[0].size is missing or not a non-negative integer" },
	{ "size a string", IDX("{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":\"1\"}"), -EBADMSG, "size" },
	{ "platform not object", IDX(ENT(D1, ",\"platform\":[]")), -EBADMSG, "platform is not an object" },
	{ "platform without os", IDX(ENT(D1, ",\"platform\":{\"architecture\":\"amd64\"}")), -EBADMSG,
	  "manifests[0].platform is missing" },
	{ "long architecture", IDX(ENT(D1, ",\"platform\":{\"architecture\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
					  "\"os\":\"linux\"}")), -EBADMSG, "longer than 31 bytes" },
	{ "NUL in a string", IDX(ENT(D1, ",\"platform\":{\"architecture\":\"am\\u0000d64\",\"os\":\"linux\"}")),
	  -EBADMSG, "not allowed" },
	{ "annotation not a string", IDX(ENT(D1, ",\"annotations\":{\"org.opencontainers.image.ref.name\":1}")),
	  -EBADMSG, "is not a string" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_index) / sizeof(bad_index[0]); i++) {
		struct oci_index x;
		struct rh_err err = { 0 };
		int r = oci_index_parse(bad_index[i].doc, strlen(bad_index[i].doc), "index.json", &x, &err);

		if (r != bad_index[i].rc || !strstr(err.msg, bad_index[i].msg) || strncmp(err.msg, "index.json: ", 12)) {
			fprintf(stderr, "  %s: rc %d (want %d), msg '%s' (want '%s')\n", bad_index[i].what, r,
				bad_index[i].rc, err.msg, bad_index[i].msg);
			CHECK(0);
		}
		if (r == 0)
			oci_index_free(&x);
	}
}

#define S(lit) lit, sizeof(lit) - 1

/* Over the limits: a document over 4 MiB, a list over 1024 entries; and what the other parsers refuse. */
static void test_limits_and_others(void)
{
	size_t big = OCI_JSON_MAX + 1, n = 0;
	char *buf = malloc(big + 100000);
	struct oci_index x;
	struct oci_manifest m;
	struct oci_config c;
	struct docker_manifest d;
	struct rh_err err = { 0 };

	CHECK(buf != NULL);
	if (!buf)
		return;
	memset(buf, ' ', big);
	CHECK(oci_index_parse(buf, big, "index.json", &x, &err) == -E2BIG && strstr(err.msg, "more than the limit"));
	n = (size_t)sprintf(buf, "{\"schemaVersion\":2,\"manifests\":[");
	for (int i = 0; i < OCI_LIST_MAX + 1; i++)
		n += (size_t)sprintf(buf + n, "%s" ENT(D1, ""), i ? "," : "");
	n += (size_t)sprintf(buf + n, "]}");
	rh_err_clear(&err);
	CHECK(oci_index_parse(buf, n, "index.json", &x, &err) == -E2BIG && strstr(err.msg, "more than 1024"));
	rh_err_clear(&err);
	CHECK(oci_manifest_parse(S("{\"schemaVersion\":2,\"layers\":[]}"), "m", &m, &err) == -EBADMSG &&
	      strstr(err.msg, "m: config is not an object"));
	rh_err_clear(&err);
	CHECK(oci_config_parse(S("{\"architecture\":\"amd64\",\"os\":\"linux\"}"), "c", &c, &err) == -EBADMSG &&
	      strstr(err.msg, "rootfs is missing"));
	rh_err_clear(&err);
	CHECK(docker_manifest_parse(S("[{\"Config\":\"a\",\"Layers\":[1]}]"), "manifest.json", &d, &err) == -EBADMSG &&
	      strstr(err.msg, "Layers[0] is not a string"));
	rh_err_clear(&err);
	CHECK(docker_manifest_parse(S("{}"), "manifest.json", &d, &err) == -EBADMSG && strstr(err.msg, "not a JSON array"));
	free(buf);
}

int main(void)
{
	RUN(test_index);
	RUN(test_manifest_config_docker);
	RUN(test_bad);
	RUN(test_limits_and_others);
	UNIT_EXIT();
}
