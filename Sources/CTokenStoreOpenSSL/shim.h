#ifndef CTOKENSTORE_OPENSSL_SHIM_H
#define CTOKENSTORE_OPENSSL_SHIM_H
// libcrypto only: signing (HMAC, RSA), digests, AES-GCM and the CSPRNG.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/bio.h>
#endif
