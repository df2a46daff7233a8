#!/bin/sh
# SPDX-License-Identifier: ISC
# Throwaway certificates for the integration tests, made with the openssl
# command (EC P-256 keys, so this takes a fraction of a second):
#   ca.pem            the test CA (the tls_trust_file of the tests)
#   good.pem/.key     localhost and 127.0.0.1, signed by the test CA
#   good.sha256       its SHA-256 fingerprint, AA:BB:... (tls_fingerprint)
#   expired.pem/.key  localhost and 127.0.0.1, valid only in 2020
#   notyet.pem/.key   localhost and 127.0.0.1, valid only from 2099-12-31
#   wrongname.pem/.key  other.example, signed by the test CA
#   selfsigned.pem/.key localhost and 127.0.0.1, signed by itself
#   other-ca.pem      a second CA that nobody trusts
#   untrusted.pem/.key  localhost and 127.0.0.1, signed by the second CA
#   client.pem/.key   a client certificate (CN postie client), test CA
# Usage: gencerts.sh DIR
set -eu

dir=${1:?usage: gencerts.sh DIR}
openssl=${OPENSSL:-openssl}
mkdir -p "$dir"
cd "$dir"

cat > ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[localhost]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[other]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

key() {
	"$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

# ca NAME CN: a self-signed CA certificate NAME.pem with key NAME.key
ca() {
	key "$1.key"
	"$openssl" req -new -x509 -key "$1.key" -subj "/CN=$2" -days 30 \
	    -config ext.cnf -extensions ca -out "$1.pem" 2>/dev/null
}

# leaf NAME CN SECTION CA: NAME.pem signed by CA for 30 days
leaf() {
	key "$1.key"
	"$openssl" req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" \
	    2>/dev/null
	"$openssl" x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" \
	    -CAcreateserial -days 30 -extfile ext.cnf -extensions "$3" \
	    -out "$1.pem" 2>/dev/null
}

ca ca "postie test CA"
ca other-ca "postie untrusted CA"
leaf good localhost localhost ca
leaf wrongname other.example other ca
leaf untrusted localhost localhost other-ca
leaf client "postie client" client ca

key selfsigned.key
"$openssl" req -new -x509 -key selfsigned.key -subj /CN=localhost -days 30 \
    -config ext.cnf -extensions localhost -out selfsigned.pem 2>/dev/null

# openssl x509 cannot set a start date in the past; openssl ca can.
key expired.key
"$openssl" req -new -key expired.key -subj /CN=localhost -out expired.csr \
    2>/dev/null
mkdir -p cadb
: > cadb/index.txt
echo 1000 > cadb/serial
cat > ca.cnf <<'EOF'
[ca]
default_ca = testca

[testca]
database = cadb/index.txt
serial = cadb/serial
new_certs_dir = cadb
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = localhost

[anything]
commonName = supplied

[localhost]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
"$openssl" ca -batch -config ca.cnf -notext -in expired.csr \
    -startdate 20200101000000Z -enddate 20200102000000Z \
    -out expired.pem 2>/dev/null
key notyet.key
"$openssl" req -new -key notyet.key -subj /CN=localhost -out notyet.csr \
    2>/dev/null
"$openssl" ca -batch -config ca.cnf -notext -in notyet.csr \
    -startdate 20991231000000Z -enddate 21000101000000Z \
    -out notyet.pem 2>/dev/null

"$openssl" x509 -in good.pem -noout -fingerprint -sha256 |
    sed 's/^[^=]*=//' > good.sha256
rm -f ./*.csr
