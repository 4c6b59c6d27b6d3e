/* loop.h: the poll loop that DHCP and TFTP share (one thread; HTTP runs in libmicrohttpd's own thread).
 * Sockets are added with a callback; timers are "tick" callbacks that say when they next need to run. */
#ifndef RAMHOST_PXE_LOOP_H
#define RAMHOST_PXE_LOOP_H

#include <signal.h>
#include <stdint.h>

struct pxe_loop;

typedef void (*pxe_fd_fn)(void *ctx, int fd, short revents);
/* Runs due work at now_ms; returns the next time (ms, CLOCK_MONOTONIC) it wants to run, or -1 for none. */
typedef int64_t (*pxe_tick_fn)(void *ctx, uint64_t now_ms);

int pxe_loop_new(struct pxe_loop **ret);
void pxe_loop_free(struct pxe_loop *l);
/* Watches fd for events (POLLIN ...). At most 1024 descriptors. 0, -EEXIST, -ENOSPC. */
int pxe_loop_add_fd(struct pxe_loop *l, int fd, short events, pxe_fd_fn fn, void *ctx);
/* Changes the events of a watched fd (e.g. POLLOUT when a send would block). */
int pxe_loop_mod_fd(struct pxe_loop *l, int fd, short events);
void pxe_loop_del_fd(struct pxe_loop *l, int fd);
/* Adds a tick; it first runs on the next round. A tick that returned -1 runs again after pxe_loop_wake_ticks. */
int pxe_loop_add_tick(struct pxe_loop *l, pxe_tick_fn fn, void *ctx);
/* Removes the tick (fn, ctx) added before; a no-op when absent. For a component stopped while the loop lives. */
void pxe_loop_del_tick(struct pxe_loop *l, pxe_tick_fn fn, void *ctx);
/* Makes every tick run on the next round (call it when new work starts, e.g. a new transfer). */
void pxe_loop_wake_ticks(struct pxe_loop *l);
/* Runs until *stop is set (checked at least every 200 ms and after every wakeup). Returns 0 or -errno. */
int pxe_loop_run(struct pxe_loop *l, volatile sig_atomic_t *stop);
uint64_t pxe_now_ms(void);

#endif
