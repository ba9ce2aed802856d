#ifndef CTOKENSTORE_HIREDIS_SHIM_H
#define CTOKENSTORE_HIREDIS_SHIM_H
// Debian 12 ships hiredis 0.14.1: no RESP3, no TLS, and the variadic redisCommand does
// not import into Swift. The driver uses hiredis to connect only; it writes and parses
// RESP itself.
#define _FILE_OFFSET_BITS 64
#include <hiredis/hiredis.h>
#endif
