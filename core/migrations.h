/* migrations: the catalogue schema as numbered SQL files (schemas/NNN_name.sql), embedded at build time
 * by cmake/embed_sql.cmake. Version N of the schema is migrations 1..N applied in order. */
#ifndef SL_MIGRATIONS_H
#define SL_MIGRATIONS_H

#include <stddef.h>

struct sl_migration {
	int version;        /* NNN */
	const char *name;   /* file name, for messages */
	const char *sql;    /* whole file */
};

extern const struct sl_migration sl_migrations[];
extern const size_t sl_migrations_count;

#endif
