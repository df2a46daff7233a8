/* SPDX-License-Identifier: ISC */
/*
 * Tests for tls.c: a CA and server certificates (good, expired, not yet
 * valid, wrong name, self-signed, from an unrelated CA) are made at run
 * time with OpenSSL's C API; a forked server on 127.0.0.1 speaks TLS with
 * one of them, and each test asserts the exit code and the words of what
 * the client concludes.  No outside network.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "err.h"
#include "io.h"
#include "net.h"
#include "sysenv.h"
#include "tls.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate	SSL_get_peer_certificate
#endif

#define SAN_LOCAL	"DNS:localhost,IP:127.0.0.1"

enum which {
	C_GOOD, C_EXPIRED, C_NOTYET, C_WRONGNAME, C_SELFSIGNED, C_OTHERCA,
	C_CLIENT, C_COUNT
};

static EVP_PKEY *ca_key, *other_ca_key, *keys[C_COUNT];
static X509 *ca_cert, *other_ca_cert, *certs[C_COUNT];
static char tmpdir[64];
static char ca_file[128], client_cert_file[128], client_key_file[128];
static char other_key_file[128], locked_key_file[128], junk_file[128];
static char missing_file[128];
static long serial = 1;
/*
 * The surroundings the clients are made in: no cache directory, no
 * certificate variables, whatever the environment of the test says.
 */
static struct sysenv *senv;

/* Certificates. */

static EVP_PKEY *
make_key(void)
{
	EVP_PKEY_CTX *pc;
	EVP_PKEY *k = NULL;

	pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (pc == NULL || EVP_PKEY_keygen_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(pc, &k) != 1)
		abort();
	EVP_PKEY_CTX_free(pc);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		abort();
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed.  Validity in days from now. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san, int ca,
    X509 *issuer, EVP_PKEY *ikey, long from, long until)
{
	X509_NAME *name;
	X509 *x;

	if ((x = X509_new()) == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), until * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"postie test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	if (issuer == NULL)
		issuer = x;
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
		if (san != NULL)
			add_ext(x, issuer, NID_subject_alt_name, san);
	}
	if (X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) == 0)
		abort();
	return x;
}

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k, const char *pass)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (x != NULL && PEM_write_X509(fp, x) != 1)
		abort();
	if (k != NULL && PEM_write_PrivateKey(fp, k,
	    pass != NULL ? EVP_aes_256_cbc() : NULL,
	    (unsigned char *)(uintptr_t)pass, pass != NULL ?
	    (int)strlen(pass) : 0, NULL, NULL) != 1)
		abort();
	fclose(fp);
}

/* A sysenv of one variable (NULL: none), with a home that is not. */
static struct sysenv *
senv_with(const char *var)
{
	const char *vars[] = { "HOME=/nonexistent/home", var, NULL };
	struct postie_err e;
	struct sysenv *s;

	if (sysenv_load_from(&s, vars, geteuid(), &e) == -1)
		abort();
	return s;
}

static void
make_all(void)
{
	int i;

	senv = senv_with(NULL);
	ca_key = make_key();
	other_ca_key = make_key();
	for (i = 0; i < C_COUNT; i++)
		keys[i] = make_key();
	ca_cert = make_cert(ca_key, "postie test CA", NULL, 1, NULL, NULL,
	    -1, 30);
	other_ca_cert = make_cert(other_ca_key, "postie other CA", NULL, 1,
	    NULL, NULL, -1, 30);
	certs[C_GOOD] = make_cert(keys[C_GOOD], "localhost", SAN_LOCAL, 0,
	    ca_cert, ca_key, -1, 30);
	certs[C_EXPIRED] = make_cert(keys[C_EXPIRED], "localhost", SAN_LOCAL,
	    0, ca_cert, ca_key, -30, -1);
	certs[C_NOTYET] = make_cert(keys[C_NOTYET], "localhost", SAN_LOCAL, 0,
	    ca_cert, ca_key, 1, 30);
	certs[C_WRONGNAME] = make_cert(keys[C_WRONGNAME], "wrong.example",
	    "DNS:wrong.example", 0, ca_cert, ca_key, -1, 30);
	certs[C_SELFSIGNED] = make_cert(keys[C_SELFSIGNED], "localhost",
	    SAN_LOCAL, 0, NULL, NULL, -1, 30);
	certs[C_OTHERCA] = make_cert(keys[C_OTHERCA], "localhost", SAN_LOCAL,
	    0, other_ca_cert, other_ca_key, -1, 30);
	certs[C_CLIENT] = make_cert(keys[C_CLIENT], "postie client", NULL, 0,
	    ca_cert, ca_key, -1, 30);

	strlcpy(tmpdir, "/tmp/check_tls.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		abort();
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", tmpdir);
	snprintf(client_cert_file, sizeof(ca_file), "%s/client.pem", tmpdir);
	snprintf(client_key_file, sizeof(ca_file), "%s/client.key", tmpdir);
	snprintf(other_key_file, sizeof(ca_file), "%s/other.key", tmpdir);
	snprintf(locked_key_file, sizeof(ca_file), "%s/locked.key", tmpdir);
	snprintf(junk_file, sizeof(ca_file), "%s/junk", tmpdir);
	snprintf(missing_file, sizeof(ca_file), "%s/missing.pem", tmpdir);
	write_pem(ca_file, ca_cert, NULL, NULL);
	write_pem(client_cert_file, certs[C_CLIENT], NULL, NULL);
	write_pem(client_key_file, NULL, keys[C_CLIENT], NULL);
	write_pem(other_key_file, NULL, keys[C_GOOD], NULL);
	write_pem(locked_key_file, NULL, keys[C_CLIENT], "secret");
	write_pem(junk_file, NULL, NULL, NULL);
}

static void
remove_all(void)
{
	const char *files[] = { ca_file, client_cert_file, client_key_file,
	    other_key_file, locked_key_file, junk_file };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(tmpdir);
	sysenv_free(senv);
}

static void
sha256_hex(X509 *x, unsigned char md[32], char *hex, size_t hexsz)
{
	unsigned int len = 0, i;
	size_t o = 0;

	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &len), 1);
	ck_assert_uint_eq(len, 32);
	for (i = 0; i < len; i++)
		o += (size_t)snprintf(hex + o, hexsz - o, "%s%02X",
		    i > 0 ? ":" : "", md[i]);
}

/* The server. */

enum srv_mode {
	SRV_TLS,	/* handshake, "220 hello", echo a line, close_notify */
	SRV_DROP,	/* handshake, then close without close_notify */
	SRV_SILENT,	/* accept TCP, never answer */
	SRV_CLOSE,	/* accept TCP, close at once */
	SRV_INJECT,	/* plain: two lines at once, then wait */
	SRV_CBIND	/* handshake, its channel binding in a line, wait */
};

/* Exit codes of the server process. */
#define SRV_OK		0
#define SRV_EACCEPT	10
#define SRV_ESNI	11
#define SRV_ECLIENT	12
#define SRV_EIO		13

struct srv {
	enum srv_mode mode;
	enum which cert;
	int	 max_version;
	int	 min_version;
	int	 client_cert;	/* request and require one */
	int	 no_ems;	/* refuse the extended master secret */
	const char *sni;	/* expected; "" none; NULL: do not check */
	int	 port;
	pid_t	 pid;
};

/*
 * The server's own view of the channel binding (RFC 9266 2, RFC 5929
 * 3.1), as "TYPE HEX" in line: under TLS 1.3 the exporter; under TLS 1.2
 * with the extended master secret the first Finished message of the
 * handshake (the client's in a full one, the server's own when the
 * session was resumed); else "none".
 */
static void
srv_cbind(SSL *ssl, char *line, size_t linesz)
{
	unsigned char cb[64];
	size_t n, i, o;

	if (SSL_version(ssl) >= TLS1_3_VERSION) {
		if (SSL_export_keying_material(ssl, cb, 32,
		    "EXPORTER-Channel-Binding", 24, NULL, 0, 0) != 1)
			_exit(SRV_EIO);
		n = 32;
		o = strlcpy(line, "tls-exporter ", linesz);
	} else if (SSL_get_extms_support(ssl) == 1) {
		/* Resumed: the abbreviated handshake's first is the server's. */
		n = SSL_session_reused(ssl) ?
		    SSL_get_finished(ssl, cb, sizeof(cb)) :
		    SSL_get_peer_finished(ssl, cb, sizeof(cb));
		if (n == 0 || n > sizeof(cb))
			_exit(SRV_EIO);
		o = strlcpy(line, "tls-unique ", linesz);
	} else {
		n = 0;
		o = strlcpy(line, "none", linesz);
	}
	for (i = 0; i < n && o < linesz; i++)
		o += (size_t)snprintf(line + o, linesz - o, "%02x", cb[i]);
	if (o + 2 >= linesz)
		_exit(SRV_EIO);
	strlcat(line, "\r\n", linesz);
}

static void
srv_tls(struct srv *s, int c)
{
	char buf[256], cn[64];
	size_t got = 0, n;
	const char *name;
	SSL_CTX *ctx;
	X509 *peer;
	SSL *ssl;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, certs[s->cert]) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, keys[s->cert]) != 1)
		_exit(SRV_EACCEPT);
	if (s->max_version != 0) {
		SSL_CTX_set_max_proto_version(ctx, s->max_version);
		/* Let this OpenSSL offer the old versions at all. */
		if (s->max_version < TLS1_2_VERSION)
			SSL_CTX_set_security_level(ctx, 0);
	}
	if (s->min_version != 0)
		SSL_CTX_set_min_proto_version(ctx, s->min_version);
#ifdef SSL_OP_NO_EXTENDED_MASTER_SECRET
	if (s->no_ems)
		SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
#endif
	if (s->client_cert) {
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca_cert);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) != 1)
		_exit(SRV_EACCEPT);
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (s->sni != NULL && strcmp(s->sni, name != NULL ? name : "") != 0)
		_exit(SRV_ESNI);
	if (s->client_cert) {
		if ((peer = SSL_get1_peer_certificate(ssl)) == NULL ||
		    X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, cn, sizeof(cn)) < 0 ||
		    strcmp(cn, "postie client") != 0)
			_exit(SRV_ECLIENT);
		X509_free(peer);
	}
	if (s->mode == SRV_DROP) {
		close(c);
		_exit(SRV_OK);
	}
	if (s->mode == SRV_CBIND) {
		srv_cbind(ssl, buf, sizeof(buf));
		if (SSL_write(ssl, buf, (int)strlen(buf)) != (int)strlen(buf))
			_exit(SRV_EIO);
		/* Until the client closes. */
		while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
			;
		_exit(SRV_OK);
	}
	if (SSL_write(ssl, "220 hello\r\n", 11) != 11)
		_exit(SRV_EIO);
	while (memchr(buf, '\n', got) == NULL && got < sizeof(buf)) {
		if (SSL_read_ex(ssl, buf + got, sizeof(buf) - got, &n) != 1)
			_exit(SRV_EIO);
		got += n;
	}
	if (SSL_write(ssl, buf, (int)got) != (int)got)
		_exit(SRV_EIO);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(c);
	_exit(SRV_OK);
}

static void
srv_start(struct srv *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[64];
	int lfd, c;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid != 0) {
		close(lfd);
		return;
	}
	alarm(10);
	signal(SIGPIPE, SIG_IGN);
	if ((c = accept(lfd, NULL, NULL)) == -1)
		_exit(SRV_EACCEPT);
	close(lfd);
	switch (s->mode) {
	case SRV_SILENT:
		while (read(c, buf, sizeof(buf)) > 0)
			;
		_exit(SRV_OK);
	case SRV_CLOSE:
		close(c);
		_exit(SRV_OK);
	case SRV_INJECT:
		if (write(c, "220 ready\r\n250 injected\r\n", 25) != 25)
			_exit(SRV_EIO);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		_exit(SRV_OK);
	default:
		srv_tls(s, c);
	}
}

static int
srv_wait(struct srv *s)
{
	int status;

	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The client. */

static void
acct_init(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->name = "test";
	a->host = "localhost";
	a->timeout = 2;
	a->tls = 1;
	a->tls_certcheck = 1;
	a->tls_trust_file = ca_file;
}

/* Connect to s as host and start TLS; *iop is set on success. */
static int
client(struct srv *s, const char *host, const struct account *a,
    struct io **iop, struct postie_err *err)
{
	struct tls_client *tc;
	struct io *io;
	int fd, rv;

	*iop = NULL;
	err_clear(err);
	ck_assert_msg(tls_client_new(&tc, a, senv, err) == 0, "%s", err->msg);
	fd = net_connect(host, s->port, NULL, a->timeout, err);
	ck_assert_msg(fd >= 0, "%s", err->msg);
	io = net_io_new(fd, a->timeout);
	ck_assert_ptr_nonnull(io);
	rv = tls_start(tc, io, host, err);
	tls_client_free(tc);
	if (rv == -1) {
		/* A failed start leaves plain TCP behind. */
		ck_assert_ptr_eq(io_transport(io), &net_socket_ops);
		io_free(io);
		return -1;
	}
	ck_assert_ptr_eq(io_transport(io), &tls_ops);
	*iop = io;
	return 0;
}

/* The exchange with SRV_TLS: greeting, one line echoed, end of stream. */
static void
converse(struct io *io)
{
	struct postie_err err;
	char line[256];
	size_t len;

	ck_assert_msg(io_readline(io, line, sizeof(line), &len, &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq(line, "220 hello");
	ck_assert_int_eq(io_printf(io, &err, "EHLO client.example\r\n"), 0);
	ck_assert_msg(io_flush(io, &err) == 0, "%s", err.msg);
	ck_assert_msg(io_readline(io, line, sizeof(line), &len, &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq(line, "EHLO client.example");
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "connection closed by server");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verification: the good certificate under both names, and the bad ones. */

struct verify_case {
	enum which cert;
	const char *host;
	int	 ex;		/* 0: success */
	const char *msg;	/* exact, when ex != 0 */
};

static const struct verify_case verify_cases[] = {
	{ C_GOOD, "localhost", 0, NULL },
	{ C_GOOD, "127.0.0.1", 0, NULL },
	{ C_EXPIRED, "localhost", EX_NOPERM,
	  "certificate verification failed: certificate has expired" },
	{ C_NOTYET, "localhost", EX_NOPERM,
	  "certificate verification failed: certificate is not yet valid" },
	{ C_WRONGNAME, "localhost", EX_NOPERM,
	  "certificate verification failed: host name mismatch "
	  "(certificate is for wrong.example, expected localhost)" },
	{ C_WRONGNAME, "127.0.0.1", EX_NOPERM,
	  "certificate verification failed: IP address mismatch "
	  "(certificate is for wrong.example, expected 127.0.0.1)" },
	{ C_SELFSIGNED, "localhost", EX_NOPERM,
	  "certificate verification failed: self-signed certificate" },
	{ C_OTHERCA, "localhost", EX_NOPERM,
	  "certificate verification failed: unknown CA (unable to get "
	  "local issuer certificate)" },
};

START_TEST(test_verify)
{
	const struct verify_case *vc = &verify_cases[_i];
	struct srv s = { .mode = SRV_TLS, .cert = vc->cert };
	struct postie_err err;
	struct account a;
	struct io *io;

	/* SNI carries the name, never an address (RFC 6066 3). */
	s.sni = strcmp(vc->host, "localhost") == 0 ? "localhost" : "";
	srv_start(&s);
	acct_init(&a);
	if (vc->ex == 0) {
		ck_assert_msg(client(&s, vc->host, &a, &io, &err) == 0, "%s",
		    err.msg);
		converse(io);
		io_free(io);
		ck_assert_int_eq(srv_wait(&s), SRV_OK);
		return;
	}
	ck_assert_int_eq(client(&s, vc->host, &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, vc->ex);
	ck_assert_str_eq(err.msg, vc->msg);
	ck_assert_int_eq(srv_wait(&s), SRV_EACCEPT);
}
END_TEST

START_TEST(test_system_store)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD };
	struct postie_err err;
	struct account a;
	struct io *io;

	/* Our test CA is in no system store. */
	srv_start(&s);
	acct_init(&a);
	a.tls_trust_file = NULL;
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_NOPERM);
	ck_assert_str_eq(err.msg, "certificate verification failed: "
	    "unknown CA (unable to get local issuer certificate)");
	srv_wait(&s);
}
END_TEST

/*
 * The system store is where the sysenv's SSL_CERT_FILE or SSL_CERT_DIR
 * says, not where the process's environment says.
 */
START_TEST(test_system_store_vars)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD };
	struct sysenv *saved = senv;
	struct postie_err err;
	struct account a;
	struct io *io;
	char var[300], dir[128], hashed[160];

	acct_init(&a);
	a.tls_trust_file = NULL;
	/* The process's own variable is not read. */
	ck_assert_int_eq(setenv("SSL_CERT_FILE", ca_file, 1), 0);
	srv_start(&s);
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_NOPERM);
	srv_wait(&s);
	unsetenv("SSL_CERT_FILE");

	/* SSL_CERT_FILE: a bundle. */
	snprintf(var, sizeof(var), "SSL_CERT_FILE=%s", ca_file);
	senv = senv_with(var);
	srv_start(&s);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
	sysenv_free(senv);

	/* SSL_CERT_DIR: a hashed directory, after one that is not there. */
	snprintf(dir, sizeof(dir), "%s/certs", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(hashed, sizeof(hashed), "%s/%08lx.0", dir,
	    X509_subject_name_hash(ca_cert));
	write_pem(hashed, ca_cert, NULL, NULL);
	snprintf(var, sizeof(var), "SSL_CERT_DIR=/nonexistent:%s", dir);
	senv = senv_with(var);
	srv_start(&s);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
	sysenv_free(senv);
	senv = saved;
	unlink(hashed);
	rmdir(dir);
}
END_TEST

/* Pinning and tls_certcheck off. */

START_TEST(test_pin_match)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_OTHERCA };
	struct postie_err err;
	struct account a;
	struct io *io;
	char hex[128];

	srv_start(&s);
	acct_init(&a);
	sha256_hex(certs[C_OTHERCA], a.tls_fingerprint, hex, sizeof(hex));
	a.tls_has_fingerprint = 1;
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

START_TEST(test_pin_mismatch)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD };
	struct postie_err err;
	struct account a;
	struct io *io;
	char hex[128], want[256];

	srv_start(&s);
	acct_init(&a);
	sha256_hex(certs[C_GOOD], a.tls_fingerprint, hex, sizeof(hex));
	a.tls_fingerprint[31] ^= 1;
	a.tls_has_fingerprint = 1;
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_NOPERM);
	snprintf(want, sizeof(want), "certificate fingerprint mismatch: "
	    "server sent %s", hex);
	ck_assert_str_eq(err.msg, want);
	srv_wait(&s);
}
END_TEST

START_TEST(test_certcheck_off)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_SELFSIGNED };
	struct postie_err err;
	struct account a;
	struct io *io;

	srv_start(&s);
	acct_init(&a);
	a.tls_certcheck = 0;
	a.tls_trust_file = missing_file;	/* not even read */
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

/* Versions. */

START_TEST(test_server_tls11)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD,
	    .max_version = TLS1_1_VERSION };
	struct postie_err err;
	struct account a;
	struct io *io;
	const char *want = "TLS handshake failed: ";

	srv_start(&s);
	acct_init(&a);
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_UNAVAILABLE);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 &&
	    strstr(err.msg, "protocol") != NULL, "%s", err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_EACCEPT);
}
END_TEST

START_TEST(test_min_tls13)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD,
	    .max_version = TLS1_2_VERSION };
	struct postie_err err;
	struct account a;
	struct io *io;
	const char *want = "TLS handshake failed: ";

	srv_start(&s);
	acct_init(&a);
	a.tls_min_version = TLS1_3_VERSION;
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_UNAVAILABLE);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 &&
	    strstr(err.msg, "protocol") != NULL, "%s", err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_EACCEPT);
}
END_TEST

START_TEST(test_tls12)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD,
	    .max_version = TLS1_2_VERSION };
	struct postie_err err;
	struct account a;
	struct io *io;
	char desc[1024];

	srv_start(&s);
	acct_init(&a);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	tls_describe(io, desc, sizeof(desc));
	ck_assert_msg(strncmp(desc, "TLSv1.2 ", 8) == 0, "%s", desc);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

/* Client certificates. */

START_TEST(test_client_cert)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD, .client_cert = 1 };
	struct postie_err err;
	struct account a;
	struct io *io;

	srv_start(&s);
	acct_init(&a);
	a.tls_cert_file = client_cert_file;
	a.tls_key_file = client_key_file;
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

START_TEST(test_client_cert_missing)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD, .client_cert = 1 };
	struct postie_err err;
	struct account a;
	struct io *io;
	char line[64];

	/* The server refuses; under TLS 1.3 the client learns it later. */
	srv_start(&s);
	acct_init(&a);
	if (client(&s, "localhost", &a, &io, &err) == 0) {
		ck_assert_int_eq(io_readline(io, line, sizeof(line), NULL,
		    &err), -1);
		io_free(io);
	}
	ck_assert_msg(strstr(err.msg, "certificate required") != NULL,
	    "%s", err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_EACCEPT);
}
END_TEST

/* The connection failing during the handshake. */

START_TEST(test_handshake_timeout)
{
	struct srv s = { .mode = SRV_SILENT };
	struct postie_err err;
	struct account a;
	struct io *io;
	double t0, dt;

	srv_start(&s);
	acct_init(&a);
	a.timeout = 1;
	t0 = now();
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	dt = now() - t0;
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "TLS handshake timed out after 1 s");
	ck_assert_msg(dt >= 0.9 && dt < 3.0, "took %.2f s", dt);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

START_TEST(test_handshake_closed)
{
	struct srv s = { .mode = SRV_CLOSE };
	struct postie_err err;
	struct account a;
	struct io *io;

	srv_start(&s);
	acct_init(&a);
	ck_assert_int_eq(client(&s, "localhost", &a, &io, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strncmp(err.msg, "TLS handshake failed: connection ",
	    33) == 0, "%s", err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

START_TEST(test_drop)
{
	struct srv s = { .mode = SRV_DROP, .cert = C_GOOD };
	struct postie_err err;
	struct account a;
	struct io *io;
	char line[64];

	srv_start(&s);
	acct_init(&a);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
	/* No close_notify: still the end of the stream. */
	ck_assert_int_eq(io_readline(io, line, sizeof(line), NULL, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "connection closed by server");
	io_free(io);
}
END_TEST

START_TEST(test_sigpipe)
{
	struct srv s = { .mode = SRV_DROP, .cert = C_GOOD };
	struct postie_err err;
	struct account a;
	struct io *io;
	char line[64];
	int i, rv = 0;

	/*
	 * The first write after the server has gone draws a reset; a later
	 * write to the socket is EPIPE, which would raise SIGPIPE and kill
	 * this process.
	 */
	srv_start(&s);
	acct_init(&a);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
	ck_assert_int_eq(io_printf(io, &err, "NOOP\r\n"), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	usleep(100000);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), NULL, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	for (i = 0; i < 10 && rv == 0; i++) {
		rv = io_printf(io, &err, "NOOP\r\n");
		if (rv == 0)
			rv = io_flush(io, &err);
	}
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strncmp(err.msg, "connection lost: ", 17) == 0, "%s",
	    err.msg);
	io_free(io);
}
END_TEST

START_TEST(test_ops_timeout)
{
	struct srv s = { .mode = SRV_SILENT };
	struct postie_err err;
	struct tls_client *tc;
	struct account a;
	void *ctx;
	int fd;

	/* tls_handshake on a bare descriptor, bounded by its timeout. */
	srv_start(&s);
	acct_init(&a);
	ck_assert_int_eq(tls_client_new(&tc, &a, senv, &err), 0);
	fd = net_connect("127.0.0.1", s.port, NULL, 2, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tls_handshake(tc, fd, "127.0.0.1", 300, &ctx, &err),
	    -1);
	ck_assert_ptr_null(ctx);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "TLS handshake timed out after 1 s");
	/* The descriptor is still the caller's. */
	ck_assert_int_eq(close(fd), 0);
	tls_client_free(tc);
	srv_wait(&s);
}
END_TEST

/* Preconditions of tls_start. */

START_TEST(test_injection)
{
	struct srv s = { .mode = SRV_INJECT };
	struct postie_err err;
	struct tls_client *tc;
	struct account a;
	struct io *io;
	char line[64];
	int fd;

	srv_start(&s);
	acct_init(&a);
	ck_assert_int_eq(tls_client_new(&tc, &a, senv, &err), 0);
	fd = net_connect("localhost", s.port, NULL, 2, &err);
	ck_assert_int_ge(fd, 0);
	io = net_io_new(fd, 2);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), NULL, &err), 0);
	ck_assert_str_eq(line, "220 ready");
	ck_assert_int_eq(tls_start(tc, io, "localhost", &err), -1);
	ck_assert_int_eq(err.ex, EX_PROTOCOL);
	ck_assert_str_eq(err.msg, "server sent data before the TLS handshake "
	    "(STARTTLS response injection)");
	ck_assert_ptr_eq(io_transport(io), &net_socket_ops);
	io_free(io);
	tls_client_free(tc);
	srv_wait(&s);
}
END_TEST

START_TEST(test_not_tcp)
{
	struct postie_err err;
	struct tls_client *tc;
	struct account a;
	struct io *io;
	unsigned char md[32];
	char desc[64] = "x";
	size_t len = 1;

	acct_init(&a);
	ck_assert_int_eq(tls_client_new(&tc, &a, senv, &err), 0);
	io = io_new(&io_mem_ops, io_mem_new("", 0, 0), 2);
	ck_assert_int_eq(tls_start(tc, io, "localhost", &err), -1);
	ck_assert_int_eq(err.ex, EX_SOFTWARE);
	tls_describe(io, desc, sizeof(desc));
	ck_assert_str_eq(desc, "");
	ck_assert_int_eq(io_channel_binding(io, desc, sizeof(desc), md,
	    sizeof(md), &len), 0);
	ck_assert_uint_eq(len, 0);
	io_free(io);
	tls_client_free(tc);
}
END_TEST

/* tls_describe. */

START_TEST(test_describe)
{
	struct srv s = { .mode = SRV_TLS, .cert = C_GOOD };
	struct postie_err err;
	struct account a;
	struct io *io;
	unsigned char md[32];
	char desc[2048], hex[128], want[256], *p;
	int lines = 0;

	srv_start(&s);
	acct_init(&a);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	tls_describe(io, desc, sizeof(desc));
	ck_assert_msg(strncmp(desc, "TLSv1.", 6) == 0, "%s", desc);
	ck_assert_msg(strstr(desc, "\nsubject: O=postie test, CN=localhost\n")
	    != NULL, "%s", desc);
	ck_assert_msg(strstr(desc,
	    "\nissuer: O=postie test, CN=postie test CA\n") != NULL, "%s",
	    desc);
	ck_assert_msg(strstr(desc, "\nvalid from: 20") != NULL, "%s", desc);
	ck_assert_msg(strstr(desc, " UTC\nvalid until: 20") != NULL, "%s",
	    desc);
	sha256_hex(certs[C_GOOD], md, hex, sizeof(hex));
	snprintf(want, sizeof(want), "\nSHA-256 fingerprint: %s", hex);
	ck_assert_msg(strstr(desc, want) != NULL, "%s", desc);
	for (p = desc; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_int_eq(lines, 5);
	/* Truncation is safe. */
	tls_describe(io, desc, 10);
	ck_assert_uint_eq(strlen(desc), 9);
	converse(io);
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

/* Channel binding: what the client gives equals what the server sees. */

struct cbind_case {
	int	 max_version;	/* of the server; 0: the highest, TLS 1.3 */
	int	 no_ems;
	const char *type;	/* NULL: no binding */
	size_t	 len;
};

static const struct cbind_case cbind_cases[] = {
	{ 0, 0, "tls-exporter", 32 },
	{ TLS1_2_VERSION, 0, "tls-unique", 12 },
#ifdef SSL_OP_NO_EXTENDED_MASTER_SECRET
	/* RFC 7627: tls-unique does not bind without it. */
	{ TLS1_2_VERSION, 1, NULL, 0 },
#endif
};

START_TEST(test_cbind)
{
	const struct cbind_case *cc = &cbind_cases[_i];
	struct srv s = { .mode = SRV_CBIND, .cert = C_GOOD,
	    .max_version = cc->max_version, .no_ems = cc->no_ems };
	struct postie_err err;
	struct account a;
	struct io *io;
	unsigned char cb[64];
	char type[32], line[256], got[256];
	size_t len, i, o;

	srv_start(&s);
	acct_init(&a);
	ck_assert_msg(client(&s, "localhost", &a, &io, &err) == 0, "%s",
	    err.msg);
	ck_assert_msg(io_readline(io, line, sizeof(line), &len, &err) == 0,
	    "%s", err.msg);
	memset(type, 'x', sizeof(type));
	if (cc->type == NULL) {
		ck_assert_str_eq(line, "none");
		ck_assert_int_eq(io_channel_binding(io, type, sizeof(type), cb,
		    sizeof(cb), &len), 0);
		ck_assert_uint_eq(len, 0);
		ck_assert_str_eq(type, "");
	} else {
		ck_assert_int_eq(io_channel_binding(io, type, sizeof(type), cb,
		    sizeof(cb), &len), 1);
		ck_assert_str_eq(type, cc->type);
		ck_assert_uint_eq(len, cc->len);
		o = (size_t)snprintf(got, sizeof(got), "%s ", type);
		for (i = 0; i < len; i++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%02x",
			    cb[i]);
		ck_assert_str_eq(got, line);
		/* Too small a buffer: none, rather than a truncated one. */
		ck_assert_int_eq(io_channel_binding(io, type, sizeof(type), cb,
		    cc->len - 1, &len), 0);
		ck_assert_uint_eq(len, 0);
	}
	io_free(io);
	ck_assert_int_eq(srv_wait(&s), SRV_OK);
}
END_TEST

/* tls_client_new and the account. */

struct conf_case {
	const char *trust;
	const char *cert;
	const char *key;
	int	 min_version;
	const char *msg;	/* with %s for tmpdir */
};

static const struct conf_case conf_cases[] = {
	{ "%s/missing.pem", NULL, NULL, 0,
	  "cannot read tls_trust_file %s/missing.pem: "
	  "No such file or directory" },
	{ "%s/junk", NULL, NULL, 0,
	  "cannot load tls_trust_file %s/junk: " },
	{ NULL, "%s/client.pem", NULL, 0,
	  "tls_cert_file is set without tls_key_file" },
	{ NULL, NULL, "%s/client.key", 0,
	  "tls_key_file is set without tls_cert_file" },
	{ NULL, "%s/missing.pem", "%s/client.key", 0,
	  "cannot read tls_cert_file %s/missing.pem: "
	  "No such file or directory" },
	{ NULL, "%s/junk", "%s/client.key", 0,
	  "cannot load tls_cert_file %s/junk: " },
	{ NULL, "%s/client.pem", "%s/missing.pem", 0,
	  "cannot read tls_key_file %s/missing.pem: "
	  "No such file or directory" },
	{ NULL, "%s/client.pem", "%s/junk", 0,
	  "cannot load tls_key_file %s/junk: " },
	{ NULL, "%s/client.pem", "%s/other.key", 0,
	  "tls_key_file %s/other.key does not match tls_cert_file "
	  "%s/client.pem" },
	{ NULL, "%s/client.pem", "%s/locked.key", 0,
	  "cannot load tls_key_file %s/locked.key: "
	  "the key is protected by a passphrase" },
	{ NULL, NULL, NULL, 0x999, "invalid tls_min_version 0x999" },
};

/*
 * The session cache.  One server process serves two connections with
 * one SSL_CTX (one ticket key) and greets each with "220 resumed" or
 * "220 new"; the client connects twice, the second time with one
 * setting changed, and a session must be resumed only when nothing that
 * decides trust changed.
 */

static pid_t
resume_srv(int *portp, int max_version)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[256];
	SSL_CTX *ctx;
	SSL *ssl;
	size_t n;
	pid_t pid;
	int lfd, c, i;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	*portp = ntohs(sin.sin_port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	alarm(10);
	signal(SIGPIPE, SIG_IGN);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, certs[C_GOOD]) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, keys[C_GOOD]) != 1)
		_exit(SRV_EACCEPT);
	if (max_version != 0)
		SSL_CTX_set_max_proto_version(ctx, max_version);
	for (i = 0; i < 2; i++) {
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(SRV_EACCEPT);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) != 1)
			_exit(SRV_EACCEPT);
		strlcpy(buf, SSL_session_reused(ssl) ? "220 resumed\r\n" :
		    "220 new\r\n", sizeof(buf));
		if (SSL_write(ssl, buf, (int)strlen(buf)) !=
		    (int)strlen(buf))
			_exit(SRV_EIO);
		srv_cbind(ssl, buf, sizeof(buf));
		if (SSL_write(ssl, buf, (int)strlen(buf)) !=
		    (int)strlen(buf))
			_exit(SRV_EIO);
		while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
			;
		SSL_free(ssl);
		close(c);
	}
	_exit(SRV_OK);
}

/*
 * Connect, read the greeting into line ("220 new"); with cbline, also the
 * server's view of the channel binding and, in cbline, the client's in
 * the same "TYPE HEX" form ("none" when it gives none); close.
 */
static void
resume_client(const struct sysenv *sys, int port, const char *host,
    const struct account *a, char *line, size_t linesz, char *srvcb,
    char *cbline, size_t cbsz)
{
	struct tls_client *tc;
	struct postie_err err;
	struct io *io;
	unsigned char cb[64];
	char type[32];
	size_t len, i, o;
	int fd;

	ck_assert_msg(tls_client_new(&tc, a, sys, &err) == 0, "%s", err.msg);
	fd = net_connect(host, port, NULL, a->timeout, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	io = net_io_new(fd, a->timeout);
	ck_assert_ptr_nonnull(io);
	ck_assert_msg(tls_start(tc, io, host, &err) == 0, "%s", err.msg);
	ck_assert_msg(io_readline(io, line, linesz, &len, &err) == 0, "%s",
	    err.msg);
	if (cbline != NULL) {
		ck_assert_msg(io_readline(io, srvcb, cbsz, &len, &err) == 0,
		    "%s", err.msg);
		if (io_channel_binding(io, type, sizeof(type), cb, sizeof(cb),
		    &len) != 1)
			strlcpy(cbline, "none", cbsz);
		else {
			o = (size_t)snprintf(cbline, cbsz, "%s ", type);
			for (i = 0; i < len && o < cbsz; i++)
				o += (size_t)snprintf(cbline + o, cbsz - o,
				    "%02x", cb[i]);
		}
	}
	io_free(io);
	tls_client_free(tc);
}

enum resume_change {
	R_SAME, R_HOST, R_PORT, R_ACCOUNT, R_TRUST_FILE, R_CERTCHECK_OFF,
	R_CERTCHECK_ON, R_PIN, R_MIN_TLS13, R_CACHE_OFF_FIRST, R_CACHE_OFF_SECOND,
	R_FILE_READABLE, R_FILE_JUNK
};

struct resume_case {
	enum resume_change change;
	int	 max_version;	/* the server's; 0: any */
	const char *want;	/* the second greeting */
};

static const struct resume_case resume_cases[] = {
	{ R_SAME, 0, "220 resumed" },
	{ R_SAME, TLS1_2_VERSION, "220 resumed" },
	{ R_HOST, 0, "220 new" },
	{ R_PORT, 0, "220 new" },
	{ R_ACCOUNT, 0, "220 new" },
	{ R_TRUST_FILE, 0, "220 new" },
	{ R_CERTCHECK_OFF, 0, "220 new" },
	{ R_CERTCHECK_ON, 0, "220 new" },
	{ R_PIN, 0, "220 new" },
	{ R_MIN_TLS13, 0, "220 new" },
	{ R_CACHE_OFF_FIRST, 0, "220 new" },
	{ R_CACHE_OFF_SECOND, 0, "220 new" },
	{ R_FILE_READABLE, 0, "220 new" },
	{ R_FILE_JUNK, 0, "220 new" },
};

/* The files in dir (the cache), each checked private; removes them. */
static int
cache_files(const char *dir, int remove)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_int_eq(strncmp(de->d_name, "tls-", 4), 0);
		ck_assert_uint_eq(strlen(de->d_name), 4 + 64);
		if (remove)
			ck_assert_int_eq(unlink(path), 0);
		else {
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert_int_eq(st.st_mode & 0777, 0600);
		}
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_session_cache)
{
	const struct resume_case *rc = &resume_cases[_i];
	char base[256], dir[300], trust2[256], line[64], hex[128];
	char path[600], var[300];
	struct sysenv *cache;
	struct dirent *de;
	struct account a;
	struct stat st;
	DIR *d;
	FILE *fp;
	pid_t pid;
	int port, status;
	const char *host = "localhost";

	snprintf(base, sizeof(base), "%s/cache%d", tmpdir, (int)_i);
	snprintf(dir, sizeof(dir), "%s/postie", base);
	snprintf(var, sizeof(var), "XDG_CACHE_HOME=%s", base);
	cache = senv_with(var);
	ck_assert_int_eq(mkdir(base, 0700), 0);
	snprintf(trust2, sizeof(trust2), "%s/ca-copy%d.pem", tmpdir, (int)_i);
	write_pem(trust2, ca_cert, NULL, NULL);

	pid = resume_srv(&port, rc->max_version);
	acct_init(&a);
	a.port = 587;
	a.tls_session_cache = rc->change != R_CACHE_OFF_FIRST;
	/* A session made without verification must not skip it later. */
	a.tls_certcheck = rc->change != R_CERTCHECK_ON;
	resume_client(cache, port, host, &a, line, sizeof(line), NULL, NULL, 0);
	ck_assert_str_eq(line, "220 new");
	if (rc->change == R_CACHE_OFF_FIRST)
		ck_assert_int_eq(cache_files(dir, 0), 0);
	else {
		ck_assert_int_eq(cache_files(dir, 0), 1);
		ck_assert_int_eq(stat(dir, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0700);
	}

	a.tls_session_cache = 1;
	switch (rc->change) {
	case R_HOST:
		host = "127.0.0.1";
		break;
	case R_PORT:
		a.port = 465;
		break;
	case R_ACCOUNT:
		a.name = "other";
		break;
	case R_TRUST_FILE:
		a.tls_trust_file = trust2;
		break;
	case R_CERTCHECK_OFF:
		a.tls_certcheck = 0;
		break;
	case R_CERTCHECK_ON:
		a.tls_certcheck = 1;
		break;
	case R_PIN:
		sha256_hex(certs[C_GOOD], a.tls_fingerprint, hex,
		    sizeof(hex));
		a.tls_has_fingerprint = 1;
		break;
	case R_MIN_TLS13:
		a.tls_min_version = TLS1_3_VERSION;
		break;
	case R_CACHE_OFF_SECOND:
		a.tls_session_cache = 0;
		break;
	case R_FILE_READABLE:
	case R_FILE_JUNK:
		ck_assert_ptr_nonnull(d = opendir(dir));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name);
			if (rc->change == R_FILE_READABLE)
				ck_assert_int_eq(chmod(path, 0644), 0);
			else {
				ck_assert_ptr_nonnull(fp = fopen(path, "r+"));
				fputs("junk", fp);
				fclose(fp);
			}
		}
		closedir(d);
		break;
	default:
		break;
	}
	resume_client(cache, port, host, &a, line, sizeof(line), NULL, NULL, 0);
	ck_assert_str_eq(line, rc->want);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == SRV_OK);

	cache_files(dir, 1);
	rmdir(dir);
	rmdir(base);
	unlink(trust2);
	sysenv_free(cache);
}
END_TEST

/*
 * Channel binding on a resumed session: the client's equals the server's
 * (TLS 1.3: the exporter; TLS 1.2: the server's Finished, RFC 5929 3.1).
 */
START_TEST(test_cbind_resumed)
{
	static const int versions[] = { 0, TLS1_2_VERSION };
	static const char *types[] = { "tls-exporter ", "tls-unique " };
	char base[256], dir[300], line[64], srvcb[256], cb[256], var[300];
	struct sysenv *cache;
	struct account a;
	pid_t pid;
	int port, status;

	snprintf(base, sizeof(base), "%s/cbres%d", tmpdir, (int)_i);
	snprintf(dir, sizeof(dir), "%s/postie", base);
	snprintf(var, sizeof(var), "XDG_CACHE_HOME=%s", base);
	cache = senv_with(var);
	ck_assert_int_eq(mkdir(base, 0700), 0);
	pid = resume_srv(&port, versions[_i]);
	acct_init(&a);
	a.port = 587;
	a.tls_session_cache = 1;
	resume_client(cache, port, "localhost", &a, line, sizeof(line), srvcb,
	    cb, sizeof(cb));
	ck_assert_str_eq(line, "220 new");
	ck_assert_str_eq(cb, srvcb);
	resume_client(cache, port, "localhost", &a, line, sizeof(line), srvcb,
	    cb, sizeof(cb));
	ck_assert_str_eq(line, "220 resumed");
	ck_assert_int_eq(strncmp(cb, types[_i], strlen(types[_i])), 0);
	ck_assert_str_eq(cb, srvcb);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == SRV_OK);
	cache_files(dir, 1);
	rmdir(dir);
	rmdir(base);
	sysenv_free(cache);
}
END_TEST

START_TEST(test_conf)
{
	const struct conf_case *cc = &conf_cases[_i];
	struct postie_err err;
	struct account a;
	struct tls_client *tc = (struct tls_client *)&a;
	char trust[128], cert[128], key[128], want[256];

	acct_init(&a);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (cc->trust != NULL) {
		snprintf(trust, sizeof(trust), cc->trust, tmpdir);
		a.tls_trust_file = trust;
	}
	if (cc->cert != NULL) {
		snprintf(cert, sizeof(cert), cc->cert, tmpdir);
		a.tls_cert_file = cert;
	}
	if (cc->key != NULL) {
		snprintf(key, sizeof(key), cc->key, tmpdir);
		a.tls_key_file = key;
	}
	snprintf(want, sizeof(want), cc->msg, tmpdir, tmpdir);
#pragma GCC diagnostic pop
	a.tls_min_version = cc->min_version;
	err_clear(&err);
	ck_assert_int_eq(tls_client_new(&tc, &a, senv, &err), -1);
	ck_assert_ptr_null(tc);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	if (want[strlen(want) - 1] == ' ')
		/* OpenSSL's reason follows. */
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 &&
		    strlen(err.msg) > strlen(want),
		    "got \"%s\", want \"%s...\"", err.msg, want);
	else
		ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_conf_ok)
{
	struct postie_err err;
	struct tls_client *tc;
	struct account a;

	acct_init(&a);
	a.tls_trust_file = NULL;
	a.tls_min_version = TLS1_3_VERSION;
	ck_assert_msg(tls_client_new(&tc, &a, senv, &err) == 0, "%s", err.msg);
	tls_client_free(tc);
	/* A pin needs no trust: the missing file is not read. */
	a.tls_trust_file = missing_file;
	a.tls_has_fingerprint = 1;
	ck_assert_msg(tls_client_new(&tc, &a, senv, &err) == 0, "%s", err.msg);
	tls_client_free(tc);
	tls_client_free(NULL);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc;

	tc = tcase_create("verify");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_verify, 0,
	    sizeof(verify_cases) / sizeof(verify_cases[0]));
	tcase_add_test(tc, test_system_store);
	tcase_add_test(tc, test_system_store_vars);
	tcase_add_test(tc, test_pin_match);
	tcase_add_test(tc, test_pin_mismatch);
	tcase_add_test(tc, test_certcheck_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_server_tls11);
	tcase_add_test(tc, test_min_tls13);
	tcase_add_test(tc, test_tls12);
	tcase_add_test(tc, test_client_cert);
	tcase_add_test(tc, test_client_cert_missing);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_handshake_closed);
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_sigpipe);
	tcase_add_test(tc, test_ops_timeout);
	tcase_add_test(tc, test_injection);
	tcase_add_test(tc, test_not_tcp);
	tcase_add_test(tc, test_describe);
	tcase_add_loop_test(tc, test_cbind, 0,
	    sizeof(cbind_cases) / sizeof(cbind_cases[0]));
	tcase_add_loop_test(tc, test_session_cache, 0,
	    sizeof(resume_cases) / sizeof(resume_cases[0]));
	tcase_add_loop_test(tc, test_cbind_resumed, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("conf");
	tcase_add_loop_test(tc, test_conf, 0,
	    sizeof(conf_cases) / sizeof(conf_cases[0]));
	tcase_add_test(tc, test_conf_ok);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	make_all();
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_all();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
