#ifndef CTOKENSTORE_LIBPQ_SHIM_H
#define CTOKENSTORE_LIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
