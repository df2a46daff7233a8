/* SPDX-License-Identifier: ISC */
/*
 * TLS with OpenSSL: the client context built from an account (trust,
 * TLS 1.2 minimum, client certificate), the handshake over a socket
 * transport, verification (chain, host name, SHA-256 pin), and the TLS
 * transport for struct io.  Does not know about SMTP.
 */
#ifndef POSTIE_TLS_H
#define POSTIE_TLS_H

#include <stddef.h>

#include "conf.h"
#include "err.h"
#include "io.h"
#include "sysenv.h"

struct tls_client;

/*
 * Build the context from acct.  Trust: tls_trust_file when set, else the
 * system store (its hashed certificate directory, read lazily, when there
 * is one; else its bundle file; SSL_CERT_DIR and SSL_CERT_FILE as sys
 * read them).  No trust is loaded when a pin is set or tls_certcheck is
 * off.  The session cache (tls_session_cache) is kept under sys's
 * XDG_CACHE_HOME/postie, else HOME/.cache/postie; none without either.
 * tls_crl_file (when the chain is verified): its CRLs are checked for
 * every certificate of the chain below the trust anchor, each of which
 * needs one from its issuer (X509_V_FLAG_CRL_CHECK_ALL).
 * tls_host_override replaces the host given to the handshake.
 * Errors: EX_CONFIG naming the file or key (unreadable or unusable
 * tls_trust_file, tls_cert_file, tls_key_file or tls_crl_file, key not
 * matching the certificate, passphrase-protected key, only one of
 * tls_cert_file and tls_key_file, bad tls_min_version, tls_host_override
 * too long), EX_SOFTWARE.
 */
int	 tls_client_new(struct tls_client **, const struct account *,
	    const struct sysenv *sys, struct postie_err *);
void	 tls_client_free(struct tls_client *);

/*
 * Handshake over io, whose transport must be net_socket_ops with nothing
 * buffered; send SNI and verify host, or the account's tls_host_override
 * (unless a pin or tls_certcheck off says otherwise); on success the io
 * speaks TLS.  Errors: EX_NOPERM for a certificate that fails
 * verification, with the reason ("certificate has expired", "unknown
 * CA", "host name mismatch", "fingerprint mismatch", "certificate
 * revoked");
 * EX_TEMPFAIL when the connection fails or times out during the
 * handshake; EX_UNAVAILABLE for a protocol failure (no shared version);
 * EX_PROTOCOL when bytes are buffered (STARTTLS response injection).
 * On failure io is unchanged (still plain TCP).
 */
int	 tls_start(struct tls_client *, struct io *, const char *host,
	    struct postie_err *);

/*
 * When io speaks TLS: "TLSv1.3 TLS_AES_256_GCM_SHA384", and the peer
 * certificate's subject, issuer, validity and SHA-256 fingerprint, each a
 * line, for -v and --serverinfo.  Empty when io is not TLS.
 */
void	 tls_describe(struct io *, char *buf, size_t bufsz);

/*
 * The pieces tls_start is made of, for callers that hold a bare socket.
 * tls_handshake does the handshake on fd (made non-blocking) within
 * timeout_ms and verifies as tls_start does; on success *ctxp is a
 * tls_ops ctx that owns fd (tls_ops.close shuts TLS down and closes it).
 * On failure fd stays open and is the caller's.
 */
extern const struct io_ops tls_ops;
int	 tls_handshake(struct tls_client *, int fd, const char *host,
	    int timeout_ms, void **ctxp, struct postie_err *);
/*
 * Channel binding data of a tls_ops ctx (the io_set_cbind provider that
 * tls_start registers): under TLS 1.3 "tls-exporter" (RFC 9266, 32
 * bytes); under TLS 1.2 "tls-unique" (RFC 5929) when the extended master
 * secret was negotiated.  Returns 1 with type and buf filled, else 0.
 */
int	 tls_channel_binding(void *ctx, char *type, size_t typesz,
	    unsigned char *buf, size_t bufsz, size_t *lenp);
/* tls_describe for a tls_ops ctx. */
void	 tls_ctx_describe(void *ctx, char *buf, size_t bufsz);

#endif
