/* SPDX-License-Identifier: ISC */
/*
 * TLS with OpenSSL: the client SSL_CTX built from an account, the
 * handshake with a deadline over a connected socket, the verification
 * outcome turned into one precise sentence, SHA-256 pinning, and the TLS
 * transport (struct io_ops).  Does not know about SMTP, and does not
 * resolve or connect (net.c does).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bounds.h"
#include "err.h"
#include "io.h"
#include "net.h"
#include "sysenv.h"
#include "tls.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate	SSL_get_peer_certificate
#endif

#define TLS_SHA256_LEN	32
/* The write buffer: a 64 KiB io flush in its records, with room. */
#define TLS_WBUF	(80 * 1024)
/* "AA:BB:..." for a SHA-256 digest, NUL included. */
#define TLS_HEX_LEN	(TLS_SHA256_LEN * 3)

struct tls_client {
	SSL_CTX		*ctx;
	int		 verify;	/* chain and host name */
	int		 pin;		/* compare fingerprint */
	unsigned char	 fingerprint[TLS_SHA256_LEN];
	/* The session cache (tls_session_cache). */
	int		 cache;
	unsigned char	 settings[TLS_SHA256_LEN];	/* what keys it */
	char		 cache_dir[4000];
	char		 cache_path[4096];	/* "" until a handshake */
	unsigned char	 cache_key[TLS_SHA256_LEN];	/* with the host */
	char		 host_override[BOUND_DOMAIN + 1];	/* or "" */
	SSL		*trusted;	/* verified (and pin checked) */
	SSL_SESSION	*pending;	/* given before the pin check */
};

struct tls_conn {
	SSL	*ssl;
	int	 fd;
	int	 failed;	/* a fatal error: no SSL_shutdown */
};

/*
 * OpenSSL writes to the socket with write(2), which raises SIGPIPE when
 * the server has gone; block it around calls that may write and discard
 * one that we caused, so that a lost connection is an error, not death.
 */
struct tls_sigpipe {
	sigset_t old;
	int	 pending;
};

static void
tls_sigpipe_block(struct tls_sigpipe *sp)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &sp->old);
	sp->pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
}

static void
tls_sigpipe_restore(struct tls_sigpipe *sp)
{
	struct timespec zero = { 0, 0 };
	sigset_t set, pend;
	int saved = errno;

	if (!sp->pending && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE)) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &sp->old, NULL);
	errno = saved;
}

/*
 * The reason of the earliest error queued by OpenSSL (the root cause), in
 * words; the queue is emptied so the next message starts clean.  Returns
 * the packed error code, 0 when the queue was empty.
 */
static unsigned long
tls_reason(char *buf, size_t bufsz)
{
	unsigned long first;
	const char *r;

	first = ERR_get_error();
	while (ERR_get_error() != 0)
		;
	buf[0] = '\0';
	if (first == 0)
		return 0;
	if ((r = ERR_reason_error_string(first)) != NULL)
		strlcpy(buf, r, bufsz);
	else
		ERR_error_string_n(first, buf, bufsz);
	return first;
}

static void
tls_hex(const unsigned char *md, size_t len, char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (bufsz == 0)
		return;
	for (i = 0; i < len && o + (i > 0) + 2 < bufsz; i++) {
		if (i > 0)
			buf[o++] = ':';
		buf[o++] = hex[md[i] >> 4];
		buf[o++] = hex[md[i] & 0xf];
	}
	buf[o] = '\0';
}

static int
tls_sha256(X509 *x, unsigned char md[TLS_SHA256_LEN])
{
	unsigned int len = 0;

	if (X509_digest(x, EVP_sha256(), md, &len) != 1 ||
	    len != TLS_SHA256_LEN)
		return -1;
	return 0;
}

/* open(2) the file only to say precisely why OpenSSL could not. */
static int
tls_readable(const char *key, const char *path, struct postie_err *err)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set(err, EX_CONFIG, "cannot read %s %s", key, path);
		return -1;
	}
	close(fd);
	return 0;
}

static void
tls_config_error(const char *key, const char *path, struct postie_err *err)
{
	char why[256];

	if (tls_reason(why, sizeof(why)) == 0)
		strlcpy(why, "unusable", sizeof(why));
	err_setx(err, EX_CONFIG, "cannot load %s %s: %s", key, path, why);
}

/* OpenSSL would prompt on the terminal; postie never does. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	int *asked = u;

	if (asked != NULL)
		*asked = 1;
	return 0;
}

static int
tls_load_client_cert(SSL_CTX *ctx, const char *cert, const char *key,
    struct postie_err *err)
{
	char why[256];
	unsigned long e;
	EVP_PKEY *pkey;
	X509 *x;
	FILE *fp;
	int asked = 0;

	if (cert == NULL || key == NULL) {
		err_setx(err, EX_CONFIG, "%s is set without %s",
		    cert != NULL ? "tls_cert_file" : "tls_key_file",
		    cert != NULL ? "tls_key_file" : "tls_cert_file");
		return -1;
	}
	if (tls_readable("tls_cert_file", cert, err) == -1)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_config_error("tls_cert_file", cert, err);
		return -1;
	}
	if ((fp = fopen(key, "re")) == NULL) {
		err_set(err, EX_CONFIG, "cannot read tls_key_file %s", key);
		return -1;
	}
	pkey = PEM_read_PrivateKey(fp, NULL, tls_no_passphrase, &asked);
	fclose(fp);
	if (pkey == NULL) {
		/* cppcheck-suppress unreadVariable ; read when OpenSSL 3 */
		e = tls_reason(why, sizeof(why));
		if (asked)
			strlcpy(why, "the key is protected by a passphrase",
			    sizeof(why));
#ifdef ERR_LIB_OSSL_DECODER
		/* OpenSSL 3 says only "unsupported". */
		else if (ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER)
			strlcpy(why, "no PEM private key found", sizeof(why));
#endif
		else if (why[0] == '\0')
			strlcpy(why, "unusable", sizeof(why));
		err_setx(err, EX_CONFIG, "cannot load tls_key_file %s: %s",
		    key, why);
		return -1;
	}
	x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL || X509_check_private_key(x, pkey) != 1) {
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		err_setx(err, EX_CONFIG, "tls_key_file %s does not match "
		    "tls_cert_file %s", key, cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		EVP_PKEY_free(pkey);
		tls_config_error("tls_key_file", key, err);
		return -1;
	}
	EVP_PKEY_free(pkey);
	return 0;
}

/* A name OpenSSL's hash directory lookup uses: 8 hex digits, '.', digits. */
static int
tls_hash_name(const char *s)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return 0;
	if (s[8] != '.' || s[9] < '0' || s[9] > '9')
		return 0;
	for (i = 10; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Does any directory of the colon-separated list hold hash links? */
static int
tls_dir_hashed(const char *dirs)
{
	char path[4096], *p, *next;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (strlcpy(path, dirs, sizeof(path)) >= sizeof(path))
		return 0;
	for (p = path; p != NULL && !found; p = next) {
		if ((next = strchr(p, ':')) != NULL)
			*next++ = '\0';
		if (*p == '\0' || (d = opendir(p)) == NULL)
			continue;
		while (!found && (de = readdir(d)) != NULL)
			found = tls_hash_name(de->d_name);
		closedir(d);
	}
	return found;
}

/*
 * SSL_CTX_set_default_verify_dir and _file with the directory list or
 * file named: OpenSSL would read its variables itself, these take them
 * from the sysenv.  As there, a directory or file that cannot be read is
 * no error (verification fails later, saying so).
 */
static int
tls_add_dir(SSL_CTX *ctx, const char *dirs)
{
	X509_LOOKUP *l;

	if ((l = X509_STORE_add_lookup(SSL_CTX_get_cert_store(ctx),
	    X509_LOOKUP_hash_dir())) == NULL)
		return -1;
	ERR_set_mark();
	(void)X509_LOOKUP_add_dir(l, dirs, X509_FILETYPE_PEM);
	ERR_pop_to_mark();
	return 0;
}

static int
tls_add_file(SSL_CTX *ctx, const char *file)
{
	X509_LOOKUP *l;

	if ((l = X509_STORE_add_lookup(SSL_CTX_get_cert_store(ctx),
	    X509_LOOKUP_file())) == NULL)
		return -1;
	ERR_set_mark();
	(void)X509_LOOKUP_load_file(l, file, X509_FILETYPE_PEM);
	ERR_pop_to_mark();
	return 0;
}

/*
 * The system store.  The hashed directory (OpenSSL's default cert dir,
 * or SSL_CERT_DIR) is looked up lazily: only the certificates a chain
 * needs are read, where the bundle file would be parsed whole on every
 * run.  Where the directory is not hashed (some distributions ship only
 * the bundle), or SSL_CERT_FILE names a file, the file (OpenSSL's
 * default, or SSL_CERT_FILE) is loaded too, as
 * SSL_CTX_set_default_verify_paths would.
 */
static int
tls_load_system_trust(SSL_CTX *ctx, const struct sysenv *sys,
    struct postie_err *err)
{
	const char *dir, *file;
	int hashed;

	if ((dir = sysenv_cert_dir(sys)) == NULL)
		dir = X509_get_default_cert_dir();
	if ((file = sysenv_cert_file(sys)) == NULL)
		file = X509_get_default_cert_file();
	hashed = tls_dir_hashed(dir);
	if (hashed && tls_add_dir(ctx, dir) == -1) {
		tls_config_error("system certificate directory", dir, err);
		return -1;
	}
	if ((!hashed || sysenv_cert_file(sys) != NULL) &&
	    tls_add_file(ctx, file) == -1) {
		tls_config_error("system certificate file", file, err);
		return -1;
	}
	return 0;
}

/*
 * The TLS session cache: one file per account, host, port and
 * verification settings under $XDG_CACHE_HOME/postie (~/.cache/postie),
 * so that the next run resumes the session instead of a full handshake.
 * The file name is a digest of everything that decides whether a server
 * is trusted, and the digest is in the file too: a session is never
 * offered when any of it differs.  Only sessions of connections that
 * passed verification (and the pin check) are kept.  The cache is an
 * optimisation: every failure to read or write it is silent and means a
 * full handshake.
 */
#define TLS_CACHE_MAGIC	"postie tls session 1 "
#define TLS_CACHE_MAX	(64 * 1024)

static void
tls_digest_add(EVP_MD_CTX *md, const char *label, const char *value)
{
	EVP_DigestUpdate(md, label, strlen(label) + 1);
	if (value != NULL)
		EVP_DigestUpdate(md, value, strlen(value) + 1);
	else
		EVP_DigestUpdate(md, "", 1);
}

/* A file's identity, so that a trust file that changes is a new key. */
static void
tls_digest_file(EVP_MD_CTX *md, const char *label, const char *path)
{
	char buf[128];
	struct stat st;

	if (path == NULL || stat(path, &st) == -1)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%llu %llu %lld %lld",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtime);
	tls_digest_add(md, label, path);
	tls_digest_add(md, "stat", buf);
}

static int
tls_cache_settings(struct tls_client *tc, const struct account *acct,
    const struct sysenv *sys)
{
	char num[64], hex[TLS_HEX_LEN];
	unsigned int len = 0;
	EVP_MD_CTX *md;
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	if (ok) {
		tls_digest_add(md, "account", acct->name);
		snprintf(num, sizeof(num), "%d %d %d %d %d", acct->port,
		    tc->verify, tc->pin, acct->tls_min_version,
		    acct->tls && !acct->tls_starttls);
		tls_digest_add(md, "settings", num);
		tls_hex(tc->fingerprint, sizeof(tc->fingerprint), hex,
		    sizeof(hex));
		tls_digest_add(md, "pin", tc->pin ? hex : NULL);
		tls_digest_file(md, "trust", acct->tls_trust_file);
		if (acct->tls_trust_file == NULL) {
			tls_digest_add(md, "certdir", sysenv_cert_dir(sys));
			tls_digest_add(md, "certfile", sysenv_cert_file(sys));
		}
		tls_digest_file(md, "cert", acct->tls_cert_file);
		tls_digest_file(md, "key", acct->tls_key_file);
		/* A new CRL must not be bypassed by a resumed session. */
		tls_digest_file(md, "crl", acct->tls_crl_file);
		ok = EVP_DigestFinal_ex(md, tc->settings, &len) == 1 &&
		    len == sizeof(tc->settings);
	}
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* $XDG_CACHE_HOME/postie, else ~/.cache/postie (an absolute home). */
static int
tls_cache_dir(const struct sysenv *sys, char *buf, size_t bufsz)
{
	const char *base, *home;
	int n;

	if ((base = sysenv_xdg_cache_home(sys)) != NULL)
		n = snprintf(buf, bufsz, "%s/postie", base);
	else if ((home = sysenv_home(sys)) != NULL && home[0] == '/')
		n = snprintf(buf, bufsz, "%s/.cache/postie", home);
	else
		return -1;
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

/* The cache file for a connection to host. */
static int
tls_cache_name(struct tls_client *tc, const char *host)
{
	char hex[TLS_SHA256_LEN * 2 + 1];
	unsigned int len = 0;
	EVP_MD_CTX *md;
	size_t i;
	int ok, n;

	tc->cache_path[0] = '\0';
	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tc->settings, sizeof(tc->settings)) == 1 &&
	    EVP_DigestUpdate(md, host, strlen(host) + 1) == 1 &&
	    EVP_DigestFinal_ex(md, tc->cache_key, &len) == 1 &&
	    len == sizeof(tc->cache_key);
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	for (i = 0; i < sizeof(tc->cache_key); i++)
		snprintf(hex + 2 * i, 3, "%02x", tc->cache_key[i]);
	n = snprintf(tc->cache_path, sizeof(tc->cache_path), "%s/tls-%s",
	    tc->cache_dir, hex);
	if (n < 0 || (size_t)n >= sizeof(tc->cache_path)) {
		tc->cache_path[0] = '\0';
		return -1;
	}
	return 0;
}

static void
tls_cache_magic(const struct tls_client *tc, char *buf, size_t bufsz)
{
	size_t i, o;

	o = strlcpy(buf, TLS_CACHE_MAGIC, bufsz);
	for (i = 0; i < sizeof(tc->cache_key) && o + 3 < bufsz; i++, o += 2)
		snprintf(buf + o, 3, "%02x", tc->cache_key[i]);
	strlcat(buf, "\n", bufsz);
}

/*
 * The cached session for this connection, or NULL: the file must be
 * ours, private, hold this key, and the session be resumable and young
 * enough.
 */
static SSL_SESSION *
tls_cache_load(struct tls_client *tc)
{
	char want[128], line[128];
	SSL_SESSION *sess = NULL;
	struct stat st;
	long age, life;
	FILE *fp;
	int fd;

	if ((fd = open(tc->cache_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
	    st.st_size > TLS_CACHE_MAX || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	tls_cache_magic(tc, want, sizeof(want));
	if (fgets(line, sizeof(line), fp) != NULL &&
	    strcmp(line, want) == 0)
		sess = PEM_read_SSL_SESSION(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	if (sess == NULL)
		return NULL;
	age = (long)time(NULL) - (long)SSL_SESSION_get_time(sess);
	life = (long)SSL_SESSION_get_timeout(sess);
	if (life > BOUND_TLS_SESSION_LIFETIME)
		life = BOUND_TLS_SESSION_LIFETIME;
	if (!SSL_SESSION_is_resumable(sess) || age < 0 || age >= life) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

/* Replace the cache file with sess, atomically, mode 0600. */
static void
tls_cache_store(struct tls_client *tc, SSL_SESSION *sess)
{
	char dir[4096], tmp[4096 + 16], magic[128], *slash;
	FILE *fp;
	int fd, ok;

	if (tc->cache_path[0] == '\0' ||
	    strlcpy(dir, tc->cache_path, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL)
		return;
	*slash = '\0';
	/*
	 * Only under a cache directory that exists: a system user whose
	 * home is some service's directory gets no ~/.cache made there.
	 */
	(void)mkdir(dir, 0700);
	snprintf(tmp, sizeof(tmp), "%s/.tls-XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1)
		return;
	if (fchmod(fd, 0600) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return;
	}
	tls_cache_magic(tc, magic, sizeof(magic));
	ok = fputs(magic, fp) != EOF && PEM_write_SSL_SESSION(fp, sess) == 1;
	if (fclose(fp) == EOF)
		ok = 0;
	ERR_clear_error();
	if (!ok || rename(tmp, tc->cache_path) == -1)
		unlink(tmp);
}

/*
 * OpenSSL hands over each new session: TLS 1.2 at the end of the
 * handshake (before the pin is checked: kept until then), TLS 1.3 with
 * each ticket after it.  Returns 1: the reference is ours.
 */
static int
tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_client *tc;

	tc = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (tc == NULL || !tc->cache)
		return 0;
	if (tc->trusted == ssl) {
		tls_cache_store(tc, sess);
		SSL_SESSION_free(sess);
		return 1;
	}
	SSL_SESSION_free(tc->pending);
	tc->pending = sess;
	return 1;
}

/*
 * tls_crl_file: the CRLs (PEM) join the trust store, and every
 * certificate of the chain below the trust anchor must then have a
 * valid CRL from its issuer there and be absent from it.
 */
static int
tls_load_crl(SSL_CTX *ctx, const char *path, struct postie_err *err)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *l;

	if (tls_readable("tls_crl_file", path, err) == -1)
		return -1;
	if ((l = X509_STORE_add_lookup(store, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(l, path, X509_FILETYPE_PEM) <= 0) {
		tls_config_error("tls_crl_file", path, err);
		return -1;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

/*
 * Everything about the SSL_CTX is decided here, so that a session cache
 * can be added in one place.
 */
static int
tls_ctx_build(struct tls_client *tc, const struct account *acct,
    const struct sysenv *sys, struct postie_err *err)
{
	char why[256];
	int min;

	if ((tc->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_reason(why, sizeof(why));
		err_setx(err, EX_SOFTWARE, "cannot create TLS context: %s",
		    why);
		return -1;
	}
	min = acct->tls_min_version != 0 ? acct->tls_min_version :
	    TLS1_2_VERSION;
	if ((min != TLS1_VERSION && min != TLS1_1_VERSION &&
	    min != TLS1_2_VERSION && min != TLS1_3_VERSION) ||
	    SSL_CTX_set_min_proto_version(tc->ctx, min) != 1) {
		ERR_clear_error();
		err_setx(err, EX_CONFIG, "invalid tls_min_version 0x%x", min);
		return -1;
	}
	if (tc->cache) {
		SSL_CTX_set_app_data(tc->ctx, tc);
		SSL_CTX_set_session_cache_mode(tc->ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(tc->ctx, tls_new_session);
	}
	SSL_CTX_set_default_passwd_cb(tc->ctx, tls_no_passphrase);
	SSL_CTX_set_default_passwd_cb_userdata(tc->ctx, NULL);
	if ((acct->tls_cert_file != NULL || acct->tls_key_file != NULL) &&
	    tls_load_client_cert(tc->ctx, acct->tls_cert_file,
	    acct->tls_key_file, err) == -1)
		return -1;
	if (!tc->verify) {
		SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (acct->tls_trust_file != NULL) {
		if (tls_readable("tls_trust_file", acct->tls_trust_file,
		    err) == -1)
			return -1;
		if (SSL_CTX_load_verify_locations(tc->ctx,
		    acct->tls_trust_file, NULL) != 1) {
			tls_config_error("tls_trust_file",
			    acct->tls_trust_file, err);
			return -1;
		}
	} else if (tls_load_system_trust(tc->ctx, sys, err) == -1)
		return -1;
	if (acct->tls_crl_file != NULL &&
	    tls_load_crl(tc->ctx, acct->tls_crl_file, err) == -1)
		return -1;
	SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

int
tls_client_new(struct tls_client **tcp, const struct account *acct,
    const struct sysenv *sys, struct postie_err *err)
{
	struct tls_client *tc;

	*tcp = NULL;
	ERR_clear_error();
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		err_set(err, EX_OSERR, "malloc");
		return -1;
	}
	/* A pin replaces the CA and name checks (as in msmtp). */
	tc->pin = acct->tls_has_fingerprint;
	tc->verify = acct->tls_certcheck && !tc->pin;
	memcpy(tc->fingerprint, acct->tls_fingerprint,
	    sizeof(tc->fingerprint));
	if (acct->tls_host_override != NULL &&
	    strlcpy(tc->host_override, acct->tls_host_override,
	    sizeof(tc->host_override)) >= sizeof(tc->host_override)) {
		err_setx(err, EX_CONFIG, "tls_host_override: longer than %d "
		    "bytes", BOUND_DOMAIN);
		tls_client_free(tc);
		return -1;
	}
	tc->cache = acct->tls_session_cache &&
	    tls_cache_dir(sys, tc->cache_dir, sizeof(tc->cache_dir)) == 0 &&
	    tls_cache_settings(tc, acct, sys) == 0;
	if (tls_ctx_build(tc, acct, sys, err) == -1) {
		tls_client_free(tc);
		return -1;
	}
	*tcp = tc;
	return 0;
}

void
tls_client_free(struct tls_client *tc)
{
	if (tc == NULL)
		return;
	/* Connections may outlive tc: no more sessions for it. */
	if (tc->ctx != NULL)
		SSL_CTX_set_app_data(tc->ctx, NULL);
	SSL_SESSION_free(tc->pending);
	SSL_CTX_free(tc->ctx);
	explicit_bzero(tc, sizeof(*tc));
	free(tc);
}

static int
tls_is_ip(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

/* The names a certificate is for: its DNS and IP SANs, else its CN. */
static void
tls_cert_names(X509 *x, char *buf, size_t bufsz)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *gen;
	X509_NAME *subj;
	ASN1_STRING *s;
	char one[256];
	int i, n, idx;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		one[0] = '\0';
		if (gen->type == GEN_DNS)
			err_sanitize(one, sizeof(one), (const char *)
			    ASN1_STRING_get0_data(gen->d.dNSName),
			    (size_t)ASN1_STRING_length(gen->d.dNSName));
		else if (gen->type == GEN_IPADD) {
			s = gen->d.iPAddress;
			if (ASN1_STRING_length(s) == 4)
				inet_ntop(AF_INET, ASN1_STRING_get0_data(s),
				    one, sizeof(one));
			else if (ASN1_STRING_length(s) == 16)
				inet_ntop(AF_INET6, ASN1_STRING_get0_data(s),
				    one, sizeof(one));
		}
		if (one[0] == '\0')
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", bufsz);
		strlcat(buf, one, bufsz);
	}
	GENERAL_NAMES_free(gens);
	if (buf[0] != '\0')
		return;
	subj = X509_get_subject_name(x);
	idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx >= 0) {
		s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
		err_sanitize(buf, bufsz, (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s));
	}
}

/* SSL_get_verify_result in words. */
static void
tls_verify_words(SSL *ssl, long vr, const char *host, char *buf,
    size_t bufsz)
{
	STACK_OF(X509) *chain;
	char names[200];

	switch (vr) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		strlcpy(buf, "certificate has expired", bufsz);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		strlcpy(buf, "certificate is not yet valid", bufsz);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		strlcpy(buf, "self-signed certificate", bufsz);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		strlcpy(buf, "unknown CA (self-signed certificate in "
		    "certificate chain)", bufsz);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		strlcpy(buf, "unknown CA (unable to get local issuer "
		    "certificate)", bufsz);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		strlcpy(buf, "unknown CA (unable to get issuer certificate)",
		    bufsz);
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		strlcpy(buf, "no CRL for a certificate of the chain in "
		    "tls_crl_file (unable to get certificate CRL)", bufsz);
		break;
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		strlcpy(buf, "unknown CA (unable to verify the first "
		    "certificate)", bufsz);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		names[0] = '\0';
		chain = SSL_get_peer_cert_chain(ssl);
		if (chain != NULL && sk_X509_num(chain) > 0)
			tls_cert_names(sk_X509_value(chain, 0), names,
			    sizeof(names));
		if (names[0] != '\0')
			snprintf(buf, bufsz, "%s mismatch (certificate is "
			    "for %s, expected %s)",
			    vr == X509_V_ERR_HOSTNAME_MISMATCH ? "host name" :
			    "IP address", names, host);
		else
			snprintf(buf, bufsz, "%s mismatch (expected %s)",
			    vr == X509_V_ERR_HOSTNAME_MISMATCH ? "host name" :
			    "IP address", host);
		break;
	default:
		strlcpy(buf, X509_verify_cert_error_string(vr), bufsz);
		break;
	}
}

/* Classify a failed SSL_connect (code: SSL_get_error). */
static void
tls_handshake_error(struct tls_client *tc, SSL *ssl, int code,
    const char *host, struct postie_err *err)
{
	char why[256];
	unsigned long e;
	long vr;
	int saved = errno;

	vr = SSL_get_verify_result(ssl);
	e = tls_reason(why, sizeof(why));
	if (tc->verify && vr != X509_V_OK) {
		tls_verify_words(ssl, vr, host, why, sizeof(why));
		err_setx(err, EX_NOPERM, "certificate verification failed: "
		    "%s", why);
		return;
	}
	if (code == SSL_ERROR_SYSCALL) {
		if (saved == 0 && e != 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
			saved = ERR_GET_REASON(e);
		if (saved == 0)
			err_setx(err, EX_TEMPFAIL, "TLS handshake failed: "
			    "connection closed by server");
		else
			err_setx(err, EX_TEMPFAIL, "TLS handshake failed: "
			    "connection lost: %s", strerror(saved));
		return;
	}
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		err_setx(err, EX_TEMPFAIL, "TLS handshake failed: "
		    "connection closed by server");
		return;
	}
#endif
	if (e == 0) {
		err_setx(err, EX_TEMPFAIL, "TLS handshake failed");
		return;
	}
	err_setx(err, EX_UNAVAILABLE, "TLS handshake failed: %s", why);
}

static int
tls_check_pin(struct tls_client *tc, SSL *ssl, struct postie_err *err)
{
	unsigned char md[TLS_SHA256_LEN];
	char hex[TLS_HEX_LEN];
	X509 *x;
	int ok;

	if ((x = SSL_get1_peer_certificate(ssl)) == NULL) {
		err_setx(err, EX_NOPERM, "server sent no certificate");
		return -1;
	}
	ok = tls_sha256(x, md) == 0 &&
	    CRYPTO_memcmp(md, tc->fingerprint, sizeof(md)) == 0;
	if (!ok) {
		tls_hex(md, sizeof(md), hex, sizeof(hex));
		err_setx(err, EX_NOPERM, "certificate fingerprint mismatch: "
		    "server sent %s", hex);
	}
	X509_free(x);
	return ok ? 0 : -1;
}

/*
 * Reads come straight from the socket; writes go through a buffer so
 * that the records of one large write leave in one system call instead
 * of one per 16 KiB record.  OpenSSL flushes it at the end of each
 * handshake flight; tls_write flushes it after the data.
 */
static int
tls_attach(SSL *ssl, int fd)
{
	BIO *rbio, *wbio, *buf;

	if ((rbio = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL)
		return -1;
	if ((wbio = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL ||
	    (buf = BIO_new(BIO_f_buffer())) == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		return -1;
	}
	if (BIO_set_write_buffer_size(buf, TLS_WBUF) != 1) {
		BIO_free(rbio);
		BIO_free(wbio);
		BIO_free(buf);
		return -1;
	}
	SSL_set_bio(ssl, rbio, BIO_push(buf, wbio));
	return 0;
}

static int
tls_setup(struct tls_client *tc, SSL *ssl, const char *host,
    struct postie_err *err)
{
	X509_VERIFY_PARAM *param;
	char why[256];
	int ip = tls_is_ip(host), ok = 1;

	/* RFC 6066 3: literal IP addresses are not permitted in SNI. */
	if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
		ok = 0;
	if (ok && tc->verify) {
		param = SSL_get0_param(ssl);
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ip)
			ok = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1;
		else
			ok = SSL_set1_host(ssl, host) == 1;
	}
	if (!ok) {
		tls_reason(why, sizeof(why));
		err_setx(err, EX_SOFTWARE, "cannot use %s as TLS server "
		    "name%s%s", host, why[0] != '\0' ? ": " : "", why);
		return -1;
	}
	return 0;
}

int
tls_handshake(struct tls_client *tc, int fd, const char *host,
    int timeout_ms, void **ctxp, struct postie_err *err)
{
	struct postie_err werr;
	struct tls_sigpipe sp;
	struct tls_conn *c;
	SSL_SESSION *sess;
	long long deadline;
	int flags, r, code, ev;
	SSL *ssl;

	*ctxp = NULL;
	ERR_clear_error();
	if (tc->host_override[0] != '\0')
		host = tc->host_override;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		err_set(err, EX_OSERR, "fcntl");
		return -1;
	}
	if ((ssl = SSL_new(tc->ctx)) == NULL) {
		err_setx(err, EX_SOFTWARE, "cannot create TLS connection");
		ERR_clear_error();
		return -1;
	}
	if (tls_setup(tc, ssl, host, err) == -1)
		goto fail;
	SSL_SESSION_free(tc->pending);
	tc->pending = NULL;
	tc->trusted = NULL;
	if (tc->cache && tls_cache_name(tc, host) == 0 &&
	    (sess = tls_cache_load(tc)) != NULL) {
		if (SSL_set_session(ssl, sess) != 1)
			ERR_clear_error();
		SSL_SESSION_free(sess);
	}
	if (tls_attach(ssl, fd) == -1) {
		ERR_clear_error();
		err_setx(err, EX_SOFTWARE, "cannot attach TLS to socket");
		goto fail;
	}
	deadline = net_deadline(timeout_ms);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		tls_sigpipe_block(&sp);
		r = SSL_connect(ssl);
		tls_sigpipe_restore(&sp);
		if (r == 1)
			break;
		code = SSL_get_error(ssl, r);
		if (code == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (code == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else {
			tls_handshake_error(tc, ssl, code, host, err);
			goto fail;
		}
		if (net_wait(fd, ev, deadline, timeout_ms, &werr) == -1) {
			*err = werr;
			if (werr.ex == EX_TEMPFAIL)
				err_prefix(err, "TLS handshake ");
			goto fail;
		}
	}
	if (tc->pin && tls_check_pin(tc, ssl, err) == -1)
		goto fail;
	if (tc->cache) {
		tc->trusted = ssl;
		if (tc->pending != NULL) {
			tls_cache_store(tc, tc->pending);
			SSL_SESSION_free(tc->pending);
			tc->pending = NULL;
		}
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, EX_OSERR, "malloc");
		goto fail;
	}
	c->ssl = ssl;
	c->fd = fd;
	*ctxp = c;
	return 0;
fail:
	SSL_free(ssl);
	ERR_clear_error();
	return -1;
}

int
tls_start(struct tls_client *tc, struct io *io, const char *host,
    struct postie_err *err)
{
	void *net, *ctx;

	if (io_transport(io) != &net_socket_ops) {
		err_setx(err, EX_SOFTWARE, "TLS can only start over TCP");
		return -1;
	}
	if (io_pending(io) != 0) {
		err_setx(err, EX_PROTOCOL, "server sent data before the TLS "
		    "handshake (STARTTLS response injection)");
		return -1;
	}
	net = io_ctx(io);
	if (tls_handshake(tc, net_ctx_fd(net), host, io_timeout_ms(io),
	    &ctx, err) == -1)
		return -1;
	io_set_transport(io, &tls_ops, ctx);
	io_set_cbind(io, tls_channel_binding);
	net_ctx_release(net);
	return 0;
}

int
tls_channel_binding(void *vctx, char *type, size_t typesz,
    unsigned char *buf, size_t bufsz, size_t *lenp)
{
	struct tls_conn *c = vctx;
	size_t n;

	*lenp = 0;
	if (SSL_version(c->ssl) >= TLS1_3_VERSION) {
		/* RFC 9266 2: 32 bytes, this label, an empty context. */
		if (bufsz < 32 || SSL_export_keying_material(c->ssl, buf, 32,
		    "EXPORTER-Channel-Binding", 24, NULL, 0, 0) != 1) {
			ERR_clear_error();
			return 0;
		}
		strlcpy(type, "tls-exporter", typesz);
		*lenp = 32;
		return 1;
	}
	/*
	 * RFC 5929 3.1: the first Finished message of the latest handshake
	 * (the server's when the session was resumed); without the extended
	 * master secret (RFC 7627) it does not bind, so none is given.
	 */
	if (SSL_get_extms_support(c->ssl) != 1)
		return 0;
	if (SSL_session_reused(c->ssl))
		n = SSL_get_peer_finished(c->ssl, buf, bufsz);
	else
		n = SSL_get_finished(c->ssl, buf, bufsz);
	if (n == 0 || n > bufsz)
		return 0;
	strlcpy(type, "tls-unique", typesz);
	*lenp = n;
	return 1;
}

/*
 * A failed SSL_read/SSL_write.  Returns 0 for an end of stream (read),
 * -1 with err set otherwise.
 */
static int
tls_io_error(struct tls_conn *c, int code, int reading,
    struct postie_err *err)
{
	char why[256];
	unsigned long e;
	int saved = errno;

	e = tls_reason(why, sizeof(why));
	if (code == SSL_ERROR_ZERO_RETURN && reading)
		return 0;
	c->failed = 1;
	if (code == SSL_ERROR_SYSCALL) {
		if (saved == 0 && e != 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
			saved = ERR_GET_REASON(e);
		/* An EOF without close_notify: SMTP is self-delimiting. */
		if (saved == 0 && reading)
			return 0;
		errno = saved != 0 ? saved : EPIPE;
		err_set(err, EX_TEMPFAIL, "connection lost");
		return -1;
	}
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		if (reading)
			return 0;
		err_setx(err, EX_TEMPFAIL, "connection lost: "
		    "connection closed by server");
		return -1;
	}
#endif
	if (e == 0)
		err_setx(err, EX_IOERR, "TLS %s failed",
		    reading ? "read" : "write");
	else
		err_setx(err, EX_IOERR, "TLS %s failed: %s",
		    reading ? "read" : "write", why);
	return -1;
}

static int tls_flush(struct tls_conn *, long long, int,
    struct postie_err *);

static ssize_t
tls_read(void *vctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct tls_conn *c = vctx;
	struct tls_sigpipe sp;
	long long deadline = net_deadline(timeout_ms);
	size_t n;
	int r, code;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		/* Reading may write (a TLS 1.3 key update reply). */
		tls_sigpipe_block(&sp);
		r = SSL_read_ex(c->ssl, buf, len, &n);
		tls_sigpipe_restore(&sp);
		if (r == 1) {
			if (BIO_wpending(SSL_get_wbio(c->ssl)) > 0) {
				tls_sigpipe_block(&sp);
				r = tls_flush(c, deadline, timeout_ms, err);
				tls_sigpipe_restore(&sp);
				if (r == -1)
					return -1;
			}
			return (ssize_t)n;
		}
		code = SSL_get_error(c->ssl, r);
		if (code == SSL_ERROR_WANT_READ) {
			if (net_wait(c->fd, POLLIN, deadline, timeout_ms,
			    err) == -1)
				return -1;
		} else if (code == SSL_ERROR_WANT_WRITE) {
			if (net_wait(c->fd, POLLOUT, deadline, timeout_ms,
			    err) == -1)
				return -1;
		} else
			return tls_io_error(c, code, 1, err);
	}
}

/* Send what the write buffer holds; the caller blocks SIGPIPE. */
static int
tls_flush(struct tls_conn *c, long long deadline, int timeout_ms,
    struct postie_err *err)
{
	BIO *wbio = SSL_get_wbio(c->ssl);
	int r;

	while (BIO_wpending(wbio) > 0) {
		ERR_clear_error();
		errno = 0;
		r = BIO_flush(wbio);
		if (r == 1)
			break;
		if (!BIO_should_retry(wbio)) {
			tls_io_error(c, SSL_ERROR_SYSCALL, 0, err);
			return -1;
		}
		if (net_wait(c->fd, POLLOUT, deadline, timeout_ms, err) == -1)
			return -1;
	}
	return 0;
}

static int
tls_write(void *vctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct tls_conn *c = vctx;
	struct tls_sigpipe sp;
	long long deadline = net_deadline(timeout_ms);
	const char *p = buf;
	size_t n;
	int r, code, rv = 0;

	/* One mask for the whole write: three system calls, not per call. */
	tls_sigpipe_block(&sp);
	while (len > 0 && rv == 0) {
		ERR_clear_error();
		errno = 0;
		r = SSL_write_ex(c->ssl, p, len, &n);
		if (r == 1) {
			p += n;
			len -= n;
			continue;
		}
		code = SSL_get_error(c->ssl, r);
		if (code == SSL_ERROR_WANT_WRITE)
			rv = net_wait(c->fd, POLLOUT, deadline, timeout_ms, err);
		else if (code == SSL_ERROR_WANT_READ)
			rv = net_wait(c->fd, POLLIN, deadline, timeout_ms, err);
		else {
			if (code == SSL_ERROR_ZERO_RETURN)
				code = SSL_ERROR_SYSCALL;
			tls_io_error(c, code, 0, err);
			rv = -1;
		}
	}
	if (rv == 0)
		rv = tls_flush(c, deadline, timeout_ms, err);
	tls_sigpipe_restore(&sp);
	return rv;
}

static void
tls_close(void *vctx)
{
	struct tls_conn *c = vctx;
	struct tls_sigpipe sp;

	if (c == NULL)
		return;
	if (!c->failed) {
		/* One try to send close_notify; the socket is non-blocking. */
		tls_sigpipe_block(&sp);
		(void)SSL_shutdown(c->ssl);
		(void)BIO_flush(SSL_get_wbio(c->ssl));
		tls_sigpipe_restore(&sp);
	}
	SSL_free(c->ssl);
	ERR_clear_error();
	close(c->fd);
	free(c);
}

const struct io_ops tls_ops = {
	"tls",
	tls_read,
	tls_write,
	tls_close
};

static void
tls_name_line(const char *label, X509_NAME *name, char *buf, size_t bufsz)
{
	unsigned long flags = XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ;
	char line[512];
	BIO *bio;
	char *p;
	long len;

	strlcat(buf, label, bufsz);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0 &&
	    (len = BIO_get_mem_data(bio, &p)) > 0) {
		err_sanitize(line, sizeof(line), p, (size_t)len);
		strlcat(buf, line, bufsz);
	}
	BIO_free(bio);
}

static void
tls_time_line(const char *label, const ASN1_TIME *t, char *buf,
    size_t bufsz)
{
	char line[64];
	struct tm tm;

	strlcat(buf, label, bufsz);
	memset(&tm, 0, sizeof(tm));
	if (t != NULL && ASN1_TIME_to_tm(t, &tm) == 1 &&
	    strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
		strlcat(buf, line, bufsz);
}

void
tls_ctx_describe(void *vctx, char *buf, size_t bufsz)
{
	struct tls_conn *c = vctx;
	unsigned char md[TLS_SHA256_LEN];
	char hex[TLS_HEX_LEN];
	X509 *x;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	snprintf(buf, bufsz, "%s %s%s", SSL_get_version(c->ssl),
	    SSL_get_cipher_name(c->ssl),
	    SSL_session_reused(c->ssl) ? " (session resumed)" : "");
	if ((x = SSL_get1_peer_certificate(c->ssl)) == NULL)
		return;
	tls_name_line("\nsubject: ", X509_get_subject_name(x), buf, bufsz);
	tls_name_line("\nissuer: ", X509_get_issuer_name(x), buf, bufsz);
	tls_time_line("\nvalid from: ", X509_get0_notBefore(x), buf, bufsz);
	tls_time_line("\nvalid until: ", X509_get0_notAfter(x), buf, bufsz);
	if (tls_sha256(x, md) == 0) {
		tls_hex(md, sizeof(md), hex, sizeof(hex));
		strlcat(buf, "\nSHA-256 fingerprint: ", bufsz);
		strlcat(buf, hex, bufsz);
	}
	X509_free(x);
	ERR_clear_error();
}

void
tls_describe(struct io *io, char *buf, size_t bufsz)
{
	if (bufsz == 0)
		return;
	buf[0] = '\0';
	if (io_transport(io) != &tls_ops)
		return;
	tls_ctx_describe(io_ctx(io), buf, bufsz);
}
