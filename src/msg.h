/* SPDX-License-Identifier: ISC */
/*
 * The message: stdin spooled to a private unlinked file, the header
 * section parsed and held in memory (bounded), header edits, and the
 * envelope taken from headers.  The body is never held in memory.
 * Does not know about SMTP or the config.
 */
#ifndef POSTIE_MSG_H
#define POSTIE_MSG_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "err.h"

struct msg;

/*
 * Read a message from fd to EOF into a 0600 spool file in spool_dir (the
 * caller's temporary directory: sysenv_tmpdir), unlinked at once.  Line endings may be LF or CRLF; a
 * CR not followed by LF is no line end: in a header field (value or
 * continuation) it becomes a space, so that no CR reaches the wire
 * inside the header section; in the body it is kept.  A line that is
 * not a field but for a bare CR ("Bcc\r: x") is not made one.  A
 * leading mbox "From " line is dropped.  When dot_ends is set, a line
 * holding a single "." (LF or CRLF) ends the input: reading stops there
 * and neither the dot nor what follows is part of the message.  Headers
 * end at the first empty line, at the first line that is neither a field
 * nor a continuation (that line starts the body; a continuation line
 * before any field is such a line), or at EOF.  Only the header section
 * is kept in memory; the body goes to the spool file in blocks.
 * Header lines are limited to BOUND_HEADER_LINE bytes (not counting CR
 * LF), the header section to BOUND_HEADER_SECTION bytes as read and
 * BOUND_HEADER_FIELDS fields; body lines have no limit.
 * Errors: EX_DATAERR (NUL byte anywhere, "message holds a NUL byte at
 * line N"; "header line N longer than 998 bytes"; header section over
 * BOUND_HEADER_SECTION or BOUND_HEADER_FIELDS), EX_IOERR (read, or
 * writing the spool), EX_CANTCREAT or EX_OSERR (spool).  On success *mp
 * is owned by the caller (msg_free).
 */
int	 msg_read(struct msg **mp, int fd, int dot_ends, const char *spool_dir,
	    struct postie_err *);

/*
 * msg_read, but when the input is refused for its content (EX_DATAERR),
 * the rest of fd is still read and *keptp (when keptp is not NULL) holds
 * the input as it came, so that it can be stored rather than lost: the
 * header fields read before the fault, then, as the body, everything
 * from the start of the faulty line or block to EOF.  *keptp is NULL
 * when there is nothing to keep or on any other error; owned by the
 * caller (msg_free).
 */
int	 msg_read_keep(struct msg **mp, struct msg **keptp, int fd,
	    int dot_ends, const char *spool_dir, struct postie_err *);

/* Number of header fields, and field i's name and unfolded value. */
size_t	 msg_nheaders(const struct msg *);
const char *msg_header_name(const struct msg *, size_t i);
/*
 * The value after the colon, folding removed (every LF or CRLF dropped),
 * leading space trimmed.  Name and value belong to the message and stay
 * valid until that field is edited or removed.
 */
const char *msg_header_value(const struct msg *, size_t i);
/* Index of the first field named name (no case) at or after from; -1. */
ssize_t	 msg_header_find(const struct msg *, const char *name, size_t from);
/* Remove every field named name; returns how many. */
size_t	 msg_header_remove(struct msg *, const char *name);
/*
 * Add "name: value" (value must hold no CR, LF or NUL: EX_SOFTWARE; name
 * must be printable ASCII without space or colon: EX_SOFTWARE) at the end
 * of the header section, or at the top when at_top (trace fields such as
 * Received:).  An empty value gives "name:".  Long values are not folded.
 * Errors also EX_OSERR (memory).
 */
int	 msg_header_add(struct msg *, const char *name, const char *value,
	    int at_top, struct postie_err *);
/*
 * Replace the value of field i (same rule on value); the field becomes
 * "name: value" on one line, name as it was written.
 */
int	 msg_header_set(struct msg *, size_t i, const char *value,
	    struct postie_err *);

/*
 * Recipients for -t: the addresses in Resent-To/Resent-Cc/Resent-Bcc of
 * the most recent resent block when any Resent- field is present, else
 * To/Cc/Bcc, appended to out.  The most recent block is the topmost
 * (RFC 5322 3.6.6); it runs from the first Resent- field to the next
 * Received: or Return-Path: or to a second Resent-Date or Resent-From.
 * Errors: EX_DATAERR "bad address list in Cc: ..." naming the field as
 * written; EX_OSERR.
 */
int	 msg_recipients(const struct msg *, struct addr_list *out,
	    struct postie_err *);

/*
 * Field i as it will be sent: "Name: value" with its folding, each line
 * ending in LF; *lenp gets its length.  Belongs to the message, valid
 * until that field is edited or removed.
 */
const char *msg_header_raw(const struct msg *, size_t i, size_t *lenp);

/*
 * Bytes of the message as msg_emit gives it (headers after edits + body)
 * once on the wire as smtp_dot_write sends it: every LF, CRLF and lone CR
 * a CRLF, a CRLF added after a last line without one; dot-stuffing not
 * counted.  The SIZE= value of a message sent as it is.
 */
off_t	 msg_size(const struct msg *);
/*
 * 1 when the message holds bytes >= 0x80 (for BODY=8BITMIME), in the
 * header section as edited or in the body.
 */
int	 msg_has_8bit(const struct msg *);
/* 1 when the body, or the header section as edited, holds bytes >= 0x80. */
int	 msg_body_8bit(const struct msg *);
int	 msg_head_8bit(const struct msg *);
/*
 * Octets in the body's longest line, not counting its line end (LF,
 * CRLF, or a lone CR, which is sent as a line end).
 */
off_t	 msg_body_longest_line(const struct msg *);
/* Bytes of the body as spooled (as read: LF or CRLF). */
off_t	 msg_body_size(const struct msg *);
/*
 * The body alone, as msg_emit gives it after the empty line (out as for
 * msg_emit).
 */
int	 msg_emit_body(struct msg *, int (*out)(void *arg, const char *buf,
	    size_t len, struct postie_err *), void *arg, struct postie_err *);
/*
 * 1 when the input held nothing: no header, no separator, no body (empty
 * stdin, or a "." line first with dot_ends).
 */
int	 msg_is_empty(const struct msg *);

/*
 * Stream the message as it will be sent: every header field (edits
 * applied, folding kept, lines ending LF), an empty line, then the body
 * bytes exactly as read (LF or CRLF).  out is called with chunks of up to
 * 64 KiB and returns 0 or -1 (its error is passed up).  The caller turns
 * the result into CRLF and dot-stuffs it for SMTP.  May be called any
 * number of times.  Errors: EX_IOERR, EX_OSERR.
 */
int	 msg_emit(struct msg *, int (*out)(void *arg, const char *buf,
	    size_t len, struct postie_err *), void *arg, struct postie_err *);

/*
 * RFC 5322 3.3 date-time of t in local time with a numeric zone, in the
 * C locale's names, into buf (MSG_DATE_LEN bytes suffice).  -1 when it
 * cannot be formatted.
 */
#define MSG_DATE_LEN	64
int	 msg_date(time_t t, char *buf, size_t bufsz);

void	 msg_free(struct msg *);

#endif
