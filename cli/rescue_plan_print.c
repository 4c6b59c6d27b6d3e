/* rescue_plan_print.c: a rescue plan as text and as JSON (`rescue plan`, and before `rescue repair` writes).
 *
 * JSON: {"disk": PATH, "sector": N, "bytes": N, "steps": [{"op", "arg", "fixes", "nothing", "extents":
 * [{"offset", "length", "first_lba", "last_lba", "why"}], "files": [{"partition", "path", "action", "size",
 * "detail"}], "variables": [{"name", "guid", "action", "length", "why"}]}]}. */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "print.h"
#include "recovery/repair.h"
#include "rescue_int.h"

static void text_step(size_t i, uint32_t sector, const struct repair_step *s)
{
	size_t k;

	cli_printf(stdout, "%2zu. %s%s%s%s%s%s\n", i + 1, rescue_op_name(s->op), s->arg[0] ? " " : "", s->arg,
		   s->code[0] ? " (fixes " : "", s->code, s->code[0] ? ")" : "");
	if (s->nothing) {
		printf("      nothing to write: already in place\n");
		return;
	}
	for (k = 0; k < s->w.nfile; k++)
		cli_printf(stdout, "      file %s %s: %s%s%s\n", s->w.file[k].part, s->w.file[k].path,
			   s->w.file[k].action, s->w.file[k].detail[0] ? ", " : "", s->w.file[k].detail);
	for (k = 0; k < s->w.next; k++) {
		const struct wset_ext *e = &s->w.ext[k];
		cli_printf(stdout, "      sectors %" PRIu64 "-%" PRIu64 " (%" PRIu64 " bytes): %s\n", e->off / sector,
			   (e->off + e->len - 1) / sector, e->len, e->why);
	}
	for (k = 0; k < s->w.nvar; k++)
		cli_printf(stdout, "      variable %s-%s: %s%s%s\n", s->w.var[k].name, s->w.var[k].guid,
			   s->w.var[k].del ? "delete" : "write", s->w.var[k].why[0] ? ", " : "", s->w.var[k].why);
}

static void json_step(uint32_t sector, const struct repair_step *s)
{
	size_t k;

	printf("{\"op\":");
	json_put_string(stdout, rescue_op_name(s->op));
	printf(",\"arg\":");
	json_put_string(stdout, s->arg);
	printf(",\"fixes\":");
	json_put_string(stdout, s->code);
	printf(",\"nothing\":%s,\"extents\":[", s->nothing ? "true" : "false");
	for (k = 0; k < s->w.next; k++) {
		const struct wset_ext *e = &s->w.ext[k];
		printf("%s{\"offset\":%" PRIu64 ",\"length\":%" PRIu64 ",\"first_lba\":%" PRIu64 ",\"last_lba\":%" PRIu64
		       ",\"why\":", k ? "," : "", e->off, e->len, e->off / sector, (e->off + e->len - 1) / sector);
		json_put_string(stdout, e->why);
		printf("}");
	}
	printf("],\"files\":[");
	for (k = 0; k < s->w.nfile; k++) {
		printf("%s{\"partition\":", k ? "," : "");
		json_put_string(stdout, s->w.file[k].part);
		printf(",\"path\":");
		json_put_string(stdout, s->w.file[k].path);
		printf(",\"action\":");
		json_put_string(stdout, s->w.file[k].action);
		printf(",\"size\":%" PRIu64 ",\"detail\":", s->w.file[k].size);
		json_put_string(stdout, s->w.file[k].detail);
		printf("}");
	}
	printf("],\"variables\":[");
	for (k = 0; k < s->w.nvar; k++) {
		printf("%s{\"name\":", k ? "," : "");
		json_put_string(stdout, s->w.var[k].name);
		printf(",\"guid\":");
		json_put_string(stdout, s->w.var[k].guid);
		printf(",\"action\":\"%s\",\"length\":%zu,\"why\":", s->w.var[k].del ? "delete" : "write",
		       s->w.var[k].len);
		json_put_string(stdout, s->w.var[k].why);
		printf("}");
	}
	printf("]}");
}

void rescue_print_plan(const char *disk, uint32_t sector, const struct repair_plan *p, int json)
{
	size_t i;

	if (json) {
		printf("{\"disk\":");
		json_put_string(stdout, disk);
		printf(",\"sector\":%" PRIu32 ",\"bytes\":%" PRIu64 ",\"steps\":[", sector, wset_bytes(&p->all));
		for (i = 0; i < p->nsteps; i++) {
			if (i)
				printf(",");
			json_step(sector, &p->steps[i]);
		}
		printf("]}");
		return;
	}
	if (!p->nsteps) {
		cli_printf(stdout, "%s: nothing to repair\n", disk);
		return;
	}
	cli_printf(stdout, "Plan for %s: %zu step%s, %" PRIu64 " bytes in %zu extent%s; nothing else is written.\n",
		   disk, p->nsteps, p->nsteps == 1 ? "" : "s", wset_bytes(&p->all), p->all.next,
		   p->all.next == 1 ? "" : "s");
	for (i = 0; i < p->nsteps; i++)
		text_step(i, sector, &p->steps[i]);
}
