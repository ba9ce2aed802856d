#ifndef CTOKENSTORE_SQLITE_SHIM_H
#define CTOKENSTORE_SQLITE_SHIM_H
#include <sqlite3.h>
#endif
