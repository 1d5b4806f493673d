# SPDX-License-Identifier: GPL-2.0
# Sourced by the certificate tests (selftests/unit/ike_charon.sh,
# selftests/net/ike_cert.sh); needs openssl.
# mkcerts DIR: CA (ECDSA P-256) "C=CH, O=kipsec test, CN=Test CA", a second
# unknown CA, and for kiked and charon one RSA and one ECDSA cert each.
mkcerts() {
	local d=$1 n ca
	(
	cd "$d" || exit 1
	for ca in ca evilca; do
		openssl ecparam -name prime256v1 -genkey -noout -out $ca.key 2>/dev/null
		openssl req -x509 -new -key $ca.key -days 2 -subj "/C=CH/O=kipsec test/CN=$ca" \
			-addext basicConstraints=critical,CA:true -out $ca.pem 2>/dev/null
	done
	for n in kiked charon; do
		openssl genrsa -out $n-rsa.key 2048 2>/dev/null
		openssl ecparam -name prime256v1 -genkey -noout -out $n-ec.key 2>/dev/null
		for k in rsa ec; do
			ca=ca
			openssl req -new -key $n-$k.key -subj "/C=CH/O=kipsec test/CN=$n-$k" -out $n-$k.csr 2>/dev/null
			printf 'subjectAltName=DNS:%s.test,email:%s@kipsec.test\n' $n $n >ext
			openssl x509 -req -in $n-$k.csr -CA $ca.pem -CAkey $ca.key -CAcreateserial \
				-days 1 -extfile ext -out $n-$k.pem 2>/dev/null
			openssl x509 -req -in $n-$k.csr -CA evilca.pem -CAkey evilca.key -CAcreateserial \
				-days 1 -extfile ext -out $n-$k-evil.pem 2>/dev/null
		done
	done
	mkdir -p cacerts && cp ca.pem cacerts/
	) || return 1
}
