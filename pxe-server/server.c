/* server.c: the shared server object's own pieces (server.h): the configuration snapshot's references and the
 * one log line per host per step. */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "status.h"

/* Guards every snapshot's count (snapshots do not know their server); srv->lock guards srv->cfg. */
static pthread_mutex_t refs_lock = PTHREAD_MUTEX_INITIALIZER;

struct pxe_config *pxe_config_get(struct pxe_server *srv)
{
	struct pxe_config *cfg;

	pthread_mutex_lock(&srv->lock);
	cfg = srv->cfg;
	pthread_mutex_lock(&refs_lock);
	if (cfg)
		cfg->refs++;
	pthread_mutex_unlock(&refs_lock);
	pthread_mutex_unlock(&srv->lock);
	return cfg;
}

void pxe_config_put(struct pxe_config *cfg)
{
	int last;

	if (!cfg)
		return;
	pthread_mutex_lock(&refs_lock);
	last = --cfg->refs == 0;
	pthread_mutex_unlock(&refs_lock);
	if (last)
		pxe_config_free(cfg);
}

void pxe_event(struct pxe_server *srv, const uint8_t *mac, const char *step, const char *fmt, ...)
{
	char text[768], line[1024], m[MAC_TEXT] = "-";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (mac)
		mac_format(mac, ':', m);
	snprintf(line, sizeof line, "pxe: %s %s %s", m, step, text);
	if (srv->log)
		srv->log(srv->log_ctx, line);
	if (mac)
		pxe_status_note(srv->status, m, step, text);
}
