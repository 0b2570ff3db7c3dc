#ifndef PULLGUARD_COPENSSL_SHIM_H
#define PULLGUARD_COPENSSL_SHIM_H

// The only C header PullGuard reads for OpenSSL. Swift cannot call function-like
// macros, so each macro we need is wrapped in a `CPullGuardOpenSSL_` prefixed
// static inline function below; everything else is the plain OpenSSL 3 API.

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/objects.h>
#include <openssl/opensslv.h>
#include <openssl/engine.h>

static inline long CPullGuardOpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline long CPullGuardOpenSSL_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add1_chain_cert(ctx, cert);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_current_cert(SSL_CTX *ctx, long op) {
    return SSL_CTX_set_current_cert(ctx, op);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long CPullGuardOpenSSL_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long CPullGuardOpenSSL_SSL_CTX_set_tlsext_servername_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}
static inline long CPullGuardOpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long CPullGuardOpenSSL_SSL_set1_groups_list(SSL *ssl, const char *list) {
    return SSL_set1_groups_list(ssl, list);
}
static inline long CPullGuardOpenSSL_SSL_set_min_proto_version(SSL *ssl, int version) {
    return SSL_set_min_proto_version(ssl, version);
}
static inline long CPullGuardOpenSSL_SSL_set_max_proto_version(SSL *ssl, int version) {
    return SSL_set_max_proto_version(ssl, version);
}
static inline long CPullGuardOpenSSL_SSL_set_mode(SSL *ssl, long mode) {
    return SSL_set_mode(ssl, mode);
}
static inline long CPullGuardOpenSSL_SSL_get_peer_tmp_key(SSL *ssl, EVP_PKEY **key) {
    return SSL_get_peer_tmp_key(ssl, key);
}
static inline int CPullGuardOpenSSL_SSL_CTX_set_app_data(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_app_data(ctx, arg);
}
static inline void *CPullGuardOpenSSL_SSL_CTX_get_app_data(const SSL_CTX *ctx) {
    return SSL_CTX_get_app_data(ctx);
}
static inline int CPullGuardOpenSSL_SSL_set_app_data(SSL *ssl, void *arg) {
    return SSL_set_app_data(ssl, arg);
}
static inline void *CPullGuardOpenSSL_SSL_get_app_data(const SSL *ssl) {
    return SSL_get_app_data(ssl);
}
static inline int CPullGuardOpenSSL_BIO_get_mem_data(BIO *bio, char **pp) {
    return (int)BIO_get_mem_data(bio, pp);
}
static inline int CPullGuardOpenSSL_BIO_set_mem_eof_return(BIO *bio, int v) {
    return (int)BIO_set_mem_eof_return(bio, v);
}
static inline size_t CPullGuardOpenSSL_BIO_ctrl_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}
static inline int CPullGuardOpenSSL_OPENSSL_free(void *p) {
    OPENSSL_free(p);
    return 1;
}
static inline int CPullGuardOpenSSL_sk_X509_num(const STACK_OF(X509) *sk) {
    return sk_X509_num(sk);
}
static inline X509 *CPullGuardOpenSSL_sk_X509_value(const STACK_OF(X509) *sk, int i) {
    return sk_X509_value(sk, i);
}
static inline STACK_OF(X509) *CPullGuardOpenSSL_sk_X509_new_null(void) {
    return sk_X509_new_null();
}
static inline int CPullGuardOpenSSL_sk_X509_push(STACK_OF(X509) *sk, X509 *x) {
    return sk_X509_push(sk, x);
}
static inline void CPullGuardOpenSSL_sk_X509_pop_free(STACK_OF(X509) *sk) {
    sk_X509_pop_free(sk, X509_free);
}
static inline void CPullGuardOpenSSL_sk_X509_free(STACK_OF(X509) *sk) {
    sk_X509_free(sk);
}
static inline int CPullGuardOpenSSL_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *sk) {
    return sk_GENERAL_NAME_num(sk);
}
static inline GENERAL_NAME *CPullGuardOpenSSL_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *sk, int i) {
    return sk_GENERAL_NAME_value(sk, i);
}
static inline void CPullGuardOpenSSL_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *sk) {
    GENERAL_NAMES_free(sk);
}
static inline int CPullGuardOpenSSL_sk_X509_NAME_num(const STACK_OF(X509_NAME) *sk) {
    return sk_X509_NAME_num(sk);
}
static inline STACK_OF(X509_NAME) *CPullGuardOpenSSL_sk_X509_NAME_new_null(void) {
    return sk_X509_NAME_new_null();
}
static inline int CPullGuardOpenSSL_sk_X509_NAME_push(STACK_OF(X509_NAME) *sk, X509_NAME *n) {
    return sk_X509_NAME_push(sk, n);
}
static inline int CPullGuardOpenSSL_sk_ASN1_OBJECT_num(const STACK_OF(ASN1_OBJECT) *sk) {
    return sk_ASN1_OBJECT_num(sk);
}
static inline ASN1_OBJECT *CPullGuardOpenSSL_sk_ASN1_OBJECT_value(const STACK_OF(ASN1_OBJECT) *sk, int i) {
    return sk_ASN1_OBJECT_value(sk, i);
}
static inline void CPullGuardOpenSSL_EXTENDED_KEY_USAGE_free(EXTENDED_KEY_USAGE *eku) {
    EXTENDED_KEY_USAGE_free(eku);
}
static inline int CPullGuardOpenSSL_sk_X509_CRL_num(const STACK_OF(X509_CRL) *sk) {
    return sk_X509_CRL_num(sk);
}
static inline unsigned long CPullGuardOpenSSL_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline unsigned long CPullGuardOpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline unsigned long CPullGuardOpenSSL_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline unsigned long CPullGuardOpenSSL_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline unsigned long CPullGuardOpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }


// Certificate generation (OpenSSL/CertificateIssuer*.swift). EVP_EC_gen and
// EVP_RSA_gen are macros over the variadic EVP_PKEY_Q_keygen, which Swift
// cannot call; the stack macros are type-safe wrappers Swift cannot see.
static inline EVP_PKEY *CPullGuardOpenSSL_EVP_EC_gen(const char *curve) {
    return EVP_EC_gen(curve);
}
static inline EVP_PKEY *CPullGuardOpenSSL_EVP_RSA_gen(unsigned int bits) {
    return EVP_RSA_gen(bits);
}
static inline STACK_OF(GENERAL_NAME) *CPullGuardOpenSSL_sk_GENERAL_NAME_new_null(void) {
    return sk_GENERAL_NAME_new_null();
}
static inline int CPullGuardOpenSSL_sk_GENERAL_NAME_push(STACK_OF(GENERAL_NAME) *sk, GENERAL_NAME *name) {
    return sk_GENERAL_NAME_push(sk, name);
}
static inline STACK_OF(ASN1_OBJECT) *CPullGuardOpenSSL_sk_ASN1_OBJECT_new_null(void) {
    return sk_ASN1_OBJECT_new_null();
}
static inline int CPullGuardOpenSSL_sk_ASN1_OBJECT_push(STACK_OF(ASN1_OBJECT) *sk, ASN1_OBJECT *object) {
    return sk_ASN1_OBJECT_push(sk, object);
}
static inline void CPullGuardOpenSSL_sk_ASN1_OBJECT_pop_free(STACK_OF(ASN1_OBJECT) *sk) {
    sk_ASN1_OBJECT_pop_free(sk, ASN1_OBJECT_free);
}


static inline unsigned long CPullGuardOpenSSL_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline unsigned long CPullGuardOpenSSL_ASN1_STRFLGS_ESC_MSB(void) { return ASN1_STRFLGS_ESC_MSB; }

static inline long CPullGuardOpenSSL_SSL_CTX_set1_verify_cert_store(SSL_CTX *ctx, X509_STORE *store) {
    return SSL_CTX_set1_verify_cert_store(ctx, store);
}

// Deprecated in OpenSSL 3.0 but supported through 3.x: the ENGINE calls with which
// PullGuard registers OpenSSL's built-in EC and RSA key methods (BuiltInKeyEngine.swift),
// and the EC_KEY/RSA conversion that keeps every such key on that same path. Wrapped here
// so the deprecation is acknowledged once, in this header, not at each call.
static inline ENGINE *CPullGuardOpenSSL_ENGINE_new(void) { return ENGINE_new(); }
static inline int CPullGuardOpenSSL_ENGINE_free(ENGINE *e) { return ENGINE_free(e); }
static inline int CPullGuardOpenSSL_ENGINE_set_id(ENGINE *e, const char *id) { return ENGINE_set_id(e, id); }
static inline int CPullGuardOpenSSL_ENGINE_set_name(ENGINE *e, const char *name) { return ENGINE_set_name(e, name); }
static inline int CPullGuardOpenSSL_ENGINE_set_pkey_meths(ENGINE *e, ENGINE_PKEY_METHS_PTR f) {
    return ENGINE_set_pkey_meths(e, f);
}
static inline int CPullGuardOpenSSL_ENGINE_add(ENGINE *e) { return ENGINE_add(e); }
static inline int CPullGuardOpenSSL_ENGINE_register_pkey_meths(ENGINE *e) { return ENGINE_register_pkey_meths(e); }
static inline const EVP_PKEY_METHOD *CPullGuardOpenSSL_EVP_PKEY_meth_find(int type) { return EVP_PKEY_meth_find(type); }
/// 1 when `key` is in OpenSSL's legacy form (an EC_KEY, RSA...), 0 when provider-held.
static inline int CPullGuardOpenSSL_EVP_PKEY_is_legacy(const EVP_PKEY *key) { return EVP_PKEY_get0(key) != NULL; }
/// A new EVP_PKEY holding a legacy copy (EC_KEY or RSA) of `key`, or NULL for other
/// key types or on failure.
static inline EVP_PKEY *CPullGuardOpenSSL_EVP_PKEY_legacy_copy(EVP_PKEY *key) {
    EVP_PKEY *copy = EVP_PKEY_new();
    if (copy == NULL) return NULL;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
        EC_KEY *ec = EVP_PKEY_get1_EC_KEY(key);
        if (ec != NULL && EVP_PKEY_assign_EC_KEY(copy, ec) == 1) return copy;
        EC_KEY_free(ec);
        break;
    }
    case EVP_PKEY_RSA: {
        RSA *rsa = EVP_PKEY_get1_RSA(key);
        if (rsa != NULL && EVP_PKEY_assign_RSA(copy, rsa) == 1) return copy;
        RSA_free(rsa);
        break;
    }
    }
    EVP_PKEY_free(copy);
    return NULL;
}

#endif
