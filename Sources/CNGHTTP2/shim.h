#ifndef PULLGUARD_CNGHTTP2_SHIM_H
#define PULLGUARD_CNGHTTP2_SHIM_H

// The only C header PullGuard reads for nghttp2 (used by the HTTP/2 layer).
// Macro-only values are wrapped in `CPullGuardNGHTTP2_` prefixed inline functions.

#include <nghttp2/nghttp2.h>

static inline const char *CPullGuardNGHTTP2_version_string(void) {
    return NGHTTP2_VERSION;
}
static inline const char *CPullGuardNGHTTP2_proto_version_id(void) {
    return NGHTTP2_PROTO_VERSION_ID;
}

#endif
