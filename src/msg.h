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

#include "addr.h"
#include "err.h"

struct msg;

/*
 * Read a message from fd to EOF into a 0600 spool file in $TMPDIR
 * (default /tmp), unlinked at once.  Line endings may be LF or CRLF; a
 * leading mbox "From " line is dropped.  When dot_ends is set, a line
 * holding a single "." ends the input.  Headers end at the first empty
 * line, at the first line that is neither a field nor a continuation
 * (that line starts the body), or at EOF.
 * Errors: EX_DATAERR (NUL byte, header line over BOUND_HEADER_LINE,
 * header section over BOUND_HEADER_SECTION), EX_IOERR (read), EX_CANTCREAT
 * or EX_OSERR (spool).  On success *mp is owned by the caller (msg_free).
 */
int	 msg_read(struct msg **mp, int fd, int dot_ends, struct postie_err *);

/* Number of header fields, and field i's name and unfolded value. */
size_t	 msg_nheaders(const struct msg *);
const char *msg_header_name(const struct msg *, size_t i);
/* The value after the colon, folding removed, leading space trimmed. */
const char *msg_header_value(const struct msg *, size_t i);
/* Index of the first field named name (no case) at or after from; -1. */
ssize_t	 msg_header_find(const struct msg *, const char *name, size_t from);
/* Remove every field named name; returns how many. */
size_t	 msg_header_remove(struct msg *, const char *name);
/*
 * Add "name: value" (value must hold no CR, LF or NUL: EX_SOFTWARE) at
 * the end of the header section, or at the top when at_top.
 */
int	 msg_header_add(struct msg *, const char *name, const char *value,
	    int at_top, struct postie_err *);
/* Replace the value of field i (same rule on value). */
int	 msg_header_set(struct msg *, size_t i, const char *value,
	    struct postie_err *);

/*
 * Recipients for -t: the addresses in Resent-To/Resent-Cc/Resent-Bcc of
 * the most recent resent block when any Resent- field is present, else
 * To/Cc/Bcc, appended to out.  Errors: EX_DATAERR naming the field.
 */
int	 msg_recipients(const struct msg *, struct addr_list *out,
	    struct postie_err *);

/*
 * Bytes of the message as it will be sent (headers after edits + body)
 * once every line ends in CRLF, before dot-stuffing: the SIZE= value.
 */
off_t	 msg_size(const struct msg *);
/* 1 when the message holds bytes >= 0x80 (for BODY=8BITMIME). */
int	 msg_has_8bit(const struct msg *);
/* 1 when the input had no header/body separator and no headers. */
int	 msg_is_empty(const struct msg *);

/*
 * Stream the message as it will be sent: every header field (edits
 * applied, folding kept, lines ending LF), an empty line, then the body
 * bytes exactly as read (LF or CRLF).  out is called with chunks of up to
 * 64 KiB and returns 0 or -1 (its error is passed up).  The caller turns
 * the result into CRLF and dot-stuffs it for SMTP.  Errors: EX_IOERR.
 */
int	 msg_emit(struct msg *, int (*out)(void *arg, const char *buf,
	    size_t len, struct postie_err *), void *arg, struct postie_err *);

void	 msg_free(struct msg *);

#endif
