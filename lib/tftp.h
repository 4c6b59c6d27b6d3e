/* tftp.h: the TFTP protocol core for a read-only boot server — pure functions and state on (buf, len), no
 * sockets, no files, no clock, no malloc, never prints. The server (pxe-server/, not written yet) owns the
 * socket, the served tree (openat, O_NOFOLLOW or RESOLVE_BENEATH: symlinks leaving the tree are its job), the
 * clock and the log; it calls these functions for every decision about bytes on the wire.
 *
 *   RFC 1350  TFTP: RRQ/WRQ/DATA/ACK/ERROR, octet and netascii modes (mail is refused)
 *   RFC 2347  options as NUL-terminated name/value pairs after the mode, answered by an OACK
 *   RFC 2348  blksize 8..65464     RFC 2349  timeout 1..255 s, tsize     RFC 7440  windowsize 1..65535
 *
 * Block numbers: a transfer of S bytes with block size B has S / B + 1 DATA blocks, numbered 1..n; the last
 * is shorter than B (0 bytes when S is a multiple of B). The session counts blocks in 64 bits; on the wire the
 * number is the low 16 bits, so block 65536 goes out as 0 (the rollover to 0 that tftp-hpa, iPXE and the
 * Linux and U-Boot clients expect). An OACK is block 0 of the session: the client's ACK 0 answers it. */
#ifndef RAMHOST_TFTP_H
#define RAMHOST_TFTP_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode { TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4, TFTP_ERROR = 5, TFTP_OACK = 6 };

enum tftp_errcode {                  /* ERROR packet codes (RFC 1350, 8 from RFC 2347) */
	TFTP_ERR_UNDEF = 0, TFTP_ERR_NOT_FOUND = 1, TFTP_ERR_ACCESS = 2, TFTP_ERR_DISK_FULL = 3,
	TFTP_ERR_ILLEGAL = 4, TFTP_ERR_UNKNOWN_TID = 5, TFTP_ERR_EXISTS = 6, TFTP_ERR_NO_USER = 7,
	TFTP_ERR_OPTION = 8,
};

#define TFTP_OPT_BLKSIZE    0x1u
#define TFTP_OPT_TSIZE      0x2u
#define TFTP_OPT_TIMEOUT    0x4u
#define TFTP_OPT_WINDOWSIZE 0x8u

#define TFTP_MAX_OPTIONS    16      /* options in one request, unknown ones included */
#define TFTP_PATH_MAX       255     /* bytes of a requested file name */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN    8
#define TFTP_BLKSIZE_MAX    65464
#define TFTP_HDR            4       /* opcode + block number before DATA */

struct tftp_option {
	const char *name;   /* both point into the request buffer, NUL-terminated there */
	const char *value;
};

/* A parsed RRQ or WRQ. The strings point into the caller's buffer, which must outlive the request. */
struct tftp_request {
	int opcode;          /* TFTP_RRQ or TFTP_WRQ (a WRQ parses; tftp_negotiate refuses it) */
	const char *filename;
	int netascii;        /* 1 for mode netascii, 0 for octet */
	unsigned asked;      /* TFTP_OPT_* the client asked for, with valid values */
	unsigned blksize;    /* the values asked for, meaningful when the bit is in asked */
	uint64_t tsize;
	unsigned timeout;    /* seconds */
	unsigned windowsize;
	unsigned n_options;  /* every option, unknown ones included (kept, ignored) */
	struct tftp_option options[TFTP_MAX_OPTIONS];
};

/* What the server allows; tftp_limits_default fills the usual values. */
struct tftp_limits {
	unsigned max_blksize;      /* 8..65464: MTU - 32 (IP 20, UDP 8, TFTP 4), 1468 on Ethernet */
	unsigned max_window;       /* 1..65535, 64 by default */
	unsigned initial_rto_ms;   /* first retransmission timeout when the client names none (1000) */
	unsigned max_rto_ms;       /* the backoff doubles up to this (8000) */
	unsigned max_retries;      /* retransmissions of one window before giving up (5) */
};

/* A transfer's state. The fields are the session's; the server reads blksize, tsize, acked, deadline_ms. */
struct tftp_session {
	unsigned blksize, windowsize, timeout_s;
	unsigned oack;         /* TFTP_OPT_* to put in the OACK; 0: no OACK, DATA 1 goes first */
	uint64_t tsize;        /* the file's size, the bytes served */
	uint64_t nblocks;      /* DATA blocks: tsize / blksize + 1 */
	uint64_t una;          /* first block not acknowledged (0 while the OACK waits for ACK 0) */
	uint64_t nxt;          /* next block to send; una <= nxt <= una + windowsize */
	uint64_t deadline_ms;  /* retransmit when now_ms reaches this with blocks outstanding */
	unsigned rto_ms, retries;
	int fixed_rto;         /* the client named a timeout: no backoff (RFC 2349) */
	unsigned max_rto_ms, max_retries, initial_rto_ms;
};

/* One packet to send, as tftp_session_next describes it. */
struct tftp_send {
	uint64_t block;   /* 0: the OACK (tftp_build_oack); else DATA of this block */
	uint16_t wire;    /* the block number on the wire: block & 0xffff */
	uint64_t offset;  /* DATA: file offset of its bytes */
	size_t len;       /* DATA: bytes, 0..blksize */
};

/* The opcode of a packet (1..6), or -EINVAL when it is shorter than 2 bytes or names no opcode. */
int tftp_opcode(const uint8_t *buf, size_t len);

/* Parses an RRQ or WRQ in buf[0..len) into *ret (set only on success; its strings point into buf). Returns 0,
 * -EINVAL for a malformed request (not RRQ/WRQ, a field without its NUL inside len, an option without a value,
 * more than TFTP_MAX_OPTIONS, a duplicate option, a mode other than octet/netascii: mail is refused), or
 * -ERANGE for a known option whose value is not a decimal number in its range; *why (may be NULL) is a static
 * phrase. Names and modes are case-insensitive; an empty option name ends the list (some ROMs pad requests
 * with zeros). Never reads past len. */
int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *ret, const char **why);

/* The path rule of a read-only served tree: 0 and *ret_rel (into name) the path relative to the tree, or
 * -EACCES with *why. One leading '/' is accepted and stripped (PXE ROMs send "pxelinux.0", iPXE and GRUB may send
 * "/pxelinux.0"); refused: empty, "//..." (absolute after the strip), an empty, "." or ".." component (so also a
 * trailing '/'), a backslash, a control byte (below 0x20 or 0x7f), and more than TFTP_PATH_MAX bytes. Bytes
 * from 0x80 pass (the server escapes names it prints). Symlinks are not seen here: the server opens with
 * openat beneath the tree root and refuses links that leave it. */
int tftp_path_check(const char *name, const char **ret_rel, const char **why);

/* Fills *lim with the defaults above. */
void tftp_limits_default(struct tftp_limits *lim);

/* Starts the session of a read request for a file of file_size bytes: blksize = the client's, clamped to
 * lim->max_blksize (512 when not asked), windowsize likewise to lim->max_window (1), timeout the client's
 * (then fixed) or lim->initial_rto_ms with backoff; tsize is acknowledged as file_size when asked. The options
 * acknowledged are in ret->oack. Returns 0, -EPERM for a WRQ (the tree is read-only: send TFTP_ERR_ACCESS),
 * or -EINVAL for limits out of range; *why (may be NULL) says which. */
int tftp_negotiate(const struct tftp_request *rq, const struct tftp_limits *lim, uint64_t file_size,
		   struct tftp_session *ret, const char **why);

/* The ERROR code to answer an rc of the functions above with: -ERANGE TFTP_ERR_OPTION, -EACCES and -EPERM
 * TFTP_ERR_ACCESS, -ENOENT TFTP_ERR_NOT_FOUND, anything else TFTP_ERR_ILLEGAL. */
int tftp_error_code(int rc);

/* Packet builders: each writes into buf (cap bytes) and returns the packet's length, or -ENOSPC when it
 * does not fit (buf then unspecified). */
int tftp_build_oack(const struct tftp_session *s, uint8_t *buf, size_t cap);
/* data may be buf + TFTP_HDR (the caller read the file there): the copy is a memmove. n <= 65464. */
int tftp_build_data(uint8_t *buf, size_t cap, uint16_t wire_block, const uint8_t *data, size_t n);
/* msg is cut to fit cap (and to 511 bytes); the packet always ends with its NUL. */
int tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);

/* Parses an ACK: 0 and *ret_block, or -EINVAL. Bytes after the first 4 are ignored (padding). */
int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block);
/* Parses an ERROR: 0, *ret_code and the message *ret_msg / *ret_msglen (into buf, up to its NUL or len: it
 * may not be NUL-terminated), or -EINVAL. */
int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code, const char **ret_msg,
		     size_t *ret_msglen);

/* The transfer state machine, pure: the caller passes the time. Start once, then loop:
 *     while ((rc = tftp_session_next(s, now, &pkt)) == 1) send pkt;   (rc < 0: give up, ERROR code 0)
 *     wait for a packet or s->deadline_ms; on an ACK, tftp_session_ack(s, block, now)
 * until tftp_session_done(s). */
void tftp_session_start(struct tftp_session *s, uint64_t now_ms);

/* Takes the client's ACK of wire block b. Returns 1 when it acknowledges new blocks (the window slides; an
 * ACK short of the last block sent means the client lost the next one, and the window restarts after it, as
 * RFC 7440 says), 0 when it is ignored: a duplicate (no retransmission on a duplicate ACK, which would start
 * the Sorcerer's Apprentice), or stale (a block not sent yet, or one acknowledged 65536 blocks ago). */
int tftp_session_ack(struct tftp_session *s, uint16_t b, uint64_t now_ms);

/* Describes the next packet to send now in *ret and returns 1; 0 when there is nothing to send before
 * s->deadline_ms (or the transfer is done); -ETIMEDOUT when the retries are spent. When now_ms has reached
 * the deadline with blocks outstanding, the window is resent from the first unacknowledged block and the
 * timeout doubles (up to max_rto_ms; not when the client named one). Every packet described restarts the
 * deadline. */
int tftp_session_next(struct tftp_session *s, uint64_t now_ms, struct tftp_send *ret);

/* 1 when the last block is acknowledged. */
int tftp_session_done(const struct tftp_session *s);

#endif
